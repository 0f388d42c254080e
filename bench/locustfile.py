"""A classroom on ConvLab, for Locust: students drawing digits and using the lessons.

Each simulated student loops over what a student does in the lab, with think time between:

* **draws a digit** on the MNIST page (weight 5): opens the page now and then, then draws one
  stroke of 2-4 s with the page's own pacing (static/js/lessons/mnist/page.js): a light
  ``POST /api/mnist/activations`` (``previews: false``, the drawing so far) every
  ``LIVE_INTERVAL_MS`` while the pen moves, the full one (``previews: true``) at stroke end, then
  the shift scan (dx from -8 to 8). bench/classroom_load.py replays that policy exactly (one
  request in flight, aborts, 503 retries after Retry-After) for a class that only draws;
* **works through the convolution lesson** (weight 3): the page, then 3-6 edits of X or K
  (``POST /api/conv2d``) with a click on an output cell (``POST /api/conv2d/explain``);
* **builds a receptive-field stack** (weight 2): the page and its presets, 2-4 edits of the
  stack (``POST /api/receptive-field``), one effective receptive field and one depth series.

The drawings are real PNGs of 280×280 strokes (the pad's size), rendered once at start-up
with Pillow: ten digit-like paths, each at every stage of being drawn.

Run it headless against a server on this machine only (bench/run_load.sh does all of this)::

    convlab serve --workers 2 --port 8000 &
    locust -f bench/locustfile.py --headless -u 100 -r 10 -t 2m --host http://127.0.0.1:8000

A 503 (the concurrency limit) or any other non-200 answer counts as a failure.
"""

from __future__ import annotations

import random

from drawings import DRAWINGS
from locust import FastHttpUser, between, task

TICK_SECONDS = 0.3  # mnist.js LIVE_INTERVAL_MS: one light activations per tick while drawing
SCAN_RANGE = 8


def _random_matrix(rng: random.Random, rows: int, cols: int, low: int = -3, high: int = 5):
    return [[rng.randint(low, high) for _ in range(cols)] for _ in range(rows)]


class Student(FastHttpUser):
    """One student: draws digits, then convolves, then builds receptive-field stacks."""

    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.visited: set[str] = set()

    def _page(self, path: str) -> None:
        """Open a lesson page (the HTML; its static files are cached after the first visit)."""
        with self.client.get(path, name=path, catch_response=True) as response:
            if response.status_code == 503:
                response.request_meta["name"] = "[page] [503 busy]"
                response.failure("503 busy")
            elif response.status_code != 200 or "<main" not in (response.text or ""):
                response.failure(f"page {path}: {response.status_code}")
        if path not in self.visited:
            self.visited.add(path)
            for asset in ("/static/css/lab.css", "/static/js/api.js"):
                with self.client.get(asset, name="/static/[asset]", catch_response=True) as r:
                    if r.status_code == 503:
                        r.request_meta["name"] = "[page] [503 busy]"
                        r.failure("503 busy")

    def _post(self, path: str, body: dict, expect: str) -> None:
        with self.client.post(path, json=body, name=path, catch_response=True) as response:
            if response.status_code == 503:
                # the concurrency limit: counted on a row of its own, to show how fast it is
                response.request_meta["name"] = f"{path} [503 busy]"
                response.failure("503 busy")
            elif response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:120]}")
            elif expect not in (response.json() or {}):
                response.failure(f"no {expect!r} in the answer")

    @task(5)
    def draw_a_digit(self) -> None:
        if self.rng.random() < 0.3:
            self._page("/mnist")
        stages = self.rng.choice(DRAWINGS)
        ticks = self.rng.randint(7, 13)  # 2-4 s of drawing
        for tick in range(ticks):
            png = stages[min(len(stages) - 1, (tick + 1) * len(stages) // ticks - 1)]
            live = {"image_png": png, "model": "cnn", "shift": [0, 0], "kernel_overrides": {}}
            self._post("/api/mnist/activations", {**live, "previews": False}, "layers")
            self.wait_briefly(TICK_SECONDS)
        final = {"image_png": stages[-1], "model": "cnn", "shift": [0, 0], "kernel_overrides": {}}
        self._post("/api/mnist/activations", {**final, "previews": True}, "layers")
        self._post(
            "/api/mnist/shift-scan",
            {"image_png": stages[-1], "dx": [-SCAN_RANGE, SCAN_RANGE], "dy": [0, 0]},
            "models",
        )

    @task(3)
    def convolve(self) -> None:
        self._page("/convolution")
        side = self.rng.choice([4, 6, 8, 12, 16])
        k = self.rng.choice([2, 3, 5 if side >= 8 else 3])
        image = _random_matrix(self.rng, side, side, 0, 5)
        kernel = _random_matrix(self.rng, k, k, -1, 1)
        for _ in range(self.rng.randint(3, 6)):
            i, j = self.rng.randrange(side), self.rng.randrange(side)
            image[i][j] = self.rng.randint(-3, 5)
            body = {
                "input": image,
                "kernel": kernel,
                "stride": 1,
                "padding": self.rng.choice([0, 1]),
                "padding_mode": "zeros",
            }
            self._post("/api/conv2d", body, "output")
            if self.rng.random() < 0.5:
                cell = [self.rng.randrange(side - k + 1), self.rng.randrange(side - k + 1)]
                self._post("/api/conv2d/explain", {**body, "output_cell": cell}, "output_cell")
            self.wait_briefly(self.rng.uniform(0.5, 2.0))

    @task(2)
    def receptive_fields(self) -> None:
        self._page("/receptive-fields")
        with self.client.get("/api/receptive-field/presets", catch_response=True) as response:
            if response.status_code == 503:
                response.request_meta["name"] = "[page] [503 busy]"
                response.failure("503 busy")
        layers = [{"type": "conv", "kernel_size": 3}]
        for _ in range(self.rng.randint(2, 4)):
            layers.append(
                self.rng.choice(
                    [
                        {"type": "conv", "kernel_size": 3},
                        {"type": "conv", "kernel_size": 5, "padding": 2},
                        {"type": "pool", "kernel_size": 2, "stride": 2},
                    ]
                )
            )
            body = {
                "layers": layers,
                "input_size": 64,
                "unit": {"layer": len(layers) - 1, "position": [0, 0]},
            }
            self._post("/api/receptive-field", body, "receptive_field")
            self.wait_briefly(self.rng.uniform(0.5, 2.0))
        erf = {
            "kernel_size": 3,
            "num_layers": self.rng.choice([2, 4, 8]),
            "num_samples": 8,
            "relu": self.rng.random() < 0.5,
            "seed": 0,
            "weights": "uniform",
        }
        self._post("/api/receptive-field/effective", erf, "radius")
        series = {
            "depths": [1, 2, 4, 8, 16],
            "kernel_size": 3,
            "num_samples": 4,
            "relu": False,
            "seed": 0,
            "weights": "uniform",
        }
        self._post("/api/receptive-field/effective/series", series, "points")

    def wait_briefly(self, seconds: float) -> None:
        """Sleep inside a task (gevent-friendly), bounded like every wait here."""
        import gevent

        gevent.sleep(min(seconds, 5.0))
