"""Anti-aliased pooling exercises (tutorial Q5b, taken further: Zhang 2019).

2×2 max pooling with stride 2 subsamples: a one-pixel shift of the input is half a cell of the
pooled grid, which it cannot represent, so a pooled value either stays or jumps by the whole
peak. Max-blur-pool takes the 2×2 max at stride 1, then blurs with [1, 2, 1] ⊗ [1, 2, 1] / 16
(reflect padding 1) before keeping every second value, so a shifted peak moves its weight
gradually. Expected answers come from ``app.engine.pooling`` and ``app.engine.shift``.
"""

from __future__ import annotations

import numpy as np

from app.engine.pooling import blurmax_geometry, max_blur_pool2d, pool2d
from app.engine.shift import shift
from app.exercises.answers import Number, Size, show_number
from app.exercises.base import Mistake, Problem, pick, swapped
from app.exercises.equivariance import shift_words

SIDE = 8


def _largest_change(before: np.ndarray, after: np.ndarray) -> float:
    return float(np.abs(after - before).max())


def make_blurmax_shift(rng: np.random.Generator) -> Problem:
    """How much the largest max-blur-pooled value changes when a single peak moves one pixel."""
    peak = pick(rng, (16, 32, 48))
    r, c = int(rng.integers(2, SIDE - 2)), int(rng.integers(2, SIDE - 2))  # away from the border
    dx, dy = pick(rng, ((1, 0), (-1, 0), (0, 1), (0, -1)))
    x = np.zeros((SIDE, SIDE))  # (8, 8)
    x[r, c] = peak
    moved = shift(x, dx, dy)
    blur = _largest_change(max_blur_pool2d(x).output, max_blur_pool2d(moved).output)
    hard = _largest_change(pool2d(x, kernel_size=2).output, pool2d(moved, kernel_size=2).output)
    if hard > 0:
        plain = (
            f"moves the whole peak into the next window: one pooled value drops by {peak} and "
            f"another rises by {peak}"
        )
    else:
        plain = "keeps the peak in its window, so nothing changes"
    explanation = (
        f"2×2 max pooling {plain}. Max-blur-pool first spreads the peak over a 2×2 block (the "
        "max at stride 1), then its [1, 2, 1] ⊗ [1, 2, 1] / 16 blur weighs that block by 1, 2 or 4 "
        f"sixteenths in each output window; after the shift the weights move by one tap. The "
        f"largest change of a blurred value is {show_number(blur)} = {show_number(blur / peak)} × "
        f"{peak}: a gradual move instead of a jump."
    )
    mistakes = [
        Mistake(
            "no-change",
            "Blurring does not make pooling invariant: the peak's weight moves between "
            "neighbouring outputs, it only moves gradually.",
            value=0.0,
        ),
        Mistake(
            "whole-peak",
            "That is the jump of plain max pooling. The blur spreads the peak over several "
            "outputs, each holding a part of it, so no single output changes by the whole peak.",
            value=float(peak),
        ),
    ]
    if hard != blur and hard not in (0.0, float(peak)):
        mistakes.append(Mistake("max-pool", "That is max pooling's change.", value=hard))
    prompt = (
        f"An {SIDE}×{SIDE} feature map is 0 except one activation of {peak} at row {r + 1}, column "
        f"{c + 1} (counted from 1). It goes through max-blur-pool: 2×2 max at stride 1, then the "
        "3×3 blur [1, 2, 1] ⊗ [1, 2, 1] / 16 with reflect padding 1 at stride 2. Now the map is "
        f"shifted {shift_words(dx, dy)}. By how much does the most-changed pooled value change "
        "(its absolute change)?"
    )
    return Problem(
        prompt=prompt,
        inputs={"input": x.astype(int).tolist(), "dx": dx, "dy": dy, "mode": "blurmax"},
        answer=Number(tolerance=0.01, example="6", description="a number, e.g. 6 or 4.5"),
        expected=blur,
        explanation=explanation,
        general_hint="Take the 2×2 max at stride 1 (the peak fills a 2×2 block), then for each "
        "output add 1, 2 or 4 sixteenths of every block cell under its 3×3 window; do it before "
        "and after the shift and compare.",
        mistakes=tuple(mistakes),
    )


def make_blurmax_size(rng: np.random.Generator) -> Problem:
    """The output size of max-blur-pool: ⌊H/2⌋ × ⌊W/2⌋, as 2×2 max pooling gives."""
    h, w = int(rng.integers(3, 31)), int(rng.integers(3, 31))
    geometry = blurmax_geometry((h, w))
    expected = geometry.output_size
    _, text, _ = geometry.formula()
    explanation = (
        f"The 2×2 max at stride 1 gives ({h} − 1) × ({w} − 1); reflect padding by 1 on each side "
        f"and the 3×3 blur at stride 2 give {text}, which is ⌊H/2⌋ × ⌊W/2⌋: the same size as "
        "2×2 max pooling, so it can replace it in any network."
    )
    mistakes = (
        Mistake(
            "stopped-after-max",
            "That is the size after the dense 2×2 max at stride 1; the blur then keeps every "
            "second value.",
            value=(h - 1, w - 1),
        ),
        Mistake(
            "forgot-padding",
            "The blur is applied to the map padded by 1 on every side (reflect), so the "
            "stride-2 windows reach one more position: ⌊H/2⌋, not ⌊H/2⌋ − 1.",
            value=(h // 2 - 1, w // 2 - 1),
        ),
        Mistake(
            "rounded-up",
            "A last, partial window is dropped: the size rounds down, ⌊H/2⌋.",
            value=(-(-h // 2), -(-w // 2)),
        ),
        swapped(expected),
    )
    prompt = (
        f"A {h}×{w} feature map (height × width) goes through max-blur-pool: 2×2 max at stride 1, "
        "then a 3×3 blur with reflect padding 1 at stride 2. What is the size of the pooled map "
        "(rows × columns)?"
    )
    return Problem(
        prompt=prompt,
        inputs={"size": [h, w], "mode": "blurmax"},
        answer=Size(square=False),
        expected=expected,
        explanation=explanation,
        general_hint="Work the two stages out one after the other: H − 1 after the max, then "
        "⌊(H − 1 + 2 − 3)/2⌋ + 1 after the blur.",
        mistakes=mistakes,
    )
