"""Latency of the MNIST API in-process, beside the bare model forward on the same input.

    .venv/bin/python bench/bench_mnist.py            # 1,000 calls each
    .venv/bin/python bench/bench_mnist.py --calls 200

For each model it times, on one 28×28 digit, in the same run and interleaved round by round
(so that a busy machine slows every row alike):

* the bare forward ``model(x)`` under ``torch.inference_mode()`` (x already a tensor);
* "API, in-process": what the API does around the forward, called directly — the request
  JSON bytes validated into the pydantic model, the endpoint function, the response model
  dumped to JSON bytes — for predict and activations;
* "TestClient POST": the same requests through Starlette's TestClient (adds the ASGI
  transport: httpx request building, the event-loop/thread-pool hops, routing; no socket),
  and a predict with a 480×360 PNG drawing (preprocessing included);
* "TestClient GET /api/health": the transport alone, for scale.

It prints a markdown table: median and p99 in milliseconds, and what each row adds to the
bare forward of its model (difference of medians). Target: ≤ 2 ms added for predict and
activations.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from fastapi.testclient import TestClient
from PIL import Image

from app.api import mnist as routes
from app.api.schemas.mnist import ActivationsRequest, PredictRequest
from app.config import get_settings
from app.main import create_app
from app.mnist import inference


def _seven(size: tuple[int, int], box: tuple[int, int, int, int], pen: float) -> np.ndarray:
    """Ink of a "7" drawn with a round pen: (H, W) in [0, 1]."""
    width, height = size
    left, top, right, bottom = box
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    points = [(left, top), (right, top), (left + 0.35 * (right - left), bottom)]
    distance = np.full((height, width), np.inf)
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.minimum(distance, np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)))
    return np.clip(pen / 2 + 0.5 - distance, 0, 1)


def _png_url(ink: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.round(255 - ink * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[int(0.99 * (len(ordered) - 1))] * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per row")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls per row first")
    args = parser.parse_args()

    settings = get_settings()
    image = _seven((28, 28), (5, 5, 23, 24), 2.2).round(4)
    png = _png_url(_seven((480, 360), (250, 40, 410, 260), 24.0))
    x = inference.to_tensor(image)

    with TestClient(create_app()) as client:
        registry = client.app.state.models
        rows: dict[str, Callable[[], object]] = {}
        for name in ("cnn", "fc"):
            module = registry.get(name).module

            def bare(module: torch.nn.Module = module) -> object:
                with torch.inference_mode():
                    return module(x)

            def call(route: str, body: dict) -> Callable[[], object]:
                def run() -> object:
                    response = client.post(route, json=body)
                    assert response.status_code == 200, response.text
                    return response.content

                return run

            def direct(endpoint: Callable, schema: type, body: dict) -> Callable[[], object]:
                raw = json.dumps(body).encode()

                def run() -> object:
                    request = schema.model_validate_json(raw)
                    return endpoint(request, registry, settings).body  # JSON bytes

                return run

            predict_body = {"image": image.tolist(), "model": name}
            rows[f"{name}: bare forward"] = bare
            rows[f"{name}: predict, API in-process"] = direct(
                routes.predict, PredictRequest, predict_body
            )
            rows[f"{name}: activations, API in-process"] = direct(
                routes.activations, ActivationsRequest, predict_body
            )
            rows[f"{name}: predict, TestClient POST"] = call("/api/mnist/predict", predict_body)
            rows[f"{name}: activations, TestClient POST"] = call(
                "/api/mnist/activations", predict_body
            )
            rows[f"{name}: predict 480×360 PNG, TestClient POST"] = call(
                "/api/mnist/predict", {"image_png": png, "model": name}
            )
        rows["GET /api/health, TestClient (transport alone)"] = lambda: client.get("/api/health")
        sizes = {label: len(run()) for label, run in rows.items() if "POST" in label}
        for run in rows.values():
            for _ in range(args.warmup):
                run()
        samples: dict[str, list[float]] = {label: [] for label in rows}
        for _ in range(args.calls):
            for label, run in rows.items():
                start = time.perf_counter()
                run()
                samples[label].append(time.perf_counter() - start)

    print(
        f"{args.calls} calls per row, torch {torch.__version__}, "
        f"{torch.get_num_threads()} torch thread(s) (CONVLAB_TORCH_THREADS="
        f"{settings.torch_threads}), {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}\n"
    )
    print("| call | median (ms) | p99 (ms) | added to bare forward, median (ms) | response |")
    print("|---|---:|---:|---:|---:|")
    for label, values in samples.items():
        median, p99 = _stats(values)
        model = label.split(":")[0]
        bare_label = f"{model}: bare forward"
        added = ""
        if bare_label in samples and label != bare_label:
            added = f"{median - _stats(samples[bare_label])[0]:+.2f}"
        size = f"{sizes[label] / 1000:.1f} kB" if label in sizes else ""
        print(f"| {label} | {median:.2f} | {p99:.2f} | {added} | {size} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
