"""POST /api/regularization/trajectory: the tutorial's update rule, minimisers, contours, 422s."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

URL = "/api/regularization/trajectory"


def test_default_runs_follow_the_decomposed_update_rule(client: TestClient) -> None:
    data = client.post(URL, json={}).json()
    a = np.array(data["hessian"])
    theta_star = np.array(data["theta_star"])
    lr = data["lr"]
    assert [run["lam"] for run in data["runs"]] == [0.0, 0.25, 1.0]
    for run in data["runs"]:
        lam = run["lam"]
        points = np.array(run["points"])
        assert points.shape == (61, 2)
        np.testing.assert_array_equal(points[0], [-1.5, 2.5])
        assert run["shrink_factor"] == pytest.approx(1 - 2 * lr * lam, abs=1e-15)
        for t in range(60):
            theta = points[t]
            step = theta - lr * (a @ (theta - theta_star) + 2 * lam * theta)
            np.testing.assert_allclose(points[t + 1], step, rtol=0, atol=1e-12)
            np.testing.assert_allclose(run["decay"][t], -2 * lr * lam * theta, atol=1e-12)
            np.testing.assert_allclose(
                run["data_step"][t], -lr * (a @ (theta - theta_star)), atol=1e-12
            )
        assert run["final"] == run["points"][-1]


def test_minimisers_are_closed_form_and_shrink_with_lambda(client: TestClient) -> None:
    data = client.post(URL, json={"lambdas": [0, 0.5, 2], "steps": 500}).json()
    a, theta_star = np.array(data["hessian"]), np.array(data["theta_star"])
    norms = []
    for run in data["runs"]:
        expected = np.linalg.solve(a + 2 * run["lam"] * np.eye(2), a @ theta_star)
        np.testing.assert_allclose(run["minimiser"], expected, atol=1e-12)
        assert run["distance_to_minimiser"] < 1e-9
        final = np.array(run["final"])
        assert run["penalty"] == pytest.approx(run["lam"] * final @ final, rel=1e-12)
        d = final - theta_star
        assert run["data_loss"] == pytest.approx(0.5 * d @ a @ d, rel=1e-9, abs=1e-15)
        norms.append(np.linalg.norm(run["minimiser"]))
    np.testing.assert_allclose(data["runs"][0]["minimiser"], theta_star, atol=1e-12)
    assert norms == sorted(norms, reverse=True)


def test_geometry_and_contours_describe_l_data(client: TestClient) -> None:
    body = {"hessian": [[2, 0], [0, 0.5]], "theta_star": [1, -1], "grid_size": 5, "lambdas": [1]}
    data = client.post(URL, json=body).json()
    assert data["eigenvalues"] == [0.5, 2.0]
    a = np.array(data["hessian"])
    for value, vector in zip(data["eigenvalues"], data["eigenvectors"], strict=True):
        np.testing.assert_allclose(a @ np.array(vector), value * np.array(vector), atol=1e-12)
    grid = data["contours"]
    assert len(grid["xs"]) == len(grid["ys"]) == 5
    for iy, y in enumerate(grid["ys"]):
        for ix, x in enumerate(grid["xs"]):
            d = np.array([x - 1, y + 1])
            assert grid["values"][iy][ix] == pytest.approx(0.5 * d @ a @ d, rel=1e-12, abs=1e-12)
    points = np.array(data["runs"][0]["points"])
    assert grid["xs"][0] <= min(points[:, 0].min(), 0) and grid["xs"][-1] >= points[:, 0].max()
    assert grid["ys"][0] <= points[:, 1].min() and grid["ys"][-1] >= max(points[:, 1].max(), 0)


def test_contraction_is_the_largest_error_factor(client: TestClient) -> None:
    data = client.post(URL, json={"hessian": [[1, 0], [0, 3]], "lambdas": [0.5], "lr": 0.2}).json()
    # |1 − 0.2·(1 + 1)| = 0.6, |1 − 0.2·(3 + 1)| = 0.2
    assert data["runs"][0]["contraction"] == pytest.approx(0.6, abs=1e-15)


def test_diverging_learning_rate_is_a_422_with_the_stable_limit(client: TestClient) -> None:
    response = client.post(URL, json={"lr": 0.5, "lambdas": [0, 1]})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "learning rate ε = 0.5 with λ = 1 does not converge: |1 − ε(a + 2λ)| = "
        "|1 − 0.5·(3.414 + 2·1)| = 1.707 ≥ 1 along the eigenvector with eigenvalue a = 3.414; "
        "take ε < 2/(a + 2λ) = 0.3694"
    }


def test_indefinite_hessian_is_a_422(client: TestClient) -> None:
    response = client.post(URL, json={"hessian": [[1, 2], [2, 1]]})
    assert response.json() == {
        "detail": "hessian must be positive definite so that θ* is the unique minimiser; "
        "its eigenvalues are -1 and 3"
    }


def test_non_symmetric_hessian_is_a_422(client: TestClient) -> None:
    response = client.post(URL, json={"hessian": [[1, 0.5], [0, 1]]})
    assert response.json() == {"detail": "hessian must be symmetric: A[0][1] = 0.5 but A[1][0] = 0"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lambdas": []}, "List should have at least 1 item after validation, not 0"),
        ({"lambdas": [0.1] * 9}, "List should have at most 8 items after validation, not 9"),
        ({"lambdas": [-0.1]}, "Input should be greater than or equal to 0"),
        ({"lr": 0}, "Input should be greater than 0"),
        ({"steps": 501}, "Input should be less than or equal to 500"),
        ({"theta0": [0, 101]}, "Input should be less than or equal to 100"),
        ({"hessian": [[1, 0]]}, "List should have at least 2 items after validation, not 1"),
        ({"theta0": [1, 2, 3]}, "List should have at most 2 items after validation, not 3"),
    ],
)
def test_out_of_range_fields_are_422s(client: TestClient, body: dict, message: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == message


def test_infinite_learning_rate_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post(
        URL, content='{"lr": Infinity}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Input should be a finite number"


_number = st.floats() | st.integers(-1000, 1000)


@settings(max_examples=40)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "hessian": st.lists(st.lists(_number, min_size=1, max_size=3), max_size=3),
            "theta_star": st.lists(_number, max_size=3),
            "theta0": st.lists(_number, max_size=3),
            "lambdas": st.lists(_number, max_size=9),
            "lr": _number,
            "steps": st.integers(-5, 600),
            "grid_size": st.integers(0, 120),
        },
    )
)
def test_random_payloads_never_get_a_5xx(client: TestClient, body: dict) -> None:
    response = client.post(
        URL, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, (body, response.text)
    if response.status_code == 200:
        for run in response.json()["runs"]:
            assert np.all(np.isfinite(run["points"]))
