"""Request and response models for the convolution as a layer: the backward pass."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import Field, ValidationInfo, model_validator

from app.api import answer_size
from app.api.schemas.common import (
    C_IN,
    C_OUT,
    Axis,
    Bias,
    C,
    Cell,
    Channel,
    ConvolutionRequest,
    Formula,
    Image,
    Kernel,
    Listed,
    Map,
    NonNegativeIntOrPair,
    OneCell,
    Padding,
    PaddingMode,
    PositiveIntOrPair,
    RequestModel,
    ResultModel,
    ShapedRequest,
    numeric_array,
    refuse_over,
    settings_of,
)
from app.api.schemas.conv import (
    MAX_EXPLAIN_TERMS,
    Conv2dMatrixRequest,
    Conv2dRequest,
    Conv2dResponse,
    ConvCounts,
    MatrixCheck,
    MatrixEntries,
    MatrixFigures,
    check_compute,
)
from app.config import Settings
from app.engine.conv import ConvGeometry
from app.engine.conv1d import Conv1dFormula, Conv1dGeometry, conv1d_geometry
from app.engine.errors import InvalidInput
from app.engine.explain_layer import (
    GradInputExplanation,
    GradKernelExplanation,
    GradOutputExplanation,
    TransposeInputExplanation,
    TransposeOutputExplanation,
    grad_input_terms,
    overlap_terms,
)
from app.engine.matrix_transpose import TransposeCheck
from app.engine.transpose import (
    GENERAL_FORMULA,
    TransposeCounts,
    TransposeGeometry,
    TransposeOptions,
    transpose_geometry,
)

Weights = Listed[list[list[float]] | list[list[list[list[float]]]]]
"""A kh×kw kernel or a 4-D weight tensor."""

_OUT = ("height {n}", "max_output_values", "H"), ("width {n}", "max_output_values", "W")
GradOutput = numeric_array(
    axes={2: _OUT, 3: (C, *_OUT)},
    description="G = ∂L/∂Y, shaped like the output (H_out×W_out or C_out×H_out×W_out); "
    "default all ones (L = Σ Y).",
)


def check_work(macs: int, what: str, settings: Settings) -> None:
    """422 over settings.max_macs multiply-adds (on shapes); ``what`` ends with its verb."""
    message = "{what} {macs} multiply-adds, over the limit of {limit}"
    refuse_over(macs, settings.max_macs, "too_much_compute", message, "macs", what=what)


def _too_many_terms(terms: int, what: str) -> None:
    """422 when the cell ``what`` sums more than MAX_EXPLAIN_TERMS terms."""
    message = "{what} sums {terms} terms, too many to explain (at most {limit})"
    refuse_over(terms, MAX_EXPLAIN_TERMS, "too_many_terms", message, "terms", what=what)


class WithGradOutput(RequestModel):
    """A convolution request plus the upstream gradient G, refused over ``convolutions`` times
    the forward pass's multiply-adds (``work`` names it in the message)."""

    grad_output: GradOutput | None = Field(None, description="G = ∂L/∂Y, shaped like the output.")
    convolutions: ClassVar[int]
    work: ClassVar[str]

    @model_validator(mode="after")
    def _within_backward_limits(self, info: ValidationInfo) -> Self:
        try:
            geometry = self.geometry()  # type: ignore[attr-defined]
        except InvalidInput:
            return self
        check_work(self.convolutions * geometry.macs, self.work, settings_of(info))
        return self


# -- /api/conv2d/backward ---------------------------------------------------------------------


class Conv2dBackwardRequest(WithGradOutput, Conv2dRequest):
    """A convolution (the fields of /api/conv2d) and the upstream gradient G = ∂L/∂Y."""

    convolutions = 3  # the forward pass, ∂L/∂X and ∂L/∂K
    work = "the forward and backward passes need"
    answer = answer_size.conv2d_backward


class FullConvolution(ResultModel):
    """∂L/∂X as a "full" convolution: G with s − 1 zeros inserted between its entries."""

    applicable: bool = Field(description="False for reflect / replicate / circular padding.")
    note: str = Field(description="What the view is, with its numbers, or why it does not apply.")
    padded_grad: Map | None = Field(description="The padded (and for stride > 1, dilated) G.")
    pads: list[list[int]] | None = Field(description="[[top, bottom], [left, right]]; < 0: cut.")
    inserted_zeros: list[int] | None = Field(description="Zeros between G's rows / columns.")
    rotated_kernel: Weights | None = Field(description="K rotated by 180° (C_in, C_out swapped).")
    dilation: list[int] = Field(description="[d_h, d_w]: the rotated kernel keeps the dilation.")


class Conv2dBackwardResponse(Conv2dResponse):
    """The forward pass (as /api/conv2d) and the backward pass: ∂L/∂X, ∂L/∂K, ∂L/∂b."""

    grad_output: Map = Field(description="G used (the default all ones filled in).")
    grad_input: Map = Field(description="∂L/∂X = Mᵀ·vec(G), shaped like the input.")
    grad_kernel: Weights = Field(description="∂L/∂K, shaped like the kernel.")
    grad_bias: Listed[list[float] | None] = Field(
        description="∂L/∂b[o] = Σ_ij G[o, i, j], or null."
    )
    full_convolution: FullConvolution = Field(description="∂L/∂X as a full convolution.")
    backward_multiply_adds: int = Field(description="Multiply-adds of ∂L/∂X and ∂L/∂K together.")


# -- /api/conv2d/backward/explain -------------------------------------------------------------


class Conv2dBackwardExplainRequest(OneCell, Conv2dBackwardRequest):
    """The backward pass plus one cell to explain; give exactly one of ``input_cell``."""

    input_cell: Cell | None = Field(None, description="[r, q] of the ∂L/∂X cell to explain.")
    input_channel: Channel = Field(0, description="c (of input_cell or kernel_cell).")
    kernel_cell: Cell | None = Field(None, description="[a, b] of the ∂L/∂K weight to explain.")
    output_cell: Cell | None = Field(None, description="[i, j] of the G[o, i, j] to follow.")
    output_channel: Channel = Field(0, description="o (of output_cell or kernel_cell).")

    cells = ("input_cell", "kernel_cell", "output_cell")

    def explained_terms(self, geometry: ConvGeometry) -> tuple[int, str]:
        """(terms, what) of the cell asked for; (0, "") unless exactly one cell is given."""
        if self.input_cell is not None and self.kernel_cell is None and self.output_cell is None:
            # every output channel, every window that reads the cell or a padding copy of it
            return grad_input_terms(geometry, self.input_cell), "this cell of ∂L/∂X"
        if self.kernel_cell is not None and self.input_cell is None and self.output_cell is None:
            return geometry.outputs_sharing, "this weight of ∂L/∂K"
        if self.output_cell is not None and self.input_cell is None and self.kernel_cell is None:
            return geometry.inputs_per_output, "this window"
        return 0, ""

    answer = answer_size.conv2d_backward_explain

    def check_limits(self, geometry: ConvGeometry, settings: Settings) -> None:
        """422 over MAX_EXPLAIN_TERMS terms, then the backward pass's limits."""
        _too_many_terms(*self.explained_terms(geometry))
        super().check_limits(geometry, settings)


class Conv2dBackwardExplainResponse(Conv2dBackwardResponse):
    """The backward pass and the cell asked for (the other two fields are null)."""

    input_cell: GradInputExplanation | None = Field(description="When asked.")
    kernel_cell: GradKernelExplanation | None = Field(description="When asked.")
    output_cell: GradOutputExplanation | None = Field(description="When asked.")


# -- /api/conv-transpose2d --------------------------------------------------------------------


class ConvTranspose2dRequest(ShapedRequest):
    """A transposed convolution, as torch.nn.functional.conv_transpose2d."""

    input: Image = Field(description="The input X: H×W, or C_in×H×W.")
    kernel: Kernel = Field(description="The kernel K: kh×kw, or C_in×C_out×kh×kw.")
    bias: Bias | None = Field(None, description="Optional bias, one value per output channel.")
    stride: PositiveIntOrPair = Field(1, description="Stride s: an int or [s_h, s_w].")
    padding: NonNegativeIntOrPair = Field(0, description="Cells cropped from each side.")
    output_padding: NonNegativeIntOrPair = Field(0, description="Extra bottom / right cells.")
    dilation: PositiveIntOrPair = Field(1, description="Dilation d: an int or [d_h, d_w].")

    def geometry(self) -> TransposeGeometry:
        """Output size from the shapes (raises InvalidInput as torch refuses)."""
        return transpose_geometry(self.input.shape, self.kernel.shape, self.options())

    def options(self) -> TransposeOptions:
        """The four hyper-parameters as one value."""
        return TransposeOptions(self.stride, self.padding, self.output_padding, self.dilation)

    answer = answer_size.conv_transpose2d

    def check_limits(self, geometry: TransposeGeometry, settings: Settings) -> None:
        """422 over max_macs or max_output_values."""
        check_compute(geometry, settings, what="this transposed convolution")


class TransposeAxisFormula(ResultModel):
    """(H − 1)·s − 2p + d·(k − 1) + output_padding + 1 along one axis, numbers filled in."""

    axis: str = Field(description='"height" or "width".')
    size: int = Field(description="Input size H (or W).")
    kernel: int = Field(description="Kernel size k.")
    stride: int = Field(description="Stride s.")
    padding: int = Field(description="Padding p (cropped from both sides).")
    dilation: int = Field(description="Dilation d.")
    output_padding: int = Field(description="Extra cells at the end.")
    output: int = Field(description="Output size along this axis.")
    expression: str = Field(description="e.g. '(2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1'.")


class TransposeFormula(ResultModel):
    """The output size of a transposed convolution, symbolic and worked out."""

    general: str = Field(description=f"The symbolic formula: {GENERAL_FORMULA}.")
    text: str = Field(description="Both axes worked out, ending '= H_out × W_out'.")
    axes: list[TransposeAxisFormula] = Field(description="Height then width.")


class ConvTranspose2dResponse(ResultModel):
    """The transposed convolution, its size worked out, and where the stamps overlap."""

    output: Map = Field(description="Y: H_out×W_out for 2-D input and kernel.")
    output_shape: list[int] = Field(description="[H_out, W_out] or [C_out, H_out, W_out].")
    formula: TransposeFormula = Field(description="(H − 1)·s − 2p + d·(k − 1) + op + 1.")
    overlaps: Listed[list[list[int]]] = Field(
        description="H_out×W_out: stamps landing on each cell."
    )
    counts: TransposeCounts = Field(description="Parameters and multiply-adds.")


class ConvTranspose2dExplainRequest(OneCell, ConvTranspose2dRequest):
    """A transposed convolution plus one cell: an output cell."""

    output_cell: Cell | None = Field(None, description="[r, q] of the output cell to explain.")
    output_channel: Channel = Field(0, description="Output channel o.")
    input_cell: Cell | None = Field(None, description="[i, j] of the input cell to follow.")
    input_channel: Channel = Field(0, description="Input channel c.")

    cells = ("output_cell", "input_cell")

    answer = answer_size.conv_transpose2d_explain

    def check_limits(self, geometry: TransposeGeometry, settings: Settings) -> None:
        """422 over MAX_EXPLAIN_TERMS terms (an output cell), then the transposed limits."""
        if self.output_cell is not None and self.input_cell is None:
            _too_many_terms(overlap_terms(geometry, self.output_cell), "this output cell")
        super().check_limits(geometry, settings)


class ConvTranspose2dExplainResponse(ConvTranspose2dResponse):
    """The transposed convolution and the cell asked for (the other field is null)."""

    output_cell: TransposeOutputExplanation | None = Field(description="When asked.")
    input_cell: TransposeInputExplanation | None = Field(description="When asked.")


# -- /api/conv2d/matrix/transpose -------------------------------------------------------------


class Conv2dMatrixTransposeRequest(WithGradOutput, Conv2dMatrixRequest):
    """A convolution (the fields of /api/conv2d/matrix) whose Mᵀ to build."""

    convolutions = 4  # forward, ∂L/∂X, ∂L/∂K and the transposed convolution of the check
    work = "Mᵀ with its checks needs"
    answer = answer_size.conv2d_matrix_transpose


class Conv2dMatrixTransposeResponse(MatrixEntries):
    """Mᵀ, (C_in·H·W) × (C_out·H_out·W_out), in the layout of /api/conv2d/matrix (rows are
    input cells, columns output cells), and the two things it is: the backward pass
    (Mᵀ·vec(G) = vec(∂L/∂X)) and the transposed convolution (Mᵀ·vec(Y) = conv_transpose2d(Y)).
    ``figures`` describe Mᵀ: its rows hold up to C_out·kh·kw weights."""

    row_shape: list[int] = Field(description="Rows read as [H, W] or [C_in, H, W].")
    col_shape: list[int] = Field(description="Columns read as [H_out, W_out] or [C_out, …].")
    structure: str = Field(description="What structure Mᵀ has, in words.")
    figures: MatrixFigures = Field(description="Sparsity and sharing of Mᵀ.")
    gradient_check: MatrixCheck = Field(description="Mᵀ·vec(G) against the backward ∂L/∂X.")
    transpose_check: TransposeCheck = Field(description="Mᵀ·vec(Y) against conv_transpose2d(Y).")
    grad_output: Map = Field(description="G used (default all ones).")
    grad_input: Map = Field(description="∂L/∂X from the backward pass.")
    output_shape: list[int] = Field(description="Shape of the convolution output.")
    formula: Formula = Field(description="The forward output size worked out (as /conv2d).")


# -- /api/conv1d ------------------------------------------------------------------------------

_L: Axis = ("length {n}", "max_side", "L")
_K: Axis = ("kernel length {n}", "max_kernel_side", "k")
Signal = numeric_array(
    axes={1: (_L,), 2: (C, _L)},
    description="A signal of L finite numbers, or C×L channels; L at most CONVLAB_MAX_SIDE.",
)
Kernel1d = numeric_array(
    axes={1: (_K,), 3: (C_OUT, C_IN, _K)},
    description="A kernel of k finite numbers, or C_out×C_in×k weights.",
)
PositiveInt = Annotated[int, Field(ge=1, le=1024)]


class Conv1dRequest(ConvolutionRequest):
    """A 1-D convolution of a signal, as torch.nn.Conv1d."""

    input: Signal = Field(description="The signal x: L values, or C_in×L.")
    kernel: Kernel1d = Field(description="The kernel k: k values, or C_out×C_in×k.")
    bias: Bias | None = Field(None, description="Optional bias, one value per output channel.")
    stride: PositiveInt = Field(1, description="Stride s.")
    padding: Padding = Field(0, description='Padding p: an int, "valid" or "same".')
    padding_mode: PaddingMode = Field("zeros", description="zeros, reflect, replicate, circular.")
    dilation: PositiveInt = Field(1, description="Dilation d.")
    flip_kernel: bool = Field(False, description="Flip k first (numpy.convolve).")

    def geometry(self) -> Conv1dGeometry:
        """Output length from the shapes (raises InvalidInput on impossible shapes)."""
        return conv1d_geometry(self.input.shape, self.kernel.shape, self.options())

    answer = answer_size.conv1d

    def check_limits(self, geometry: Conv1dGeometry, settings: Settings) -> None:
        """422 over max_macs or max_output_values."""
        check_compute(geometry.conv, settings)


class Conv1dResponse(ResultModel):
    """The output signal, its length worked out, and the counts."""

    output: Listed[list[float] | list[list[float]]] = Field(description="y: L_out, or C_out×L_out.")
    output_shape: list[int] = Field(description="[L_out] or [C_out, L_out].")
    formula: Conv1dFormula = Field(description="The output length worked out.")
    counts: ConvCounts = Field(description="Inputs per output, parameters, multiply-adds.")
