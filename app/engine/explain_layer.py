"""One cell of a backward pass or of a transposed convolution, term by term.

Backward (``backward.py``; Goodfellow et al. §9.5):

- ∂L/∂X[c, r, q] = Σ G[o, i, j] · K[o, c, a, b] over every output (o, i, j) whose window holds
  X[c, r, q] at window position (a, b) — the cells the forward ``explain_input`` lists, each
  weighted by its upstream gradient. With reflect / replicate / circular padding a cell also
  enters windows as a padding copy (``via_padding``), found on ``padding.index_map``.
- ∂L/∂K[o, c, a, b] = Σ_{i, j} G[o, i, j] · X_pad[c, i·s + a·d, j·s + b·d]: one term per output
  cell, the input value that weight met there.
- G[o, i, j] touches ∂L/∂X on the window of Y[o, i, j]: G[o, i, j] · K[o, c, a, b] lands on the
  cell under window position (a, b) (nothing for zero-padding positions).

Transposed convolution (``transpose.py``; Dumoulin & Visin 2016, §4): output cell Y[o, r, q]
sums X[c, i, j] · K[c, o, a, b] over the (i, j, a, b) with i·s + a·d = r + p and
j·s + b·d = q + p — the inputs whose stamps overlap there. An input cell X[c, i, j] is stamped
onto Y[·, i·s + a·d − p, j·s + b·d − p] for every tap (a, b) (those in the cropped padding are
counted, not listed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.backward import ConvGradients, conv2d_backward
from app.engine.conv import DEFAULT_OPTIONS, ConvGeometry, ConvOptions, tap_view
from app.engine.errors import InvalidInput, check_cell, check_channel
from app.engine.explain import factor, format_number, kernel_index, window_reads
from app.engine.padding import index_map, pad, times
from app.engine.transpose import (
    DEFAULT_TRANSPOSE,
    TransposedConvolution,
    TransposeGeometry,
    TransposeOptions,
    as_transpose_kernel,
    transposed_convolution,
)

Cell = tuple[int, int]


# -- backward --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradInputTerm:
    """One G·K product of ∂L/∂X[c, r, q]."""

    output_channel: int
    """o."""
    output_cell: Cell
    """[i, j]: the output whose window reads the cell."""
    window_position: Cell
    """[a, b]: where the cell sits in that window."""
    kernel_index: tuple[int, ...]
    """The weight: [a, b] for a 2-D kernel."""
    grad: float
    """G[o, i, j]."""
    weight: float
    """The kernel weight."""
    product: float
    """grad · weight."""
    via_padding: bool
    """True when the window reads the cell through a reflect / replicate / circular copy."""


@dataclass(frozen=True)
class GradInputExplanation:
    """∂L/∂X[c, r, q] term by term."""

    cell: Cell
    """[r, q]."""
    channel: int
    """Input channel c."""
    terms: list[GradInputTerm]
    """Output channel, then output cells row-major."""
    value: float
    """Σ grad·weight: equals grad_input at the cell."""
    expression: str
    """e.g. "1·1 + 1·0 + 1·(−1) + 1·1 = 1" (G·K)."""


@dataclass(frozen=True)
class GradKernelTerm:
    """One G·X product of ∂L/∂K[o, c, a, b]: output cell (i, j) and the input it read there."""

    output_cell: Cell
    """[i, j]."""
    row: int
    """Input row the weight met there (negative or ≥ H: padding)."""
    col: int
    """Input column (negative or ≥ W: padding)."""
    padding: bool
    """True when that cell lies in the padding."""
    source: Cell | None
    """The input cell whose value it holds."""
    grad: float
    """G[o, i, j]."""
    value: float
    """The input (or padding) value."""
    product: float
    """grad · value."""


@dataclass(frozen=True)
class GradKernelExplanation:
    """∂L/∂K[o, c, a, b] term by term."""

    kernel_index: tuple[int, ...]
    """[a, b], or [o, c, a, b] for a 4-D kernel."""
    output_channel: int
    """o."""
    input_channel: int
    """c."""
    terms: list[GradKernelTerm]
    """Output cells row-major."""
    value: float
    """Σ grad·value: equals grad_kernel at the weight."""
    expression: str
    """e.g. "1·2 + 1·0 + … = 11" (G·X)."""


@dataclass(frozen=True)
class GradOutputTouch:
    """G[o, i, j] · K[o, c, a, b] landing on input cell ``cell`` of ∂L/∂X."""

    input_channel: int
    """c."""
    cell: Cell
    """[r, q] of the ∂L/∂X cell it adds to."""
    window_position: Cell
    """[a, b] in the window of Y[o, i, j]."""
    kernel_index: tuple[int, ...]
    """The weight used: [a, b] or [o, c, a, b]."""
    weight: float
    """The kernel weight."""
    product: float
    """G[o, i, j] · weight, added to ∂L/∂X at cell."""
    via_padding: bool
    """True when the window position is a padding copy of the cell."""


@dataclass(frozen=True)
class GradOutputExplanation:
    """The entries of ∂L/∂X one upstream gradient G[o, i, j] touches."""

    cell: Cell
    """[i, j]."""
    channel: int
    """Output channel o."""
    grad: float
    """G[o, i, j]."""
    touches: list[GradOutputTouch]
    """Input channel, then window position."""


@dataclass(frozen=True)
class FullConvolutionView:
    """∂L/∂X as a full convolution, for the page: the padded G and the rotated kernel with
    a sentence saying what they are, or why the view does not apply (the arrays then None)."""

    applicable: bool
    note: str
    dilation: tuple[int, int]
    padded_grad: np.ndarray | None = None
    """(Hg, Wg) for 2-D input and kernel, else (C_out, Hg, Wg)."""
    pads: tuple[tuple[int, int], tuple[int, int]] | None = None
    inserted_zeros: tuple[int, int] | None = None
    rotated_kernel: np.ndarray | None = None
    """(kh, kw) for 2-D input and kernel, else (C_in, C_out, kh, kw)."""


def full_convolution_view(g: ConvGradients, max_values: int | None = None) -> FullConvolutionView:
    """The full-convolution view of ``g``, unless its padded G would hold more than
    ``max_values`` values (a large dilation or padding) or the padding copies input cells."""
    geometry = g.geometry
    values = g.full_convolution_values()
    if geometry.padding_mode == "zeros" and max_values is not None and values > max_values:
        return FullConvolutionView(
            applicable=False,
            note=f"the padded G would hold {values:,} values, over the limit of {max_values:,} "
            "(a large dilation or padding); grad_input is computed all the same",
            dilation=geometry.dilation,
        )
    view = g.full_convolution()
    if view is None:
        return FullConvolutionView(
            applicable=False,
            note=f"{geometry.padding_mode} padding copies input cells into the padding: the "
            "full convolution gives the gradient of the padded input, and the gradient of each "
            "copy then adds onto the cell it copies (grad_input has both)",
            dilation=geometry.dilation,
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
    return FullConvolutionView(
        applicable=True,
        note=f"∂L/∂X is the cross-correlation of padded_grad with rotated_kernel (dilation "
        f"{times(*geometry.dilation)}, stride 1): G{stride_words} padded by d(k − 1) − p = "
        f"{top} above, {bottom} below, {left} left, {right} right (a full convolution)",
        dilation=geometry.dilation,
        padded_grad=view.padded_grad[0] if squeeze else view.padded_grad,
        pads=view.pads,
        inserted_zeros=view.inserted_zeros,
        rotated_kernel=view.rotated_kernel[0, 0] if squeeze else view.rotated_kernel,
    )


@dataclass(frozen=True)
class BackwardExplanation(ConvGradients):
    """The backward pass (the forward output, the gradients and their counts), its
    full-convolution view and the one cell asked for (the other cells None; no cell at all from
    ``backward_pass``)."""

    full_convolution: FullConvolutionView
    input_cell: GradInputExplanation | None = None
    kernel_cell: GradKernelExplanation | None = None
    output_cell: GradOutputExplanation | None = None


def backward_pass(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    grad_output: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
    *,
    max_view_values: int | None = None,
) -> BackwardExplanation:
    """``conv2d_backward`` with its full-convolution view (``full_convolution_view``)."""
    g = conv2d_backward(x, kernel, bias, grad_output, options)
    return BackwardExplanation(
        **vars(g), full_convolution=full_convolution_view(g, max_view_values)
    )


def _sum_expression(pairs: list[tuple[float, float]], value: float, empty: str) -> str:
    """'1·1 + 1·(−1) = 0', or ``empty`` when there is no term."""
    if not pairs:
        return f"{empty}: {format_number(value)}"
    products = " + ".join(f"{factor(a)}·{factor(b)}" for a, b in pairs)
    return f"{products} = {format_number(value)}"


def grad_input_terms(geometry: ConvGeometry, cell: Cell) -> int:
    """How many G·K terms ∂L/∂X[c, r, q] sums, from the shapes alone: every output channel
    times the (output cell, window position) pairs whose window reads the cell, its padding
    copies included (reflect / replicate / circular); 0 for a cell outside the input.

    The padding is separable, so the pairs are counted per axis: positions i·s + a·d of the
    padded axis whose source (``padding.index_map``) is r. At most C_out·kh·kw with zero
    padding; a replicated corner cell can fill every window (C_out·H_out·W_out·kh·kw)."""
    count = geometry.out_channels
    for axis, pads, index in zip(geometry.formula_axes(), geometry.pads, cell, strict=True):
        if not 0 <= index < axis.size:
            return 0
        sources = index_map((axis.size, 1), (pads, (0, 0)), geometry.padding_mode)[:, 0]
        positions = (
            np.arange(axis.output)[:, None] * axis.stride
            + np.arange(axis.kernel)[None, :] * axis.dilation
        )  # (out, k): the padded cell window i reads at position a
        count *= int(np.count_nonzero(sources[positions] == index))
    return count


def _explain_grad_input(
    g: ConvGradients, cell: Cell, channel: int, kernel_ndim: int, flip: bool
) -> GradInputExplanation:
    geometry = g.geometry
    h, w = geometry.input_size
    r, q = check_cell(cell, (h, w), "input")
    check_channel(channel, geometry.in_channels, "input", "input")
    sources = index_map((h, w), geometry.pads, geometry.padding_mode)  # (Hp, Wp)
    reads = window_reads(geometry, sources, r * w + q)
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    top, left = geometry.pads[0][0], geometry.pads[1][0]
    grads = g.grad_output.reshape(geometry.out_channels, *geometry.output_size)
    weights = g.applied_kernel  # (C_out, C_in, kh, kw)
    terms = []
    for o in range(geometry.out_channels):
        for i, j, a, b in reads:
            grad, weight = float(grads[o, i, j]), float(weights[o, channel, a, b])
            own = (i * sh + a * dh - top, j * sw + b * dw - left) == (r, q)
            terms.append(
                GradInputTerm(
                    output_channel=o,
                    output_cell=(i, j),
                    window_position=(a, b),
                    kernel_index=kernel_index(geometry, kernel_ndim, o, channel, a, b, flip),
                    grad=grad,
                    weight=weight,
                    product=grad * weight,
                    via_padding=not own,
                )
            )
    value = float(np.sum([t.product for t in terms])) if terms else 0.0
    expression = _sum_expression(
        [(t.grad, t.weight) for t in terms], value, "no window reads this cell"
    )
    return GradInputExplanation((r, q), channel, terms, value, expression)


def _explain_grad_kernel(
    g: ConvGradients,
    x: np.ndarray,
    index: Cell,
    output_channel: int,
    input_channel: int,
    kernel_ndim: int,
    flip: bool,
) -> GradKernelExplanation:
    geometry = g.geometry
    kh, kw = geometry.kernel_size
    a, b = check_cell(index, (kh, kw), "kernel")
    check_channel(output_channel, geometry.out_channels, "output", "kernel")
    check_channel(input_channel, geometry.in_channels, "input", "input")
    ta, tb = (kh - 1 - a, kw - 1 - b) if flip else (a, b)  # the tap this weight is applied at
    h, w = geometry.input_size
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    top, left = geometry.pads[0][0], geometry.pads[1][0]
    xp = pad(
        x.reshape(geometry.in_channels, h, w)[input_channel], geometry.pads, geometry.padding_mode
    )  # (Hp, Wp)
    values = tap_view(xp, geometry, ta, tb)  # (H_out, W_out)
    sources = tap_view(index_map((h, w), geometry.pads, geometry.padding_mode), geometry, ta, tb)
    grads = g.grad_output.reshape(geometry.out_channels, *geometry.output_size)[output_channel]
    ho, wo = geometry.output_size
    terms = []
    for i in range(ho):
        for j in range(wo):
            row, col = i * sh + ta * dh - top, j * sw + tb * dw - left
            src = int(sources[i, j])
            grad, value = float(grads[i, j]), float(values[i, j])
            terms.append(
                GradKernelTerm(
                    output_cell=(i, j),
                    row=row,
                    col=col,
                    padding=not (0 <= row < h and 0 <= col < w),
                    source=None if src < 0 else divmod(src, w),
                    grad=grad,
                    value=value,
                    product=grad * value,
                )
            )
    total = float(np.sum([t.product for t in terms]))
    expression = _sum_expression([(t.grad, t.value) for t in terms], total, "no output")
    index_full = (a, b) if kernel_ndim == 2 else (output_channel, input_channel, a, b)
    return GradKernelExplanation(
        index_full, output_channel, input_channel, terms, total, expression
    )


def _explain_grad_output(
    g: ConvGradients, cell: Cell, channel: int, kernel_ndim: int, flip: bool
) -> GradOutputExplanation:
    geometry = g.geometry
    ho, wo = geometry.output_size
    i, j = check_cell(cell, (ho, wo), "output")
    check_channel(channel, geometry.out_channels, "output", "kernel")
    h, w = geometry.input_size
    kh, kw = geometry.kernel_size
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    top, left = geometry.pads[0][0], geometry.pads[1][0]
    sources = index_map((h, w), geometry.pads, geometry.padding_mode)  # (Hp, Wp)
    grad = float(g.grad_output.reshape(geometry.out_channels, ho, wo)[channel, i, j])
    touches = []
    for c in range(geometry.in_channels):
        for a in range(kh):
            for b in range(kw):
                pr, pc = i * sh + a * dh, j * sw + b * dw
                src = int(sources[pr, pc])
                if src < 0:
                    continue  # a zero-padding cell: its gradient goes nowhere
                weight = float(g.applied_kernel[channel, c, a, b])
                touches.append(
                    GradOutputTouch(
                        input_channel=c,
                        cell=divmod(src, w),
                        window_position=(a, b),
                        kernel_index=kernel_index(geometry, kernel_ndim, channel, c, a, b, flip),
                        weight=weight,
                        product=grad * weight,
                        via_padding=not (0 <= pr - top < h and 0 <= pc - left < w),
                    )
                )
    return GradOutputExplanation((i, j), channel, grad, touches)


def explain_backward(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    grad_output: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
    *,
    input_cell: Cell | None = None,
    input_channel: int = 0,
    kernel_cell: Cell | None = None,
    output_cell: Cell | None = None,
    output_channel: int = 0,
    max_view_values: int | None = None,
) -> BackwardExplanation:
    """The backward pass and one cell of it: ∂L/∂X[input_channel, input_cell], or
    ∂L/∂K[output_channel, input_channel, kernel_cell], or what G[output_channel, output_cell]
    touches. Exactly one of the three cells."""
    asked = [c is not None for c in (input_cell, kernel_cell, output_cell)]
    if sum(asked) != 1:
        raise InvalidInput("give exactly one of input_cell, kernel_cell or output_cell")
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    g = conv2d_backward(x, kernel, bias, grad_output, options)
    view = full_convolution_view(g, max_view_values)
    flip_kernel = options.flip_kernel
    if input_cell is not None:
        explained = _explain_grad_input(g, input_cell, input_channel, kernel.ndim, flip_kernel)
        return BackwardExplanation(**vars(g), full_convolution=view, input_cell=explained)
    if kernel_cell is not None:
        explained_k = _explain_grad_kernel(
            g, x, kernel_cell, output_channel, input_channel, kernel.ndim, flip_kernel
        )
        return BackwardExplanation(**vars(g), full_convolution=view, kernel_cell=explained_k)
    assert output_cell is not None
    explained_o = _explain_grad_output(g, output_cell, output_channel, kernel.ndim, flip_kernel)
    return BackwardExplanation(**vars(g), full_convolution=view, output_cell=explained_o)


# -- transposed convolution ------------------------------------------------------------------


@dataclass(frozen=True)
class OverlapTerm:
    """One X·K product that lands on a transposed-convolution output cell."""

    input_channel: int
    """c."""
    input_cell: Cell
    """[i, j]."""
    kernel_index: tuple[int, ...]
    """[a, b], or [c, o, a, b] for a 4-D kernel."""
    value: float
    """X[c, i, j]."""
    weight: float
    """The kernel weight."""
    product: float
    """value · weight."""


@dataclass(frozen=True)
class TransposeOutputExplanation:
    """Y[o, r, q] of a transposed convolution: the overlapping stamps, term by term."""

    cell: Cell
    """[r, q]."""
    channel: int
    """Output channel o."""
    terms: list[OverlapTerm]
    """Input channel, then input cells row-major."""
    sum: float
    """Σ value·weight."""
    bias: float
    """Bias of this output channel (0 without bias)."""
    value: float
    """sum + bias: equals output at the cell."""
    expression: str
    """e.g. "1·1 + 2·1 + 3·1 + 4·1 = 10"."""


@dataclass(frozen=True)
class Stamp:
    """One output cell an input cell is stamped onto, through kernel tap ``kernel_position``."""

    cell: Cell
    """[r, q] of the output cell."""
    kernel_position: Cell
    """[a, b]: the kernel tap that lands there."""


@dataclass(frozen=True)
class TransposeInputExplanation:
    """The output cells X[c, i, j] is stamped onto (in every output channel)."""

    cell: Cell
    """[i, j]."""
    channel: int
    """Input channel c."""
    outputs: list[Stamp]
    """Output cells row-major."""
    cropped: int
    """Taps that land in the padding the transposed convolution crops away."""


@dataclass(frozen=True)
class TransposeExplanation(TransposedConvolution):
    """The transposed convolution and the one cell asked for (the other None)."""

    output_cell: TransposeOutputExplanation | None = None
    input_cell: TransposeInputExplanation | None = None


def _reaching(n: int, k: int, s: int, d: int, p: int, target: int) -> list[tuple[int, int]]:
    """(input index, tap) pairs along one axis with index·s + tap·d − p = target."""
    taps = np.arange(k)
    num = target + p - taps * d  # (k,)
    ok = (num >= 0) & (num % s == 0) & (num // s < n)
    return sorted((int(num[a] // s), int(a)) for a in np.flatnonzero(ok))


def overlap_terms(geometry: TransposeGeometry, cell: Cell) -> int:
    """How many X·K terms output cell Y[o, r, q] of a transposed convolution sums, from the
    shapes alone: C_in times the (input index, tap) pairs that reach r along the height and q
    along the width (what ``explain_transpose`` lists); 0 for a cell outside the output."""
    count = geometry.in_channels
    for axis, p, target in zip(
        (geometry.height, geometry.width), geometry.padding, cell, strict=True
    ):
        if not 0 <= target < axis.output:
            return 0
        count *= len(_reaching(axis.size, axis.kernel, axis.stride, axis.dilation, p, target))
    return count


def explain_transpose(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: TransposeOptions = DEFAULT_TRANSPOSE,
    *,
    output_cell: Cell | None = None,
    output_channel: int = 0,
    input_cell: Cell | None = None,
    input_channel: int = 0,
) -> TransposeExplanation:
    """The transposed convolution and one cell: the stamps that overlap in output cell
    Y[output_channel, output_cell], or where input cell X[input_channel, input_cell] lands."""
    if (output_cell is None) == (input_cell is None):
        raise InvalidInput("give exactly one of output_cell or input_cell")
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    transposed = transposed_convolution(x, kernel, bias, options)
    geometry, y = transposed.geometry, transposed.output
    h, w = geometry.input_size
    kh, kw = geometry.kernel_size
    (sh, sw), (dh, dw), (ph, pw) = geometry.stride, geometry.dilation, geometry.padding
    x3 = x.reshape(geometry.in_channels, h, w)
    k4 = as_transpose_kernel(kernel)  # (C_in, C_out, kh, kw)
    if output_cell is not None:
        r, q = check_cell(output_cell, geometry.output_size, "output")
        check_channel(output_channel, geometry.out_channels, "output", "kernel")
        rows = _reaching(h, kh, sh, dh, ph, r)
        cols = _reaching(w, kw, sw, dw, pw, q)
        terms = []
        for c in range(geometry.in_channels):
            for i, a in rows:
                for j, b in cols:
                    value, weight = float(x3[c, i, j]), float(k4[c, output_channel, a, b])
                    terms.append(
                        OverlapTerm(
                            input_channel=c,
                            input_cell=(i, j),
                            kernel_index=(a, b) if kernel.ndim == 2 else (c, output_channel, a, b),
                            value=value,
                            weight=weight,
                            product=value * weight,
                        )
                    )
        total = float(np.sum([t.product for t in terms])) if terms else 0.0
        bias_value = 0.0 if bias is None else float(np.asarray(bias).reshape(-1)[output_channel])
        value = total + bias_value
        expression = _sum_expression(
            [(t.value, t.weight) for t in terms], value, "no stamp reaches this cell"
        )
        if bias is not None and terms:
            head, tail = expression.rsplit(" = ", 1)
            expression = f"{head} + {factor(bias_value)} = {tail}"
        explained = TransposeOutputExplanation(
            (r, q), output_channel, terms, total, bias_value, value, expression
        )
        return TransposeExplanation(geometry, y, transposed.bias, output_cell=explained)
    assert input_cell is not None
    i, j = check_cell(input_cell, (h, w), "input")
    check_channel(input_channel, geometry.in_channels, "input", "input")
    ho, wo = geometry.output_size
    stamps, cropped = [], 0
    for a in range(kh):
        for b in range(kw):
            r, q = i * sh + a * dh - ph, j * sw + b * dw - pw
            if 0 <= r < ho and 0 <= q < wo:
                stamps.append(Stamp((r, q), (a, b)))
            else:
                cropped += 1
    stamps.sort(key=lambda s: s.cell)
    explained_i = TransposeInputExplanation((i, j), input_channel, stamps, cropped)
    return TransposeExplanation(geometry, y, transposed.bias, input_cell=explained_i)
