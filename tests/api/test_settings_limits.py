"""Every limit follows the settings of the app serving the request: apps created with small
limits refuse what the default app accepts (create_app(settings) governs its own schemas)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.main import create_app

SMALL = Settings(
    max_side=8,
    max_channels=2,
    max_kernel_side=3,
    max_macs=1_000,
    max_output_values=1_000,
    max_matrix_entries=100,
    max_layers=2,
    max_png_bytes=1_024,
    max_response_bytes=10_000,
)


@pytest.fixture(scope="module")
def small() -> Iterator[TestClient]:
    with TestClient(create_app(SMALL)) as test_client:
        yield test_client


def _messages(response) -> list[str]:
    detail = response.json()["detail"]
    return [detail] if isinstance(detail, str) else [error["msg"] for error in detail]


def test_an_app_with_max_side_8_refuses_a_16x16_input(small, client):
    body = {"input": [[0] * 16] * 16, "kernel": [[1]]}
    assert client.post("/api/conv2d", json=body).status_code == 200
    response = small.post("/api/conv2d", json=body)
    assert response.status_code == 422
    assert _messages(response) == ["has height 16, over the limit of 8"]


def test_an_app_with_max_channels_2_refuses_3_channels(small):
    response = small.post("/api/pool", json={"input": [[[0, 0], [0, 0]]] * 3})
    assert _messages(response) == ["has 3 channels, over the limit of 2"]


def test_an_app_with_max_kernel_side_3_refuses_a_4x4_kernel(small):
    response = small.post("/api/conv2d", json={"input": [[0] * 8] * 8, "kernel": [[1] * 4] * 4})
    assert _messages(response) == ["has kernel height 4, over the limit of 3"]


def test_an_app_with_max_macs_1000_refuses_a_larger_convolution(small):
    body = {"input": [[[0] * 8] * 8] * 2, "kernel": [[[[1] * 3] * 3] * 2] * 2, "padding": 1}
    response = small.post("/api/conv2d", json=body)
    assert _messages(response) == [
        "this convolution needs 2,304 multiply-adds, over the limit of 1,000"
    ]


def test_an_app_with_a_small_matrix_limit_refuses_a_larger_matrix(small):
    body = {"input": [[0] * 8] * 8, "kernel": [[1] * 3] * 3}
    response = small.post("/api/conv2d/matrix", json=body)
    assert _messages(response) == [
        "the matrix would place 324 kernel weights, over the limit of 100"
    ]


def test_an_app_with_a_small_response_limit_refuses_a_large_answer(small, client):
    body = {"image": [[1]], "kernel": [[1]], "padding": 7, "pool": None}  # 15×15 maps
    assert client.post("/api/equivariance", json=body).status_code == 200
    response = small.post("/api/equivariance", json=body)
    assert response.status_code == 422
    # the 1×1 image (25 bytes + 2 lists of 3) and five 15×15 maps (225·25 + 16 lists of 3
    # each), plus two formulas of 1,000: 31 + 5·5,673 + 2,000
    assert _messages(response) == [
        "the answer could take 30,396 bytes, over the limit of 10,000 bytes; ask for a smaller "
        "input, kernel or padding"
    ]


def test_an_app_with_max_layers_2_refuses_three_layers(small):
    layers = [{"type": "conv", "kernel_size": 3}] * 3
    response = small.post("/api/receptive-field", json={"layers": layers})
    assert _messages(response) == ["has 3 layers, over the limit of 2"]


def test_an_app_with_max_kernel_side_3_refuses_a_receptive_field_kernel_of_5(small):
    response = small.post(
        "/api/receptive-field", json={"layers": [{"type": "conv", "kernel_size": 5}]}
    )
    assert _messages(response) == ["kernel_size 5 is over the limit of 3"]


def _noise_png(side: int) -> str:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_an_app_with_max_png_bytes_1024_refuses_a_larger_png(small, client):
    png = _noise_png(40)  # incompressible noise: a few KB
    assert client.post("/api/mnist/predict", json={"image_png": png}).status_code == 200
    response = small.post("/api/mnist/predict", json={"image_png": png})
    assert response.status_code == 422
    assert _messages(response) == ["PNG is larger than the limit of 1024 bytes"]


def test_the_default_app_still_uses_the_default_limits(client):
    response = client.post("/api/conv2d", json={"input": [[0] * 257] * 2, "kernel": [[1]]})
    assert _messages(response) == ["has width 257, over the limit of 256"]
