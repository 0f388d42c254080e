"""Transposed convolution ("deconvolution", fractionally strided convolution) in NumPy, float64.

A transposed convolution is the transpose Mᵀ of a convolution's matrix used as a layer
(Dumoulin & Visin 2016, §4 "Transposed convolution arithmetic"; Zeiler et al. 2010): every input
cell stamps a copy of the kernel, scaled by its value, onto the output, s cells apart:

    Y[o, i·s + a·d − p, j·s + b·d − p] += X[c, i, j] · K[c, o, a, b]      (+ b[o] everywhere)

with stride s, dilation d and padding p, which here *crops* p cells from each side of the full
result. It is the gradient ∂L/∂X of the convolution with the same kernel, stride, padding and
dilation (``backward.py``), and the two share their code (``backward.scatter_taps``).
The kernel is ordered as torch's ConvTranspose2d orders it, C_in×C_out×kh×kw: the C_out×C_in
kernel of the convolution it transposes. Output size per axis (Dumoulin & Visin relationship 14,
torch.nn.ConvTranspose2d):

    H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1

output_padding adds cells at the bottom / right; it picks one of the s input sizes a strided
convolution maps to the same output size, so PyTorch requires it to be smaller than the stride
or the dilation. Where stride s > k the stamps leave gaps, where s < k they overlap: counted per
output cell in ``TransposeGeometry.overlaps`` (the checkerboard of Odena et al. 2016).
Zero padding only, and no groups, as in torch.nn.functional.conv_transpose2d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.backward import scatter_taps
from app.engine.conv import ConvResult, channel_shapes, check_bias, check_finite
from app.engine.errors import InvalidInput
from app.engine.padding import IntOrPair, PlaneGeometry, WindowAxis, as_pair

GENERAL_FORMULA = "(H − 1)·s − 2p + d·(k − 1) + output_padding + 1"


@dataclass(frozen=True)
class TransposeAxis(WindowAxis):
    """The output size of a transposed convolution along one axis, with its numbers."""

    padding: int = 0
    output_padding: int = 0

    def expression(self) -> str:
        """The formula with this axis's numbers, e.g. '(2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1'."""
        return (
            f"({self.size} − 1)·{self.stride} − 2·{self.padding} + "
            f"{self.dilation}·({self.kernel} − 1) + {self.output_padding} + 1"
        )


@dataclass(frozen=True)
class TransposeCounts:
    """Parameters and work of a transposed convolution."""

    kernel_parameters: int
    """C_in·C_out·kh·kw."""
    bias_parameters: int
    """Bias values given (0 without bias)."""
    multiply_adds: int
    """C_in·H·W·C_out·kh·kw (every stamp, cropped or not)."""


@dataclass(frozen=True)
class TransposeGeometry(PlaneGeometry):
    """Everything about a transposed convolution that follows from shapes and options alone."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    height: TransposeAxis
    width: TransposeAxis
    squeeze: bool
    """True when input and kernel were both 2-D: the output is H_out×W_out."""

    @property
    def kernel_parameters(self) -> int:
        """C_in·C_out·kh·kw."""
        return self.in_channels * self.out_channels * self.kernel_size[0] * self.kernel_size[1]

    @property
    def macs(self) -> int:
        """Multiply-adds: every input value times every weight of its channel, C_in·H·W·C_out·kh·kw
        (including stamps that fall into the cropped padding)."""
        return self.input_size[0] * self.input_size[1] * self.kernel_parameters

    def counts(self, bias: bool) -> TransposeCounts:
        """Parameters and multiply-adds, with ``bias`` or without."""
        return TransposeCounts(self.kernel_parameters, self.out_channels if bias else 0, self.macs)

    def formula(self) -> tuple[str, str, list[str]]:
        """(symbolic, worked-out text, per-axis expressions)."""
        expressions = [self.height.expression(), self.width.expression()]
        text = (
            f"({expressions[0]}) × ({expressions[1]}) = {self.height.output} × {self.width.output}"
        )
        return GENERAL_FORMULA, text, expressions

    def overlaps(self) -> np.ndarray:
        """(H_out, W_out) int: how many (input cell, kernel tap) pairs land on each output cell
        (per input/output channel pair). 1 everywhere when the stamps tile; a checkerboard of
        1, 2, 4 … where stride and kernel size disagree; 0 in the gaps when s > d(k − 1) + 1."""
        counts = scatter_taps(
            np.ones((1, *self.input_size)),
            np.ones((1, 1, *self.kernel_size)),
            self.output_size,
            stride=self.stride,
            dilation=self.dilation,
            offset=self.padding,
        )  # (1, H_out, W_out)
        return counts[0].round().astype(np.int64)


@dataclass(frozen=True)
class TransposeOptions:
    """The four hyper-parameters of a transposed convolution (torch.nn.ConvTranspose2d's)."""

    stride: IntOrPair = 1
    padding: IntOrPair = 0
    output_padding: IntOrPair = 0
    dilation: IntOrPair = 1


DEFAULT_TRANSPOSE = TransposeOptions()
"""Stride 1, no padding, no output padding, no dilation."""


def transpose_geometry(
    input_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    options: TransposeOptions = DEFAULT_TRANSPOSE,
) -> TransposeGeometry:
    """Check shapes and options as torch does and work out the output size (no computing)."""
    c_in, size, c_out, kernel, squeeze = channel_shapes(
        tuple(input_shape), tuple(kernel_shape), transposed=True
    )
    padding = options.padding
    if isinstance(padding, str):
        raise InvalidInput(
            f"padding must be an integer or a pair for a transposed convolution, got {padding!r}"
        )
    stride_hw = as_pair(options.stride, "stride", minimum=1)
    dilation_hw = as_pair(options.dilation, "dilation", minimum=1)
    padding_hw = as_pair(padding, "padding", minimum=0)
    extra_hw = as_pair(options.output_padding, "output_padding", minimum=0)
    axes = []
    for name, n, k, s, p, d, op in zip(
        ("height", "width"),
        size,
        kernel,
        stride_hw,
        padding_hw,
        dilation_hw,
        extra_hw,
        strict=True,
    ):
        if op >= s and op >= d:
            raise InvalidInput(
                f"output_padding must be smaller than the stride or the dilation (PyTorch's "
                f"rule), got output_padding {op} with stride {s} and dilation {d} along the "
                f"{name}"
            )
        out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        axes.append(
            TransposeAxis(
                axis=name,
                size=n,
                kernel=k,
                dilation=d,
                stride=s,
                output=out,
                padding=p,
                output_padding=op,
            )
        )
    for axis in axes:
        if axis.output < 1:
            raise InvalidInput(
                f"the output {axis.axis} would be {axis.output}: {GENERAL_FORMULA} = "
                f"{axis.expression()} = {axis.output}, less than 1; use less padding"
            )
    return TransposeGeometry(
        in_channels=c_in,
        out_channels=c_out,
        kernel_size=kernel,
        stride=stride_hw,
        padding=padding_hw,
        output_padding=extra_hw,
        dilation=dilation_hw,
        height=axes[0],
        width=axes[1],
        squeeze=squeeze,
    )


def as_transpose_kernel(kernel: np.ndarray) -> np.ndarray:
    """The kernel as (C_in, C_out, kh, kw)."""
    return kernel.reshape((1, 1, *kernel.shape)) if kernel.ndim == 2 else kernel


@dataclass(frozen=True)
class TransposedConvolution(ConvResult):
    """The output of a transposed convolution with the geometry and bias it was computed with."""

    geometry: TransposeGeometry
    output: np.ndarray
    """(H_out, W_out) for 2-D input and kernel, else (C_out, H_out, W_out)."""
    bias: np.ndarray | None = None

    @property
    def overlaps(self) -> np.ndarray:
        """(H_out, W_out): the stamps landing on each cell (``TransposeGeometry.overlaps``)."""
        return self.geometry.overlaps()


def transposed_convolution(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: TransposeOptions = DEFAULT_TRANSPOSE,
) -> TransposedConvolution:
    """X ∗ᵀ K (+ b), as torch.nn.functional.conv_transpose2d, with its geometry: (H, W) with
    (kh, kw) → (H_out, W_out); (C_in, H, W) with (C_in, C_out, kh, kw) → (C_out, H_out, W_out)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = transpose_geometry(x.shape, kernel.shape, options)
    b = check_bias(bias, geometry.out_channels)
    x3 = x.reshape(geometry.in_channels, *geometry.input_size)  # (C_in, H, W)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        out = scatter_taps(
            x3,
            as_transpose_kernel(kernel),  # (C_in, C_out, kh, kw): C_in plays the role of G's C
            geometry.output_size,
            stride=geometry.stride,
            dilation=geometry.dilation,
            offset=geometry.padding,
        )  # (C_out, H_out, W_out)
        if b is not None:
            out += b[:, None, None]
    check_finite(out, "transposed convolution")
    return TransposedConvolution(geometry, out.reshape(geometry.output_shape), b)


def conv_transpose2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: TransposeOptions = DEFAULT_TRANSPOSE,
) -> np.ndarray:
    """The output of ``transposed_convolution`` alone (torch's conv_transpose2d)."""
    return transposed_convolution(x, kernel, bias, options).output
