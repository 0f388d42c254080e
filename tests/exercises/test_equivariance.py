"""Q3c and Q5 exercises against torch: the moved maximum, pooled values and sizes, and the
pooled cells a one-pixel shift changes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import assume, given

from app.exercises import exercise
from tests.exercises.helpers import answer, seeds


def _t(matrix: list) -> torch.Tensor:
    return torch.tensor(matrix, dtype=torch.float64)[None, None]


def _shifted(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Translate by dx columns right and dy rows down, zeros filling in (pad, then crop)."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)))
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[..., top : top + h, left : left + w]


def _argmax_cell(y: torch.Tensor) -> tuple[int, int]:
    flat = int(torch.argmax(y[0, 0]))
    return divmod(flat, y.shape[-1])


@given(seed=seeds)
def test_feature_shift_answer_is_torchs_moved_maximum(seed: int) -> None:
    i = exercise("feature-shift", seed).inputs
    x, k = _t(i["input"]), _t(i["kernel"])
    assert _argmax_cell(F.conv2d(x, k, stride=i["stride"])) == tuple(i["cell"])
    row, col = _argmax_cell(F.conv2d(_shifted(x, i["dx"], i["dy"]), k, stride=i["stride"]))
    verdict = answer("feature-shift", seed, f"{row + 1}, {col + 1}")
    assert verdict.correct
    assert verdict.expected_value == [row + 1, col + 1]


@given(seed=seeds)
def test_feature_shift_moves_by_the_shift_over_the_stride(seed: int) -> None:
    i = exercise("feature-shift", seed).inputs
    row, col = i["cell"][0] + i["dy"] // i["stride"], i["cell"][1] + i["dx"] // i["stride"]
    assert answer("feature-shift", seed, f"({row + 1}, {col + 1})").correct


@given(seed=seeds)
def test_feature_shift_unmoved_answer_gets_the_equivariance_hint(seed: int) -> None:
    i = exercise("feature-shift", seed).inputs
    verdict = answer("feature-shift", seed, f"{i['cell'][0] + 1},{i['cell'][1] + 1}")
    assert (verdict.correct, verdict.mistake) == (False, "did-not-move")
    assert verdict.hint.startswith("A convolution is equivariant, not invariant")


@given(seed=seeds)
def test_feature_shift_with_stride_2_moving_by_the_full_shift_gets_the_stride_hint(
    seed: int,
) -> None:
    i = exercise("feature-shift", seed).inputs
    assume(i["stride"] == 2)
    row, col = i["cell"][0] + i["dy"], i["cell"][1] + i["dx"]
    assume(min(row, col) >= -1)  # a cell the student can write (row 0 is readable, −1 is not)
    verdict = answer("feature-shift", seed, f"{row + 1},{col + 1}")
    assert verdict.mistake == "ignored-stride"


@given(seed=seeds)
def test_max_pool_value_is_torchs(seed: int) -> None:
    i = exercise("max-pool-value", seed).inputs
    pooled = F.max_pool2d(_t(i["input"]), i["kernel"], stride=i["stride"])[0, 0]
    value = int(pooled[i["cell"][0], i["cell"][1]])
    assert answer("max-pool-value", seed, str(value)).correct


@given(seed=seeds)
def test_max_pool_value_average_gets_the_average_pooling_hint(seed: int) -> None:
    i = exercise("max-pool-value", seed).inputs
    k, (r, c) = i["kernel"], i["cell"]
    window = np.array(i["input"], dtype=float)[r * k : (r + 1) * k, c * k : (c + 1) * k]
    assume(window.mean() != window.max())
    verdict = answer("max-pool-value", seed, f"{window.mean():.2f}")
    assert verdict.mistake == "averaged"
    assert verdict.hint.startswith("You averaged the window: that is average pooling.")


@given(seed=seeds)
def test_pooled_size_is_torchs_shape(seed: int) -> None:
    i = exercise("pooled-size", seed).inputs
    out = F.max_pool2d(torch.zeros(1, 1, *i["size"]), i["kernel"], stride=i["stride"])
    rows, cols = out.shape[-2:]
    assert (rows, cols) == (i["size"][0] // i["kernel"], i["size"][1] // i["kernel"])
    for text in (f"{rows}x{cols}", f"{rows} × {cols}", f"({rows}, {cols})"):
        assert answer("pooled-size", seed, text).correct


@given(seed=seeds)
def test_pooled_size_rounded_up_gets_the_floor_hint(seed: int) -> None:
    i = exercise("pooled-size", seed).inputs
    (h, w), k = i["size"], i["kernel"]
    assume(h % k or w % k)
    verdict = answer("pooled-size", seed, f"{-(-h // k)}x{-(-w // k)}")
    assert verdict.mistake == "rounded-up"


def _changed(i: dict) -> set[tuple[int, int]]:
    x = _t(i["input"])
    before = F.max_pool2d(x, 2, stride=2)[0, 0]
    after = F.max_pool2d(_shifted(x, i["dx"], i["dy"]), 2, stride=2)[0, 0]
    return {(int(r) + 1, int(c) + 1) for r, c in torch.nonzero(before != after)}


@given(seed=seeds)
def test_pool_shift_cells_are_the_ones_torch_changes(seed: int) -> None:
    i = exercise("pool-shift", seed).inputs
    cells = _changed(i)
    text = "; ".join(f"{r},{c}" for r, c in sorted(cells)) or "none"
    verdict = answer("pool-shift", seed, text)
    assert verdict.correct
    assert verdict.expected_value == [list(cell) for cell in sorted(cells)]


@given(seed=seeds)
def test_pool_shift_none_gets_the_not_fully_invariant_hint(seed: int) -> None:
    i = exercise("pool-shift", seed).inputs
    assume(_changed(i))
    verdict = answer("pool-shift", seed, "none")
    assert verdict.mistake == "said-none"
    assert verdict.hint.startswith("Max pooling is only approximately invariant")


@given(seed=seeds)
def test_pool_shift_missing_a_cell_gets_the_missed_some_hint(seed: int) -> None:
    i = exercise("pool-shift", seed).inputs
    cells = sorted(_changed(i))
    assume(len(cells) >= 2)
    verdict = answer("pool-shift", seed, str([list(c) for c in cells[1:]]))
    assert verdict.mistake == "missed-some"
