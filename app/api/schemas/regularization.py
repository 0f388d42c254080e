"""Request and response models for L2-regularised gradient descent on a 2-D toy loss."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas.common import RequestModel, examples

Coordinate = Annotated[float, Field(ge=-100.0, le=100.0, allow_inf_nan=False)]
Point = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]
HessianEntry = Annotated[float, Field(ge=-100.0, le=100.0, allow_inf_nan=False)]
HessianRow = Annotated[list[HessianEntry], Field(min_length=2, max_length=2)]
Lambda = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]


class TrajectoryRequest(RequestModel):
    """The toy loss, the λ values to compare, the learning rate, steps and start point."""

    model_config = examples(
        {
            "hessian": [[3.0, 1.0], [1.0, 1.0]],
            "theta_star": [2.0, 1.5],
            "theta0": [-1.5, 2.5],
            "lambdas": [0.0, 1.0],
            "lr": 0.1,
            "steps": 10,
            "grid_size": 5,
        },
        listed=True,
    )

    hessian: Annotated[list[HessianRow], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [[3.0, 1.0], [1.0, 1.0]],
        description="A: symmetric positive definite 2×2, the curvature of L_data (entries ±100).",
    )
    theta_star: Point = Field(
        default_factory=lambda: [2.0, 1.5], description="θ*, the minimiser of L_data."
    )
    theta0: Point = Field(
        default_factory=lambda: [-1.5, 2.5], description="θ₀, where every run starts."
    )
    lambdas: list[Lambda] = Field(
        default_factory=lambda: [0.0, 0.25, 1.0],
        min_length=1,
        max_length=8,
        description="Regularisation strengths λ ≥ 0, one run each (1 … 8 of them).",
    )
    lr: float = Field(0.1, gt=0.0, le=10.0, allow_inf_nan=False, description="Learning rate ε.")
    steps: int = Field(60, ge=1, le=500, description="Gradient steps per run.")
    grid_size: int = Field(
        41, ge=5, le=101, description="Points per side of the L_data grid for contours."
    )


class Run(BaseModel):
    """One λ: where gradient descent went and where it should end."""

    lam: float = Field(description="λ.")
    shrink_factor: float = Field(description="1 − 2ελ: weight decay applied before each step.")
    contraction: float = Field(
        description="max |1 − ε(a_i + 2λ)| over A's eigenvalues a_i: the error shrinks by at "
        "least this per step (< 1, else the request is refused)."
    )
    points: list[tuple[float, float]] = Field(description="θ₀, θ₁, …, θ_steps.")
    decay: list[tuple[float, float]] = Field(description="Per step, the shrink part.")
    data_step: list[tuple[float, float]] = Field(
        description="Per step, the data part −ε∇L_data(θ_t) = −εA(θ_t − θ*)."
    )
    final: tuple[float, float] = Field(description="θ_steps.")
    minimiser: tuple[float, float] = Field(description="argmin L_data + λ‖θ‖² = (A + 2λI)⁻¹Aθ*.")
    distance_to_minimiser: float = Field(description="‖θ_steps − minimiser‖.")
    data_loss: float = Field(description="L_data(θ_steps).")
    penalty: float = Field(description="λ‖θ_steps‖².")


class Contours(BaseModel):
    """L_data on a grid covering every trajectory, for drawing level sets."""

    xs: list[float] = Field(description="Grid abscissae θ₁ (ascending).")
    ys: list[float] = Field(description="Grid ordinates θ₂ (ascending).")
    values: list[list[float]] = Field(description="values[iy][ix] = L_data(xs[ix], ys[iy]).")


class TrajectoryResponse(BaseModel):
    """Trajectories per λ, the loss's geometry and a grid of L_data for contours."""

    hessian: tuple[tuple[float, float], tuple[float, float]] = Field(description="A.")
    theta_star: tuple[float, float] = Field(description="θ*.")
    eigenvalues: tuple[float, float] = Field(description="A's eigenvalues, ascending.")
    eigenvectors: tuple[tuple[float, float], tuple[float, float]] = Field(
        description="Unit eigenvectors, one per row, in the order of `eigenvalues` (ellipse axes)."
    )
    lr: float = Field(description="ε.")
    steps: int = Field(description="Steps per run.")
    runs: list[Run] = Field(description="One run per λ, in request order.")
    contours: Contours = Field(description="L_data on a grid covering all points and minimisers.")
