"""Routes for 2-D convolution: the output, one cell explained, and the matrix form."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.conv import (
    Conv2dExplainRequest,
    Conv2dExplainResponse,
    Conv2dMatrixRequest,
    Conv2dMatrixResponse,
    Conv2dRequest,
    Conv2dResponse,
)
from app.engine import conv
from app.engine.explain import explain_conv2d
from app.engine.matrix import conv_matrix

router = APIRouter(tags=["conv2d"])


@router.post("/conv2d", response_model=Conv2dResponse)
def convolve(request: JsonBody[Conv2dRequest]) -> Conv2dResponse:
    """Convolve (cross-correlate) an input with a kernel; the output size worked out."""
    c = conv.convolve(request.input, request.kernel, request.bias, request.options())
    return Conv2dResponse.model_validate(c)


@router.post("/conv2d/explain", response_model=Conv2dExplainResponse)
def explain(request: JsonBody[Conv2dExplainRequest]) -> Conv2dExplainResponse:
    """Explain one output cell (window, products, sum) or one input cell (outputs it feeds)."""
    e = explain_conv2d(
        request.input,
        request.kernel,
        request.bias,
        request.options(),
        output_cell=request.output_cell,
        output_channel=request.output_channel,
        input_cell=request.input_cell,
        input_channel=request.input_channel,
    )
    return Conv2dExplainResponse.model_validate(e)


@router.post("/conv2d/matrix", response_model=Conv2dMatrixResponse)
def matrix_form(request: JsonBody[Conv2dMatrixRequest]) -> Conv2dMatrixResponse:
    """The convolution as a matrix on vec(X): entries, weight of each entry, figures, check."""
    m = conv_matrix(request.input, request.kernel, request.bias, request.options())
    return Conv2dMatrixResponse(
        matrix=m.matrix.tolist(),
        weight_index=m.weight_index_or_none(),
        weight_labels=m.weight_labels,
        merged_entries=m.merged,
        bias_vector=None if m.bias_vector is None else m.bias_vector.tolist(),
        row_shape=m.row_shape,
        col_shape=m.col_shape,
        structure=m.structure,
        figures=m.figures,
        check=m.check,
        output_shape=m.geometry.output_shape,
        formula=m.geometry.worked_formula(),
    )
