"""A classroom on ConvLab, for Locust: students drawing digits and using the lessons.

Each simulated student loops over what a student does in the lab, with think time between:

* **draws a digit** on the MNIST page (weight 5): opens the page now and then, then draws one
  stroke of 2-4 s. While drawing, every 0.5 s the pad sends ``POST /api/mnist/predict`` and
  ``POST /api/mnist/activations`` with the canvas so far as a PNG data URL, i.e. about 4
  requests per second, as the brief for a classroom asks; when the stroke ends the page asks
  for the shift scan (``POST /api/mnist/shift-scan``, dx from -8 to 8, as static/js/pages/
  mnist.js does);
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

import base64
import io
import random

from locust import FastHttpUser, between, task
from PIL import Image, ImageDraw

PAD = 280
BRUSH = 20
TICK_SECONDS = 0.5  # one predict + one activations per tick: 4 requests/s while drawing
SCAN_RANGE = 8

# Ten digit-like strokes in pad coordinates (one polyline each, as a student draws them).
DIGIT_PATHS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((140, 50), (95, 80), (80, 140), (95, 210), (140, 235), (185, 210), (200, 140),
     (185, 80), (140, 50)),                                                    # 0
    ((120, 80), (150, 50), (150, 140), (150, 235)),                            # 1
    ((85, 90), (120, 55), (175, 60), (190, 110), (150, 160), (90, 230), (200, 230)),  # 2
    ((90, 70), (170, 60), (140, 130), (190, 170), (170, 225), (90, 225)),      # 3
    ((170, 235), (170, 50), (80, 170), (205, 170)),                            # 4
    ((195, 55), (100, 55), (90, 130), (170, 130), (195, 185), (160, 235), (85, 220)),  # 5
    ((180, 55), (110, 110), (85, 190), (130, 235), (185, 200), (165, 150), (95, 170)),  # 6
    ((80, 60), (200, 60), (150, 140), (120, 235)),                             # 7
    ((140, 135), (90, 90), (140, 50), (190, 90), (140, 135), (85, 185), (140, 235),
     (195, 185), (140, 135)),                                                  # 8
    ((185, 110), (140, 60), (95, 100), (140, 140), (185, 110), (180, 180), (150, 235)),  # 9
)


def _png_data_url(points: list[tuple[int, int]]) -> str:
    """The pad's canvas as ``toDataURL("image/png")`` gives it: black ink on white paper."""
    image = Image.new("RGB", (PAD, PAD), "white")
    draw = ImageDraw.Draw(image)
    if len(points) == 1:
        x, y = points[0]
        draw.ellipse((x - BRUSH // 2, y - BRUSH // 2, x + BRUSH // 2, y + BRUSH // 2), "black")
    else:
        draw.line(points, fill="black", width=BRUSH, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _stroke_stages(path: tuple[tuple[int, int], ...], stages: int = 8) -> list[str]:
    """The drawing after 1/stages, 2/stages, ... of the path (densified so it grows smoothly)."""
    dense: list[tuple[int, int]] = []
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        for t in range(8):
            dense.append((x0 + (x1 - x0) * t // 8, y0 + (y1 - y0) * t // 8))
    dense.append(path[-1])
    return [_png_data_url(dense[: max(1, len(dense) * k // stages)]) for k in range(1, stages + 1)]


DRAWINGS: list[list[str]] = [_stroke_stages(path) for path in DIGIT_PATHS]


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
        ticks = self.rng.randint(4, 8)  # 2-4 s of drawing
        for tick in range(ticks):
            png = stages[min(len(stages) - 1, (tick + 1) * len(stages) // ticks - 1)]
            self._post("/api/mnist/predict", {"image_png": png, "model": "cnn"}, "probabilities")
            self._post(
                "/api/mnist/activations",
                {"image_png": png, "model": "cnn", "shift": [0, 0], "kernel_overrides": {}},
                "layers",
            )
            self.wait_briefly(TICK_SECONDS)
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
            body = {"input": image, "kernel": kernel, "stride": 1,
                    "padding": self.rng.choice([0, 1]), "padding_mode": "zeros"}
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
            layers.append(self.rng.choice([
                {"type": "conv", "kernel_size": 3},
                {"type": "conv", "kernel_size": 5, "padding": 2},
                {"type": "pool", "kernel_size": 2, "stride": 2},
            ]))
            body = {"layers": layers, "input_size": 64, "unit": {"layer": len(layers) - 1,
                                                                 "position": [0, 0]}}
            self._post("/api/receptive-field", body, "receptive_field")
            self.wait_briefly(self.rng.uniform(0.5, 2.0))
        erf = {"kernel_size": 3, "num_layers": self.rng.choice([2, 4, 8]), "num_samples": 8,
               "relu": self.rng.random() < 0.5, "seed": 0, "weights": "uniform"}
        self._post("/api/receptive-field/effective", erf, "radius")
        series = {"depths": [1, 2, 4, 8, 16], "kernel_size": 3, "num_samples": 4,
                  "relu": False, "seed": 0, "weights": "uniform"}
        self._post("/api/receptive-field/effective/series", series, "points")

    def wait_briefly(self, seconds: float) -> None:
        """Sleep inside a task (gevent-friendly), bounded like every wait here."""
        import gevent

        gevent.sleep(min(seconds, 5.0))
