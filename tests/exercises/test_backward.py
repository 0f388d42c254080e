"""Backward / transposed exercises: the touched input gradients from torch autograd, the
transposed output side from torch's ConvTranspose2d."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import assume, given

from app.exercises import exercise
from tests.exercises.helpers import answer, seeds


def _reached(i: dict) -> set[tuple[int, int]]:
    """Cells (1-based) where ∂L/∂X ≠ 0 for L = Y_ij, K all ones, X random."""
    x = torch.rand(1, 1, i["size"], i["size"], dtype=torch.float64, requires_grad=True)
    k = torch.ones(1, 1, i["kernel"], i["kernel"], dtype=torch.float64)
    y = F.conv2d(x, k, stride=i["stride"], padding=i["padding"])
    y[0, 0, i["cell"][0], i["cell"][1]].backward()
    return {(int(r) + 1, int(c) + 1) for r, c in torch.nonzero(x.grad[0, 0])}


@given(seed=seeds)
def test_grad_input_entries_are_where_torchs_gradient_is_nonzero(seed: int) -> None:
    i = exercise("grad-input-entries", seed).inputs
    cells = _reached(i)
    verdict = answer("grad-input-entries", seed, "; ".join(f"{r},{c}" for r, c in cells))
    assert verdict.correct
    assert verdict.expected_value == [list(c) for c in sorted(cells)]


@given(seed=seeds)
def test_grad_input_entries_as_json_are_accepted(seed: int) -> None:
    cells = sorted(_reached(exercise("grad-input-entries", seed).inputs))
    assert answer("grad-input-entries", seed, str([list(c) for c in cells[::-1]])).correct


@given(seed=seeds)
def test_grad_input_entries_window_without_the_stride_gets_its_hint(seed: int) -> None:
    i = exercise("grad-input-entries", seed).inputs
    s, p, k, n = i["stride"], i["padding"], i["kernel"], i["size"]
    rows = [i["cell"][0] - p + a for a in range(k) if 0 <= i["cell"][0] - p + a < n]
    cols = [i["cell"][1] - p + b for b in range(k) if 0 <= i["cell"][1] - p + b < n]
    wrong = {(r + 1, c + 1) for r in rows for c in cols}
    assume(s > 1 and wrong and wrong != _reached(i))
    verdict = answer("grad-input-entries", seed, "; ".join(f"{r},{c}" for r, c in wrong))
    assert verdict.mistake == "ignored-stride"


@given(seed=seeds)
def test_grad_input_entries_with_padding_cells_gets_the_padding_hint(seed: int) -> None:
    i = exercise("grad-input-entries", seed).inputs
    cells = _reached(i) | {(i["size"] + 1, 1)}
    verdict = answer("grad-input-entries", seed, "; ".join(f"{r},{c}" for r, c in cells))
    assert verdict.mistake == "included-padding"


def _transposed_side(i: dict) -> int:
    x = torch.zeros(1, 1, i["size"], i["size"])
    w = torch.zeros(1, 1, i["kernel"], i["kernel"])
    y = F.conv_transpose2d(
        x,
        w,
        stride=i["stride"],
        padding=i["padding"],
        output_padding=i["output_padding"],
        dilation=i["dilation"],
    )
    return y.shape[-1]


@given(seed=seeds)
def test_transposed_output_size_is_torchs_shape(seed: int) -> None:
    side = _transposed_side(exercise("transposed-output-size", seed).inputs)
    assert answer("transposed-output-size", seed, f"{side} × {side}").correct


@given(seed=seeds)
def test_a_convolution_maps_the_transposed_output_back_to_the_input_size(seed: int) -> None:
    i = exercise("transposed-output-size", seed).inputs
    side = _transposed_side(i)
    back = F.conv2d(
        torch.zeros(1, 1, side, side),
        torch.zeros(1, 1, i["kernel"], i["kernel"]),
        stride=i["stride"],
        padding=i["padding"],
        dilation=i["dilation"],
    )
    assert back.shape[-1] == i["size"]


@given(seed=seeds)
def test_transposed_output_size_with_the_conv_formula_gets_its_hint(seed: int) -> None:
    i = exercise("transposed-output-size", seed).inputs
    conv = (i["size"] + 2 * i["padding"] - i["dilation"] * (i["kernel"] - 1) - 1) // i["stride"] + 1
    assume(conv >= 1 and conv != _transposed_side(i))
    assert answer("transposed-output-size", seed, str(conv)).mistake == "used-conv-formula"
