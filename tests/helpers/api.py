"""The tutorial's X, K and Y as JSON lists, and the readers of an error answer and raw posts
that the API tests share."""

from __future__ import annotations

from fastapi.testclient import TestClient

X = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 2, 1, 0], [1, 0, 2, 2]]


K = [[1, -1], [0, 1]]


Y = [[0.0, 5.0, 0.0], [1.0, -1.0, 2.0], [0.0, 3.0, 3.0]]


def error(response) -> str:
    """The readable message of a 422: the engine's string, or the first validation message."""
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else detail[0]["msg"]


def post_raw(client: TestClient, path: str, body: str):
    """POST a JSON text as is (for NaN / Infinity, which json= cannot send)."""
    return client.post(path, content=body, headers={"content-type": "application/json"})
