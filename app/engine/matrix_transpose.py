"""Mᵀ: the transpose of a convolution's matrix, and the two things it is.

With vec(Y) = M · vec(X) + b (``matrix.py``), the chain rule gives vec(∂L/∂X) = Mᵀ · vec(G)
for G = ∂L/∂Y (Goodfellow et al. §9.5: "multiplication by the transpose of the matrix defined
by convolution"), and a transposed convolution with the same kernel, stride, padding and
dilation *is* Mᵀ used as a layer (Dumoulin & Visin 2016, §4.1): Mᵀ · vec(Y) =
vec(conv_transpose2d(Y)), with the output_padding r = (H + 2p − d(k − 1) − 1) mod s that gives
back the H×W of X. This module builds Mᵀ and checks both equalities against the engine's own
``conv2d_backward`` and ``conv_transpose2d``.

The transposed-convolution check needs what torch's conv_transpose2d can express: zero padding,
the same padding on both sides of an axis. Reflect / replicate / circular padding make Mᵀ add
the gradient of every padding copy onto the cell it copies (still exactly ∂L/∂X), which no
transposed convolution does; an uneven "same" padding crops unevenly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.backward import ConvGradients, conv2d_backward
from app.engine.conv import DEFAULT_OPTIONS, ConvOptions, check_finite
from app.engine.matrix import (
    MATCH_TOLERANCE,
    ConvMatrix,
    MatrixCheck,
    MatrixFigures,
    MergedEntry,
    conv_matrix,
    index_or_none,
    matrix_figures,
)
from app.engine.padding import times
from app.engine.transpose import TransposeOptions, conv_transpose2d


@dataclass(frozen=True)
class TransposeCheck:
    """Mᵀ·vec(Y) against conv_transpose2d(Y), Y = M·vec(X) the output without bias."""

    applicable: bool
    """False for padding conv_transpose2d cannot express."""
    max_abs_diff: float | None
    """max |Mᵀ·vec(Y) − vec(conv_transpose2d(Y))|."""
    matches: bool | None
    """max_abs_diff ≤ 1e-9 · max(1, max |result|)."""
    output_padding: Sequence[int] | None
    """The output_padding that gives back H×W."""
    note: str
    """What was compared, or why it does not apply."""


@dataclass(frozen=True)
class TransposedConvMatrix:
    """Mᵀ with its layout (the transpose of ``ConvMatrix``'s) and the two checks."""

    forward: ConvMatrix
    matrix: np.ndarray
    """(C_in·H·W, C_out·H_out·W_out)."""
    weight_index: np.ndarray
    hits: np.ndarray
    merged: list[MergedEntry]
    gradients: ConvGradients
    gradient_check: MatrixCheck
    """Mᵀ · vec(G) against ∂L/∂X (within 1e-9 · max(1, max |∂L/∂X|))."""
    transpose: TransposeCheck

    @property
    def figures(self) -> MatrixFigures:
        """Sparsity and sharing in numbers (Mᵀ holds the weights of M)."""
        return matrix_figures(self.hits, self.forward.distinct_parameters)

    def weight_index_or_none(self) -> list[list[int | None]]:
        """``weight_index`` as nested lists with None for structural zeros."""
        return index_or_none(self.weight_index)

    @property
    def structure(self) -> str:
        """What structure Mᵀ has, in words."""
        return (
            f"the transpose of M ({self.forward.structure}): row (c, r, q) holds the weights "
            "that carry input cell (c, r, q) to every output that reads it"
        )


def _transpose_check(m: ConvMatrix, x: np.ndarray, applied: np.ndarray) -> TransposeCheck:
    """Y = M · vec(X); Mᵀ · vec(Y) against conv_transpose2d(Y) when torch could express it."""
    geometry = m.geometry
    if geometry.padding_mode != "zeros":
        return TransposeCheck(
            applicable=False,
            note=f"{geometry.padding_mode} padding copies input cells into the padding, so Mᵀ "
            "also adds the gradient of every copy onto the cell it copies; a transposed "
            "convolution (zero padding only, as in torch) does not",
            output_padding=None,
            max_abs_diff=None,
            matches=None,
        )
    (top, bottom), (left, right) = geometry.pads
    if top != bottom or left != right:
        return TransposeCheck(
            applicable=False,
            note=f"the padding is uneven ({top} above, {bottom} below, {left} left, {right} "
            "right); a transposed convolution crops the same number of cells from both sides",
            output_padding=None,
            max_abs_diff=None,
            matches=None,
        )
    height, width = geometry.formula_axes()
    # r = (H + 2p − d(k − 1) − 1) mod s: the rows / columns of X that no window reaches
    extra = (
        (height.padded - height.span) % height.stride,
        (width.padded - width.span) % width.stride,
    )
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        y = m.matrix @ x.reshape(-1)  # (C_out·H_out·W_out,): the output without bias
        via_matrix = m.matrix.T @ y  # (C_in·H·W,)
    check_finite(y, "matrix product")
    kernel = applied[0, 0] if geometry.squeeze else applied  # (C_out, C_in, kh, kw) = C_in′×C_out′
    options = TransposeOptions(geometry.stride, (top, left), extra, geometry.dilation)
    layer = conv_transpose2d(y.reshape(geometry.output_shape), kernel, None, options)  # like X
    diff = float(np.abs(check_finite(via_matrix, "matrix product") - layer.reshape(-1)).max())
    return TransposeCheck(
        applicable=True,
        note=f"Mᵀ·vec(Y) is conv_transpose2d(Y) with stride {times(*geometry.stride)}, padding "
        f"{times(top, left)}, dilation {times(*geometry.dilation)} and output_padding "
        f"{times(*extra)} (the rows and columns of X that no window reaches), which gives back "
        f"the {times(*geometry.input_size)} of X",
        output_padding=extra,
        max_abs_diff=diff,
        matches=diff <= MATCH_TOLERANCE * max(1.0, float(np.abs(layer).max())),
    )


def conv_matrix_transpose(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    grad_output: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> TransposedConvMatrix:
    """Mᵀ for the convolution of ``x`` by ``kernel``, checked against the gradient ∂L/∂X for
    G = ``grad_output`` (default all ones) and against conv_transpose2d of the output."""
    x = np.asarray(x, dtype=np.float64)
    m = conv_matrix(x, kernel, bias, options)
    gradients = conv2d_backward(x, kernel, bias, grad_output, options)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        via_matrix = m.matrix.T @ gradients.grad_output.reshape(-1)  # (C_in·H·W,)
    expected = gradients.grad_input.reshape(-1)
    diff = float(np.abs(check_finite(via_matrix, "matrix product") - expected).max())
    merged = [MergedEntry(e.col, e.row, e.weight_indices) for e in m.merged]
    merged.sort(key=lambda e: (e.row, e.col))
    return TransposedConvMatrix(
        forward=m,
        matrix=np.ascontiguousarray(m.matrix.T),
        weight_index=np.ascontiguousarray(m.weight_index.T),
        hits=np.ascontiguousarray(m.hits.T),
        merged=merged,
        gradients=gradients,
        gradient_check=MatrixCheck.of(diff, expected),
        transpose=_transpose_check(m, x, gradients.applied_kernel),
    )
