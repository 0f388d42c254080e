"""Routes for the convolution as a layer: the backward pass, the transposed convolution, Mᵀ and
the 1-D convolution (see docs/layer-api.md for the contract)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.answer_size import padded_grad_limit
from app.api.deps import JsonBody, SettingsDep
from app.api.schemas.conv_layer import (
    Conv1dRequest,
    Conv1dResponse,
    Conv2dBackwardExplainRequest,
    Conv2dBackwardExplainResponse,
    Conv2dBackwardRequest,
    Conv2dBackwardResponse,
    Conv2dMatrixTransposeRequest,
    Conv2dMatrixTransposeResponse,
    ConvTranspose2dExplainRequest,
    ConvTranspose2dExplainResponse,
    ConvTranspose2dRequest,
    ConvTranspose2dResponse,
)
from app.engine.conv1d import convolve1d
from app.engine.explain_layer import backward_pass, explain_backward, explain_transpose
from app.engine.matrix_transpose import conv_matrix_transpose
from app.engine.transpose import transposed_convolution

router = APIRouter(tags=["convolution as a layer"])


@router.post("/conv2d/backward", response_model=Conv2dBackwardResponse)
def backward(
    request: JsonBody[Conv2dBackwardRequest], settings: SettingsDep
) -> Conv2dBackwardResponse:
    """The backward pass: ∂L/∂X, ∂L/∂K (and ∂L/∂b) for an upstream gradient G = ∂L/∂Y."""
    e = backward_pass(
        request.input,
        request.kernel,
        request.bias,
        request.grad_output,
        request.options(),
        max_view_values=padded_grad_limit(settings),
    )
    return Conv2dBackwardResponse.model_validate(e)


@router.post("/conv2d/backward/explain", response_model=Conv2dBackwardExplainResponse)
def backward_explain(
    request: JsonBody[Conv2dBackwardExplainRequest], settings: SettingsDep
) -> Conv2dBackwardExplainResponse:
    """One cell of ∂L/∂X or ∂L/∂K term by term, or the cells one G[o, i, j] touches."""
    e = explain_backward(
        request.input,
        request.kernel,
        request.bias,
        request.grad_output,
        request.options(),
        input_cell=request.input_cell,
        input_channel=request.input_channel,
        kernel_cell=request.kernel_cell,
        output_cell=request.output_cell,
        output_channel=request.output_channel,
        max_view_values=padded_grad_limit(settings),
    )
    return Conv2dBackwardExplainResponse.model_validate(e)


@router.post("/conv-transpose2d", response_model=ConvTranspose2dResponse)
def conv_transpose(request: JsonBody[ConvTranspose2dRequest]) -> ConvTranspose2dResponse:
    """Transposed convolution (torch's conv_transpose2d); the output size worked out."""
    t = transposed_convolution(request.input, request.kernel, request.bias, request.options())
    return ConvTranspose2dResponse.model_validate(t)


@router.post("/conv-transpose2d/explain", response_model=ConvTranspose2dExplainResponse)
def conv_transpose_explain(
    request: JsonBody[ConvTranspose2dExplainRequest],
) -> ConvTranspose2dExplainResponse:
    """One output cell (the stamps that overlap there) or one input cell (where it lands)."""
    e = explain_transpose(
        request.input,
        request.kernel,
        request.bias,
        request.options(),
        output_cell=request.output_cell,
        output_channel=request.output_channel,
        input_cell=request.input_cell,
        input_channel=request.input_channel,
    )
    return ConvTranspose2dExplainResponse.model_validate(e)


@router.post("/conv2d/matrix/transpose", response_model=Conv2dMatrixTransposeResponse)
def matrix_transpose(
    request: JsonBody[Conv2dMatrixTransposeRequest],
) -> Conv2dMatrixTransposeResponse:
    """Mᵀ, checked as the backward pass (Mᵀ·vec(G) = ∂L/∂X) and as conv_transpose2d."""
    t = conv_matrix_transpose(
        request.input, request.kernel, request.bias, request.grad_output, request.options()
    )
    m = t.forward
    return Conv2dMatrixTransposeResponse(
        matrix=t.matrix.tolist(),
        weight_index=t.weight_index_or_none(),
        weight_labels=m.weight_labels,
        merged_entries=t.merged,
        row_shape=m.col_shape,
        col_shape=m.row_shape,
        structure=t.structure,
        figures=t.figures,
        gradient_check=t.gradient_check,
        transpose_check=t.transpose,
        grad_output=t.gradients.grad_output.tolist(),
        grad_input=t.gradients.grad_input.tolist(),
        output_shape=m.geometry.output_shape,
        formula=m.geometry.worked_formula(),
    )


@router.post("/conv1d", response_model=Conv1dResponse)
def convolve_1d(request: JsonBody[Conv1dRequest]) -> Conv1dResponse:
    """Convolve (cross-correlate) a signal with a kernel; the output length worked out."""
    c = convolve1d(request.input, request.kernel, request.bias, request.options())
    return Conv1dResponse.model_validate(c)
