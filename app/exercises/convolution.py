"""Convolution exercises (tutorial Q3a–b): one output value, the output size, weight sharing.

Y_ij = Σ_a Σ_b X_pad[(i−1)s + a, (j−1)s + b] · K_ab (1-based, cross-correlation, Goodfellow
§9.1); output side ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (Dumoulin & Visin 2016). The expected
answers come from ``app.engine.conv``; the wrong formulas below only recognise mistakes.
"""

from __future__ import annotations

import numpy as np

from app.engine.conv import ConvOptions, conv2d, conv_geometry
from app.engine.explain import factor, format_number
from app.engine.matrix import conv_matrix
from app.engine.padding import formula_text
from app.exercises.answers import Integer, Size
from app.exercises.base import Mistake, Problem, pick, square

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _size_words(stride: int, padding: int, dilation: int | None = None) -> str:
    parts = [f"stride {stride}", "no padding" if padding == 0 else f"zero padding {padding}"]
    if dilation is not None:
        parts.append(f"dilation {dilation}")
    return ", ".join(parts)


def make_conv_output_value(rng: np.random.Generator) -> Problem:
    """Y_ij of a small X and K, with stride 1–2 and zero padding 0–1."""
    h, w = int(rng.integers(4, 7)), int(rng.integers(4, 7))
    k = pick(rng, (2, 2, 3))
    stride = pick(rng, (1, 1, 2))
    padding = pick(rng, (0, 0, 1))
    x = rng.integers(0, 4, size=(h, w)).astype(np.float64)  # (H, W) values 0…3 as the tutorial
    kernel = rng.integers(-1, 3, size=(k, k)).astype(np.float64)  # (k, k) values −1…2
    y = conv2d(x, kernel, None, ConvOptions(stride, padding))  # (H_out, W_out)
    i, j = int(rng.integers(y.shape[0])), int(rng.integers(y.shape[1]))
    expected = float(y[i, j])

    xp = np.pad(x, padding)  # (H + 2p, W + 2p)
    window = xp[i * stride : i * stride + k, j * stride : j * stride + k]  # (k, k)
    terms = " + ".join(
        f"{factor(a)}·{factor(b)}" for a, b in zip(window.ravel(), kernel.ravel(), strict=True)
    )
    top, left = i * stride + 1, j * stride + 1
    where = "padded input" if padding else "input"
    explanation = (
        f"Y at row {i + 1}, column {j + 1} reads the {k}×{k} window of the {where} whose "
        f"top-left corner is row {top}, column {left} ((i − 1)·s + 1 with s = {stride}), and "
        f"multiplies it entry by entry with K: {terms} = {format_number(expected)}."
    )
    mistakes = [
        Mistake(
            "flipped-kernel",
            "You flipped the kernel: that is the textbook convolution. Here, as in the tutorial "
            "and in deep-learning libraries, K is laid on the window as it is: K₁₁ multiplies "
            "the window's top-left pixel.",
            value=float(
                conv2d(x, kernel, None, ConvOptions(stride, padding, flip_kernel=True))[i, j]
            ),
        )
    ]
    if padding:
        unpadded = (
            conv2d(x, kernel, None, ConvOptions(stride)) if min(h, w) >= k else np.zeros((0, 0))
        )
        if i < unpadded.shape[0] and j < unpadded.shape[1]:
            mistakes.append(
                Mistake(
                    "ignored-padding",
                    f"You read the window from X without its padding. With zero padding "
                    f"{padding}, X is first surrounded by a border of zeros, so every window "
                    f"starts {padding} row and {padding} column earlier in X (and may cover "
                    "zeros of the border).",
                    value=float(unpadded[i, j]),
                )
            )
    if stride > 1:
        mistakes.append(
            Mistake(
                "ignored-stride",
                f"You moved the window by one pixel per output. With stride {stride} it moves "
                f"{stride} pixels: the window of output row i, column j starts at row "
                f"(i − 1)·{stride} + 1, column (j − 1)·{stride} + 1.",
                value=float(conv2d(x, kernel, None, ConvOptions(1, padding))[i, j]),
            )
        )
    neighbours = {
        float(y[a, b])
        for a in range(max(i - 1, 0), min(i + 2, y.shape[0]))
        for b in range(max(j - 1, 0), min(j + 2, y.shape[1]))
        if (a, b) != (i, j) and float(y[a, b]) != expected
    }
    mistakes.append(
        Mistake(
            "neighbouring-window",
            f"That is the value of a neighbouring output. Count from 1: output row {i + 1}, "
            f"column {j + 1} reads the window whose top-left corner is row {top}, column {left} "
            f"of the {where}.",
            test=lambda v: float(v) in neighbours,
        )
    )
    sub_i, sub_j = str(i + 1).translate(_SUBSCRIPT), str(j + 1).translate(_SUBSCRIPT)
    prompt = (
        f"Convolve the {h}×{w} input X with the {k}×{k} kernel K (cross-correlation, as in the "
        f"tutorial: Y_ij = Σ_a Σ_b X_(i+a−1, j+b−1) K_ab), {_size_words(stride, padding)}. "
        f"What is Y{sub_i}{sub_j}, the output at row {i + 1}, column {j + 1} (counted from 1)?"
    )
    return Problem(
        prompt=prompt,
        inputs={
            "input": x.astype(int).tolist(),
            "kernel": kernel.astype(int).tolist(),
            "stride": stride,
            "padding": padding,
            "cell": [i, j],
        },
        answer=Integer(example="7", description="a whole number, e.g. 7 or -2"),
        expected=expected,
        explanation=explanation,
        general_hint=(
            f"Find the {k}×{k} window under output row {i + 1}, column {j + 1} (top-left corner "
            f"at row (i − 1)·s + 1, column (j − 1)·s + 1 of the {where}), multiply each of its "
            "entries with the matching entry of K and add the products."
        ),
        mistakes=tuple(mistakes),
    )


def make_output_size(rng: np.random.Generator) -> Problem:
    """The output side for a square input and kernel with stride, padding and dilation."""
    while True:
        size = int(rng.integers(5, 17))  # up to 16: the Convolution page can hold X
        k = pick(rng, (1, 2, 3, 3, 4, 5, 7))
        stride = pick(rng, (1, 2, 2, 3))
        padding = pick(rng, (0, 1, 1, 2, 3))
        dilation = pick(rng, (1, 1, 1, 2))
        if size + 2 * padding >= dilation * (k - 1) + 1:
            break
    geometry = conv_geometry((size, size), (k, k), ConvOptions(stride, padding, dilation=dilation))
    expected = geometry.output_size
    general, _, expressions = formula_text(geometry.formula_axes())
    span = dilation * (k - 1) + 1  # the window's extent d(k − 1) + 1
    explanation = (
        f"Output side = {general} = {expressions[0]} = {expected[0]}; the output is "
        f"{expected[0]} × {expected[1]}."
    )
    h_pad = size + 2 * padding - span  # H + 2p − d(k − 1) − 1
    mistakes = [
        Mistake(
            "forgot-padding",
            f"You left out the padding: it adds {padding} {'row' if padding == 1 else 'rows'} "
            "on each side, so the window "
            f"slides over H + 2p = {size + 2 * padding} pixels, not {size}.",
            value=square((size - span) // stride + 1) if size >= span else None,
        ),
        Mistake(
            "padding-once",
            f"You counted the padding on one side only: it is added on both sides, "
            f"H + 2p = {size} + 2·{padding}.",
            value=square((size + padding - span) // stride + 1) if size + padding >= span else None,
        ),
        Mistake(
            "ignored-dilation",
            f"You left out the dilation: with d = {dilation} the kernel's taps are {dilation} "
            f"pixels apart, so the window spans d(k − 1) + 1 = {span} pixels, not {k}.",
            value=square((size + 2 * padding - k) // stride + 1),
        ),
        Mistake(
            "used-k-not-k-minus-1",
            f"You used d·k for the window's span; it is d(k − 1) + 1 = {span}: the {k} taps "
            f"have {k - 1} gaps of {dilation} pixels between them.",
            value=square((size + 2 * padding - dilation * k) // stride + 1)
            if size + 2 * padding >= dilation * k
            else None,
        ),
        Mistake(
            "ignored-stride",
            f"You left out the stride: the window moves {stride} pixels at a time, so divide "
            f"the {h_pad} free positions by s = {stride} (rounding down) before adding 1.",
            value=square(h_pad + 1),
        ),
        Mistake(
            "rounded-up",
            "You rounded up: a window that would stick out past the padded input is not "
            "computed, so the division by the stride rounds down, ⌊·⌋.",
            value=square(-(-h_pad // stride) + 1),
        ),
        Mistake(
            "forgot-the-1",
            "You forgot the + 1: the first window sits at position 0, and every stride step "
            "after it adds one more output.",
            value=square(h_pad // stride),
        ),
    ]
    prompt = (
        f"A {size}×{size} input goes through a convolution with a {k}×{k} kernel, "
        f"{_size_words(stride, padding, dilation)}. What is the side of the (square) output?"
    )
    return Problem(
        prompt=prompt,
        inputs={
            "size": size,
            "kernel": k,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
        },
        answer=Size(square=True),
        expected=expected,
        explanation=explanation,
        general_hint="Use ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1: pad both sides, subtract the "
        "window's span, divide by the stride rounding down, then add 1.",
        mistakes=tuple(m for m in mistakes if m.value is not None),
    )


_ASKS = ("inputs_per_output", "filter_weights", "outputs_sharing")


def make_weight_sharing(rng: np.random.Generator) -> Problem:
    """Q3b: inputs per output, weights in the filter, outputs that share them."""
    ask = pick(rng, _ASKS)
    k = pick(rng, (2, 3, 3, 5))
    in_channels = pick(rng, (1, 1, 3))
    if in_channels > 1:
        k = min(k, 3)  # the matrix page's channels view holds kernels up to 4×4
    size = int(rng.integers(k + 2, 9))  # the window is smaller than the image; M fits the page
    stride = pick(rng, (1, 1, 2))
    padding = pick(rng, (0, 0, 1))
    geometry = conv_geometry(
        (in_channels, size, size), (1, in_channels, k, k), ConvOptions(stride, padding)
    )
    ho, wo = geometry.output_size
    layer = (
        f"One filter of {k}×{k} over {in_channels} input channel"
        f"{'s' if in_channels > 1 else ''} of {size}×{size}, "
        f"{_size_words(stride, padding)}."
    )
    channels = f"{in_channels}·" if in_channels > 1 else ""
    if ask == "inputs_per_output":
        i, j = int(rng.integers(ho)), int(rng.integers(wo))
        rows, cols = (
            read_span(i, stride, padding, k, size),
            read_span(j, stride, padding, k, size),
        )
        expected = _inputs_read(in_channels, size, k, stride, padding, i * wo + j)
        assert expected == in_channels * len(rows) * len(cols), "the window inside X"
        question = (
            f"How many input values (entries of X; the zeros of the padding are not input "
            f"values) does the output at row {i + 1}, column {j + 1} (counted from 1) depend on?"
        )
        inside = f"{_span('row', rows)}, {_span('column', cols)} of X"
        clipped = len(rows) * len(cols) < k * k
        explanation = (
            f"The output at row {i + 1}, column {j + 1} reads one {k}×{k} window"
            + (f" in each of the {in_channels} channels" if in_channels > 1 else "")
            + (
                f"; it sits at the border, so part of it lies in the padding, and only {inside} "
                f"are input values: {channels}{len(rows)}·{len(cols)} = {expected}"
                if clipped
                else f", {inside}: {channels}{k}·{k} = {expected} input values"
            )
            + f", not all {in_channels * size * size} (sparse interactions)."
        )
        mistakes = [
            Mistake(
                "counted-padding",
                f"You counted the zeros of the padding: this output sits at the border, so its "
                f"{k}×{k} window hangs over the padding, and those zeros are not input values. "
                f"Count only the window's cells inside X ({inside}).",
                value=in_channels * k * k,
            ),
            Mistake("one-side-only", "You counted one side of the window; it is k×k.", value=k),
            Mistake(
                "whole-image",
                "You counted the whole image: an output only sees its window (sparse "
                "interactions), the other inputs have weight 0 for it.",
                value=in_channels * size * size,
            ),
            Mistake(
                "forgot-channels",
                f"You counted one channel: the window reaches through all {in_channels} "
                "input channels.",
                value=len(rows) * len(cols),
            ),
        ]
        cell = {"cell": [i, j]}
    elif ask == "filter_weights":
        cell = {}
        expected = geometry.kernel_parameters
        question = "How many weights does the filter hold (not counting a bias)?"
        explanation = (
            f"The filter has one weight per tap and input channel: {channels}{k}·{k} = "
            f"{expected}, whatever the image size."
        )
        mistakes = [
            Mistake("one-side-only", "You counted one side of the kernel; it is k×k.", value=k),
            Mistake(
                "counted-bias",
                "The question asks for the weights only; you added a bias.",
                value=expected + 1,
            ),
            Mistake(
                "forgot-channels",
                f"You counted one channel: the filter has a {k}×{k} slice for each of the "
                f"{in_channels} input channels.",
                value=k * k,
            ),
            Mistake(
                "whole-image",
                "The filter does not grow with the image: the same weights slide over it.",
                value=size * size,
            ),
        ]
    else:
        cell = {}
        expected = ho * wo
        question = "How many output values are computed with these same weights?"
        explanation = (
            f"The output is {ho}×{wo} and every one of its {expected} values uses the same "
            "filter (parameter sharing): the weights do not depend on the position (i, j)."
        )
        mistakes = [
            Mistake(
                "counted-input-positions",
                "You counted input positions: the filter is used once per output, and the "
                f"output is {ho}×{wo} (⌊(H + 2p − k)/s⌋ + 1 per side), not the input's "
                f"{size}×{size}.",
                value=size * size,
            ),
            Mistake("one-side-only", "You counted one side of the output map.", value=ho),
        ]
    return Problem(
        prompt=f"{layer} {question}",
        inputs={
            "size": size,
            "kernel": k,
            "in_channels": in_channels,
            "stride": stride,
            "padding": padding,
            "ask": ask,
            **cell,
        },
        answer=Integer(),
        expected=float(expected),
        explanation=explanation,
        general_hint="Each output reads one k×k window per input channel (only its cells "
        "inside X: the padding holds no input values); the filter holds one weight per tap and "
        "channel; it is reused at every output position.",
        mistakes=tuple(mistakes),
    )


def read_span(i: int, stride: int, padding: int, k: int, size: int) -> list[int]:
    """The rows (0-based, inside X) that output row i's window covers."""
    return [r for r in range(i * stride - padding, i * stride - padding + k) if 0 <= r < size]


def _inputs_read(channels: int, size: int, k: int, stride: int, padding: int, row: int) -> int:
    """Entries of X that output ``row`` (flat index into Y) reads: the nonzeros of M's row."""
    m = conv_matrix(
        np.zeros((channels, size, size)),  # (C, H, W) values do not matter for the structure
        np.ones((1, channels, k, k)),  # (1, C, k, k)
        None,
        ConvOptions(stride, padding),
    )
    return int(np.count_nonzero(m.hits[row]))


def _span(name: str, indices: list[int]) -> str:
    """'rows 2–4' (1-based) or 'row 1'."""
    first, last = indices[0] + 1, indices[-1] + 1
    return f"{name} {first}" if first == last else f"{name}s {first}–{last}"
