"""Padding and window geometry shared by convolution and pooling.

The output size of a sliding window along one axis (Dumoulin & Visin 2016, "A guide to
convolution arithmetic for deep learning", relationship 15; Goodfellow et al. §9.1):

    o = ⌊(i + p_before + p_after − d(k − 1) − 1) / s⌋ + 1

with input size i, kernel size k, stride s, dilation d. Pooling may use ⌈⌉ (``ceil_mode``),
with PyTorch's rule that the last window must start inside the input or its left padding.

Padding modes follow ``torch.nn.Conv2d(padding_mode=...)`` / ``torch.nn.functional.pad``:
"zeros" fills with 0, "reflect" mirrors without repeating the edge, "replicate" repeats the edge,
"circular" wraps around. PyTorch's limits are kept: reflect padding must be smaller than the
input side, circular padding at most the input side, and "same" padding needs stride 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.errors import InvalidInput

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

IntOrPair = int | tuple[int, int] | list[int]
Pads = tuple[tuple[int, int], tuple[int, int]]
"""((top, bottom), (left, right))."""


def as_pair(value: IntOrPair, name: str, *, minimum: int) -> tuple[int, int]:
    """An int-or-pair hyper-parameter as (height, width); InvalidInput below ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        result = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        result = (int(value[0]), int(value[1]))
    else:
        raise InvalidInput(f"{name} must be an integer or a pair of integers, got {value!r}")
    for v in result:
        if v < minimum:
            if minimum == 1:
                raise InvalidInput(f"{name} must be at least 1, got {v}")
            raise InvalidInput(f"{name} must not be negative, got {v}")
    return result


def times(a: int, b: int) -> str:
    """'4×4' for a size pair."""
    return f"{a}×{b}"


def resolve_padding(
    padding: IntOrPair | str,
    *,
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    stride: tuple[int, int],
) -> Pads:
    """Padding as ((top, bottom), (left, right)).

    "valid" is no padding; "same" pads d(k − 1) in total per axis, the extra cell (for an even
    span) at the bottom / right, as PyTorch does, and is refused for stride > 1 as PyTorch does.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise InvalidInput(
                    f'padding "same" needs stride 1 (PyTorch refuses it for strided '
                    f"convolutions), got stride {times(*stride)}"
                )
            pads = []
            for k, d in zip(kernel, dilation, strict=True):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return (pads[0], pads[1])
        raise InvalidInput(
            f'padding must be an integer, a pair, "valid" or "same", got {padding!r}'
        )
    ph, pw = as_pair(padding, "padding", minimum=0)
    return ((ph, ph), (pw, pw))


def check_padding_mode(mode: str, pads: Pads, size: tuple[int, int]) -> None:
    """Refuse what PyTorch refuses: reflect padding ≥ the side, circular padding > the side."""
    if mode not in PADDING_MODES:
        raise InvalidInput(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {mode!r}")
    for axis, (before, after), n in zip(("height", "width"), pads, size, strict=True):
        p = max(before, after)
        if mode == "reflect" and p >= n:
            raise InvalidInput(
                f"reflect padding of {p} needs an input {axis} of at least {p + 1}, "
                f"but the input {axis} is {n} (reflect padding must be smaller than the side, "
                "as in PyTorch)"
            )
        if mode == "circular" and p > n:
            raise InvalidInput(
                f"circular padding of {p} is more than the input {axis} {n} "
                "(it would wrap around more than once; PyTorch refuses it too)"
            )


def pad(x: np.ndarray, pads: Pads, mode: str) -> np.ndarray:
    """Pad the last two axes of ``x`` (…, H, W) → (…, H + top + bottom, W + left + right)."""
    if pads == ((0, 0), (0, 0)):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [pads[0], pads[1]]
    if mode == "zeros":
        return np.pad(x, widths, mode="constant", constant_values=0.0)
    return np.pad(x, widths, mode=_NUMPY_MODES[mode])


def index_map(size: tuple[int, int], pads: Pads, mode: str) -> np.ndarray:
    """For every cell of the padded H×W grid, the flat index i·W + j of the input cell whose
    value it holds, or −1 for a zero-padding cell. Shape (H + top + bottom, W + left + right)."""
    h, w = size
    flat = np.arange(h * w, dtype=np.int64).reshape(h, w)  # (H, W)
    if mode == "zeros":
        if pads == ((0, 0), (0, 0)):
            return flat
        return np.pad(flat, [pads[0], pads[1]], mode="constant", constant_values=-1)
    return pad(flat, pads, mode)


@dataclass(frozen=True)
class WindowAxis:
    """One axis of a sliding-window operation: input size, kernel, dilation, stride and the
    output size (shared by convolution, pooling and the transposed convolution)."""

    axis: str
    size: int
    kernel: int
    dilation: int
    stride: int
    output: int

    @property
    def span(self) -> int:
        """Cells one window covers, d(k − 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1


class PlaneGeometry:
    """Sizes of a 2-D operation from its ``height`` and ``width`` axes (``WindowAxis``),
    ``out_channels`` and ``squeeze`` (2-D in, 2-D out), which the frozen dataclasses of
    convolution, pooling and the transposed convolution that mix it in define."""

    height: WindowAxis
    width: WindowAxis
    squeeze: bool
    out_channels: int

    @property
    def input_size(self) -> tuple[int, int]:
        """(H, W)."""
        return (self.height.size, self.width.size)

    @property
    def output_size(self) -> tuple[int, int]:
        """(H_out, W_out)."""
        return (self.height.output, self.width.output)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(H_out, W_out) when ``squeeze``, else (C_out, H_out, W_out)."""
        return self.output_size if self.squeeze else (self.out_channels, *self.output_size)

    def formula_axes(self) -> tuple[WindowAxis, WindowAxis]:
        return (self.height, self.width)

    def formula(self) -> tuple[str, str, list[str]]:
        """(symbolic, worked-out text, per-axis expressions); see ``formula_text``."""
        return formula_text(self.formula_axes())

    def worked_formula(self) -> WorkedFormula:
        """``formula()`` as an answer shows it: each axis beside its expression."""
        general, text, expressions = self.formula()
        pairs = zip(self.formula_axes(), expressions, strict=True)
        return WorkedFormula(general, text, [{**vars(a), "expression": e} for a, e in pairs])


@dataclass(frozen=True)
class AxisGeometry(WindowAxis):
    """The sliding window along one axis: sizes, hyper-parameters and the output size."""

    pad_before: int = 0
    pad_after: int = 0
    ceil_mode: bool = False
    dropped_last: bool = False
    """ceil_mode only: the formula gave one more window, but it would start in the padding."""

    @property
    def padded(self) -> int:
        """Input size with padding."""
        return self.size + self.pad_before + self.pad_after

    def form(self) -> str:
        """Which reading of the formula fits: 'simple', 'padded', 'floor_div' or 'general'."""
        if self.ceil_mode:
            return "general"
        if self.stride == 1 and self.dilation == 1:
            return "simple" if self.pad_before == self.pad_after == 0 else "padded"
        if (
            self.kernel == self.stride
            and self.dilation == 1
            and self.pad_before == 0
            and self.pad_after == 0
        ):
            return "floor_div"
        return "general"

    def _pad_term(self) -> str:
        if self.pad_before == self.pad_after:
            return f" + 2·{self.pad_before}"
        return f" + {self.pad_before} + {self.pad_after}"

    def expression(self, form: str) -> str:
        """The formula in the given form with this axis's numbers, e.g. '4 − 2 + 1'."""
        n, k, d, s = self.size, self.kernel, self.dilation, self.stride
        if form == "simple":
            return f"{n} − {k} + 1"
        if form == "padded":
            return f"{n}{self._pad_term()} − {k} + 1"
        if form == "floor_div":
            return f"⌊{n}/{k}⌋"
        left, right = ("⌈", "⌉") if self.ceil_mode else ("⌊", "⌋")
        text = f"{left}({n}{self._pad_term()} − {d}·({k} − 1) − 1)/{s}{right} + 1"
        if self.dropped_last:
            text += " − 1"
        return text


GENERAL_FORMS = {
    "simple": "H − k + 1",
    "padded": "H + 2p − k + 1",
    "floor_div": "⌊H/k⌋",
    "general": "⌊(H + 2p − d(k−1) − 1)/s⌋ + 1",
    "general_ceil": "⌈(H + 2p − d(k−1) − 1)/s⌉ + 1, minus 1 if the last window starts in the "
    "padding",
}


def common_form(axes: tuple[AxisGeometry, AxisGeometry]) -> str:
    """One form for both axes, so the two read alike."""
    forms = {axis.form() for axis in axes}
    return forms.pop() if len(forms) == 1 else "general"


def formula_text(axes: tuple[AxisGeometry, AxisGeometry]) -> tuple[str, str, list[str]]:
    """(symbolic formula, worked-out text, per-axis expressions).

    E.g. ("H − k + 1", "(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3", ["4 − 2 + 1", "4 − 2 + 1"]).
    """
    form = common_form(axes)
    expressions = [axis.expression(form) for axis in axes]
    shown = expressions if form == "floor_div" else [f"({e})" for e in expressions]
    text = f"{shown[0]} × {shown[1]} = {axes[0].output} × {axes[1].output}"
    key = "general_ceil" if form == "general" and any(a.ceil_mode for a in axes) else form
    return GENERAL_FORMS[key], text, expressions


class WorkedOut:
    """A result whose answer shows its output size worked out: the ``formula`` of the window
    ``geometry`` of the frozen dataclass that mixes it in (None when it has none)."""

    geometry: Any

    @property
    def formula(self) -> Any:
        """The output size worked out (``worked_formula`` of the geometry), or None."""
        return None if self.geometry is None else self.geometry.worked_formula()


@dataclass(frozen=True)
class WorkedFormula:
    """An output-size formula: symbolic, worked out, and per axis with its numbers."""

    general: str
    text: str
    axes: list[dict[str, object]]
    """Per axis: its numbers (the axis's fields) and ``expression``, the formula with them."""


def window_axes(
    size: tuple[int, int],
    kernel: tuple[int, int],
    *,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pads: Pads,
    ceil_mode: bool = False,
    what: str = "kernel",
) -> tuple[AxisGeometry, AxisGeometry]:
    """Output size per axis; InvalidInput naming both sizes when no window fits."""
    axes = []
    for name, n, k, s, d, (before, after) in zip(
        ("height", "width"), size, kernel, stride, dilation, pads, strict=True
    ):
        numerator = n + before + after - d * (k - 1) - 1
        dropped = False
        if ceil_mode:
            out = (numerator + s - 1) // s + 1  # ⌈numerator / s⌉ + 1, as torch's div_rtn
            if out >= 1 and (out - 1) * s >= n + before:
                out -= 1
                dropped = True
        else:
            out = numerator // s + 1
        axes.append(
            AxisGeometry(
                axis=name,
                size=n,
                kernel=k,
                dilation=d,
                stride=s,
                output=out,
                pad_before=before,
                pad_after=after,
                ceil_mode=ceil_mode,
                dropped_last=dropped,
            )
        )
    if axes[0].output < 1 or axes[1].output < 1:
        padded = times(axes[0].padded, axes[1].padded)
        if dilation == (1, 1):
            raise InvalidInput(f"{what} {times(*kernel)} is larger than the padded input {padded}")
        raise InvalidInput(
            f"{what} {times(*kernel)} with dilation {times(*dilation)} spans "
            f"{times(axes[0].span, axes[1].span)}, larger than the padded input {padded}"
        )
    return axes[0], axes[1]
