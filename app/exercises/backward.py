"""Backward and transposed convolution exercises (the "Backward and transposed" lesson).

With vec(Y) = M·vec(X), the backward pass is ∂L/∂X = Mᵀ·∂L/∂Y: an upstream gradient G_ij
reaches exactly the inputs that Y_ij read, its window (rows (i − 1)s − p + 1 … (i − 1)s − p + k,
1-based, clipped to X). The transposed convolution maps back to the input size:
H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1 (Dumoulin & Visin 2016, §4; PyTorch's
ConvTranspose2d). The touched entries come from ``app.engine.matrix`` (the rows of M), the
transposed size from ``app.engine.transpose``.
"""

from __future__ import annotations

import numpy as np

from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput
from app.engine.matrix import conv_matrix
from app.engine.transpose import GENERAL_FORMULA, TransposeOptions, transpose_geometry
from app.exercises.answers import Cells, Size
from app.exercises.base import Mistake, Problem, pick, square
from app.exercises.convolution import read_span


def _grid(rows: list[int], cols: list[int]) -> frozenset[tuple[int, int]]:
    return frozenset((r + 1, c + 1) for r in rows for c in cols)


def make_grad_input_entries(rng: np.random.Generator) -> Problem:
    """Which entries of ∂L/∂X an upstream gradient G_ij touches."""
    size = int(rng.integers(4, 9))
    k = pick(rng, (2, 3, 3))
    stride = pick(rng, (1, 2, 2))
    padding = pick(rng, (0, 0, 1))
    x = np.zeros((size, size))  # (H, W) values do not matter for the structure
    m = conv_matrix(x, np.ones((k, k)), None, ConvOptions(stride, padding))
    ho, wo = m.geometry.output_size
    i, j = int(rng.integers(ho)), int(rng.integers(wo))
    touched = np.flatnonzero(m.hits[i * wo + j] > 0)  # columns of M's row (i, j): flat X cells
    expected = frozenset((int(c) // size + 1, int(c) % size + 1) for c in touched)

    top = i * stride - padding + 1
    clipped = padding > 0 and len(expected) < k * k
    explanation = (
        f"vec(Y) = M·vec(X), so ∂L/∂X = Mᵀ·∂L/∂Y: G at row {i + 1}, column {j + 1} flows back "
        f"to exactly the inputs Y_({i + 1},{j + 1}) read, its {k}×{k} window starting at row "
        f"(i − 1)·s − p + 1 = {top}, column {j * stride - padding + 1} (stride {stride}, padding "
        f"{padding})"
        + (", without the cells that fall in the padding" if clipped else "")
        + f": {Cells().show(expected)}."
    )
    mistakes = [
        Mistake(
            "ignored-padding",
            f"With padding {padding} the window starts {padding} row and column earlier in X: "
            "(i − 1)·s − p + 1, counted from 1.",
            value=_grid(read_span(i, stride, 0, k, size), read_span(j, stride, 0, k, size)),
        ),
        Mistake(
            "ignored-stride",
            f"With stride {stride}, output row i reads rows from (i − 1)·{stride} − p + 1 on: "
            f"neighbouring outputs are {stride} pixels apart in X.",
            value=_grid(read_span(i, 1, padding, k, size), read_span(j, 1, padding, k, size)),
        ),
        Mistake(
            "zero-based",
            "Count rows and columns from 1, as the prompt does.",
            value=frozenset((r - 1, c - 1) for r, c in expected),
        ),
        Mistake(
            "included-padding",
            "Cells outside X (in the padding) are not entries of ∂L/∂X: the gradient that "
            f"reaches them is dropped. Keep rows and columns 1 … {size}.",
            test=lambda v: any(not (1 <= r <= size and 1 <= c <= size) for r, c in v),
        ),
    ]
    prompt = (
        f"Y = X ∗ K with X of {size}×{size}, K of {k}×{k}, stride {stride}, "
        f"{'no padding' if padding == 0 else f'zero padding {padding}'}. In the backward pass "
        f"the upstream gradient G = ∂L/∂Y is zero except at row {i + 1}, column {j + 1} "
        "(counted from 1). Which entries of ∂L/∂X does it reach? List them as row, column of X "
        "(counted from 1)."
    )
    return Problem(
        prompt=prompt,
        inputs={"size": size, "kernel": k, "stride": stride, "padding": padding, "cell": [i, j]},
        answer=Cells(),
        expected=expected,
        explanation=explanation,
        general_hint="The gradient of Y_ij flows back along the connections Y_ij used: the "
        "k×k window it read (row (i − 1)·s − p + 1 onward), inside X.",
        mistakes=tuple(mistakes),
    )


def make_transposed_output_size(rng: np.random.Generator) -> Problem:
    """The output side of a transposed convolution."""
    while True:
        # sizes the backward page's transposed lab can hold (input up to 5×5, kernel up to 4×4,
        # no dilation control), so the reveal shows the exercise there
        size = int(rng.integers(2, 6))
        k = pick(rng, (2, 3, 3, 4))
        stride = pick(rng, (1, 2, 2, 3))
        padding = pick(rng, (0, 0, 1, 2))
        dilation = 1
        output_padding = int(rng.integers(0, stride))  # < s: a convolution maps it back
        try:
            options = TransposeOptions(stride, padding, output_padding, dilation)
            geometry = transpose_geometry((size, size), (k, k), options)
            break
        except InvalidInput:  # the output would be empty: draw again
            continue
    expected = geometry.output_size
    side = expected[0]
    explanation = (
        f"A transposed convolution runs the forward formula backwards: H_out = {GENERAL_FORMULA}"
        f" = {geometry.height.expression()} = {side}. (A convolution with the same "
        f"settings maps {side}×{side} back to {size}×{size}"
        + (", and output_padding picks one of the sizes that do" if output_padding else "")
        + ".)"
    )
    conv_side = (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    mistakes = (
        Mistake(
            "used-conv-formula",
            "That is the forward convolution's size: the transposed convolution goes the "
            "other way, (H − 1)·s − 2p + d·(k − 1) + output_padding + 1.",
            value=(conv_side, conv_side) if conv_side >= 1 else None,
        ),
        Mistake(
            "forgot-output-padding",
            f"You left out output_padding = {output_padding}: it adds rows and columns on one "
            "side.",
            value=square(side - output_padding),
        ),
        Mistake(
            "added-padding",
            "In a transposed convolution the padding is taken away (−2p): it is the padding "
            "of the forward convolution it reverses.",
            value=square(side + 4 * padding),
        ),
        Mistake(
            "used-k-not-k-minus-1",
            "The kernel adds d·(k − 1), not d·k.",
            value=square(side + dilation),
        ),
        Mistake(
            "used-h-not-h-minus-1",
            "Use (H − 1)·s: H inputs are H − 1 strides apart.",
            value=square(side + stride),
        ),
    )
    prompt = (
        f"A transposed convolution (ConvTranspose2d) with a {k}×{k} kernel, stride {stride}, "
        f"padding {padding}, dilation {dilation} and output_padding {output_padding} is applied "
        f"to a {size}×{size} input. What is the side of its output?"
    )
    return Problem(
        prompt=prompt,
        inputs={
            "size": size,
            "kernel": k,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "output_padding": output_padding,
        },
        answer=Size(square=True),
        expected=expected,
        explanation=explanation,
        general_hint="H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1.",
        mistakes=tuple(m for m in mistakes if m.value is not None),
    )
