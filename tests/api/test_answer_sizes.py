"""The forward routes' answers stay within max_response_bytes: each family of requests grows
until its answer is refused for its size; the largest one admitted must fit the limit (the
layer routes have theirs in test_conv_layer.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.response_limit import TIGHT, check_largest_admitted_fits, ones, worst


@pytest.fixture(scope="module")
def tight() -> Iterator[TestClient]:
    with TestClient(create_app(TIGHT)) as test_client:
        yield test_client


# numbers are WORST wherever they reach the answer; tall H×1 maps (256 is the side limit, so
# channels make them many) make the brackets count
GROWING = {
    "conv2d": ("/api/conv2d", lambda n: {"input": ones(n, n), "kernel": worst(1, 1)}),
    "conv2d-tall": (
        "/api/conv2d",
        lambda n: {"input": ones(1, 256, 1), "kernel": worst(n, 1, 1, 1)},
    ),
    "conv2d-channels-tall": (
        "/api/conv2d",
        lambda n: {  # the audited 5.15 MB answer, scaled: C_out maps of n×3 from padding
            "input": ones(n, 1),
            "kernel": worst(8, 1, 1, 1),
            "bias": [0.0] * 8,
            "padding": [0, 1],
            "padding_mode": "replicate",
        },
    ),
    "conv2d-explain-output": (
        "/api/conv2d/explain",
        lambda n: {"input": ones(n, n), "kernel": worst(n, n), "output_cell": [0, 0]},
    ),
    "conv2d-explain-input": (
        "/api/conv2d/explain",
        lambda n: {"input": ones(n + 1, n + 1), "kernel": worst(2, 2), "input_cell": [0, 0]},
    ),
    "matrix": ("/api/conv2d/matrix", lambda n: {"input": ones(n, n), "kernel": worst(2, 2)}),
    "matrix-replicate": (
        "/api/conv2d/matrix",
        lambda n: {  # every entry merges all 16 weights: labels and merged entries count
            "input": ones(1, 1),
            "kernel": worst(4, 4),
            "padding": n,
            "padding_mode": "replicate",
        },
    ),
    "pool": ("/api/pool", lambda n: {"input": worst(2 * n, 2 * n), "mode": "max"}),
    "pool-tall": (
        "/api/pool",
        lambda n: {"input": worst(n, 256, 1), "mode": "max", "kernel_size": [1, 1]},
    ),
    "pool-blurmax": (
        "/api/pool",
        lambda n: {"input": worst(2 * n + 3, 2 * n + 3), "mode": "blurmax"},
    ),
    "equivariance-blurmax": (
        "/api/equivariance",
        lambda n: {
            "image": ones(n + 5, n + 5),
            "kernel": worst(1, 1),
            "dx": 1,
            "pool": {"mode": "blurmax"},
        },
    ),
    "shift": ("/api/shift", lambda n: {"image": worst(n, n), "dx": 1}),
    "shift-tall": ("/api/shift", lambda n: {"image": worst(n, 256, 1), "dy": 1}),
    "equivariance": (
        "/api/equivariance",
        lambda n: {"image": ones(n + 2, n + 2), "kernel": worst(1, 1), "dx": 1},
    ),
    "equivariance-tall": (
        "/api/equivariance",
        lambda n: {
            "image": ones(min(n + 2, 256), 2 + max(0, n - 254)),
            "kernel": worst(1, 1),
            "dy": 1,
        },
    ),
}


@pytest.mark.parametrize("family", sorted(GROWING))
def test_the_largest_admitted_answer_fits_the_response_limit_and_the_next_is_refused(
    tight: TestClient, family: str
) -> None:
    path, body = GROWING[family]
    check_largest_admitted_fits(tight, path, body, 2 if family.startswith("matrix") else 1)
