"""Convolution as a structured linear operator: vec(Y) = M · vec(X) + b (Goodfellow et al. §9.1,
"a doubly block circulant matrix"; Dumoulin & Visin 2016, §4.1 "convolution as a matrix
operation").

vec flattens row-major: X (C_in, H, W) → C_in·H·W, Y (C_out, H_out, W_out) → C_out·H_out·W_out.
Row (o, i, j) of M holds kernel weight K[o, c, a, b] in column (c, r, q), where (r, q) is the
input cell that window position (a, b) of output (i, j) reads. With zero padding, positions in
the padding read 0 and simply drop out: each row holds at most C_in·kh·kw weights, each on its
own entry, and for stride 1 every (o, c) block is doubly block Toeplitz (constant along
diagonals, blocks constant along block diagonals). With reflect / replicate / circular padding
the padding holds copies of input cells, so near the borders several weights of one row land on
the same input cell and add up in one entry; the matrix is still exact.

Built without a loop over pixels: one vectorised scatter per kernel tap, using an index map of
the padded input (``padding.index_map``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import (
    DEFAULT_OPTIONS,
    ConvGeometry,
    ConvOptions,
    as_4d_kernel,
    check_bias,
    check_finite,
    correlate,
    tap_view,
)
from app.engine.padding import index_map

MATCH_TOLERANCE = 1e-9
"""Relative tolerance of the check that the matrix reproduces the convolution."""


@dataclass(frozen=True)
class MergedEntry:
    """An entry of M that is the sum of several kernel weights."""

    row: int
    """Row of the entry (an output cell)."""
    col: int
    """Column of the entry (an input cell)."""
    weight_indices: list[int]
    """Flat kernel indices summed in this entry."""


@dataclass(frozen=True)
class MatrixCheck:
    """matrix @ vec(X) + b against the convolution itself."""

    max_abs_diff: float
    """max |matrix @ vec(X) + b − vec(conv2d(X))|."""
    matches: bool
    """max_abs_diff ≤ 1e-9 · max(1, max |Y|)."""

    @classmethod
    def of(cls, diff: float, expected: np.ndarray) -> MatrixCheck:
        """``diff`` within 1e-9 · max(1, max |expected|)?"""
        return cls(diff, diff <= MATCH_TOLERANCE * max(1.0, float(np.abs(expected).max())))


@dataclass(frozen=True)
class MatrixFigures:
    """How sparse and how shared a matrix of kernel weights is, against a dense layer."""

    rows: int
    """C_out·H_out·W_out: one row per output value."""
    cols: int
    """C_in·H·W: one column per input value."""
    entries: int
    """rows · cols."""
    nonzeros: int
    """Entries that hold a kernel weight (structural: counted even when the weight is 0)."""
    nonzeros_per_row: list[int]
    """Structural non-zeros of every row."""
    max_nonzeros_per_row: int
    """At most C_in·kh·kw."""
    sparsity: float
    """Fraction of entries that are structural zeros."""
    distinct_parameters: int
    """Kernel weights used: at most C_out·C_in·kh·kw."""
    dense_parameters: int
    """A dense layer of the same shape: rows · cols."""
    sharing_factor: float
    """nonzeros / distinct_parameters."""


def matrix_figures(hits: np.ndarray, distinct_parameters: int) -> MatrixFigures:
    """The figures of a matrix whose entry [r, c] holds ``hits[r, c]`` kernel weights."""
    rows, cols = hits.shape
    per_row = (hits > 0).sum(axis=1)  # (rows,)
    nonzeros = int(per_row.sum())
    return MatrixFigures(
        rows=rows,
        cols=cols,
        entries=rows * cols,
        nonzeros=nonzeros,
        nonzeros_per_row=per_row.tolist(),
        max_nonzeros_per_row=int(per_row.max()),
        sparsity=1.0 - nonzeros / (rows * cols),
        distinct_parameters=distinct_parameters,
        dense_parameters=rows * cols,
        sharing_factor=nonzeros / distinct_parameters if distinct_parameters else 0.0,
    )


def index_or_none(weight_index: np.ndarray) -> list[list[int | None]]:
    """A weight-index matrix as nested lists with None for structural zeros (−1)."""
    index = weight_index.astype(object)  # (rows, cols)
    index[weight_index < 0] = None
    return index.tolist()


@dataclass(frozen=True)
class ConvMatrix:
    """M, which weight each entry holds, and the figures of sparsity and sharing."""

    geometry: ConvGeometry
    matrix: np.ndarray
    """(rows, cols) float64."""
    weight_index: np.ndarray
    """(rows, cols) int64: flat kernel index held (the first, when merged), −1 for none."""
    hits: np.ndarray
    """(rows, cols) int64: how many weights add into each entry."""
    merged: list[MergedEntry]
    bias_vector: np.ndarray | None
    weight_labels: list[str]
    structure: str
    check: MatrixCheck
    """M · vec(X) + b against conv2d(X)."""

    def weight_index_or_none(self) -> list[list[int | None]]:
        """``weight_index`` as nested lists with None for structural zeros."""
        return index_or_none(self.weight_index)

    @property
    def figures(self) -> MatrixFigures:
        """Sparsity and sharing in numbers."""
        return matrix_figures(self.hits, self.distinct_parameters)

    @property
    def row_shape(self) -> tuple[int, ...]:
        """Rows read as (H_out, W_out) or (C_out, H_out, W_out)."""
        return self.geometry.output_shape

    @property
    def col_shape(self) -> tuple[int, ...]:
        """Columns read as (H, W) or (C_in, H, W)."""
        h, w = self.geometry.input_size
        return (h, w) if self.geometry.squeeze else (self.geometry.in_channels, h, w)

    @property
    def distinct_parameters(self) -> int:
        """Distinct kernel weights that appear somewhere in M."""
        used = set(np.unique(self.weight_index[self.weight_index >= 0]).tolist())
        for entry in self.merged:
            used.update(entry.weight_indices)
        return len(used)


def _labels(kernel_shape: tuple[int, ...]) -> list[str]:
    return [f"K[{','.join(map(str, idx))}]" for idx in np.ndindex(*kernel_shape)]


def _every(n: int) -> str:
    """A stride read as words: "every", "every 2nd", "every 3rd", "every 4th" …"""
    if n == 1:
        return "every"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"every {n}{suffix}"


def _structure(geometry: ConvGeometry, merged: int) -> str:
    multi = geometry.in_channels > 1 or geometry.out_channels > 1
    blocks = (
        f"a {geometry.out_channels}×{geometry.in_channels} grid of blocks (output channel × "
        "input channel), each "
        if multi
        else ""
    )
    if geometry.padding_mode == "zeros":
        if geometry.stride == (1, 1):
            return f"{blocks}doubly block Toeplitz"
        rows, cols = (_every(n) for n in geometry.stride)
        return (
            f"{blocks}doubly block Toeplitz, keeping only the rows of {rows} output row and "
            f"{cols} output column (the stride skips the other output positions)"
        )
    return (
        f"{blocks}doubly block Toeplitz away from the borders; {geometry.padding_mode} padding "
        f"copies input cells into the padding, so near the borders weights land on those cells "
        f"({merged} entries hold a sum of weights)"
    )


def conv_matrix(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    options: ConvOptions = DEFAULT_OPTIONS,
) -> ConvMatrix:
    """The matrix M with vec(conv2d(X)) = M · vec(X) + b, and the check of that equality."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    geometry = options.geometry(x.shape, kernel.shape)
    flip_kernel, padding_mode = options.flip_kernel, options.padding_mode
    b = check_bias(bias, geometry.out_channels)
    c_out, c_in = geometry.out_channels, geometry.in_channels
    h, w = geometry.input_size
    kh, kw = geometry.kernel_size
    n_out = geometry.outputs_sharing
    rows, cols = c_out * n_out, c_in * h * w
    weights = as_4d_kernel(kernel, flip_kernel)  # (C_out, C_in, kh, kw), as applied
    sources = index_map((h, w), geometry.pads, padding_mode)  # (Hp, Wp)

    matrix = np.zeros((rows, cols))  # (C_out·H_out·W_out, C_in·H·W)
    weight_index = np.full((rows, cols), -1, dtype=np.int64)
    hits = np.zeros((rows, cols), dtype=np.int64)
    o = np.arange(c_out)[:, None, None]  # (C_out, 1, 1)
    c = np.arange(c_in)[None, :, None]  # (1, C_in, 1)

    def tap_entries(a: int, bb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, cols and kernel flat indices of tap (a, b) for every (o, c) and output p."""
        src = tap_view(sources, geometry, a, bb).reshape(-1)  # (H_out·W_out,)
        keep = np.nonzero(src >= 0)[0]  # outputs whose tap is not zero padding
        r = np.broadcast_to(o * n_out + keep[None, None, :], (c_out, c_in, keep.size))
        q = np.broadcast_to(c * h * w + src[keep][None, None, :], r.shape)
        ka, kb = (kh - 1 - a, kw - 1 - bb) if flip_kernel else (a, bb)
        flat = ((o * c_in + c) * kh + ka) * kw + kb  # (C_out, C_in, 1)
        return r.reshape(-1), q.reshape(-1), np.broadcast_to(flat, r.shape).reshape(-1)

    taps = []  # (rows, cols, kernel flat indices) of every tap, in tap order
    for a in range(kh):
        for bb in range(kw):
            r, q, flat = tap_entries(a, bb)
            taps.append((r, q, flat))
            values = np.broadcast_to(
                weights[:, :, a, bb][:, :, None], (c_out, c_in, r.size // (c_out * c_in))
            ).reshape(-1)
            # within one tap every (row, col) pair is distinct, so fancy-index += is exact
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                matrix[r, q] += values
            first = weight_index[r, q] < 0
            weight_index[r[first], q[first]] = flat[first]
            hits[r, q] += 1

    merged: list[MergedEntry] = []
    if (hits > 1).any():
        r, q, flat = (np.concatenate(p) for p in zip(*taps, strict=True))
        several = hits[r, q] > 1
        r, q, flat = r[several], q[several], flat[several]
        order = np.lexsort((np.arange(r.size), q, r))  # by entry, then in tap order
        r, q, flat = r[order], q[order], flat[order]
        starts = np.flatnonzero(np.r_[True, (np.diff(r) != 0) | (np.diff(q) != 0)])
        ends = np.r_[starts[1:], r.size]
        indices, rows, cols = flat.tolist(), r[starts].tolist(), q[starts].tolist()
        merged = [
            MergedEntry(row, col, indices[start:end])
            for row, col, start, end in zip(rows, cols, starts.tolist(), ends.tolist(), strict=True)
        ]

    bias_vector = None if b is None else np.repeat(b, n_out)  # (C_out·H_out·W_out,)
    check_finite(matrix, "matrix")
    y = correlate(x, kernel, b, geometry, flip_kernel).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        via_matrix = matrix @ x.reshape(-1) + (0.0 if bias_vector is None else bias_vector)
    diff = float(np.abs(check_finite(via_matrix, "matrix product") - y).max())
    return ConvMatrix(
        geometry=geometry,
        matrix=matrix,
        weight_index=weight_index,
        hits=hits,
        merged=merged,
        bias_vector=bias_vector,
        weight_labels=_labels(kernel.shape),
        structure=_structure(geometry, len(merged)),
        check=MatrixCheck.of(diff, y),
    )
