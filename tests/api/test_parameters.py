"""POST /api/parameters: the tutorial's 78,500 vs 2,600, custom layers, 422s."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_defaults_are_the_tutorial_layers(client: TestClient) -> None:
    data = client.post("/api/parameters", json={}).json()
    assert data == {
        "fc_parameters": 78_500,
        "conv_parameters": 2_600,
        "fc": {
            "weights": 78_400,
            "biases": 100,
            "total": 78_500,
            "formula": "784·100 + 100 = 78,500",
        },
        "conv": {
            "weights": 2_500,
            "biases": 100,
            "total": 2_600,
            "formula": "100·(1·5·5 + 1) = 2,600",
        },
        "ratio": 78_500 / 2_600,
    }


def test_explicit_tutorial_request_gives_the_same_counts(client: TestClient) -> None:
    body = {
        "fc": {"in_features": 784, "out_features": 100},
        "conv": {"in_channels": 1, "filters": 100, "kernel_size": 5},
    }
    data = client.post("/api/parameters", json=body).json()
    assert (data["fc_parameters"], data["conv_parameters"]) == (78_500, 2_600)


def test_multichannel_rectangular_kernel_without_bias(client: TestClient) -> None:
    body = {
        "fc": {"in_features": 3 * 32 * 32, "out_features": 64, "bias": False},
        "conv": {"in_channels": 3, "filters": 64, "kernel_size": [3, 5], "bias": False},
    }
    data = client.post("/api/parameters", json=body).json()
    assert data["fc"] == {
        "weights": 196_608,
        "biases": 0,
        "total": 196_608,
        "formula": "3072·64 = 196,608",
    }
    assert data["conv"] == {
        "weights": 2_880,
        "biases": 0,
        "total": 2_880,
        "formula": "64·3·3·5 = 2,880",
    }
    assert data["ratio"] == 196_608 / 2_880


def test_zero_features_is_a_422(client: TestClient) -> None:
    response = client.post("/api/parameters", json={"fc": {"in_features": 0}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Input should be greater than or equal to 1"
    assert response.json()["detail"][0]["loc"] == ["body", "fc", "in_features"]


def test_unknown_field_is_a_422(client: TestClient) -> None:
    response = client.post("/api/parameters", json={"conv": {"channels": 3}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Extra inputs are not permitted"


def test_zero_kernel_is_a_422(client: TestClient) -> None:
    response = client.post("/api/parameters", json={"conv": {"kernel_size": [5, 0]}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "must be at least 1, got 0"


def test_nan_count_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/parameters",
        content='{"conv": {"filters": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Input should be a valid integer"
