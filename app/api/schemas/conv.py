"""Request and response models for /api/conv2d, /api/conv2d/explain and /api/conv2d/matrix."""

from __future__ import annotations

from typing import Self

import numpy as np
from pydantic import Field, model_validator

from app.api import answer_size
from app.api.schemas.common import (
    Bias,
    Cell,
    Channel,
    ConvolutionRequest,
    Formula,
    Image,
    Kernel,
    Map,
    OneCell,
    Padding,
    PaddingMode,
    PositiveIntOrPair,
    ResultModel,
    check_output_values,
    refuse_over,
)
from app.config import Settings
from app.engine.conv import ConvCounts, ConvGeometry
from app.engine.explain import Influence, Term
from app.engine.matrix import MatrixCheck, MatrixFigures, MergedEntry
from app.engine.transpose import TransposeGeometry

MAX_EXPLAIN_TERMS = 4096
"""Most terms (C_in·kh·kw) an explained output cell may list."""

PADDING = 'Padding p: an int, [p_h, p_w], "valid" or "same" (stride 1; odd cell bottom/right).'
PADDING_MODE = "zeros, reflect (padding < side), replicate or circular (padding ≤ side)."
FLIP_KERNEL = "True convolution: flip the kernel first; false: cross-correlation, as torch."


def check_compute(
    geometry: ConvGeometry | TransposeGeometry,
    settings: Settings,
    *,
    factor: int = 1,
    what: str = "this convolution",
) -> None:
    """422 when ``what`` would exceed max_macs or max_output_values (checked on shapes)."""
    message = what + " needs {macs} multiply-adds, over the limit of {limit}"
    refuse_over(geometry.macs * factor, settings.max_macs, "too_much_compute", message, "macs")
    check_output_values(geometry.output_shape, settings)


class Conv2dRequest(ConvolutionRequest):
    """A 2-D convolution (cross-correlation unless ``flip_kernel``), as torch.nn.Conv2d."""

    input: Image = Field(description="The input X: H×W, or C_in×H×W.")
    kernel: Kernel = Field(description="The kernel K: kh×kw, or C_out×C_in×kh×kw.")
    bias: Bias | None = Field(None, description="Optional bias, one value per output channel.")
    stride: PositiveIntOrPair = Field(1, description="Stride s: an int or [s_h, s_w].")
    padding: Padding = Field(0, description=PADDING)
    padding_mode: PaddingMode = Field("zeros", description=PADDING_MODE)
    dilation: PositiveIntOrPair = Field(1, description="Dilation d: an int or [d_h, d_w].")
    flip_kernel: bool = Field(False, description=FLIP_KERNEL)

    def geometry(self) -> ConvGeometry:
        """Output size and counts from the shapes (raises InvalidInput on impossible shapes)."""
        return self.options().geometry(self.input.shape, self.kernel.shape)

    answer = answer_size.conv2d

    def check_limits(self, geometry: ConvGeometry, settings: Settings) -> None:
        """422 over max_macs or max_output_values (subclasses add theirs)."""
        check_compute(geometry, settings)


class Conv2dResponse(ResultModel):
    """The output map, its size worked out, and the counts of tutorial Q3b."""

    output: Map = Field(description="Y: H_out×W_out, or C_out×H_out×W_out.")
    output_shape: list[int] = Field(description="[H_out, W_out] or [C_out, H_out, W_out].")
    formula: Formula = Field(description="The output size ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1.")
    counts: ConvCounts = Field(description="Inputs per output, parameters, outputs sharing them.")


# -- explain --------------------------------------------------------------------------------


class Conv2dExplainRequest(OneCell, Conv2dRequest):
    """A convolution plus one cell to explain: an output cell or an input cell."""

    output_cell: Cell | None = Field(None, description="[i, j] of the output cell to explain.")
    output_channel: Channel = Field(0, description="Output channel of output_cell.")
    input_cell: Cell | None = Field(None, description="[i, j] of the input cell to follow.")
    input_channel: Channel = Field(0, description="Input channel of input_cell.")

    answer = answer_size.conv2d_explain
    cells = ("output_cell", "input_cell")

    @model_validator(mode="after")
    def _window_within_limit(self) -> Self:
        kernel = self.kernel.shape
        terms = int(np.prod(kernel[1:])) if len(kernel) == 4 else int(np.prod(kernel))
        if self.output_cell is not None:
            message = "a window of {terms} terms is too long to explain (at most {limit})"
            refuse_over(terms, MAX_EXPLAIN_TERMS, "too_many_terms", message, "terms")
        return self


class OutputCellExplanation(ResultModel):
    """Y[i, j] worked out term by term, as the tutorial writes Y₁₁."""

    cell: Cell = Field(description="[i, j] of the output cell (0-based).")
    channel: int = Field(description="Output channel.")
    window: list[Term] = Field(description="Terms in order: channel, then a, then b.")
    sum: float = Field(description="Σ x·k.")
    bias: float = Field(description="Bias of this output channel (0 without bias).")
    value: float = Field(description="sum + bias: equals output[i][j].")
    expression: str = Field(description='e.g. "1·1 + 2·(−1) + 0·0 + 1·1 = 0".')


class InputCellInfluence(ResultModel):
    """The output cells one input cell feeds (the same cells in every output channel)."""

    cell: Cell = Field(description="[i, j] of the input cell.")
    channel: int = Field(description="Input channel.")
    outputs: list[Influence] = Field(description="Row-major order.")
    count: int = Field(description="How many output cells per output channel.")


class Conv2dExplainResponse(Conv2dResponse):
    """The convolution, and the explanation of the cell asked for (the other field is null)."""

    output_cell: OutputCellExplanation | None = Field(description="When asked.")
    input_cell: InputCellInfluence | None = Field(description="When asked.")


# -- matrix form ----------------------------------------------------------------------------


class Conv2dMatrixRequest(Conv2dRequest):
    """A convolution to write as a matrix acting on vec(X) (row-major flattening)."""

    answer = answer_size.conv2d_matrix

    def check_limits(self, geometry: ConvGeometry, settings: Settings) -> None:
        """The matrix's own limit first (its message names rows and columns), then the rest."""
        rows = geometry.out_channels * geometry.outputs_sharing
        cols = geometry.in_channels * geometry.input_size[0] * geometry.input_size[1]
        limit, error = settings.max_matrix_entries, "too_many_entries"
        message = "the matrix would place {placed} kernel weights, over the limit of {limit}"
        refuse_over(geometry.macs, limit, error, message, "placed")
        message = "the matrix would have {rows} × {cols} = {entries} entries, over the limit of "
        shape = {"rows": f"{rows:,}", "cols": f"{cols:,}"}
        refuse_over(rows * cols, limit, error, message + "{limit}", "entries", **shape)
        super().check_limits(geometry, settings)


class MatrixEntries(ResultModel):
    """A matrix of kernel weights: its entries and which weight each holds."""

    matrix: list[list[float]] = Field(description="The matrix, rows × cols.")
    weight_index: list[list[int | None]] = Field(description="Flat kernel index of each entry.")
    weight_labels: list[str] = Field(description='Label of each flat kernel index, e.g. "K[0,1]".')
    merged_entries: list[MergedEntry] = Field(description="Entries holding a sum of weights.")


class Conv2dMatrixResponse(MatrixEntries):
    """The convolution as a (C_out·H_out·W_out) × (C_in·H·W) matrix M."""

    bias_vector: list[float] | None = Field(description="b repeated per output, or null.")
    row_shape: list[int] = Field(description="Rows read as [H_out, W_out] or [C_out, …].")
    col_shape: list[int] = Field(description="Columns read as [H, W] or [C_in, H, W].")
    structure: str = Field(description="What structure the matrix has, in words.")
    figures: MatrixFigures = Field(description="Sparsity and parameter sharing in numbers.")
    check: MatrixCheck = Field(description="The matrix reproduces conv2d.")
    output_shape: list[int] = Field(description="Shape of the convolution output.")
    formula: Formula = Field(description="The output size worked out.")
