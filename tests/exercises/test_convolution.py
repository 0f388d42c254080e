"""Convolution exercises: Y_ij against torch, the output side against torch and the formula,
the Q3b counts against the formula written here; typical mistakes get their hint."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import assume, given

from app.exercises import exercise
from tests.exercises.helpers import answer, problem, seeds


def _torch_conv(x: list, k: list, stride: int, padding: int, flip: bool = False) -> np.ndarray:
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    kt = torch.tensor(k, dtype=torch.float64)[None, None]
    if flip:
        kt = torch.flip(kt, dims=(2, 3))
    return F.conv2d(xt, kt, stride=stride, padding=padding)[0, 0].numpy()


@given(seed=seeds)
def test_conv_output_value_is_torchs_value_at_the_cell(seed: int) -> None:
    inputs = exercise("conv-output-value", seed).inputs
    y = _torch_conv(inputs["input"], inputs["kernel"], inputs["stride"], inputs["padding"])
    i, j = inputs["cell"]
    verdict = answer("conv-output-value", seed, str(int(y[i, j])))
    assert verdict.correct
    assert verdict.expected_value == int(y[i, j])


@given(seed=seeds)
def test_conv_output_value_flipped_kernel_gets_the_flip_hint(seed: int) -> None:
    inputs = exercise("conv-output-value", seed).inputs
    i, j = inputs["cell"]
    args = (inputs["input"], inputs["kernel"], inputs["stride"], inputs["padding"])
    right, flipped = _torch_conv(*args)[i, j], _torch_conv(*args, flip=True)[i, j]
    assume(right != flipped)
    verdict = answer("conv-output-value", seed, f"{flipped:.1f}")
    assert not verdict.correct
    assert verdict.mistake == "flipped-kernel"
    assert verdict.hint.startswith("You flipped the kernel")


def test_conv_output_value_the_tutorials_numbers() -> None:
    # find a seed with the tutorial's setting is not needed: the check uses the drawn X and K,
    # so verify the formula on the tutorial's X, K against the engine the kind calls.
    from app.engine.conv import conv2d

    x = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 2, 1, 0], [1, 0, 2, 2]]
    k = [[1, -1], [0, 1]]
    np.testing.assert_array_equal(
        conv2d(np.array(x, float), np.array(k, float)), [[0, 5, 0], [1, -1, 2], [0, 3, 3]]
    )


def test_conv_output_value_ignored_padding_gets_the_padding_hint() -> None:
    seed = next(
        s
        for s in range(1000)
        if any(m.tag == "ignored-padding" for m in problem("conv-output-value", s).mistakes)
        and _differs(s, "ignored-padding")
    )
    value = _mistake_value(seed, "ignored-padding")
    verdict = answer("conv-output-value", seed, str(int(value)))
    assert verdict.mistake == "ignored-padding"
    assert verdict.hint.startswith("You read the window from X without its padding.")


def test_conv_output_value_ignored_stride_gets_the_stride_hint() -> None:
    seed = next(s for s in range(1000) if _differs(s, "ignored-stride"))
    inputs = exercise("conv-output-value", seed).inputs
    i, j = inputs["cell"]
    value = _torch_conv(inputs["input"], inputs["kernel"], 1, inputs["padding"])[i, j]
    verdict = answer("conv-output-value", seed, str(int(value)))
    assert verdict.mistake in ("ignored-stride", "flipped-kernel", "ignored-padding")
    if _mistake_value(seed, "flipped-kernel") != value:
        assert verdict.mistake == "ignored-stride"
        assert verdict.hint.startswith("You moved the window by one pixel per output.")


def _mistake_value(seed: int, tag: str) -> float:
    return next(m.value for m in problem("conv-output-value", seed).mistakes if m.tag == tag)


def _differs(seed: int, tag: str) -> bool:
    drawn = problem("conv-output-value", seed)
    values = [m.value for m in drawn.mistakes if m.tag == tag]
    return bool(values) and values[0] != drawn.expected


def _side(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@given(seed=seeds)
def test_output_size_is_the_shape_torch_computes(seed: int) -> None:
    inputs = exercise("output-size", seed).inputs
    x = torch.zeros(1, 1, inputs["size"], inputs["size"])
    w = torch.zeros(1, 1, inputs["kernel"], inputs["kernel"])
    out = F.conv2d(
        x, w, stride=inputs["stride"], padding=inputs["padding"], dilation=inputs["dilation"]
    )
    side = out.shape[-1]
    assert side == _side(*(inputs[n] for n in ("size", "kernel", "stride", "padding", "dilation")))
    for text in (str(side), f"{side}x{side}", f"{side} × {side}", f"{side}.0"):
        assert answer("output-size", seed, text).correct


@given(seed=seeds)
def test_output_size_without_padding_gets_the_padding_hint(seed: int) -> None:
    i = exercise("output-size", seed).inputs
    size, k, s, p, d = i["size"], i["kernel"], i["stride"], i["padding"], i["dilation"]
    right = _side(size, k, s, p, d)
    wrong = _side(size, k, s, 0, d)
    assume(p > 0 and size >= d * (k - 1) + 1 and wrong != right)
    verdict = answer("output-size", seed, str(wrong))
    assert not verdict.correct
    assert verdict.mistake == "forgot-padding"
    assert verdict.hint == (
        f"You left out the padding: it adds {p} {'row' if p == 1 else 'rows'} on each side, so "
        f"the window slides over "
        f"H + 2p = {size + 2 * p} pixels, not {size}."
    )


@given(seed=seeds)
def test_output_size_rounded_up_gets_the_floor_hint(seed: int) -> None:
    i = exercise("output-size", seed).inputs
    free = i["size"] + 2 * i["padding"] - i["dilation"] * (i["kernel"] - 1) - 1
    up = -(-free // i["stride"]) + 1
    right = free // i["stride"] + 1
    assume(up != right)
    verdict = answer("output-size", seed, str(up))
    # an earlier mistake in the list may give the same number; then its hint is shown
    assert verdict.mistake is not None
    if verdict.mistake == "rounded-up":
        assert verdict.hint.startswith("You rounded up")


def _torch_inputs_read(i: dict) -> int:
    """Entries of X with ∂Y_ij/∂X ≠ 0 (torch autograd; weights and X all ones, so no term
    cancels): the input values the asked output depends on."""
    c, n, k = i["in_channels"], i["size"], i["kernel"]
    x = torch.ones(1, c, n, n, dtype=torch.float64, requires_grad=True)
    w = torch.ones(1, c, k, k, dtype=torch.float64)
    y = F.conv2d(x, w, stride=i["stride"], padding=i["padding"])
    y[0, 0, i["cell"][0], i["cell"][1]].backward()
    return int(torch.count_nonzero(x.grad))


def _independent_count(i: dict) -> int:
    if i["ask"] == "inputs_per_output":
        return _torch_inputs_read(i)
    if i["ask"] == "filter_weights":
        return i["in_channels"] * i["kernel"] ** 2
    out = (i["size"] + 2 * i["padding"] - i["kernel"]) // i["stride"] + 1
    return out * out


@given(seed=seeds)
def test_weight_sharing_count_is_the_formula_or_torchs_gradient(seed: int) -> None:
    inputs = exercise("weight-sharing", seed).inputs
    expected = _independent_count(inputs)
    assert answer("weight-sharing", seed, str(expected)).correct
    assert not answer("weight-sharing", seed, str(expected + 1)).correct


def test_inputs_per_output_is_torchs_count_over_many_seeds() -> None:
    asked = [
        s for s in range(600) if exercise("weight-sharing", s).inputs["ask"] == "inputs_per_output"
    ]
    at_border = 0
    for seed in asked:
        inputs = exercise("weight-sharing", seed).inputs
        count = _torch_inputs_read(inputs)
        verdict = answer("weight-sharing", seed, str(count))
        assert verdict.correct, (seed, inputs, count, verdict.expected)
        at_border += count < inputs["in_channels"] * inputs["kernel"] ** 2
    assert len(asked) > 150 and at_border > 10  # the border case is drawn, and checked


def test_inputs_per_output_at_the_border_seed_14_is_16_not_25() -> None:
    # 5×5 kernel, padding 1, on 10×10: the window of output (1, 1) covers rows and columns
    # 0…4 of the padded input, of which 1…4 are X: 4·4 = 16 real pixels
    inputs = {"size": 10, "kernel": 5, "in_channels": 1, "stride": 1, "padding": 1}
    assert _torch_inputs_read({**inputs, "cell": [0, 0]}) == 16
    seed = next(
        s
        for s in range(2000)
        if (i := exercise("weight-sharing", s).inputs)["ask"] == "inputs_per_output"
        and i["padding"] == 1
        and i["cell"] == [0, 0]
    )
    i = exercise("weight-sharing", seed).inputs
    real = _torch_inputs_read(i)
    assert real < i["in_channels"] * i["kernel"] ** 2
    assert answer("weight-sharing", seed, str(real)).correct


def test_weight_sharing_counting_the_padding_gets_the_padding_hint() -> None:
    tried = 0
    for seed in range(400):
        inputs = exercise("weight-sharing", seed).inputs
        if inputs["ask"] != "inputs_per_output":
            continue
        window = inputs["in_channels"] * inputs["kernel"] ** 2
        if _torch_inputs_read(inputs) == window:
            continue
        verdict = answer("weight-sharing", seed, str(window))
        assert not verdict.correct
        assert verdict.mistake == "counted-padding"
        assert verdict.hint.startswith("You counted the zeros of the padding: this output sits")
        tried += 1
    assert tried > 5


def test_the_prompt_names_the_output_and_excludes_the_padding() -> None:
    seed = next(
        s for s in range(100) if exercise("weight-sharing", s).inputs["ask"] == "inputs_per_output"
    )
    drawn = exercise("weight-sharing", seed)
    i, j = drawn.inputs["cell"]
    assert drawn.prompt.endswith(
        "How many input values (entries of X; the zeros of the padding are not input values) "
        f"does the output at row {i + 1}, column {j + 1} (counted from 1) depend on?"
    )


@given(seed=seeds)
def test_weight_sharing_whole_image_is_recognised(seed: int) -> None:
    inputs = exercise("weight-sharing", seed).inputs
    assume(inputs["ask"] == "inputs_per_output")
    whole = inputs["in_channels"] * inputs["size"] ** 2
    verdict = answer("weight-sharing", seed, str(whole))
    assert verdict.mistake == "whole-image"
    assert verdict.hint.startswith("You counted the whole image")
