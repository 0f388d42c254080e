"""2-D convolution (cross-correlation) in NumPy, float64.

What deep-learning libraries call convolution is cross-correlation (Goodfellow et al. §9.1,
eq. 9.6):

    Y[o, i, j] = b[o] + Σ_c Σ_a Σ_b  X_pad[c, i·s + a·d, j·s + b·d] · K[o, c, a, b]

with stride s, dilation d and X_pad the input padded as ``padding_mode`` says. True
convolution (eq. 9.4) is the same with the kernel flipped in both spatial axes
(``flip_kernel=True``). Output sizes follow Dumoulin & Visin (2016), see ``padding.py``.

Shapes: an H×W input is one channel, a kh×kw kernel one filter; the output is 2-D only when
both are 2-D. Vectorised: one pass per kernel tap (kh·kw shifted, strided views of the padded
input, each a single multiply-add) for one channel, im2col through ``sliding_window_view`` and
one matrix product for several; never a loop over pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine.errors import InvalidInput
from app.engine.padding import (
    AxisGeometry,
    IntOrPair,
    Pads,
    PlaneGeometry,
    WorkedOut,
    as_pair,
    check_padding_mode,
    pad,
    resolve_padding,
    window_axes,
)


@dataclass(frozen=True)
class ConvCounts:
    """Sparse interactions and parameter sharing, counted (tutorial Q3b)."""

    inputs_per_output: int
    """Input values one output reads: C_in·kh·kw."""
    kernel_parameters: int
    """Weights in the kernel: C_out·C_in·kh·kw."""
    bias_parameters: int
    """Bias values given (0 without bias)."""
    outputs_sharing_parameters: int
    """Outputs reusing a weight: H_out·W_out."""
    multiply_adds: int
    """Multiply-adds of the whole convolution."""


@dataclass(frozen=True)
class ConvGeometry(PlaneGeometry):
    """Everything about a convolution that follows from shapes and hyper-parameters alone."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: Pads
    padding_mode: str
    height: AxisGeometry
    width: AxisGeometry
    squeeze: bool
    """True when input and kernel were both 2-D: the output is H_out×W_out."""

    @property
    def inputs_per_output(self) -> int:
        """Input values one output reads: C_in·kh·kw (the tutorial's 2 × 2 = 4)."""
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    @property
    def kernel_parameters(self) -> int:
        """Weights in the kernel: C_out·C_in·kh·kw (the tutorial's 4)."""
        return self.out_channels * self.inputs_per_output

    @property
    def outputs_sharing(self) -> int:
        """Outputs of one channel that reuse the same weights: H_out·W_out (the tutorial's 9)."""
        return self.height.output * self.width.output

    @property
    def macs(self) -> int:
        """Multiply-adds of the whole convolution: C_out·H_out·W_out·C_in·kh·kw."""
        return self.outputs_sharing * self.kernel_parameters

    def counts(self, bias: bool) -> ConvCounts:
        """The counts of tutorial Q3b, with ``bias`` or without."""
        return ConvCounts(
            inputs_per_output=self.inputs_per_output,
            kernel_parameters=self.kernel_parameters,
            bias_parameters=self.out_channels if bias else 0,
            outputs_sharing_parameters=self.outputs_sharing,
            multiply_adds=self.macs,
        )


@dataclass(frozen=True)
class ConvOptions:
    """The five hyper-parameters that travel with every convolution (torch.nn.Conv2d's, plus
    ``flip_kernel`` for true convolution)."""

    stride: IntOrPair = 1
    padding: IntOrPair | str = 0
    padding_mode: str = "zeros"
    dilation: IntOrPair = 1
    flip_kernel: bool = False

    def geometry(self, input_shape: tuple[int, ...], kernel_shape: tuple[int, ...]) -> ConvGeometry:
        """``conv_geometry`` of these options for the given shapes (no computing)."""
        return conv_geometry(input_shape, kernel_shape, self)


DEFAULT_OPTIONS = ConvOptions()
"""Stride 1, no padding, no dilation, cross-correlation: ``Y = X ⋆ K``."""


def channel_shapes(
    input_shape: tuple[int, ...], kernel_shape: tuple[int, ...], *, transposed: bool = False
) -> tuple[int, tuple[int, int], int, tuple[int, int], bool]:
    """(C_in, (H, W), C_out, (kh, kw), squeeze) from 2-D/3-D input and 2-D/4-D kernel shapes.

    The 4-D kernel is C_out×C_in×kh×kw, or C_in×C_out×kh×kw when ``transposed`` (torch's order
    for a transposed convolution: the kernel of the convolution it transposes)."""
    order = "C_in×C_out" if transposed else "C_out×C_in"
    if len(input_shape) == 2:
        c_in, size = 1, (input_shape[0], input_shape[1])
    elif len(input_shape) == 3:
        c_in, size = input_shape[0], (input_shape[1], input_shape[2])
    else:
        raise InvalidInput(f"input must be H×W or C×H×W, got {len(input_shape)} axes")
    if len(kernel_shape) == 2:
        c_out, kernel = 1, (kernel_shape[0], kernel_shape[1])
        if c_in != 1:
            wanted = (
                f"{c_in}×C_out×kh×kw (C_in first, as torch orders a transposed-convolution kernel)"
                if transposed
                else f"C_out×{c_in}×kh×kw"
            )
            raise InvalidInput(
                f"a 2-D kernel works on one channel, but the input has {c_in} channels; "
                f"give a 4-D kernel {wanted}"
            )
    elif len(kernel_shape) == 4:
        expects, c_out = (kernel_shape[0], kernel_shape[1]) if transposed else kernel_shape[1::-1]
        kernel = (kernel_shape[2], kernel_shape[3])
        if expects != c_in:
            raise InvalidInput(
                f"the kernel expects {expects} input channel{'s' if expects != 1 else ''}, but "
                f"the input has {c_in}"
                + (" (a transposed-convolution kernel is C_in×C_out×kh×kw)" if transposed else "")
            )
    else:
        raise InvalidInput(f"kernel must be kh×kw or {order}×kh×kw, got {len(kernel_shape)} axes")
    if min(size) < 1 or min(kernel) < 1 or c_in < 1 or c_out < 1:
        raise InvalidInput("input and kernel must not be empty")
    return c_in, size, c_out, kernel, len(input_shape) == 2 and len(kernel_shape) == 2


def conv_geometry(
    input_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    options: ConvOptions = DEFAULT_OPTIONS,
) -> ConvGeometry:
    """Check the shapes and hyper-parameters and work out the output size (no computing)."""
    c_in, size, c_out, kernel, squeeze = channel_shapes(tuple(input_shape), tuple(kernel_shape))
    stride_hw = as_pair(options.stride, "stride", minimum=1)
    dilation_hw = as_pair(options.dilation, "dilation", minimum=1)
    pads = resolve_padding(options.padding, kernel=kernel, dilation=dilation_hw, stride=stride_hw)
    padding_mode = options.padding_mode
    check_padding_mode(padding_mode, pads, size)
    height, width = window_axes(size, kernel, stride=stride_hw, dilation=dilation_hw, pads=pads)
    return ConvGeometry(
        in_channels=c_in,
        out_channels=c_out,
        kernel_size=kernel,
        stride=stride_hw,
        dilation=dilation_hw,
        pads=pads,
        padding_mode=padding_mode,
        height=height,
        width=width,
        squeeze=squeeze,
    )


def as_4d_kernel(kernel: np.ndarray, flip_kernel: bool) -> np.ndarray:
    """The kernel as (C_out, C_in, kh, kw), flipped in both spatial axes for true convolution."""
    w = kernel.reshape((1, 1, *kernel.shape)) if kernel.ndim == 2 else kernel  # (C_out,C_in,kh,kw)
    return w[..., ::-1, ::-1] if flip_kernel else w


def tap_view(xp: np.ndarray, geometry: ConvGeometry, a: int, b: int) -> np.ndarray:
    """The strided view of the padded input (…, Hp, Wp) that kernel tap (a, b) multiplies:
    (…, H_out, W_out), element [i, j] = xp[…, i·s + a·d, j·s + b·d]."""
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    ho, wo = geometry.output_size
    top, left = a * dh, b * dw
    return xp[..., top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw]


def _correlate(xp: np.ndarray, w: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """Cross-correlate padded input (C_in, Hp, Wp) with w (C_out, C_in, kh, kw)."""
    c_out, c_in, kh, kw = w.shape
    ho, wo = geometry.output_size
    if c_in == 1 and c_out == 1:
        # one channel: a weighted sum of kh·kw shifted views, no im2col copy
        x2 = xp[0]  # (Hp, Wp)
        out = np.zeros((ho, wo))  # (H_out, W_out)
        tmp = np.empty((ho, wo))
        for a in range(kh):
            for b in range(kw):
                np.multiply(tap_view(x2, geometry, a, b), w[0, 0, a, b], out=tmp)
                out += tmp
        return out.reshape(1, ho, wo)  # (1, H_out, W_out)
    # several channels: im2col (one copy of the strided windows) and a single matrix product
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    windows = sliding_window_view(xp, span, axis=(1, 2))  # (C_in, Hp−span+1, Wp−span+1, …)
    windows = windows[:, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, ::dh, ::dw]
    # windows: (C_in, H_out, W_out, kh, kw) view → cols: (C_in·kh·kw, H_out·W_out) copy
    cols = windows.transpose(0, 3, 4, 1, 2).reshape(c_in * kh * kw, ho * wo)
    out = w.reshape(c_out, c_in * kh * kw) @ cols  # (C_out, H_out·W_out)
    return out.reshape(c_out, ho, wo)  # (C_out, H_out, W_out)


def check_finite(values: np.ndarray, what: str) -> np.ndarray:
    """InvalidInput when float64 overflowed (inputs near 1e308 can do that)."""
    if not np.isfinite(values).all():
        raise InvalidInput(
            f"the {what} overflows float64 (some values are too large); use smaller numbers"
        )
    return values


class ConvResult(WorkedOut):
    """What the answer of a convolution (2-D, 1-D or transposed) shows beside its output, read
    from the ``geometry`` and ``bias`` of the frozen dataclass that mixes it in."""

    geometry: Any
    bias: np.ndarray | None

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The output's shape."""
        return self.geometry.output_shape

    @property
    def counts(self) -> Any:
        """Parameters and work, counted (``counts`` of the geometry)."""
        return self.geometry.counts(self.bias is not None)


@dataclass(frozen=True)
class Convolution(ConvResult):
    """The output of a convolution with the geometry and bias it was computed with."""

    geometry: ConvGeometry
    output: np.ndarray
    """(H_out, W_out) for 2-D input and kernel, else (C_out, H_out, W_out)."""
    bias: np.ndarray | None = None


def convolve(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> Convolution:
    """``conv2d`` with its geometry: what a route needs in one call."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = options.geometry(x.shape, kernel.shape)
    output = correlate(x, kernel, bias, geometry, options.flip_kernel)
    return Convolution(geometry, output, check_bias(bias, geometry.out_channels))


def correlate(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    geometry: ConvGeometry,
    flip_kernel: bool,
) -> np.ndarray:
    """The convolution of float64 ``x`` and ``kernel`` for an already checked ``geometry``."""
    b = check_bias(bias, geometry.out_channels)
    x3 = x.reshape(geometry.in_channels, *geometry.input_size)  # (C_in, H, W)
    xp = pad(x3, geometry.pads, geometry.padding_mode)  # (C_in, Hp, Wp)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        out = _correlate(xp, as_4d_kernel(kernel, flip_kernel), geometry)  # (C_out, H_out, W_out)
        if b is not None:
            out += b[:, None, None]
    check_finite(out, "convolution")
    return out.reshape(geometry.output_shape)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> np.ndarray:
    """Y = X ∗ K (+ b): (H, W) ∗ (kh, kw) → (H_out, W_out); otherwise (C_out, H_out, W_out).

    ``x`` is (H, W) or (C_in, H, W); ``kernel`` is (kh, kw) or (C_out, C_in, kh, kw); ``bias``
    has one value per output channel.
    """
    return convolve(x, kernel, bias, options).output


def check_bias(bias: np.ndarray | None, out_channels: int) -> np.ndarray | None:
    """The bias as a float64 vector of length C_out, or None."""
    if bias is None:
        return None
    b = np.asarray(bias, dtype=np.float64).reshape(-1)
    if b.shape[0] != out_channels:
        raise InvalidInput(
            f"bias has {b.shape[0]} value{'s' if b.shape[0] != 1 else ''} but the kernel has "
            f"{out_channels} output channel{'s' if out_channels != 1 else ''}"
        )
    return b
