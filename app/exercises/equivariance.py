"""Equivariance and pooling exercises (tutorial Q3c, Q5a, Q5b).

Convolution commutes with translation: conv(shift(X)) = shift(conv(X)) away from the borders,
with the shift divided by the stride (Goodfellow et al. §9.2). Max pooling of k×k, stride k,
keeps the largest value of each window, ⌊H/k⌋ × ⌊W/k⌋ of them, and is only approximately
invariant to small shifts (§9.3). Expected answers come from ``app.engine.conv``,
``app.engine.pooling`` and ``app.engine.shift``.
"""

from __future__ import annotations

import numpy as np

from app.engine.conv import ConvOptions, conv2d
from app.engine.pooling import pool2d, pool_geometry
from app.engine.shift import shift
from app.exercises.answers import Cell, Cells, Integer, Size, show_number
from app.exercises.base import Mistake, Problem, pick, swapped


def shift_words(dx: int, dy: int) -> str:
    """'2 pixels to the right and 1 pixel up' for dx = 2, dy = −1."""
    parts = []
    if dx:
        parts.append(
            f"{abs(dx)} pixel{'s' if abs(dx) > 1 else ''} to the {'right' if dx > 0 else 'left'}"
        )
    if dy:
        parts.append(f"{abs(dy)} pixel{'s' if abs(dy) > 1 else ''} {'down' if dy > 0 else 'up'}")
    return " and ".join(parts)


def _unique_argmax(y: np.ndarray) -> tuple[int, int] | None:
    peak = y.max()
    where = np.argwhere(y == peak)
    return (int(where[0][0]), int(where[0][1])) if len(where) == 1 else None


def make_feature_shift(rng: np.random.Generator) -> Problem:
    """Where the strongest response of a matched filter moves when the input shifts."""
    while True:
        size = pick(rng, (7, 8, 9))
        k = pick(rng, (2, 3))
        stride = pick(rng, (1, 1, 2))
        steps = (-2, -1, 1, 2) if stride == 1 else (-2, 2)
        dx, dy = pick(rng, (0, *steps)), pick(rng, (0, *steps))
        if dx == 0 and dy == 0:
            continue
        places = range(0, size - k + 1, stride)  # top-left corners a window can sit on
        r, c = pick(rng, list(places)), pick(rng, list(places))
        if not (0 <= r + dy <= size - k and 0 <= c + dx <= size - k):
            continue
        pattern = rng.integers(1, 4, size=(k, k)).astype(np.float64)  # (k, k) the feature
        x = np.zeros((size, size))  # (H, W)
        x[r : r + k, c : c + k] = pattern
        before = _unique_argmax(conv2d(x, pattern, None, ConvOptions(stride)))
        after = _unique_argmax(conv2d(shift(x, dx, dy), pattern, None, ConvOptions(stride)))
        if before is not None and after is not None:
            break
    (i, j), (i2, j2) = before, after
    move = f"{shift_words(dx, dy)}"
    step = (
        ""
        if stride == 1
        else f", which with stride {stride} is {shift_words(dx // stride, dy // stride)} "
        "in Y (one output step covers 2 input pixels)"
    )
    explanation = (
        f"Convolution is equivariant to translation: shifting X moves every window's content "
        f"with it, so Y shifts by the same amount{step}. The strongest response moves from row "
        f"{i + 1}, column {j + 1} to row {i2 + 1}, column {j2 + 1}."
    )
    expected = (i2 + 1, j2 + 1)
    mistakes = [
        Mistake(
            "did-not-move",
            "A convolution is equivariant, not invariant: the same feature is detected by the "
            "same weights wherever it is, so the response moves with the input.",
            value=(i + 1, j + 1),
        ),
        Mistake(
            "opposite-direction",
            "The response moves the same way as the input: right and down mean larger column "
            "and row numbers.",
            value=(i + 1 - dy // stride, j + 1 - dx // stride),
        ),
        Mistake(
            "swapped-axes",
            "You swapped rows and columns: a shift to the right changes the column, a shift "
            "down changes the row; the answer is row, column.",
            value=(i + 1 + dx // stride, j + 1 + dy // stride),
        ),
    ]
    if stride > 1:
        mistakes.append(
            Mistake(
                "ignored-stride",
                f"With stride {stride}, neighbouring outputs are {stride} input pixels apart, "
                f"so a shift of {stride} pixels in X moves the response by 1 in Y.",
                value=(i + 1 + dy, j + 1 + dx),
            )
        )
    prompt = (
        f"The filter K is a copy of the feature drawn in the {size}×{size} input X, so Y = X ∗ K "
        f"(stride {stride}, no padding) is largest where the feature is: at row {i + 1}, column "
        f"{j + 1} of Y (counted from 1). Now the input is shifted {move} (zeros fill in). Where "
        "is Y largest now?"
    )
    return Problem(
        prompt=prompt,
        inputs={
            "input": x.astype(int).tolist(),
            "kernel": pattern.astype(int).tolist(),
            "stride": stride,
            "cell": [i, j],
            "dx": dx,
            "dy": dy,
        },
        answer=Cell(),
        expected=expected,
        explanation=explanation,
        general_hint="Shift the feature in X, then find the window that covers it exactly; "
        "its output position is the answer (counted from 1).",
        mistakes=tuple(m for m in mistakes if min(m.value) >= 0),  # cells a student can write
    )


def _window_text(x: np.ndarray, i: int, j: int, k: int) -> str:
    window = x[i * k : (i + 1) * k, j * k : (j + 1) * k]
    return ", ".join(show_number(v) for v in window.ravel())


def make_max_pool_value(rng: np.random.Generator) -> Problem:
    """One output of 2×2 max pooling with stride 2 (the tutorial's, and the page's)."""
    k = 2
    h, w = pick(rng, (4, 6)), pick(rng, (4, 6))
    x = rng.integers(0, 10, size=(h, w)).astype(np.float64)  # (H, W) a feature map after ReLU
    pooled = pool2d(x, kernel_size=k, stride=k, mode="max").output  # (H/k, W/k)
    i, j = int(rng.integers(pooled.shape[0])), int(rng.integers(pooled.shape[1]))
    expected = float(pooled[i, j])
    window = x[i * k : (i + 1) * k, j * k : (j + 1) * k]  # (k, k)
    mean = float(window.mean())
    top, left = i * k + 1, j * k + 1
    explanation = (
        f"Output row {i + 1}, column {j + 1} pools the {k}×{k} window of rows {top}–{top + k - 1}"
        f", columns {left}–{left + k - 1} (stride {k}: windows do not overlap): "
        f"max({_window_text(x, i, j, k)}) = {show_number(expected)}."
    )
    mistakes = (
        Mistake(
            "averaged",
            "You averaged the window: that is average pooling. Max pooling keeps the largest "
            "value.",
            test=lambda v: abs(v - mean) < 0.01 and mean != expected,  # 2.33 for 7/3
        ),
        Mistake(
            "window-not-strided",
            f"You took the window starting at row {i + 1}, column {j + 1}. With stride {k} the "
            f"windows do not overlap: output (i, j) covers rows (i − 1)·{k} + 1 … i·{k}.",
            value=float(x[i : i + k, j : j + k].max()),
        ),
        Mistake(
            "took-minimum",
            "Max pooling keeps the largest value; you took the smallest.",
            value=float(window.min()),
        ),
        Mistake("summed", "Pooling takes the maximum, not the sum.", value=float(window.sum())),
    )
    prompt = (
        f"The {h}×{w} map X goes through {k}×{k} max pooling with stride {k}. What is the pooled "
        f"value at row {i + 1}, column {j + 1} (counted from 1)?"
    )
    return Problem(
        prompt=prompt,
        inputs={"input": x.astype(int).tolist(), "kernel": k, "stride": k, "cell": [i, j]},
        answer=Integer(example="7", description="a whole number, e.g. 7 or -2"),
        expected=expected,
        explanation=explanation,
        general_hint=f"Find the {k}×{k} block of X under this output (blocks do not overlap) "
        "and keep its largest value.",
        mistakes=mistakes,
    )


def make_pooled_size(rng: np.random.Generator) -> Problem:
    """⌊H/2⌋ × ⌊W/2⌋ for the tutorial's 2×2 pooling with stride 2 (maps up to 16×16, which
    the equivariance page can pool)."""
    k = 2
    h, w = int(rng.integers(3, 17)), int(rng.integers(3, 17))
    geometry = pool_geometry((h, w), kernel_size=k, stride=k)
    expected = geometry.output_size
    _, text, _ = geometry.formula()
    explanation = (
        f"Each output covers its own {k}×{k} block, so the map shrinks by a factor {k} along "
        f"each side, rounding down (a last, partial block is dropped): {text}."
    )
    mistakes = (
        Mistake(
            "rounded-up",
            "You rounded up: a last, incomplete window is dropped (PyTorch's default "
            "ceil_mode=False), so ⌊H/k⌋.",
            value=(-(-h // k), -(-w // k)),
        ),
        Mistake(
            "ignored-stride",
            f"That is the size for stride 1 (H − k + 1). With stride {k} the windows do not "
            f"overlap and the map shrinks by a factor {k}.",
            value=(h - k + 1, w - k + 1),
        ),
        swapped(expected),
    )
    prompt = (
        f"A {h}×{w} feature map (height × width) goes through {k}×{k} max pooling with stride "
        f"{k}. What is the size of the pooled map (rows × columns)?"
    )
    return Problem(
        prompt=prompt,
        inputs={"size": [h, w], "kernel": k, "stride": k},
        answer=Size(square=False),
        expected=expected,
        explanation=explanation,
        general_hint="Divide each side by the stride and round down: ⌊H/k⌋ × ⌊W/k⌋.",
        mistakes=mistakes,
    )


def _cells(mask: np.ndarray) -> frozenset[tuple[int, int]]:
    return frozenset((int(r) + 1, int(c) + 1) for r, c in np.argwhere(mask))


def _rows(values: np.ndarray) -> str:
    return " / ".join(" ".join(show_number(v) for v in row) for row in values)


def make_pool_shift(rng: np.random.Generator) -> Problem:
    """Which 2×2 max-pooled values change when the map shifts by one pixel."""
    for _ in range(50):
        h, w = pick(rng, (4, 6)), pick(rng, (4, 6))
        x = rng.integers(0, 3, size=(h, w)).astype(np.float64)  # (H, W) a weak background
        peaks = int(rng.integers(2, 5))
        rows, cols = rng.integers(0, h, size=peaks), rng.integers(0, w, size=peaks)
        x[rows, cols] = rng.integers(5, 10, size=peaks)  # a few strong activations
        dx, dy = pick(rng, ((1, 0), (-1, 0), (0, 1), (0, -1)))
        before = pool2d(x, kernel_size=2, stride=2).output  # (H/2, W/2)
        after = pool2d(shift(x, dx, dy), kernel_size=2, stride=2).output  # (H/2, W/2)
        changed = before != after
        if 0 < changed.sum() < changed.size:
            break
    expected = _cells(changed)
    everything = _cells(np.ones_like(changed))
    explanation = (
        f"Pooled before: {_rows(before)}; after the shift: {_rows(after)} (rows separated by /)."
        " A pooled value stays the same when its window's maximum stays inside the window and "
        "nothing larger moves in; it changes when the maximum leaves across a window border, "
        "a larger value enters, or the zeros that fill in at the border replace the maximum. "
        f"Changed: {Cells().show(expected)}."
    )
    mistakes = (
        Mistake(
            "said-none",
            "Max pooling is only approximately invariant: a maximum that crosses a window "
            "border (or a larger value that moves in) changes that window's output.",
            test=lambda v: not v and bool(expected),
        ),
        Mistake(
            "said-all",
            "Max pooling keeps many values: when a window's maximum stays inside the window "
            "after the shift, its pooled value does not change.",
            test=lambda v: v == everything and expected != everything,
        ),
        Mistake(
            "missed-some",
            "Some other windows change too: look for a maximum at the window's edge that the "
            "shift pushes out, or a larger value pushed in from the neighbouring window.",
            test=lambda v: bool(v) and v < expected,
        ),
        Mistake(
            "too-many",
            "Some cells you listed keep their value: their window's maximum stays inside the "
            "window, so the max is unchanged.",
            test=lambda v: v > expected,
        ),
    )
    prompt = (
        f"The {h}×{w} feature map X goes through 2×2 max pooling with stride 2. X is then "
        f"shifted {shift_words(dx, dy)} (zeros fill in). Which pooled values change? Give "
        "their cells in the pooled map (row, column counted from 1), or none."
    )
    return Problem(
        prompt=prompt,
        inputs={"input": x.astype(int).tolist(), "kernel": 2, "stride": 2, "dx": dx, "dy": dy},
        answer=Cells(),
        expected=expected,
        explanation=explanation,
        general_hint="Pool X and the shifted X window by window and compare: a window's output "
        "changes only if its maximum changes.",
        mistakes=mistakes,
    )
