"""MNIST's own normalisation, applied to a drawing so the network sees what it was trained on.

LeCun, Cortes & Burges describe how MNIST was made: "The original black and white images from
NIST were size normalized to fit in a 20x20 pixel box while preserving their aspect ratio. The
resulting images contain grey levels as a result of the anti-aliasing technique used by the
normalization algorithm. The images were centered in a 28x28 image by computing the center of
mass of the pixels, and translating the image so as to position this point at the center of
the 28x28 field." A drawing from a browser canvas is nothing like that — hundreds of pixels
wide, dark on light or ink on a transparent background, anywhere on the page — so:

1. grayscale: luminance (or alpha, for ink on a transparent background), turned so that the
   digit is bright on black (the background level is the median of the border pixels), the
   background level subtracted and the strongest ink scaled to 1;
2. crop: the bounding box of the ink (pixels above ``INK_THRESHOLD``);
3. scale: the longer side resized to 20 px keeping the aspect ratio (Lanczos, anti-aliased;
   the result is clipped to [0, 1] and its brightest pixel scaled to 1 again, as the
   saturated cores of MNIST strokes are);
4. center: pasted into 28 × 28 so that its centre of mass lands on the centre pixel (14, 14)
   (integer shift, clamped so that no ink leaves the frame).

Every step is returned, so the page can show the student what the network saw.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.engine.errors import InvalidInput

MNIST_SIDE = 28
BOX_SIDE = 20
INK_THRESHOLD = 0.1
"""Ink is any pixel at least 10 % of the way from the background to the strongest stroke."""
PREVIEW_SIDE = 128


@dataclass
class Step:
    """One stage of the normalisation: its name, what it did, and the image after it."""

    name: str
    description: str
    image: np.ndarray  # (H, W) float32 in [0, 1], bright digit on black


@dataclass
class Preprocessed:
    """The 28×28 image the network sees, and how it was made."""

    image: np.ndarray  # (28, 28) float32 in [0, 1]
    original_size: tuple[int, int]  # (width, height)
    polarity: str  # dark_on_light | light_on_dark | transparent
    bbox: tuple[int, int, int, int]  # (left, top, right, bottom), right/bottom exclusive
    scale: float
    center_of_mass: tuple[float, float]  # (x, y) in the final image
    steps: list[Step] = field(default_factory=list)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the PNG header (signature, then the IHDR chunk), without decoding.

    Read before Pillow opens the file, so an oversized image is refused before Pillow's own
    decompression-bomb check could warn (a warning filter would be process-global, and not
    thread-safe, to catch).
    """
    if len(data) < 24 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise InvalidInput("image_png is not a PNG image")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def open_png(data: bytes, *, max_side: int) -> Image.Image:
    """Decode PNG bytes, refusing anything that is not a PNG or is larger than ``max_side``."""
    width, height = png_size(data)
    if width > max_side or height > max_side:
        raise InvalidInput(
            f"image_png is {width}×{height} pixels, over the limit of {max_side} pixels per side"
        )
    if width == 0 or height == 0:
        raise InvalidInput("image_png has no pixels")
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
    except UnidentifiedImageError:
        raise InvalidInput("image_png is not a PNG image") from None
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        # Pillow's messages name its internals (e.g. PngImagePlugin.MAX_TEXT_CHUNK)
        raise InvalidInput("image_png is a corrupt or unsupported PNG") from None
    return image


def ink_of(image: Image.Image) -> tuple[np.ndarray, str]:
    """The drawing as float ink in [0, 1], bright on black, and the polarity it had.

    A transparent background (median border alpha below one half) means the alpha channel is
    the ink; otherwise the luminance is, inverted when the border is light.
    """
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float32)  # (H, W)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        gray = np.clip(values / top, 0.0, 1.0)
        alpha = np.ones_like(gray)
    else:
        # PIL's L is ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B); two uint8 planes keep a
        # 2048×2048 drawing at a few MB
        luma_alpha = np.asarray(image.convert("RGBA").convert("LA"))  # (H, W, 2)
        gray = luma_alpha[..., 0].astype(np.float32) / 255.0
        alpha = luma_alpha[..., 1].astype(np.float32) / 255.0

    def border(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])

    if np.median(border(alpha)) < 0.5:
        ink, polarity = alpha, "transparent"
    elif np.median(border(gray)) > 0.5:
        ink, polarity = 1.0 - gray * alpha - (1.0 - alpha), "dark_on_light"  # over white
    else:
        ink, polarity = gray * alpha, "light_on_dark"  # over black
    background = float(np.median(border(ink)))
    ink = np.clip(ink - background, 0.0, None)
    return ink, polarity


def normalise(ink: np.ndarray) -> tuple[np.ndarray, list[Step], dict]:
    """MNIST's normalisation of bright-on-black ink of any size → (28×28, steps, geometry).

    Raises InvalidInput("the drawing is empty") when no pixel reaches the ink threshold.
    """
    assert ink.ndim == 2, f"ink must be (H, W), got {ink.shape}"
    peak = float(ink.max()) if ink.size else 0.0
    if peak < INK_THRESHOLD:
        raise InvalidInput("the drawing is empty")
    ink = (ink / peak).astype(np.float32)  # strongest stroke = 1
    steps = [Step("grayscale", "Grayscale, digit bright on black, background removed.", ink)]

    rows = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[top:bottom, left:right]  # (h, w)
    h, w = crop.shape
    steps.append(Step("crop", f"Cropped to the ink's bounding box, {w}×{h} px.", crop))

    scale = BOX_SIDE / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = Image.fromarray(crop).resize((new_w, new_h), Image.Resampling.LANCZOS)
    small = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)  # (new_h, new_w)
    if small.max() > 0:
        small = small / small.max()
    steps.append(
        Step(
            "scale", f"Longer side scaled to {BOX_SIDE} px: {new_w}×{new_h} (×{scale:.3g}).", small
        )
    )

    # centre of mass of the small image, in pixel-index coordinates
    total = float(small.sum())
    com_y = float((small.sum(axis=1) * np.arange(new_h)).sum() / total)
    com_x = float((small.sum(axis=0) * np.arange(new_w)).sum() / total)
    centre = MNIST_SIDE // 2
    off_y = int(np.clip(round(centre - com_y), 0, MNIST_SIDE - new_h))
    off_x = int(np.clip(round(centre - com_x), 0, MNIST_SIDE - new_w))
    image = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    image[off_y : off_y + new_h, off_x : off_x + new_w] = small
    final_com = (com_x + off_x, com_y + off_y)
    steps.append(
        Step(
            "center",
            f"Placed in 28×28 with its centre of mass at ({final_com[0]:.1f}, {final_com[1]:.1f}).",
            image,
        )
    )
    geometry = {
        "bbox": (int(left), int(top), int(right), int(bottom)),
        "scale": float(scale),
        "center_of_mass": final_com,
    }
    return image, steps, geometry


def preprocess_png(data: bytes, *, max_side: int) -> Preprocessed:
    """The 28×28 MNIST-style image of a PNG drawing, with every step."""
    image = open_png(data, max_side=max_side)
    original_size = image.size
    ink, polarity = ink_of(image)
    final, steps, geometry = normalise(ink)
    return Preprocessed(
        image=final,
        original_size=original_size,
        polarity=polarity,
        steps=steps,
        **geometry,
    )


def png_data_url(image: np.ndarray, *, max_side: int = PREVIEW_SIDE) -> str:
    """A grayscale PNG data URL of a [0, 1] image, downscaled so its longer side ≤ max_side."""
    pixels = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    if max(pixels.size) > max_side:
        factor = max_side / max(pixels.size)
        size = (max(1, round(pixels.width * factor)), max(1, round(pixels.height * factor)))
        pixels = pixels.resize(size, Image.Resampling.BOX)
    buffer = io.BytesIO()
    pixels.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
