"""One cell of a convolution explained: sparse interactions made visible (Goodfellow et al. §9.2).

For an output cell Y[o, i, j] the window is every (c, a, b) with input position
(i·s + a·d − p_top, j·s + b·d − p_left); the tutorial writes the sum out as

    Y₁₁ = 1·1 + 2·(−1) + 0·0 + 1·1 = 0.

For an input cell X[c, r, q], the influenced outputs are the (i, j) whose window holds it.
With reflect / replicate / circular padding an input cell can also sit in the padding (as a
copy), so it can enter a window more than once; the positions are found on an index map of the
padded input (``padding.index_map``), which makes every padding mode exact.

Multi-channel: an output cell's window runs over all C_in channels (C_in·kh·kw terms); an input
cell feeds the same spatial output cells in every output channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import (
    DEFAULT_OPTIONS,
    ConvGeometry,
    Convolution,
    ConvOptions,
    as_4d_kernel,
    check_bias,
    check_finite,
    correlate,
    tap_view,
)
from app.engine.errors import InvalidInput, check_cell, check_channel
from app.engine.padding import index_map


def format_number(value: float) -> str:
    """A number as the tutorial writes it: '2', '−1', '0.5' (unicode minus, no trailing .0)."""
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.6g}"
    return text.replace("-", "−")


def factor(value: float) -> str:
    """A factor of a product: negative numbers in parentheses, '(−1)'."""
    text = format_number(value)
    return f"({text})" if text.startswith("−") else text


@dataclass(frozen=True)
class Term:
    """One product x·k of an output cell's sum."""

    channel: int
    """Input channel c of this term."""
    row: int
    """Input row (negative or ≥ H inside the padding)."""
    col: int
    """Input column (negative or ≥ W inside the padding)."""
    padding: bool
    """True when this cell lies in the padding."""
    source: tuple[int, int] | None
    """The input cell whose value it holds (the mirrored / repeated / wrapped one in padding);
    null for zero padding."""
    window_position: tuple[int, int]
    """[a, b]: position inside the window."""
    kernel_index: tuple[int, ...]
    """The weight used: [a, b], or [o, c, a, b] for a 4-D kernel (flipped with flip_kernel)."""
    value: float
    """x: the input (or padding) value."""
    weight: float
    """k: the kernel weight."""
    product: float
    """x·k."""


@dataclass(frozen=True)
class OutputExplanation:
    """Y[o, i, j] term by term."""

    cell: tuple[int, int]
    channel: int
    terms: list[Term]
    sum: float
    bias: float
    value: float
    expression: str

    @property
    def window(self) -> list[Term]:
        """The terms in window order: channel, then a, then b."""
        return self.terms


@dataclass(frozen=True)
class Influence:
    """One output cell that reads the input cell: through which window / kernel positions."""

    cell: tuple[int, int]
    """[i, j] of the output cell."""
    window_positions: list[tuple[int, int]]
    """[a, b] of the window positions that hold the cell (several when padding copies it)."""
    kernel_positions: list[tuple[int, int]]
    """[a, b] of the kernel weights those positions use (flipped with flip_kernel)."""


@dataclass(frozen=True)
class InputInfluence:
    """The output cells one input cell feeds."""

    cell: tuple[int, int]
    channel: int
    outputs: list[Influence]

    @property
    def count(self) -> int:
        """How many output cells per output channel read the input cell."""
        return len(self.outputs)


def kernel_index(
    geometry: ConvGeometry, ndim: int, o: int, c: int, a: int, b: int, flip: bool
) -> tuple[int, ...]:
    """The index into the given kernel of the weight applied at window position (a, b)."""
    kh, kw = geometry.kernel_size
    ka, kb = (kh - 1 - a, kw - 1 - b) if flip else (a, b)
    return (ka, kb) if ndim == 2 else (o, c, ka, kb)


def window_reads(
    geometry: ConvGeometry, sources: np.ndarray, target: int
) -> list[tuple[int, int, int, int]]:
    """(i, j, a, b): output cell (i, j) reads flat input cell ``target`` at window position
    (a, b) of the padded index map ``sources``; row-major output cells, then window order."""
    kh, kw = geometry.kernel_size
    hits = np.stack(
        [tap_view(sources, geometry, a, b) == target for a in range(kh) for b in range(kw)]
    )  # (kh·kw, H_out, W_out)
    taps, out_i, out_j = np.nonzero(hits)
    order = np.lexsort((taps, out_j, out_i))
    return [
        (int(i), int(j), *divmod(int(t), kw))
        for t, i, j in zip(taps[order], out_i[order], out_j[order], strict=True)
    ]


def _explain_output(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    geometry: ConvGeometry,
    cell: tuple[int, int],
    channel: int,
    flip_kernel: bool,
) -> OutputExplanation:
    padding_mode = geometry.padding_mode
    b = check_bias(bias, geometry.out_channels)
    i, j = check_cell(cell, geometry.output_size, "output")
    check_channel(channel, geometry.out_channels, "output", "kernel")
    h, w = geometry.input_size
    kh, kw = geometry.kernel_size
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    top, left = geometry.pads[0][0], geometry.pads[1][0]
    rows = i * sh + np.arange(kh) * dh  # (kh,) padded coordinates
    cols = j * sw + np.arange(kw) * dw  # (kw,)
    sources = index_map((h, w), geometry.pads, padding_mode)[np.ix_(rows, cols)]  # (kh, kw)
    x3 = x.reshape(geometry.in_channels, h * w)  # (C_in, H·W)
    values = np.where(sources >= 0, x3[:, np.maximum(sources, 0)], 0.0)  # (C_in, kh, kw)
    weights = as_4d_kernel(kernel, flip_kernel)[channel]  # (C_in, kh, kw)
    with np.errstate(over="ignore", invalid="ignore"):
        products = values * weights  # (C_in, kh, kw)
        total = float(products.sum())
    check_finite(products, "window products")

    terms = []
    for c in range(geometry.in_channels):
        for a in range(kh):
            for bb in range(kw):
                r, q = int(rows[a]) - top, int(cols[bb]) - left
                src = int(sources[a, bb])
                terms.append(
                    Term(
                        channel=c,
                        row=r,
                        col=q,
                        padding=not (0 <= r < h and 0 <= q < w),
                        source=None if src < 0 else divmod(src, w),
                        window_position=(a, bb),
                        kernel_index=kernel_index(
                            geometry, kernel.ndim, channel, c, a, bb, flip_kernel
                        ),
                        value=float(values[c, a, bb]),
                        weight=float(weights[c, a, bb]),
                        product=float(products[c, a, bb]),
                    )
                )
    bias_value = 0.0 if b is None else float(b[channel])
    value = float(check_finite(np.array([total, total + bias_value]), "window sum")[1])
    expression = " + ".join(f"{factor(t.value)}·{factor(t.weight)}" for t in terms)
    if b is not None:
        expression += f" + {factor(bias_value)}"
    expression += f" = {format_number(value)}"
    return OutputExplanation((i, j), channel, terms, total, bias_value, value, expression)


def _explain_input(
    geometry: ConvGeometry, cell: tuple[int, int], channel: int, flip_kernel: bool
) -> InputInfluence:
    h, w = geometry.input_size
    r, q = check_cell(cell, (h, w), "input")
    if not 0 <= channel < geometry.in_channels:
        raise InvalidInput(
            f"input channel {channel} does not exist; the input has {geometry.in_channels} "
            f"channel{'s' if geometry.in_channels != 1 else ''}"
        )
    sources = index_map((h, w), geometry.pads, geometry.padding_mode)  # (Hp, Wp)
    kh, kw = geometry.kernel_size
    outputs: list[Influence] = []
    for i, j, a, b in window_reads(geometry, sources, r * w + q):
        kernel_position = (kh - 1 - a, kw - 1 - b) if flip_kernel else (a, b)
        if outputs and outputs[-1].cell == (i, j):
            outputs[-1].window_positions.append((a, b))
            outputs[-1].kernel_positions.append(kernel_position)
        else:
            outputs.append(Influence((i, j), [(a, b)], [kernel_position]))
    return InputInfluence((r, q), channel, outputs)


@dataclass(frozen=True)
class ConvExplanation(Convolution):
    """A convolution and one of its cells explained (the other field is None)."""

    output_cell: OutputExplanation | None = None
    input_cell: InputInfluence | None = None


def explain_conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
    *,
    output_cell: tuple[int, int] | None = None,
    output_channel: int = 0,
    input_cell: tuple[int, int] | None = None,
    input_channel: int = 0,
) -> ConvExplanation:
    """The convolution and the explanation of exactly one cell: an output cell term by term, or
    the output cells whose window holds an input cell; geometry checked once."""
    if (output_cell is None) == (input_cell is None):
        raise InvalidInput("give exactly one of output_cell or input_cell")
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = options.geometry(x.shape, kernel.shape)
    output = correlate(x, kernel, bias, geometry, options.flip_kernel)
    b, flip = check_bias(bias, geometry.out_channels), options.flip_kernel
    if output_cell is not None:
        explained = _explain_output(x, kernel, bias, geometry, output_cell, output_channel, flip)
        return ConvExplanation(geometry, output, b, output_cell=explained)
    assert input_cell is not None
    influence = _explain_input(geometry, input_cell, input_channel, flip)
    return ConvExplanation(geometry, output, b, input_cell=influence)
