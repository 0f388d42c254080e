"""Routes for 2-D convolution: the output, one cell explained, and the matrix form."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.common import formula_of
from app.api.schemas.conv import (
    Conv2dExplainRequest,
    Conv2dExplainResponse,
    Conv2dMatrixRequest,
    Conv2dMatrixResponse,
    Conv2dRequest,
    Conv2dResponse,
    ConvCounts,
    InfluencedOutput,
    InputCellInfluence,
    MatrixCheck,
    MatrixFigures,
    MergedEntry,
    OutputCellExplanation,
    WindowTerm,
)
from app.engine import conv
from app.engine.conv import ConvGeometry
from app.engine.explain import InputInfluence, OutputExplanation, explain_conv2d
from app.engine.matrix import conv_matrix

router = APIRouter(tags=["conv2d"])


def _counts(geometry: ConvGeometry, bias: object) -> ConvCounts:
    return ConvCounts(
        inputs_per_output=geometry.inputs_per_output,
        kernel_parameters=geometry.kernel_parameters,
        bias_parameters=0 if bias is None else geometry.out_channels,
        outputs_sharing_parameters=geometry.outputs_sharing,
        multiply_adds=geometry.macs,
    )


def _conv_fields(geometry: ConvGeometry, output: np.ndarray, bias: object) -> dict:
    """The fields every convolution response shares: output, shape, formula, counts."""
    return {
        "output": output.tolist(),
        "output_shape": list(geometry.output_shape),
        "formula": formula_of(geometry.height, geometry.width),
        "counts": _counts(geometry, bias),
    }


def _output_cell(e: OutputExplanation) -> OutputCellExplanation:
    return OutputCellExplanation(
        cell=e.cell,
        channel=e.channel,
        window=[WindowTerm(**asdict(term)) for term in e.terms],
        sum=e.sum,
        bias=e.bias,
        value=e.value,
        expression=e.expression,
    )


def _input_cell(i: InputInfluence) -> InputCellInfluence:
    return InputCellInfluence(
        cell=i.cell,
        channel=i.channel,
        outputs=[
            InfluencedOutput(
                cell=o.cell,
                window_positions=[list(p) for p in o.window_positions],
                kernel_positions=[list(p) for p in o.kernel_positions],
            )
            for o in i.outputs
        ],
        count=len(i.outputs),
    )


@router.post("/conv2d", response_model=Conv2dResponse)
def convolve(request: JsonBody[Conv2dRequest]) -> Conv2dResponse:
    """Convolve (cross-correlate) an input with a kernel; the output size worked out."""
    c = conv.convolve(request.input, request.kernel, request.bias, request.options())
    return Conv2dResponse(**_conv_fields(c.geometry, c.output, request.bias))


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
    return Conv2dExplainResponse(
        **_conv_fields(e.geometry, e.output, request.bias),
        output_cell=None if e.output_cell is None else _output_cell(e.output_cell),
        input_cell=None if e.input_cell is None else _input_cell(e.input_cell),
    )


@router.post("/conv2d/matrix", response_model=Conv2dMatrixResponse)
def matrix_form(request: JsonBody[Conv2dMatrixRequest]) -> Conv2dMatrixResponse:
    """The convolution as a matrix on vec(X): entries, weight of each entry, figures, check."""
    m = conv_matrix(request.input, request.kernel, request.bias, request.options())
    geometry = m.geometry
    per_row = m.nonzeros_per_row
    h, w = geometry.input_size
    return Conv2dMatrixResponse(
        matrix=m.matrix.tolist(),
        weight_index=m.weight_index_or_none(),
        weight_labels=m.weight_labels,
        merged_entries=[
            MergedEntry(row=e.row, col=e.col, weight_indices=e.weight_indices) for e in m.merged
        ],
        bias_vector=None if m.bias_vector is None else m.bias_vector.tolist(),
        row_shape=list(geometry.output_shape),
        col_shape=[h, w] if geometry.squeeze else [geometry.in_channels, h, w],
        structure=m.structure,
        figures=MatrixFigures(
            rows=m.rows,
            cols=m.cols,
            entries=m.rows * m.cols,
            nonzeros=m.nonzeros,
            nonzeros_per_row=per_row.tolist(),
            max_nonzeros_per_row=int(per_row.max()),
            sparsity=m.sparsity,
            distinct_parameters=m.distinct_parameters,
            dense_parameters=m.rows * m.cols,
            sharing_factor=m.sharing_factor,
        ),
        check=MatrixCheck(max_abs_diff=m.max_abs_diff, matches=m.matches),
        output_shape=list(geometry.output_shape),
        formula=formula_of(geometry.height, geometry.width),
    )
