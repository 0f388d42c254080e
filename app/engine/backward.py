"""The backward pass of a 2-D convolution: ∂L/∂X, ∂L/∂K and ∂L/∂b from an upstream gradient.

The forward pass (``conv.py``) is Y[o, i, j] = b[o] + Σ_c Σ_a Σ_b X_pad[c, i·s + a·d, j·s + b·d]
· K[o, c, a, b]. Given G = ∂L/∂Y (same shape as Y), the chain rule gives (Goodfellow et al.
§9.5, eqs. 9.11–9.14; Dumoulin & Visin 2016, §4 "transposed convolution arithmetic"):

    ∂L/∂K[o, c, a, b] = Σ_i Σ_j G[o, i, j] · X_pad[c, i·s + a·d, j·s + b·d]
    ∂L/∂b[o]          = Σ_i Σ_j G[o, i, j]
    ∂L/∂X_pad[c, r, q] = Σ_o Σ_{i·s + a·d = r, j·s + b·d = q} G[o, i, j] · K[o, c, a, b]

The last is the transpose of the forward operator, vec(∂L/∂X) = Mᵀ · vec(G) with M from
``matrix.py``: every output scatters G[o, i, j]·K back onto the window it read. For stride 1
and zero padding it is the "full" convolution of G with K rotated by 180°; for stride s > 1 it
is the same after inserting s − 1 zeros between G's entries (G dilated by s), see
``FullConvolution``. Padding is then folded back: zero padding is cut off; reflect / replicate
/ circular padding hold copies of input cells, so each copy's gradient adds onto the cell it
copies (a scatter-add over ``padding.index_map``).

The scatter is ``scatter_taps``, shared with the transposed convolution (``transpose.py``):
one vectorised multiply-add per kernel tap, never a loop over pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import (
    DEFAULT_OPTIONS,
    ConvGeometry,
    ConvOptions,
    ConvResult,
    _correlate,
    as_4d_kernel,
    check_bias,
    check_finite,
    tap_view,
)
from app.engine.errors import InvalidInput
from app.engine.padding import index_map, pad


def shape_text(shape: tuple[int, ...]) -> str:
    """'3×3' for a shape."""
    return "×".join(str(n) for n in shape)


def scatter_taps(
    g: np.ndarray,
    w: np.ndarray,
    out_size: tuple[int, int],
    *,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    offset: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Z[c, i·s + a·d − offset, j·s + b·d − offset] += Σ_o g[o, i, j] · w[o, c, a, b].

    ``g`` (C_o, Hg, Wg), ``w`` (C_o, C_i, kh, kw) → Z (C_i, *out_size); positions that land
    outside Z (the cropped padding) are dropped. This is the adjoint of a strided, dilated
    cross-correlation: with offset 0 and Z the padded input it is ∂L/∂X_pad; with offset p it
    is the transposed convolution (the output cropped by p on each side).
    """
    c_o, c_i, kh, kw = w.shape
    assert g.shape[0] == c_o, f"g has {g.shape[0]} channels, w expects {c_o}"
    out = np.zeros((c_i, *out_size))  # (C_i, OH, OW)
    ranges = []
    for n, size, s, d, off, k in zip(
        g.shape[1:], out_size, stride, dilation, offset, (kh, kw), strict=True
    ):
        axis = []
        for a in range(k):
            # positions i with 0 ≤ i·s + a·d − off < size, 0 ≤ i < n
            lo = max(0, -(-(off - a * d) // s))
            hi = min(n - 1, (size - 1 + off - a * d) // s)
            axis.append((lo, hi, lo * s + a * d - off))
        ranges.append(axis)
    single = c_o == 1 and c_i == 1
    if not single:
        # one matrix product for every tap (col2im): cols[c, a, b] = Σ_o w[o, c, a, b]·g[o]
        cols = (w.reshape(c_o, c_i * kh * kw).T @ g.reshape(c_o, -1)).reshape(
            c_i, kh, kw, *g.shape[1:]
        )  # (C_i, kh, kw, Hg, Wg)
    for a in range(kh):
        i_lo, i_hi, r0 = ranges[0][a]
        if i_lo > i_hi:
            continue
        for b in range(kw):
            j_lo, j_hi, q0 = ranges[1][b]
            if j_lo > j_hi:
                continue
            rows, columns = slice(i_lo, i_hi + 1), slice(j_lo, j_hi + 1)
            if single:
                contribution = g[:, rows, columns] * w[0, 0, a, b]  # (1, ni, nj)
            else:
                contribution = cols[:, a, b, rows, columns]  # (C_i, ni, nj)
            ni, nj = contribution.shape[1:]
            out[
                :,
                r0 : r0 + stride[0] * (ni - 1) + 1 : stride[0],
                q0 : q0 + stride[1] * (nj - 1) + 1 : stride[1],
            ] += contribution
    return out


def input_gradient(g: np.ndarray, w: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """∂L/∂X (C_in, H, W) from G (C_out, H_out, W_out) and the applied kernel w: Mᵀ·vec(G).

    Zero padding: scatter straight into the input, the taps that land in the padding dropped
    (no padded buffer). Reflect / replicate / circular: scatter into the padded input, then
    each padding cell adds its gradient onto the input cell it copies (``fold_padding``).
    """
    (top, _), (left, _) = geometry.pads
    options = {"stride": geometry.stride, "dilation": geometry.dilation}
    if geometry.padding_mode == "zeros":
        return scatter_taps(g, w, geometry.input_size, offset=(top, left), **options)
    padded = (geometry.height.padded, geometry.width.padded)
    return fold_padding(scatter_taps(g, w, padded, **options), geometry)  # (C_in, H, W)


def fold_padding(grad_padded: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """∂L/∂X from ∂L/∂X_pad (C, Hp, Wp) → (C, H, W) for reflect / replicate / circular
    padding: each padding cell adds its gradient onto the input cell it copies."""
    h, w = geometry.input_size
    sources = index_map((h, w), geometry.pads, geometry.padding_mode).reshape(-1)  # (Hp·Wp,)
    c = grad_padded.shape[0]
    flat = (np.arange(c)[:, None] * (h * w) + sources[None, :]).reshape(-1)  # (C·Hp·Wp,)
    folded = np.bincount(flat, weights=grad_padded.reshape(-1), minlength=c * h * w)
    return folded.reshape(c, h, w)  # (C, H, W)


@dataclass(frozen=True)
class FullConvolution:
    """∂L/∂X as a "full" convolution: G (dilated by the stride) padded with d(k − 1) − p cells,
    cross-correlated (dilation d, stride 1) with K rotated by 180°, summed over output channels.

    ``pads`` are added around the dilated G ((top, bottom), (left, right)); a negative pad cuts
    that many cells off (padding p > d(k − 1): those G rows only reach the zero padding). The
    extra bottom / right cells are the rows / columns of X that no window reaches (they get a
    zero gradient). Only for zero padding.
    """

    padded_grad: np.ndarray
    """(C_out, Hg, Wg)."""
    rotated_kernel: np.ndarray
    """(C_in, C_out, kh, kw): K[o, c] rotated by 180°, input and output channels swapped."""
    pads: tuple[tuple[int, int], tuple[int, int]]
    inserted_zeros: tuple[int, int]
    dilation: tuple[int, int]


def full_convolution_shape(geometry: ConvGeometry) -> tuple[int, ...]:
    """Shape of the padded G of ``ConvGradients.full_convolution``, from the shapes alone:
    (Hg, Wg), or (C_out, Hg, Wg) unless ``squeeze``, with Hg = H + d(k − 1) (the dilated G,
    (H_out − 1)·s + 1, grown by d(k − 1) − p on each side and by the rows no window reaches)."""
    h, w = (axis.size + axis.span - 1 for axis in geometry.formula_axes())
    return (h, w) if geometry.squeeze else (geometry.out_channels, h, w)


@dataclass(frozen=True)
class ConvGradients(ConvResult):
    """The forward output and the three gradients of one convolution."""

    geometry: ConvGeometry
    output: np.ndarray
    """Y, shaped like conv2d's output."""
    grad_output: np.ndarray
    """G, shaped like Y."""
    grad_input: np.ndarray
    """∂L/∂X, shaped like X."""
    grad_kernel: np.ndarray
    """∂L/∂K, shaped like K."""
    grad_bias: np.ndarray | None
    """∂L/∂b (C_out,), or None without a bias."""
    applied_kernel: np.ndarray
    """(C_out, C_in, kh, kw): K as applied (flipped for true convolution)."""
    bias: np.ndarray | None
    """b (C_out,), or None."""

    @property
    def backward_multiply_adds(self) -> int:
        """Multiply-adds of ∂L/∂X and ∂L/∂K together: twice the forward pass's."""
        return 2 * self.geometry.macs

    def full_convolution_values(self) -> int:
        """Values the padded G of ``full_convolution`` holds: C_out·(H + d(k − 1))·(W + …)."""
        return int(np.prod(full_convolution_shape(self.geometry)))

    def full_convolution(self) -> FullConvolution | None:
        """∂L/∂X as a full convolution of G with the rotated kernel; None unless zero padding."""
        geometry = self.geometry
        if geometry.padding_mode != "zeros":
            return None
        g = self.grad_output.reshape(geometry.out_channels, *geometry.output_size)
        pads = []
        for axis, (before, after) in zip(geometry.formula_axes(), geometry.pads, strict=True):
            reach = (axis.output - 1) * axis.stride + axis.span  # padded cells windows reach
            unreached = axis.padded - reach
            spread = axis.span - 1  # d(k − 1)
            pads.append((spread - before, spread - after + unreached))
        (sh, sw) = geometry.stride
        ho, wo = geometry.output_size
        dilated = np.zeros((g.shape[0], (ho - 1) * sh + 1, (wo - 1) * sw + 1))
        dilated[:, ::sh, ::sw] = g  # (C_out, (H_out−1)s+1, (W_out−1)s+1)
        (t, bo), (le, ri) = pads
        grown = np.pad(dilated, [(0, 0), (max(t, 0), max(bo, 0)), (max(le, 0), max(ri, 0))])
        hg, wg = grown.shape[1:]
        padded = grown[
            :, max(-t, 0) : hg - max(-bo, 0), max(-le, 0) : wg - max(-ri, 0)
        ]  # (C_out, Hg, Wg)
        rotated = self.applied_kernel[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, …)
        return FullConvolution(
            padded_grad=padded,
            rotated_kernel=np.ascontiguousarray(rotated),
            pads=(pads[0], pads[1]),
            inserted_zeros=(sh - 1, sw - 1),
            dilation=geometry.dilation,
        )


def check_grad_output(grad_output: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
    """G as (C_out, H_out, W_out): all ones when None; InvalidInput unless shaped like Y."""
    full = (geometry.out_channels, *geometry.output_size)
    if grad_output is None:
        return np.ones(full)
    g = np.asarray(grad_output, dtype=np.float64)
    if g.shape != geometry.output_shape:
        raise InvalidInput(
            f"grad_output must be shaped like the output, {shape_text(geometry.output_shape)}, "
            f"got {shape_text(g.shape)}"
        )
    return g.reshape(full)


def conv2d_backward(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    grad_output: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> ConvGradients:
    """Y = conv2d(X, K) + b and, for G = ∂L/∂Y (default all ones: L = Σ Y), ∂L/∂X, ∂L/∂K, ∂L/∂b.

    Shapes as ``conv2d``: ``x`` (H, W) or (C_in, H, W), ``kernel`` (kh, kw) or
    (C_out, C_in, kh, kw), ``grad_output`` shaped like the output.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = options.geometry(x.shape, kernel.shape)
    flip_kernel, padding_mode = options.flip_kernel, options.padding_mode
    b = check_bias(bias, geometry.out_channels)
    g = check_grad_output(grad_output, geometry)  # (C_out, H_out, W_out)
    w = as_4d_kernel(kernel, flip_kernel)  # (C_out, C_in, kh, kw) as applied
    xp = pad(x.reshape(geometry.in_channels, *geometry.input_size), geometry.pads, padding_mode)
    kh, kw = geometry.kernel_size
    c_out = geometry.out_channels
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        y = _correlate(xp, w, geometry)  # (C_out, H_out, W_out)
        if b is not None:
            y += b[:, None, None]
        g2 = g.reshape(c_out, -1)  # (C_out, H_out·W_out)
        grad_w = np.empty(w.shape)  # (C_out, C_in, kh, kw)
        for a in range(kh):
            for bb in range(kw):
                taps = tap_view(xp, geometry, a, bb).reshape(geometry.in_channels, -1)
                grad_w[:, :, a, bb] = g2 @ taps.T  # (C_out, C_in)
        grad_x = input_gradient(g, w, geometry)  # (C_in, H, W)
    check_finite(y, "convolution")
    check_finite(grad_x, "input gradient")
    check_finite(grad_w, "kernel gradient")
    if flip_kernel:
        grad_w = grad_w[..., ::-1, ::-1]  # the applied kernel is K flipped
    grad_b = None if b is None else check_finite(g2.sum(axis=1), "bias gradient")
    return ConvGradients(
        geometry=geometry,
        output=y.reshape(geometry.output_shape),
        grad_output=g.reshape(geometry.output_shape),
        grad_input=grad_x.reshape(x.shape),
        grad_kernel=np.ascontiguousarray(grad_w).reshape(kernel.shape),
        grad_bias=grad_b,
        applied_kernel=w,
        bias=b,
    )
