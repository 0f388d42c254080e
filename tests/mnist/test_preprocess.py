"""MNIST's normalisation of drawings: polarity, crop, 20-px box, centre of mass, bad input."""

from __future__ import annotations

import base64
import io
import zlib

import numpy as np
import pytest
from PIL import Image

from app.engine.errors import InvalidInput
from app.mnist.preprocess import normalise, open_png, png_data_url, preprocess_png
from tests.mnist.helpers import draw, png_of

CANVAS = dict(size=(480, 360), box=(250, 40, 410, 260), pen=22.0)


def _com(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    return (
        float((image.sum(axis=0) * np.arange(image.shape[1])).sum() / total),
        float((image.sum(axis=1) * np.arange(image.shape[0])).sum() / total),
    )


@pytest.mark.parametrize(
    "polarity, reported",
    [
        ("dark_on_light", "dark_on_light"),
        ("light_on_dark", "light_on_dark"),
        ("transparent", "transparent"),
        ("rgb_blue_on_white", "dark_on_light"),
    ],
)
def test_every_polarity_gives_the_same_bright_on_black_digit(polarity: str, reported: str) -> None:
    ink = draw(7, **CANVAS)
    reference = preprocess_png(png_of(ink, "light_on_dark"), max_side=2048).image

    result = preprocess_png(png_of(ink, polarity), max_side=2048)

    assert result.polarity == reported
    tolerance = 0.1 if polarity == "rgb_blue_on_white" else 1e-6  # blue has luma 0.114
    np.testing.assert_allclose(result.image, reference, atol=tolerance)


def test_result_is_28x28_digit_in_a_20px_box_with_centre_of_mass_at_14() -> None:
    result = preprocess_png(png_of(draw(0, **CANVAS)), max_side=2048)
    image = result.image

    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() == pytest.approx(1.0)
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    cols = np.flatnonzero(image.max(axis=0) > 0.05)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (20, 21)  # Lanczos ringing
    com_x, com_y = _com(image)
    assert abs(com_x - 14) <= 0.5 + 1e-6 and abs(com_y - 14) <= 0.5 + 1e-6
    assert result.center_of_mass == pytest.approx((com_x, com_y), abs=1e-3)


def test_geometry_reports_the_bounding_box_and_scale() -> None:
    ink = np.zeros((100, 200))
    ink[30:70, 50:60] = 1.0  # 10 wide, 40 high
    image, steps, geometry = normalise(ink)

    assert geometry["bbox"] == (50, 30, 60, 70)
    assert geometry["scale"] == pytest.approx(20 / 40)
    assert [s.name for s in steps] == ["grayscale", "crop", "scale", "center"]
    assert steps[1].image.shape == (40, 10)
    assert steps[2].image.shape == (20, 5)  # aspect ratio kept
    np.testing.assert_array_equal(steps[3].image, image)


def test_a_wide_digit_keeps_its_aspect_ratio() -> None:
    ink = np.zeros((50, 300))
    ink[20:30, 10:290] = 1.0  # 280 × 10 dash
    _, steps, _ = normalise(ink)
    assert steps[2].image.shape == (1, 20)


def test_a_lopsided_digit_is_clamped_inside_the_frame_not_cut() -> None:
    ink = np.zeros((40, 40))
    ink[0:40, 0:2] = 1.0  # long stem
    ink[0:3, 0:40] = 1.0  # heavy top bar: centre of mass far up
    ink[0:6, 30:40] = 1.0
    image, steps, geometry = normalise(ink)
    assert image.sum() == pytest.approx(steps[2].image.sum(), rel=1e-6)  # no ink lost
    assert image[27].max() > 0  # pushed against the bottom of the frame instead
    assert geometry["center_of_mass"][1] < 13  # so the centre of mass stays above the centre


def test_position_and_size_on_the_canvas_do_not_matter() -> None:
    results = [
        preprocess_png(png_of(draw(1, size=size, box=box, pen=pen)), max_side=2048).image
        for size, box, pen in [
            ((480, 360), (250, 40, 410, 260), 22.0),
            ((480, 360), (20, 120, 180, 340), 22.0),  # elsewhere
            ((960, 720), (500, 80, 820, 520), 44.0),  # twice as large
        ]
    ]
    for other in results[1:]:
        np.testing.assert_allclose(other, results[0], atol=0.12)


def test_faint_grey_paper_is_background_not_ink() -> None:
    ink = draw(7, **CANVAS)
    paper = np.full(ink.shape, 0.8)  # grey paper, dark ink
    gray = paper * (1 - ink)
    buffer = io.BytesIO()
    Image.fromarray(np.round(gray * 255).astype(np.uint8)).save(buffer, format="PNG")

    result = preprocess_png(buffer.getvalue(), max_side=2048)

    reference = preprocess_png(png_of(ink, "light_on_dark"), max_side=2048).image
    np.testing.assert_allclose(result.image, reference, atol=0.02)


@pytest.mark.parametrize(
    "pixels",
    [
        np.full((50, 50), 255, np.uint8),  # white page
        np.zeros((50, 50), np.uint8),  # black page
        np.full((50, 50, 4), 0, np.uint8),  # fully transparent canvas
        np.where(np.eye(50) > 0, 245, 255).astype(np.uint8),  # a trace fainter than the threshold
    ],
)
def test_an_empty_drawing_is_refused(pixels: np.ndarray) -> None:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    with pytest.raises(InvalidInput, match="^the drawing is empty$"):
        preprocess_png(buffer.getvalue(), max_side=2048)


def test_a_jpeg_is_not_a_png() -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(buffer, format="JPEG")
    with pytest.raises(InvalidInput, match="^image_png is not a PNG image$"):
        open_png(buffer.getvalue(), max_side=2048)


def test_random_bytes_are_not_a_png() -> None:
    with pytest.raises(InvalidInput, match="^image_png is not a PNG image$"):
        open_png(b"hello, this is not an image", max_side=2048)


def test_a_truncated_png_is_corrupt() -> None:
    data = png_of(draw(1, **CANVAS))
    with pytest.raises(InvalidInput, match="^image_png is a corrupt or unsupported PNG$"):
        open_png(data[: len(data) // 2], max_side=2048)


def test_a_png_with_a_bad_crc_is_corrupt() -> None:
    data = bytearray(png_of(draw(1, **CANVAS)))
    assert data[37:41] == b"IDAT"
    data[60] ^= 0xFF  # inside the compressed pixels
    with pytest.raises(InvalidInput, match="^image_png is a corrupt or unsupported PNG$"):
        open_png(bytes(data), max_side=2048)


def test_a_png_over_the_side_limit_is_refused_before_decoding() -> None:
    data = png_of(np.zeros((10, 3000)))
    with pytest.raises(
        InvalidInput, match=r"^image_png is 3000×10 pixels, over the limit of 2048 pixels per side$"
    ):
        open_png(data, max_side=2048)


def test_a_decompression_bomb_header_is_refused_without_decoding() -> None:
    # a PNG header claiming 100000 × 100000 pixels with a tiny body
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    header = (100_000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(InvalidInput, match="image_png (is 100000×100000 pixels|has too many)"):
        open_png(data, max_side=2048)


def test_sixteen_bit_grayscale_is_read() -> None:
    ink = draw(1, **CANVAS)
    buffer = io.BytesIO()
    Image.fromarray(np.round(ink * 65535).astype(np.uint16)).save(buffer, format="PNG")
    result = preprocess_png(buffer.getvalue(), max_side=2048)
    reference = preprocess_png(png_of(ink, "light_on_dark"), max_side=2048).image
    np.testing.assert_allclose(result.image, reference, atol=0.02)


def test_png_data_url_previews_are_small_and_decodable() -> None:
    image = np.linspace(0, 1, 400 * 300).reshape(300, 400)
    url = png_data_url(image)
    assert url.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.size == (128, 96) and decoded.mode == "L"
    small = png_data_url(np.eye(28))
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(small.split(",", 1)[1]))))
    np.testing.assert_array_equal(pixels, np.eye(28) * 255)


def _with_chunk(png: bytes, kind: bytes, body: bytes) -> bytes:
    """``png`` with one more chunk inserted after IHDR."""
    chunk = len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    return png[:33] + chunk + png[33:]


def test_a_text_chunk_bomb_is_refused_in_words_without_pillow_internals() -> None:
    bomb = b"comment\x00\x00" + zlib.compress(b"a" * 20_000_000, 9)  # zTXt: 20 MB of text
    data = _with_chunk(png_of(draw(1, **CANVAS)), b"zTXt", bomb)
    with pytest.raises(InvalidInput) as caught:
        open_png(data, max_side=2048)
    assert str(caught.value) == "image_png is a corrupt or unsupported PNG"
