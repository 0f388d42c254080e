"""Routes for L2 regularisation: gradient-descent trajectories on a 2-D toy loss (tutorial Q1)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.regularization import TrajectoryRequest, TrajectoryResponse
from app.engine import regularization as engine

router = APIRouter(tags=["regularization"])


@router.post("/regularization/trajectory", response_model=TrajectoryResponse)
def trajectory(request: JsonBody[TrajectoryRequest]) -> TrajectoryResponse:
    """θ ← (1 − 2ελ)θ − ε∇L_data(θ) for each λ; diverging (ε, λ) are refused with a 422."""
    result = engine.compare_lambdas(
        request.hessian,
        request.theta_star,
        request.theta0,
        request.lambdas,
        lr=request.lr,
        steps=request.steps,
        grid_size=request.grid_size,
    )
    return TrajectoryResponse(
        hessian=request.hessian,
        theta_star=request.theta_star,
        eigenvalues=result.eigenvalues,
        eigenvectors=result.eigenvectors,
        lr=request.lr,
        steps=request.steps,
        runs=result.runs,
        contours=result,
    )
