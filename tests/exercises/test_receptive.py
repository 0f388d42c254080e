"""Q4 exercises: R_L against 1 + L(k − 1) written here, the pooled stack against the footprint
of a torch gradient (average pooling has max pooling's geometry and spreads to every pixel)."""

from __future__ import annotations

import torch
from hypothesis import assume, given, settings

from app.exercises import exercise
from tests.exercises.helpers import answer, seeds


@given(seed=seeds)
def test_receptive_field_is_one_plus_l_times_k_minus_1(seed: int) -> None:
    inputs = exercise("receptive-field", seed).inputs
    side = 1 + inputs["layers"] * (inputs["kernel"] - 1)
    for text in (str(side), f"{side}x{side}", f"{side} × {side}"):
        assert answer("receptive-field", seed, text).correct


@given(seed=seeds)
def test_receptive_field_l_times_k_gets_the_k_minus_1_hint(seed: int) -> None:
    inputs = exercise("receptive-field", seed).inputs
    assume(inputs["layers"] > 1)  # one layer: L·k = 1 + L(k − 1) = k, not a mistake
    verdict = answer("receptive-field", seed, str(inputs["layers"] * inputs["kernel"]))
    assert verdict.mistake == "used-k-not-k-minus-1"
    assert verdict.hint.startswith(f"Each layer adds k − 1 = {inputs['kernel'] - 1} pixels, not k")


@given(seed=seeds)
def test_receptive_field_without_the_1_gets_its_hint(seed: int) -> None:
    inputs = exercise("receptive-field", seed).inputs
    wrong = inputs["layers"] * (inputs["kernel"] - 1)
    assume(wrong != inputs["layers"] * inputs["kernel"])
    assert answer("receptive-field", seed, str(wrong)).mistake == "forgot-the-1"


def _footprint(layers: list[dict]) -> int:
    """Width of the input region whose gradient is non-zero for one unit of the last layer."""
    modules = []
    for spec in layers:
        k = spec["kernel"]
        if spec["type"] == "conv":
            conv = torch.nn.Conv2d(1, 1, k, stride=spec["stride"], bias=False)
            torch.nn.init.constant_(conv.weight, 1.0)
            modules.append(conv)
        else:
            modules.append(torch.nn.AvgPool2d(k, stride=spec["stride"]))
    net = torch.nn.Sequential(*modules).double()
    x = torch.ones(1, 1, 96, 96, dtype=torch.float64, requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    columns = (x.grad[0, 0] != 0).any(dim=0).nonzero()
    return int(columns.max() - columns.min() + 1)


@settings(max_examples=25)  # a torch backward per example; the stacks are few
@given(seed=seeds)
def test_receptive_field_pooling_is_the_torch_gradient_footprint(seed: int) -> None:
    layers = exercise("receptive-field-pooling", seed).inputs["layers"]
    side = _footprint(layers)
    assert answer("receptive-field-pooling", seed, str(side)).correct
    assert answer("receptive-field-pooling", seed, str(side)).expected_value == side


@given(seed=seeds)
def test_receptive_field_pooling_ignoring_the_stride_gets_its_hint(seed: int) -> None:
    layers = exercise("receptive-field-pooling", seed).inputs["layers"]
    wrong = 1 + sum(spec["kernel"] - 1 for spec in layers)
    verdict = answer("receptive-field-pooling", seed, str(wrong))
    assert verdict.mistake == "ignored-stride"
    assert verdict.hint.startswith("You added k − 1 for every layer as if all had stride 1.")
