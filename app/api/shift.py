"""Routes for translation and the equivariance report."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.common import formula_of
from app.api.schemas.shift import (
    EquivarianceRequest,
    EquivarianceResponse,
    PoolEquivariance,
    ShiftRequest,
    ShiftResponse,
)
from app.engine.shift import equivariance, shift

router = APIRouter(tags=["shift and equivariance"])


@router.post("/shift", response_model=ShiftResponse)
def translate(request: JsonBody[ShiftRequest]) -> ShiftResponse:
    """Shift an image by (dx, dy) with zero fill."""
    shifted = shift(request.image, request.dx, request.dy)
    return ShiftResponse(shifted=shifted.tolist(), dx=request.dx, dy=request.dy)


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
    pooled = None
    if report.pool is not None:
        before, after = report.pool.before, report.pool.after
        assert before.geometry is not None
        unchanged = int(report.pool.unchanged.sum())
        pooled = PoolEquivariance(
            mode=pool.mode,  # type: ignore[union-attr]
            pooled_before=before.output.tolist(),
            pooled_after=after.output.tolist(),
            unchanged=report.pool.unchanged.tolist(),
            unchanged_count=unchanged,
            changed_count=int(report.pool.unchanged.size) - unchanged,
            argmax_before=None if before.argmax is None else before.argmax.tolist(),
            argmax_after=None if after.argmax is None else after.argmax.tolist(),
            formula=formula_of(before.geometry.height, before.geometry.width),
        )
    geometry = report.geometry
    return EquivarianceResponse(
        shifted_image=report.shifted_image.tolist(),
        conv_output=report.conv_output.tolist(),
        conv_of_shifted=report.conv_of_shifted.tolist(),
        shifted_conv=report.shifted_conv.tolist(),
        difference=report.difference.tolist(),
        interior_mask=report.interior_mask.tolist(),
        interior_cells=int(report.interior_mask.sum()),
        max_abs_diff_interior=report.max_abs_diff_interior,
        max_abs_diff_total=report.max_abs_diff_total,
        output_shift=list(report.output_shift),
        formula=formula_of(geometry.height, geometry.width),
        pool=pooled,
    )
