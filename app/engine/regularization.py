"""L2-regularised gradient descent on a 2-D quadratic (tutorial Q1, Goodfellow et al. §7.1).

The data loss is L_data(θ) = ½(θ − θ*)ᵀA(θ − θ*) with A symmetric positive definite, so
∇L_data(θ) = A(θ − θ*). Adding λ‖θ‖² gives the gradient ∇L_data(θ) + 2λθ, and one step of
gradient descent, written as the tutorial decomposes it, is

    θ ← (1 − 2ελ)θ − ε∇L_data(θ)      (shrink the weights, then take the data step).

The regularised minimiser solves (A + 2λI)θ = Aθ*: along each eigenvector of A (eigenvalue a)
the optimum θ* is scaled by a/(a + 2λ) (Goodfellow eq. 7.13, with α = 2λ). The error
θ − θ̂ is multiplied by I − ε(A + 2λI) per step, so descent converges iff
|1 − ε(a + 2λ)| < 1 for every eigenvalue a; otherwise we refuse the request (InvalidInput)
rather than return a trajectory that blows up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.errors import InvalidInput


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def quadratic_geometry(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and unit eigenvectors (one per row) of a symmetric PD A."""
    assert hessian.shape == (2, 2), f"A must be 2×2, got {hessian.shape}"
    if not np.allclose(hessian, hessian.T, rtol=0, atol=1e-12):
        raise InvalidInput(
            f"hessian must be symmetric: A[0][1] = {_fmt(hessian[0, 1])} but "
            f"A[1][0] = {_fmt(hessian[1, 0])}"
        )
    values, vectors = np.linalg.eigh(hessian)  # vectors: one per column
    if values[0] <= 1e-9 * max(1.0, abs(values[1])):
        raise InvalidInput(
            "hessian must be positive definite so that θ* is the unique minimiser; its "
            f"eigenvalues are {_fmt(values[0])} and {_fmt(values[1])}"
        )
    return values, vectors.T


def data_loss(theta: np.ndarray, hessian: np.ndarray, theta_star: np.ndarray) -> np.ndarray:
    """½(θ − θ*)ᵀA(θ − θ*) for θ of shape (..., 2)."""
    diff = theta - theta_star  # (..., 2)
    return 0.5 * np.einsum("...i,ij,...j->...", diff, hessian, diff)


def data_gradient(theta: np.ndarray, hessian: np.ndarray, theta_star: np.ndarray) -> np.ndarray:
    """∇L_data(θ) = A(θ − θ*)."""
    return hessian @ (theta - theta_star)


def regularised_minimiser(hessian: np.ndarray, theta_star: np.ndarray, lam: float) -> np.ndarray:
    """argmin L_data(θ) + λ‖θ‖² = (A + 2λI)⁻¹Aθ*."""
    return np.linalg.solve(hessian + 2 * lam * np.eye(2), hessian @ theta_star)


def contraction(eigenvalues: np.ndarray, lr: float, lam: float) -> float:
    """max_a |1 − ε(a + 2λ)|: the factor the error shrinks by (at least) per step."""
    return float(np.max(np.abs(1 - lr * (eigenvalues + 2 * lam))))


def check_converges(eigenvalues: np.ndarray, lr: float, lam: float) -> None:
    """InvalidInput naming ε, λ, the factor and the largest stable ε when descent diverges."""
    rate = contraction(eigenvalues, lr, lam)
    if rate < 1:
        return
    top = float(eigenvalues[-1])
    raise InvalidInput(
        f"learning rate ε = {_fmt(lr)} with λ = {_fmt(lam)} does not converge: "
        f"|1 − ε(a + 2λ)| = |1 − {_fmt(lr)}·({_fmt(top)} + 2·{_fmt(lam)})| = {_fmt(rate)} ≥ 1 "
        f"along the eigenvector with eigenvalue a = {_fmt(top)}; "
        f"take ε < 2/(a + 2λ) = {_fmt(2 / (top + 2 * lam))}"
    )


@dataclass(frozen=True)
class Trajectory:
    """One run of L2-regularised gradient descent."""

    lam: float
    shrink_factor: float
    contraction: float
    points: np.ndarray  # (steps + 1, 2)
    decay: np.ndarray  # (steps, 2): (1 − 2ελ)θ_t − θ_t
    data_step: np.ndarray  # (steps, 2): −ε∇L_data(θ_t)
    minimiser: np.ndarray  # (2,)


def l2_descent(
    hessian: np.ndarray,
    theta_star: np.ndarray,
    theta0: np.ndarray,
    lam: float,
    lr: float,
    steps: int,
) -> Trajectory:
    """Run θ ← (1 − 2ελ)θ − ε∇L_data(θ) for `steps` steps from θ₀."""
    eigenvalues, _ = quadratic_geometry(hessian)
    assert lam >= 0 and lr > 0 and steps >= 1
    check_converges(eigenvalues, lr, lam)
    shrink = 1 - 2 * lr * lam
    points = np.empty((steps + 1, 2))
    decay = np.empty((steps, 2))
    data_step = np.empty((steps, 2))
    points[0] = theta0
    for t in range(steps):
        theta = points[t]
        decay[t] = shrink * theta - theta
        data_step[t] = -lr * data_gradient(theta, hessian, theta_star)
        points[t + 1] = shrink * theta + data_step[t]
    return Trajectory(
        lam=lam,
        shrink_factor=shrink,
        contraction=contraction(eigenvalues, lr, lam),
        points=points,
        decay=decay,
        data_step=data_step,
        minimiser=regularised_minimiser(hessian, theta_star, lam),
    )


def loss_grid(
    hessian: np.ndarray, theta_star: np.ndarray, points: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs, ys and L_data on a size×size grid covering `points` (n, 2) with a 10 % margin."""
    lo, hi = points.min(axis=0), points.max(axis=0)  # (2,)
    pad = np.maximum(0.1 * (hi - lo), 0.5)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size)  # (size,)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)  # (size,)
    grid = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1)  # (size_y, size_x, 2)
    return xs, ys, data_loss(grid, hessian, theta_star)  # values[iy][ix]


@dataclass(frozen=True)
class RunSummary(Trajectory):
    """One run, and where it ended against the closed-form minimiser of L_data + λ‖θ‖²."""

    final: np.ndarray  # (2,): θ_steps
    distance_to_minimiser: float
    data_loss: float
    penalty: float  # λ‖θ_steps‖²


@dataclass(frozen=True)
class Comparison:
    """Gradient descent for several λ on one quadratic loss, and the loss on a grid."""

    eigenvalues: np.ndarray  # (2,) ascending
    eigenvectors: np.ndarray  # (2, 2), one per row
    runs: list[RunSummary]
    xs: np.ndarray  # (grid,)
    ys: np.ndarray  # (grid,)
    values: np.ndarray  # (grid, grid): values[iy][ix] = L_data(xs[ix], ys[iy])


def compare_lambdas(
    hessian: np.ndarray,
    theta_star: np.ndarray,
    theta0: np.ndarray,
    lambdas: list[float],
    *,
    lr: float,
    steps: int,
    grid_size: int,
) -> Comparison:
    """One run per λ from θ₀ (InvalidInput if any would diverge), the loss's geometry, and
    L_data on a grid covering every point, θ*, the origin and every minimiser."""
    hessian = np.asarray(hessian, dtype=np.float64)  # (2, 2)
    theta_star = np.asarray(theta_star, dtype=np.float64)  # (2,)
    theta0 = np.asarray(theta0, dtype=np.float64)  # (2,)
    eigenvalues, eigenvectors = quadratic_geometry(hessian)
    for lam in lambdas:
        check_converges(eigenvalues, lr, lam)
    runs = []
    for lam in lambdas:
        run = l2_descent(hessian, theta_star, theta0, lam, lr, steps)
        final = run.points[-1]
        runs.append(
            RunSummary(
                **vars(run),
                final=final,
                distance_to_minimiser=float(np.linalg.norm(final - run.minimiser)),
                data_loss=float(data_loss(final, hessian, theta_star)),
                penalty=float(lam * final @ final),
            )
        )
    landmarks = [theta_star, np.zeros(2)] + [r.minimiser for r in runs]
    cover = np.vstack([r.points for r in runs] + landmarks)  # (n, 2)
    xs, ys, values = loss_grid(hessian, theta_star, cover, grid_size)
    return Comparison(eigenvalues, eigenvectors, runs, xs, ys, values)
