"""Routes for 2-D convolution: the output, one cell explained, and the matrix form."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas.common import formula_of
from app.api.schemas.conv import (
    Conv2dRequest,
    Conv2dResponse,
    ConvCounts,
)
from app.engine.conv import ConvGeometry, conv2d

router = APIRouter(tags=["conv2d"])


def _conv(request: Conv2dRequest) -> tuple:
    """Run the engine's conv2d for a request: (output array, geometry)."""
    geometry = request.geometry()
    output = conv2d(
        request.input,
        request.kernel,
        None if request.bias is None else request.bias,
        stride=request.stride,
        padding=request.padding,
        padding_mode=request.padding_mode,
        dilation=request.dilation,
        flip_kernel=request.flip_kernel,
    )
    return output, geometry


def _counts(geometry: ConvGeometry, bias: list[float] | None) -> ConvCounts:
    return ConvCounts(
        inputs_per_output=geometry.inputs_per_output,
        kernel_parameters=geometry.kernel_parameters,
        bias_parameters=0 if bias is None else len(bias),
        outputs_sharing_parameters=geometry.outputs_sharing,
        multiply_adds=geometry.macs,
    )


def _conv_fields(request: Conv2dRequest) -> dict:
    output, geometry = _conv(request)
    return {
        "output": output.tolist(),
        "output_shape": list(geometry.output_shape),
        "formula": formula_of(geometry.height, geometry.width),
        "counts": _counts(geometry, request.bias),
    }


@router.post("/conv2d", response_model=Conv2dResponse)
def convolve(request: Conv2dRequest) -> Conv2dResponse:
    """Convolve (cross-correlate) an input with a kernel; the output size worked out."""
    return Conv2dResponse(**_conv_fields(request))
