"""Routes for translation and the equivariance report."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.shift import (
    EquivarianceRequest,
    EquivarianceResponse,
    ShiftRequest,
    ShiftResponse,
)
from app.engine.shift import equivariance, shift

router = APIRouter(tags=["shift and equivariance"])


@router.post("/shift", response_model=ShiftResponse)
def translate(request: JsonBody[ShiftRequest]) -> ShiftResponse:
    """Shift an image by (dx, dy) with zero fill."""
    shifted = shift(request.image, request.dx, request.dy)
    return ShiftResponse(shifted=shifted, dx=request.dx, dy=request.dy)


@router.post("/equivariance", response_model=EquivarianceResponse)
def equivariance_report(request: JsonBody[EquivarianceRequest]) -> EquivarianceResponse:
    """conv(shift(x)) against shift(conv(x)), and pooling of both maps."""
    pool = request.pool
    report = equivariance(
        request.image,
        request.kernel,
        request.options(),
        dx=request.dx,
        dy=request.dy,
        pool_mode=None if pool is None else pool.mode,
        pool_kernel=2 if pool is None else pool.kernel_size,
        pool_stride=None if pool is None else pool.stride,
    )
    return EquivarianceResponse.model_validate(report)
