"""L2-regularised gradient descent: the tutorial's update rule, plain GD at λ = 0, the minimiser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.engine.errors import InvalidInput
from app.engine.regularization import (
    check_converges,
    data_loss,
    l2_descent,
    loss_grid,
    quadratic_geometry,
    regularised_minimiser,
)

A = np.array([[3.0, 1.0], [1.0, 1.0]])
THETA_STAR = np.array([2.0, 1.5])
THETA0 = np.array([-1.5, 2.5])


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """A random SPD A = QΛQᵀ, θ*, θ₀, λ and a learning rate that converges."""
    angle = draw(st.floats(0, np.pi))
    q = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    eig = np.array([draw(st.floats(0.05, 5)), draw(st.floats(0.05, 5))])
    hessian = q @ np.diag(eig) @ q.T
    hessian = (hessian + hessian.T) / 2
    coords = st.floats(-5, 5)
    theta_star = np.array([draw(coords), draw(coords)])
    theta0 = np.array([draw(coords), draw(coords)])
    lam = draw(st.floats(0, 3))
    lr = draw(st.floats(0.01, 0.99)) * 2 / (eig.max() + 2 * lam)
    return hessian, theta_star, theta0, lam, lr


@given(problems())
def test_each_step_is_theta_minus_lr_times_data_gradient_plus_two_lambda_theta(
    problem: tuple,
) -> None:
    hessian, theta_star, theta0, lam, lr = problem
    run = l2_descent(hessian, theta_star, theta0, lam, lr, 20)
    for t in range(20):
        theta = run.points[t]
        expected = theta - lr * (hessian @ (theta - theta_star) + 2 * lam * theta)
        np.testing.assert_allclose(run.points[t + 1], expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(run.decay[t], -2 * lr * lam * theta, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            run.data_step[t], -lr * hessian @ (theta - theta_star), rtol=0, atol=1e-12
        )
    assert run.shrink_factor == 1 - 2 * lr * lam


@given(problems())
def test_lambda_zero_is_plain_gradient_descent(problem: tuple) -> None:
    hessian, theta_star, theta0, _, lr = problem
    assume(lr * np.linalg.eigvalsh(hessian).max() < 2)
    run = l2_descent(hessian, theta_star, theta0, 0.0, lr, 15)
    theta = theta0.copy()
    for t in range(15):
        theta = theta - lr * hessian @ (theta - theta_star)
        np.testing.assert_allclose(run.points[t + 1], theta, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(run.decay, 0.0)
    np.testing.assert_allclose(run.minimiser, theta_star, atol=1e-9)


@given(problems())
def test_minimiser_scales_theta_star_by_a_over_a_plus_two_lambda(problem: tuple) -> None:
    hessian, theta_star, _, lam, _ = problem
    values, vectors = np.linalg.eigh(hessian)
    expected = vectors @ np.diag(values / (values + 2 * lam)) @ vectors.T @ theta_star
    found = regularised_minimiser(hessian, theta_star, lam)
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)
    gradient = hessian @ (found - theta_star) + 2 * lam * found  # ∇(L_data + λ‖θ‖²)
    np.testing.assert_allclose(gradient, 0.0, atol=1e-9)


@pytest.mark.parametrize("lam", [0.0, 0.25, 1.0, 3.0])
def test_end_point_approaches_the_closed_form_minimiser(lam: float) -> None:
    run = l2_descent(A, THETA_STAR, THETA0, lam, 0.1, 500)
    distances = np.linalg.norm(run.points - run.minimiser, axis=1)
    assert distances[-1] < 1e-9
    assert np.all(np.diff(distances[10:]) <= 1e-15)  # contracting once transients pass


def test_larger_lambda_ends_closer_to_the_origin() -> None:
    norms = [
        np.linalg.norm(l2_descent(A, THETA_STAR, THETA0, lam, 0.1, 300).points[-1])
        for lam in (0.0, 0.25, 1.0, 3.0)
    ]
    assert norms == sorted(norms, reverse=True)


def test_diverging_learning_rate_is_refused_with_the_largest_stable_one() -> None:
    values, _ = quadratic_geometry(A)
    with pytest.raises(InvalidInput) as err:
        check_converges(values, 0.5, 1.0)
    assert str(err.value) == (
        "learning rate ε = 0.5 with λ = 1 does not converge: |1 − ε(a + 2λ)| = "
        "|1 − 0.5·(3.414 + 2·1)| = 1.707 ≥ 1 along the eigenvector with eigenvalue a = 3.414; "
        "take ε < 2/(a + 2λ) = 0.3694"
    )


def test_learning_rate_on_the_stability_boundary_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not converge"):
        l2_descent(np.eye(2), THETA_STAR, THETA0, 0.5, 1.0, 3)  # |1 − 1·(1 + 1)| = 1


def test_non_symmetric_hessian_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        quadratic_geometry(np.array([[1.0, 2.0], [0.0, 1.0]]))
    assert str(err.value) == "hessian must be symmetric: A[0][1] = 2 but A[1][0] = 0"


def test_indefinite_hessian_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        quadratic_geometry(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert str(err.value) == (
        "hessian must be positive definite so that θ* is the unique minimiser; "
        "its eigenvalues are -1 and 3"
    )


def test_loss_grid_holds_l_data_and_covers_the_points() -> None:
    points = np.array([[-1.0, 0.0], [2.0, 3.0]])
    xs, ys, values = loss_grid(A, THETA_STAR, points, 7)
    assert xs[0] < -1 and xs[-1] > 2 and ys[0] < 0 and ys[-1] > 3
    for iy, y in enumerate(ys):
        for ix, x in enumerate(xs):
            d = np.array([x, y]) - THETA_STAR
            assert values[iy, ix] == pytest.approx(0.5 * d @ A @ d, rel=1e-12, abs=1e-12)
    assert data_loss(THETA_STAR, A, THETA_STAR) == 0.0
