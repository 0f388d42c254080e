"""Routes for the convolution as a layer: the backward pass, the transposed convolution, Mᵀ and
the 1-D convolution (see docs/layer-api.md for the contract)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from fastapi import APIRouter

from app.api.conv import _counts
from app.api.deps import JsonBody, SettingsDep
from app.api.schemas.common import formula_of
from app.api.schemas.conv import MatrixCheck, MatrixFigures, MergedEntry
from app.api.schemas.conv_layer import (
    Conv1dFormula,
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
    FullConvolution,
    GradInputCell,
    GradKernelCell,
    GradOutputCell,
    Stamp,
    TransposeAxisFormula,
    TransposeCheck,
    TransposeCounts,
    TransposeFormula,
    TransposeInputCell,
    TransposeOutputCell,
    padded_grad_limit,
)
from app.config import Settings
from app.engine.backward import ConvGradients, conv2d_backward
from app.engine.conv1d import convolve1d
from app.engine.explain_layer import explain_backward, explain_transpose
from app.engine.matrix_transpose import conv_matrix_transpose
from app.engine.padding import times
from app.engine.transpose import TransposeGeometry, transposed_convolution

router = APIRouter(tags=["convolution as a layer"])

TOLERANCE = 1e-9
"""Relative tolerance of the matrix checks, as /api/conv2d/matrix."""


def _full_convolution(g: ConvGradients, settings: Settings) -> FullConvolution:
    geometry = g.geometry
    values, limit = g.full_convolution_values(), padded_grad_limit(settings)
    if geometry.padding_mode == "zeros" and values > limit:
        return FullConvolution(
            applicable=False,
            note=f"the padded G would hold {values:,} values, over the limit of {limit:,} "
            "(a large dilation or padding); grad_input is computed all the same",
            padded_grad=None,
            pads=None,
            inserted_zeros=None,
            rotated_kernel=None,
            dilation=list(geometry.dilation),
        )
    view = g.full_convolution()
    if view is None:
        return FullConvolution(
            applicable=False,
            note=f"{geometry.padding_mode} padding copies input cells into the padding: the "
            "full convolution gives the gradient of the padded input, and the gradient of each "
            "copy then adds onto the cell it copies (grad_input has both)",
            padded_grad=None,
            pads=None,
            inserted_zeros=None,
            rotated_kernel=None,
            dilation=list(geometry.dilation),
        )
    (top, bottom), (left, right) = view.pads
    stride_words = (
        ""
        if view.inserted_zeros == (0, 0)
        else f" after inserting {view.inserted_zeros[0]} zero row(s) and "
        f"{view.inserted_zeros[1]} zero column(s) between its entries (stride "
        f"{times(*geometry.stride)} makes G dilated)"
    )
    squeeze = geometry.squeeze
    return FullConvolution(
        applicable=True,
        note=f"∂L/∂X is the cross-correlation of padded_grad with rotated_kernel (dilation "
        f"{times(*geometry.dilation)}, stride 1): G{stride_words} padded by d(k − 1) − p = "
        f"{top} above, {bottom} below, {left} left, {right} right (a full convolution)",
        padded_grad=(view.padded_grad[0] if squeeze else view.padded_grad).tolist(),
        pads=[list(view.pads[0]), list(view.pads[1])],
        inserted_zeros=list(view.inserted_zeros),
        rotated_kernel=(view.rotated_kernel[0, 0] if squeeze else view.rotated_kernel).tolist(),
        dilation=list(geometry.dilation),
    )


def _backward_fields(g: ConvGradients, bias: object, settings: Settings) -> dict:
    geometry = g.geometry
    return {
        "output": g.output.tolist(),
        "output_shape": list(geometry.output_shape),
        "formula": formula_of(geometry.height, geometry.width),
        "counts": _counts(geometry, bias),
        "grad_output": g.grad_output.tolist(),
        "grad_input": g.grad_input.tolist(),
        "grad_kernel": g.grad_kernel.tolist(),
        "grad_bias": None if g.grad_bias is None else g.grad_bias.tolist(),
        "full_convolution": _full_convolution(g, settings),
        "backward_multiply_adds": 2 * geometry.macs,
    }


@router.post("/conv2d/backward", response_model=Conv2dBackwardResponse)
def backward(
    request: JsonBody[Conv2dBackwardRequest], settings: SettingsDep
) -> Conv2dBackwardResponse:
    """The backward pass: ∂L/∂X, ∂L/∂K (and ∂L/∂b) for an upstream gradient G = ∂L/∂Y."""
    g = conv2d_backward(
        request.input,
        request.kernel,
        request.bias,
        request.grad_output,
        request.options(),
    )
    return Conv2dBackwardResponse(**_backward_fields(g, request.bias, settings))


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
    )
    return Conv2dBackwardExplainResponse(
        **_backward_fields(e.gradients, request.bias, settings),
        input_cell=None if e.input_cell is None else GradInputCell(**asdict(e.input_cell)),
        kernel_cell=None if e.kernel_cell is None else GradKernelCell(**asdict(e.kernel_cell)),
        output_cell=None if e.output_cell is None else GradOutputCell(**asdict(e.output_cell)),
    )


def _transpose_fields(geometry: TransposeGeometry, output: np.ndarray, bias: object) -> dict:
    general, text, expressions = geometry.formula()
    return {
        "output": output.tolist(),
        "output_shape": list(geometry.output_shape),
        "formula": TransposeFormula(
            general=general,
            text=text,
            axes=[
                TransposeAxisFormula(**asdict(axis), expression=expression)
                for axis, expression in zip(
                    (geometry.height, geometry.width), expressions, strict=True
                )
            ],
        ),
        "overlaps": geometry.overlaps().tolist(),
        "counts": TransposeCounts(
            kernel_parameters=geometry.kernel_parameters,
            bias_parameters=0 if bias is None else geometry.out_channels,
            multiply_adds=geometry.macs,
        ),
    }


@router.post("/conv-transpose2d", response_model=ConvTranspose2dResponse)
def conv_transpose(request: JsonBody[ConvTranspose2dRequest]) -> ConvTranspose2dResponse:
    """Transposed convolution (torch's conv_transpose2d); the output size worked out."""
    t = transposed_convolution(request.input, request.kernel, request.bias, request.options())
    return ConvTranspose2dResponse(**_transpose_fields(t.geometry, t.output, request.bias))


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
    input_cell = None
    if e.input_cell is not None:
        input_cell = TransposeInputCell(
            cell=e.input_cell.cell,
            channel=e.input_cell.channel,
            outputs=[Stamp(**asdict(s)) for s in e.input_cell.outputs],
            cropped=e.input_cell.cropped,
        )
    return ConvTranspose2dExplainResponse(
        **_transpose_fields(e.geometry, e.output, request.bias),
        output_cell=None if e.output_cell is None else TransposeOutputCell(**asdict(e.output_cell)),
        input_cell=input_cell,
    )


@router.post("/conv2d/matrix/transpose", response_model=Conv2dMatrixTransposeResponse)
def matrix_transpose(
    request: JsonBody[Conv2dMatrixTransposeRequest],
) -> Conv2dMatrixTransposeResponse:
    """Mᵀ, checked as the backward pass (Mᵀ·vec(G) = ∂L/∂X) and as conv_transpose2d."""
    t = conv_matrix_transpose(
        request.input,
        request.kernel,
        request.bias,
        request.grad_output,
        request.options(),
    )
    m, geometry = t.forward, t.forward.geometry
    rows, cols = t.matrix.shape
    per_row = (t.hits > 0).sum(axis=1)
    nonzeros, distinct = m.nonzeros, m.distinct_parameters
    weight_index = t.weight_index.astype(object)
    weight_index[t.weight_index < 0] = None
    h, w = geometry.input_size
    check = t.transpose
    return Conv2dMatrixTransposeResponse(
        matrix=t.matrix.tolist(),
        weight_index=weight_index.tolist(),
        weight_labels=m.weight_labels,
        merged_entries=[
            MergedEntry(row=e.row, col=e.col, weight_indices=e.weight_indices) for e in t.merged
        ],
        row_shape=[h, w] if geometry.squeeze else [geometry.in_channels, h, w],
        col_shape=list(geometry.output_shape),
        structure=f"the transpose of M ({m.structure}): row (c, r, q) holds the weights that "
        "carry input cell (c, r, q) to every output that reads it",
        figures=MatrixFigures(
            rows=rows,
            cols=cols,
            entries=rows * cols,
            nonzeros=nonzeros,
            nonzeros_per_row=per_row.tolist(),
            max_nonzeros_per_row=int(per_row.max()),
            sparsity=1.0 - nonzeros / (rows * cols),
            distinct_parameters=distinct,
            dense_parameters=rows * cols,
            sharing_factor=nonzeros / distinct if distinct else 0.0,
        ),
        gradient_check=MatrixCheck(
            max_abs_diff=t.gradient_diff,
            matches=t.gradient_diff <= TOLERANCE * t.gradient_scale,
        ),
        transpose_check=TransposeCheck(
            applicable=check.applicable,
            max_abs_diff=check.max_abs_diff,
            matches=None
            if check.max_abs_diff is None
            else check.max_abs_diff <= TOLERANCE * check.scale,
            output_padding=None if check.output_padding is None else list(check.output_padding),
            note=check.note,
        ),
        grad_output=t.gradients.grad_output.tolist(),
        grad_input=t.gradients.grad_input.tolist(),
        output_shape=list(geometry.output_shape),
        formula=formula_of(geometry.height, geometry.width),
    )


@router.post("/conv1d", response_model=Conv1dResponse)
def convolve_1d(request: JsonBody[Conv1dRequest]) -> Conv1dResponse:
    """Convolve (cross-correlate) a signal with a kernel; the output length worked out."""
    c = convolve1d(request.input, request.kernel, request.bias, request.options())
    geometry, output = c.geometry, c.output
    general, text, expression = geometry.formula()
    axis = geometry.axis
    return Conv1dResponse(
        output=output.tolist(),
        output_shape=list(geometry.output_shape),
        formula=Conv1dFormula(
            general=general,
            text=text,
            expression=expression,
            length=axis.size,
            pad_before=axis.pad_before,
            pad_after=axis.pad_after,
            kernel=axis.kernel,
            dilation=axis.dilation,
            stride=axis.stride,
            output=axis.output,
        ),
        counts=_counts(geometry.conv, request.bias),
    )
