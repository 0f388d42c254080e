"""Routes for pooling: max, average, max-blur (anti-aliased) and global average."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.pool import PoolRequest, PoolResponse
from app.engine.pooling import global_avg_pool, max_blur_pool2d, pool2d

router = APIRouter(tags=["pool"])


@router.post("/pool", response_model=PoolResponse)
def pool(request: JsonBody[PoolRequest]) -> PoolResponse:
    """Pool an input (max / avg with arg-max positions, max-blur, or global average)."""
    if request.mode == "global_avg":
        return PoolResponse.model_validate(global_avg_pool(request.input))
    if request.mode == "blurmax":
        return PoolResponse.model_validate(max_blur_pool2d(request.input))
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
    return PoolResponse.model_validate(result)
