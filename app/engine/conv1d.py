"""1-D convolution of a signal with a kernel: the 2-D engine on a 1×L image.

    y[o, i] = b[o] + Σ_c Σ_a x_pad[c, i·s + a·d] · k[o, c, a]

is conv2d's formula (``conv.py``) with height 1, so this module only reshapes: a signal of
length L is a 1×L image, a kernel of length k a 1×k kernel, padding p pads the width only.
``flip_kernel=True`` gives the convolution of signal processing (Oppenheim & Schafer, eq. 2.49;
``numpy.convolve``), which flips the kernel; the default is the cross-correlation that
torch.nn.Conv1d computes. Output length (Dumoulin & Visin 2016, relationship 15):

    L_out = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1

The checks that would name a height or a 2-D shape in conv2d's messages are made here first,
in the words of a signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import (
    DEFAULT_OPTIONS,
    ConvCounts,
    ConvGeometry,
    ConvOptions,
    ConvResult,
    check_bias,
    conv_geometry,
    correlate,
)
from app.engine.errors import InvalidInput
from app.engine.padding import AxisGeometry

FORMS = {
    "simple": "L − k + 1",
    "padded": "L + 2p − k + 1",
    "floor_div": "⌊L/k⌋",
    "general": "⌊(L + 2p − d(k−1) − 1)/s⌋ + 1",
}


@dataclass(frozen=True)
class Conv1dFormula:
    """L_out = ⌊(L + 2p − d(k−1) − 1)/s⌋ + 1, worked out."""

    general: str
    """The symbolic formula used, e.g. "L − k + 1"."""
    text: str
    """Worked out, e.g. "8 − 3 + 1 = 6"."""
    expression: str
    """The formula with numbers, e.g. "8 − 3 + 1"."""
    length: int
    """Signal length L."""
    pad_before: int
    """Padding at the start."""
    pad_after: int
    """Padding at the end."""
    kernel: int
    """Kernel length k."""
    dilation: int
    """Dilation d."""
    stride: int
    """Stride s."""
    output: int
    """Output length L_out."""


@dataclass(frozen=True)
class Conv1dGeometry:
    """A 1-D convolution's sizes: the 2-D geometry of the 1×L image, read along its width."""

    conv: ConvGeometry
    squeeze: bool
    """True when signal and kernel were both 1-D: the output is L_out."""

    @property
    def axis(self) -> AxisGeometry:
        """The length axis (the width of the 1×L image)."""
        return self.conv.width

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(L_out,) or (C_out, L_out)."""
        out = self.axis.output
        return (out,) if self.squeeze else (self.conv.out_channels, out)

    def formula(self) -> tuple[str, str, str]:
        """(symbolic, worked-out text, expression), e.g. ("L − k + 1", "8 − 3 + 1 = 6", …)."""
        form = self.axis.form()
        expression = self.axis.expression(form)
        return FORMS[form], f"{expression} = {self.axis.output}", expression

    def worked_formula(self) -> Conv1dFormula:
        """``formula()`` as an answer shows it, with the length axis's numbers."""
        a = self.axis
        numbers = (a.size, a.pad_before, a.pad_after, a.kernel, a.dilation, a.stride, a.output)
        return Conv1dFormula(*self.formula(), *numbers)

    def counts(self, bias: bool) -> ConvCounts:
        """The counts of the 2-D convolution of the 1×L image."""
        return self.conv.counts(bias)


def _as_int(value: int | tuple | list, name: str) -> int:
    if isinstance(value, (tuple, list)):
        raise InvalidInput(f"{name} of a 1-D convolution is one integer, got {list(value)!r}")
    return int(value)


def conv1d_geometry(
    input_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    options: ConvOptions = DEFAULT_OPTIONS,
) -> Conv1dGeometry:
    """Check shapes and options (in a signal's words) and work out the output length; the
    options' stride, padding and dilation are single integers here."""
    if len(input_shape) not in (1, 2):
        raise InvalidInput(f"input must be L or C×L, got {len(input_shape)} axes")
    if len(kernel_shape) not in (1, 3):
        raise InvalidInput(f"kernel must be k or C_out×C_in×k, got {len(kernel_shape)} axes")
    c_in = 1 if len(input_shape) == 1 else input_shape[0]
    if len(kernel_shape) == 1 and c_in != 1:
        raise InvalidInput(
            f"a 1-D kernel works on one channel, but the input has {c_in} channels; "
            f"give a 3-D kernel C_out×{c_in}×k"
        )
    if min(input_shape) < 1 or min(kernel_shape) < 1:
        raise InvalidInput("input and kernel must not be empty")
    padding, padding_mode = options.padding, options.padding_mode
    s, d = _as_int(options.stride, "stride"), _as_int(options.dilation, "dilation")
    length, k = input_shape[-1], kernel_shape[-1]
    if padding == "same" and s != 1:
        raise InvalidInput(
            f'padding "same" needs stride 1 (PyTorch refuses it for strided convolutions), '
            f"got stride {s}"
        )
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        before, after = d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2
    elif isinstance(padding, str):
        raise InvalidInput(f'padding must be an integer, "valid" or "same", got {padding!r}')
    else:
        before = after = _as_int(padding, "padding")
        padding = (0, before)
    p = max(before, after)
    if padding_mode == "reflect" and p >= length:
        raise InvalidInput(
            f"reflect padding of {p} needs a signal of length at least {p + 1}, but its length "
            f"is {length} (reflect padding must be smaller than the length, as in PyTorch)"
        )
    if padding_mode == "circular" and p > length:
        raise InvalidInput(
            f"circular padding of {p} is more than the signal length {length} "
            "(it would wrap around more than once; PyTorch refuses it too)"
        )
    if length + before + after < d * (k - 1) + 1:
        span = f" with dilation {d} spans {d * (k - 1) + 1} and" if d != 1 else ""
        raise InvalidInput(
            f"kernel of length {k}{span} is longer than the padded signal of length "
            f"{length + before + after}"
        )
    conv = conv_geometry(
        (c_in, 1, length),
        (kernel_shape[0], kernel_shape[1], 1, k) if len(kernel_shape) == 3 else (1, k),
        ConvOptions((1, s), padding, padding_mode, (1, d)),
    )
    return Conv1dGeometry(conv=conv, squeeze=len(input_shape) == 1 and len(kernel_shape) == 1)


@dataclass(frozen=True)
class Convolution1d(ConvResult):
    """The output of a 1-D convolution with the geometry and bias it was computed with."""

    geometry: Conv1dGeometry
    output: np.ndarray
    """(L_out,) or (C_out, L_out)."""
    bias: np.ndarray | None = None


def convolve1d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> Convolution1d:
    """y = x ∗ k (+ b) with its geometry: (L,) ∗ (k,) → (L_out,); (C_in, L) ∗ (C_out, C_in, k)
    → (C_out, L_out)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = conv1d_geometry(x.shape, kernel.shape, options)
    x3 = x.reshape(-1, 1, x.shape[-1])  # (C_in, 1, L)
    k4 = kernel.reshape(-1, x3.shape[0], 1, kernel.shape[-1])  # (C_out, C_in, 1, k)
    out = correlate(x3, k4, bias, geometry.conv, options.flip_kernel)  # (C_out, 1, L_out)
    b = check_bias(bias, geometry.conv.out_channels)
    return Convolution1d(geometry, out.reshape(geometry.output_shape), b)


def conv1d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> np.ndarray:
    """The output of ``convolve1d`` alone (torch's conv1d)."""
    return convolve1d(x, kernel, bias, options).output
