"""Test helpers: self-made IDX files, digits drawn with NumPy strokes, PNG payloads."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import struct
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from app.mnist.inference import LoadedModel, layer_table
from app.mnist.models import build

# Digits as polylines in a unit box (x right, y down), the way a student draws them.
DIGITS: dict[int, list[list[tuple[float, float]]]] = {
    1: [[(0.42, 0.18), (0.58, 0.0), (0.56, 1.0)]],
    0: [[(0.5 + 0.42 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 33)]],
    7: [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]],
}


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding of a uint8 array (magic 2051 for 3-d images, 2049 for 1-d labels)."""
    magic = magic if magic is not None else (2051 if array.ndim == 3 else 2049)
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_split(
    directory: Path, prefix: str, images: np.ndarray, labels: np.ndarray, *, gz: bool
) -> dict[str, str]:
    """Write <prefix>-images-idx3-ubyte(.gz) and labels; return {key: md5} of the files."""
    key = "train" if prefix == "train" else "test"
    sums = {}
    for kind, array, idx in (("images", images, "idx3"), ("labels", labels, "idx1")):
        raw = idx_bytes(array)
        name = f"{prefix}-{kind}-{idx}-ubyte"
        if gz:
            raw, name = gzip.compress(raw, mtime=0), name + ".gz"
        (directory / name).write_bytes(raw)
        sums[f"{key}_{kind}"] = hashlib.md5(raw).hexdigest()
    return sums


def write_dataset(
    directory: Path, n_train: int = 64, n_test: int = 32, *, gz: bool = True, seed: int = 0
) -> dict[str, str]:
    """A tiny random MNIST-shaped dataset in ``directory``; returns the MD5 of every file."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    sums = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        sums |= write_split(directory, prefix, images, labels, gz=gz)
    return sums


def draw(
    digit: int,
    *,
    size: tuple[int, int] = (28, 28),
    box: tuple[float, float, float, float] = (4, 4, 24, 24),
    pen: float = 2.0,
) -> np.ndarray:
    """Anti-aliased ink (H, W) in [0, 1] of ``digit`` drawn with a round pen of width ``pen``.

    ``size`` is (width, height); ``box`` is (left, top, right, bottom) of the digit in pixels.
    """
    width, height = size
    left, top, right, bottom = box
    ys, xs = np.mgrid[0:height, 0:width] + 0.5  # pixel centres, (H, W)
    distance = np.full((height, width), np.inf)
    for stroke in DIGITS[digit]:
        points = np.array(
            [(left + x * (right - left), top + y * (bottom - top)) for x, y in stroke]
        )
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
            distance = np.minimum(distance, np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)))
    return np.clip(pen / 2 + 0.5 - distance, 0.0, 1.0)


def png_of(ink: np.ndarray, polarity: str = "dark_on_light") -> bytes:
    """PNG bytes of ink drawn as a canvas would store it."""
    level = np.round(ink * 255).astype(np.uint8)
    if polarity == "dark_on_light":
        image = Image.fromarray(255 - level)
    elif polarity == "light_on_dark":
        image = Image.fromarray(level)
    elif polarity == "transparent":  # black ink, alpha = coverage, as canvas.toDataURL gives
        rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
        rgba[..., 3] = level
        image = Image.fromarray(rgba)
    elif polarity == "rgb_blue_on_white":
        rgb = np.full((*ink.shape, 3), 255, dtype=np.uint8)
        rgb[..., 0] = rgb[..., 1] = 255 - level
        image = Image.fromarray(rgb)
    else:
        raise ValueError(polarity)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    """A data:image/png;base64 URL."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def random_model(name: str, seed: int = 0) -> LoadedModel:
    """A randomly initialised model of the app's architecture ``name`` (no weights file)."""
    torch.manual_seed(seed)
    module = build(name).eval().requires_grad_(False)
    return LoadedModel(name, module, {}, layer_table(module))
