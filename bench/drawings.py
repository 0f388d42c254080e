"""Drawings for the load benchmarks: the MNIST page's ten sample digits on its 280×280 pad,
each rendered at every stage of being drawn, as the PNG data URLs the pad sends.

Pillow only (no Locust import: importing Locust monkey-patches the standard library).
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

from PIL import Image, ImageDraw

PAD = 280
BRUSH = 20

SAMPLES_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "sample_digits.js"


def _sample_paths() -> tuple[tuple[tuple[int, int], ...], ...]:
    """The page's own sample digits (static/js/sample_digits.js, a JSON array literal)."""
    match = re.search(r"SAMPLE_PATHS = (\[.*?\n\]);", SAMPLES_JS.read_text(), re.DOTALL)
    assert match, f"no SAMPLE_PATHS array in {SAMPLES_JS}"
    return tuple(tuple(tuple(point) for point in path) for path in json.loads(match.group(1)))


def _sent_side() -> int:
    """The side of the PNG the MNIST page sends (static/js/lessons/mnist/page.js SENT_SIDE)."""
    mnist_js = SAMPLES_JS.parent / "lessons" / "mnist" / "page.js"
    match = re.search(r"export const SENT_SIDE = (\d+);", mnist_js.read_text())
    return int(match.group(1)) if match else PAD


SENT_SIDE = _sent_side()

# Ten digit-like strokes in pad coordinates (one polyline each, as a student draws them).
DIGIT_PATHS = _sample_paths()


def _png_data_url(points: list[tuple[int, int]]) -> str:
    """The pad's canvas as the page sends it: black ink on white paper, RGBA like a browser
    canvas, scaled down smoothly to the page's SENT_SIDE (static/js/lessons/mnist/page.js)."""
    image = Image.new("RGBA", (PAD, PAD), "white")
    draw = ImageDraw.Draw(image)
    if len(points) == 1:
        x, y = points[0]
        draw.ellipse((x - BRUSH // 2, y - BRUSH // 2, x + BRUSH // 2, y + BRUSH // 2), "black")
    else:
        draw.line(points, fill="black", width=BRUSH, joint="curve")
    if SENT_SIDE < PAD:
        image = image.resize((SENT_SIDE, SENT_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
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
