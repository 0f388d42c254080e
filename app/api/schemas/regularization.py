"""Request and response models for L2-regularised gradient descent on a 2-D toy loss."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.api.schemas.common import Listed, RequestModel, ResultModel

Coordinate = Annotated[float, Field(ge=-100.0, le=100.0, allow_inf_nan=False)]
Point = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]
Lambda = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Hessian = Annotated[list[Point], Field(min_length=2, max_length=2)]
Pair = tuple[float, float]


class TrajectoryRequest(RequestModel):
    """The toy loss, the λ values to compare, the learning rate, steps and start point."""

    hessian: Hessian = Field([[3.0, 1.0], [1.0, 1.0]], description="A: SPD, L_data's curvature.")
    theta_star: Point = Field([2.0, 1.5], description="θ*, the minimiser of L_data.")
    theta0: Point = Field([-1.5, 2.5], description="θ₀, where every run starts.")
    lambdas: list[Lambda] = Field([0.0, 0.25, 1.0], min_length=1, max_length=8, description="λs.")
    lr: float = Field(0.1, gt=0.0, le=10.0, allow_inf_nan=False, description="Learning rate ε.")
    steps: int = Field(60, ge=1, le=500, description="Gradient steps per run.")
    grid_size: int = Field(41, ge=5, le=101, description="Points per side of the contour grid.")


class Run(ResultModel):
    """One λ: where gradient descent went and where it should end."""

    lam: float = Field(description="λ.")
    shrink_factor: float = Field(description="1 − 2ελ: weight decay applied before each step.")
    contraction: float = Field(description="max_i |1 − ε(a_i + 2λ)| < 1: error shrink per step.")
    points: Listed[list[Pair]] = Field(description="θ₀, θ₁, …, θ_steps.")
    decay: Listed[list[Pair]] = Field(description="Per step, the shrink part.")
    data_step: Listed[list[Pair]] = Field(description="Per step, −ε∇L_data(θ_t) = −εA(θ_t − θ*).")
    final: Listed[Pair] = Field(description="θ_steps.")
    minimiser: Listed[Pair] = Field(description="argmin L_data + λ‖θ‖² = (A + 2λI)⁻¹Aθ*.")
    distance_to_minimiser: float = Field(description="‖θ_steps − minimiser‖.")
    data_loss: float = Field(description="L_data(θ_steps).")
    penalty: float = Field(description="λ‖θ_steps‖².")


class Contours(ResultModel):
    """L_data on a grid covering every trajectory, for drawing level sets."""

    xs: Listed[list[float]] = Field(description="Grid abscissae θ₁ (ascending).")
    ys: Listed[list[float]] = Field(description="Grid ordinates θ₂ (ascending).")
    values: Listed[list[list[float]]] = Field(
        description="values[iy][ix] = L_data(xs[ix], ys[iy])."
    )


class TrajectoryResponse(ResultModel):
    """Trajectories per λ, the loss's geometry and a grid of L_data for contours."""

    hessian: tuple[Pair, Pair] = Field(description="A.")
    theta_star: Pair = Field(description="θ*.")
    eigenvalues: Listed[Pair] = Field(description="A's eigenvalues, ascending.")
    eigenvectors: Listed[tuple[Pair, Pair]] = Field(description="Unit eigenvectors, one per row.")
    lr: float = Field(description="ε.")
    steps: int = Field(description="Steps per run.")
    runs: list[Run] = Field(description="One run per λ, in request order.")
    contours: Contours = Field(description="L_data on a grid covering all points and minimisers.")
