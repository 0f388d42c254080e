"""The outside audit's hostile requests, each answered within a CPU-time and a size
bound: refused with a 422 before the work, or answered small.

CPU time is ``time.process_time()`` of this process (the TestClient runs the app in a thread
of it), so a busy shared machine does not make the bounds flaky the way wall time would.
"""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from app.config import Settings

CPU_SECONDS = 1.0
"""The issue's goal: every request under the body limit costs at most about 1 s of CPU."""
LIMIT = Settings().max_response_bytes


def _timed_post(client: TestClient, path: str, body: bytes | dict):
    content = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    started = time.process_time()
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    return response, time.process_time() - started


def _messages(response) -> list[str]:
    detail = response.json()["detail"]
    return [detail] if isinstance(detail, str) else [error["msg"] for error in detail]


EXPLAIN_ATTACK = {
    "input": [[0]],
    "kernel": [[0] * 64] * 64,
    "input_cell": [0, 0],
    "padding": 41,
    "padding_mode": "replicate",
}


@pytest.mark.parametrize("padding", [41, 55])
def test_explaining_an_input_cell_through_a_huge_replicated_padding_is_refused_before_the_work(
    client, padding
):
    body = {**EXPLAIN_ATTACK, "padding": padding}
    assert len(json.dumps(body, separators=(",", ":"))) < 9_000  # the audit's 8 KB body
    response, cpu = _timed_post(client, "/api/conv2d/explain", body)
    assert response.status_code == 422
    (message,) = _messages(response)
    assert message.startswith("the answer could take ")
    assert message.endswith(
        f"bytes, over the limit of {LIMIT:,} bytes; ask for a smaller input, kernel or padding"
    )
    assert cpu < CPU_SECONDS
    assert len(response.content) < 2_000


def test_explaining_an_input_cell_with_replicate_padding_of_a_lesson_size_is_answered(client):
    body = {
        "input": [[float(i + j) for j in range(16)] for i in range(16)],
        "kernel": [[1, 0, -1]] * 3,
        "input_cell": [0, 0],
        "padding": 1,
        "padding_mode": "replicate",
    }
    response, cpu = _timed_post(client, "/api/conv2d/explain", body)
    assert response.status_code == 200
    influence = response.json()["input_cell"]
    # the corner cell is copied into the padding: output [0, 0] reads it at 4 window positions
    assert influence["outputs"][0] == {
        "cell": [0, 0],
        "window_positions": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "kernel_positions": [[0, 0], [0, 1], [1, 0], [1, 1]],
    }
    assert cpu < CPU_SECONDS


EQUIVARIANCE_ATTACK = (
    b'{"image":[[1.0]],"kernel":[[1.0]],"padding":511,"padding_mode":"replicate","dx":1,'
    b'"dy":1,"pool":{"mode":"max","kernel_size":1}}'
)


def test_the_tiny_equivariance_request_with_padding_511_is_refused_before_the_work(client):
    assert len(EQUIVARIANCE_ATTACK) < 150
    response, cpu = _timed_post(client, "/api/equivariance", EQUIVARIANCE_ATTACK)
    assert response.status_code == 422
    (message,) = _messages(response)
    assert message.startswith("the answer could take ")
    assert cpu < CPU_SECONDS
    assert len(response.content) < 2_000


def test_160000_channels_of_one_zero_are_refused_by_their_count_at_once(client):
    body = b'{"input":[' + b",".join([b"[[0]]"] * 160_000) + b'],"kernel":[[1]]}'
    assert 900_000 < len(body) < 1_000_000
    response, cpu = _timed_post(client, "/api/conv2d", body)
    assert response.status_code == 422
    assert _messages(response) == ["has 160000 channels, over the limit of 64"]
    # parsing 960 KB of JSON into 320,000 Python lists is the floor; the count is checked
    # before any element, the echo of the input is 8 items, and the lifespan's gc.freeze()
    # spares full garbage collections over torch's objects
    assert cpu < CPU_SECONDS
    assert len(response.content) < 2_000


def test_kernel_overrides_of_1e38_are_refused_with_the_allowed_range(client):
    image = [[0.0] * 28 for _ in range(28)]
    body = {"image": image, "kernel_overrides": {"0": [[1e38] * 5] * 5}}
    response, _ = _timed_post(client, "/api/mnist/activations", body)
    assert response.status_code == 422
    assert _messages(response) == ["entry [0][0] must be between -100 and 100, got 1e+38"]


def test_kernel_overrides_at_the_bound_give_finite_numbers_only(client):
    image = [[1.0 if 8 <= j <= 20 else 0.0 for j in range(28)] for _ in range(28)]
    kernels = {str(c): [[100.0] * 5] * 5 for c in range(16)}
    response, _ = _timed_post(
        client, "/api/mnist/activations", {"image": image, "kernel_overrides": kernels}
    )
    assert response.status_code == 200
    payload = response.json()
    assert "NaN" not in response.text and "Infinity" not in response.text
    assert all(isinstance(p, float) for p in payload["probabilities"])
    assert abs(sum(payload["probabilities"]) - 1) < 1e-4
    for layer in payload["layers"]:
        assert isinstance(layer["min"], float) and isinstance(layer["max"], float)
        assert layer["max"] >= layer["min"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # a convolution near the limit: 8,019,456 multiply-adds
        (
            "/api/conv2d",
            {"input": [[[0.5] * 64] * 64] * 16, "kernel": [[[[0.1] * 6] * 6] * 16] * 4},
        ),
        # the largest matrix the response limit allows
        ("/api/conv2d/matrix", {"input": [[1.0] * 12] * 12, "kernel": [[1, 2], [3, 4]]}),
        # max pooling of the largest input over the channel limit
        ("/api/pool", {"input": [[[1.0] * 64] * 64] * 16, "kernel_size": 2}),
    ],
    ids=["conv-10M-macs", "matrix", "pool"],
)
def test_requests_at_the_limits_are_answered_within_a_second_of_cpu(client, path, body):
    response, cpu = _timed_post(client, path, body)
    assert response.status_code == 200, response.text[:200]
    assert cpu < CPU_SECONDS
    assert len(response.content) <= LIMIT
