"""Routes for L2 regularisation: gradient-descent trajectories on a 2-D toy loss (tutorial Q1)."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.regularization import Contours, Run, TrajectoryRequest, TrajectoryResponse
from app.engine import regularization as engine

router = APIRouter(tags=["regularization"])


def _pairs(array: np.ndarray) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in array]


@router.post("/regularization/trajectory", response_model=TrajectoryResponse)
def trajectory(request: JsonBody[TrajectoryRequest]) -> TrajectoryResponse:
    """θ ← (1 − 2ελ)θ − ε∇L_data(θ) for each λ; diverging (ε, λ) are refused with a 422."""
    hessian = np.array(request.hessian, dtype=np.float64)  # (2, 2)
    theta_star = np.array(request.theta_star, dtype=np.float64)  # (2,)
    theta0 = np.array(request.theta0, dtype=np.float64)  # (2,)
    eigenvalues, eigenvectors = engine.quadratic_geometry(hessian)
    for lam in request.lambdas:
        engine.check_converges(eigenvalues, request.lr, lam)
    runs = [
        engine.l2_descent(hessian, theta_star, theta0, lam, request.lr, request.steps)
        for lam in request.lambdas
    ]
    landmarks = [theta_star, np.zeros(2)] + [r.minimiser for r in runs]
    cover = np.vstack([r.points for r in runs] + landmarks)  # (n, 2)
    xs, ys, values = engine.loss_grid(hessian, theta_star, cover, request.grid_size)
    return TrajectoryResponse(
        hessian=request.hessian,
        theta_star=request.theta_star,
        eigenvalues=(float(eigenvalues[0]), float(eigenvalues[1])),
        eigenvectors=(tuple(eigenvectors[0].tolist()), tuple(eigenvectors[1].tolist())),
        lr=request.lr,
        steps=request.steps,
        runs=[
            Run(
                lam=r.lam,
                shrink_factor=r.shrink_factor,
                contraction=r.contraction,
                points=_pairs(r.points),
                decay=_pairs(r.decay),
                data_step=_pairs(r.data_step),
                final=tuple(r.points[-1].tolist()),
                minimiser=tuple(r.minimiser.tolist()),
                distance_to_minimiser=float(np.linalg.norm(r.points[-1] - r.minimiser)),
                data_loss=float(engine.data_loss(r.points[-1], hessian, theta_star)),
                penalty=float(r.lam * r.points[-1] @ r.points[-1]),
            )
            for r in runs
        ],
        contours=Contours(xs=xs.tolist(), ys=ys.tolist(), values=values.tolist()),
    )
