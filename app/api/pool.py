"""Routes for pooling: max, average, max-blur (anti-aliased) and global average."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.common import formula_of
from app.api.schemas.pool import PoolRequest, PoolResponse
from app.engine.pooling import global_avg_pool, max_blur_pool2d, pool2d

router = APIRouter(tags=["pool"])


@router.post("/pool", response_model=PoolResponse)
def pool(request: JsonBody[PoolRequest]) -> PoolResponse:
    """Pool an input (max / avg with arg-max positions, max-blur, or global average)."""
    if request.mode == "global_avg":
        result = global_avg_pool(request.input)
    elif request.mode == "blurmax":
        result = max_blur_pool2d(request.input)
    else:
        result = pool2d(
            request.input,
            kernel_size=request.kernel_size,
            stride=request.stride,
            padding=request.padding,
            dilation=request.dilation,
            mode=request.mode,
            ceil_mode=request.ceil_mode,
            count_include_pad=request.count_include_pad,
        )
    geometry = result.geometry
    return PoolResponse(
        mode=request.mode,
        output=result.output.tolist(),
        output_shape=list(result.output.shape),
        formula=None if geometry is None else formula_of(geometry.height, geometry.width),
        argmax=None if result.argmax is None else result.argmax.tolist(),
    )
