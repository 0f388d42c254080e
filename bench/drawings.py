"""Drawings for the load benchmarks: ten digit-like strokes on the MNIST page's 280×280 pad,
each rendered at every stage of being drawn, as the PNG data URLs the pad sends.

Pillow only (no Locust import: importing Locust monkey-patches the standard library).
"""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

PAD = 280
BRUSH = 20

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
