"""Every admitted answer fits max_response_bytes: grow a request until its answer is refused
for its size, and check the largest admitted answer against the limit (shared by the forward
and the layer routes' tests)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from fastapi.testclient import TestClient

from app.config import Settings
from tests.helpers.api import error

WORST = -1.2345678901234567e-100
"""A float whose JSON is as long as any (24 characters): what the estimates assume of every
number; sums of a few of them are as long or one character shorter."""

TIGHT_LIMIT = 60_000
TIGHT = Settings(max_response_bytes=TIGHT_LIMIT)
"""Only the response limit lowered, so it is the limit a growing request meets first."""


def ones(*shape: int) -> list:
    return np.ones(shape).tolist()


def worst(*shape: int) -> list:
    return np.full(shape, WORST).tolist()


def too_large(size: int, limit: int) -> str:
    """The routes' refusal of an answer over the response limit."""
    return (
        f"the answer could take {size:,} bytes, over the limit of {limit:,} bytes; ask for a "
        "smaller input, kernel or padding"
    )


def refused_size(response) -> int:
    """The estimate a 'the answer could take …' refusal names (its text checked exactly)."""
    assert response.status_code == 422, response.text[:200]
    size = int(
        error(response).split(" bytes,")[0].removeprefix("the answer could take ").replace(",", "")
    )
    assert error(response) == too_large(size, TIGHT_LIMIT)
    return size


def check_largest_admitted_fits(
    tight: TestClient, path: str, body: Callable[[int], dict], admitted: int = 1
) -> None:
    """Double n until the answer is refused for its size, bisect the boundary, then: the
    largest admitted answer fits TIGHT_LIMIT (and came near it), the next one is refused."""
    refused = 2 * admitted
    assert tight.post(path, json=body(admitted)).status_code == 200
    while tight.post(path, json=body(refused)).status_code == 200:
        admitted, refused = refused, refused * 2
    while refused - admitted > 1:
        middle = (admitted + refused) // 2
        if tight.post(path, json=body(middle)).status_code == 200:
            admitted = middle
        else:
            refused = middle
    largest = tight.post(path, json=body(admitted))
    assert largest.status_code == 200
    assert len(largest.content) <= TIGHT_LIMIT
    assert len(largest.content) > TIGHT_LIMIT / 8, "the family never came near the limit"
    assert refused_size(tight.post(path, json=body(refused))) > TIGHT_LIMIT
