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
        f"You left out the padding: it adds {p} rows on each side, so the window slides over "
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


def _independent_counts(i: dict) -> dict:
    out = (i["size"] + 2 * i["padding"] - i["kernel"]) // i["stride"] + 1
    return {
        "inputs_per_output": i["in_channels"] * i["kernel"] ** 2,
        "filter_weights": i["in_channels"] * i["kernel"] ** 2,
        "outputs_sharing": out * out,
    }


@given(seed=seeds)
def test_weight_sharing_count_is_the_formula(seed: int) -> None:
    inputs = exercise("weight-sharing", seed).inputs
    expected = _independent_counts(inputs)[inputs["ask"]]
    assert answer("weight-sharing", seed, str(expected)).correct
    assert not answer("weight-sharing", seed, str(expected + 1)).correct


@given(seed=seeds)
def test_weight_sharing_whole_image_is_recognised(seed: int) -> None:
    inputs = exercise("weight-sharing", seed).inputs
    assume(inputs["ask"] == "inputs_per_output")
    whole = inputs["in_channels"] * inputs["size"] ** 2
    verdict = answer("weight-sharing", seed, str(whole))
    assert verdict.mistake == "whole-image"
    assert verdict.hint.startswith("You counted the whole image")
