"""Q1 and Q2b/Q6a exercises: θ′ against torch's SGD, parameter counts against torch layers."""

from __future__ import annotations

import torch
from hypothesis import assume, given

from app.exercises import exercise
from tests.exercises.helpers import answer, seeds


def _sgd_step(inputs: dict) -> list[float]:
    """One torch SGD step; weight_decay=w adds w·θ to the gradient, so w = 2λ is L2 with λ."""
    theta = torch.tensor(inputs["theta"], dtype=torch.float64, requires_grad=True)
    theta.grad = torch.tensor(inputs["gradient"], dtype=torch.float64)
    optimizer = torch.optim.SGD([theta], lr=inputs["lr"], weight_decay=2 * inputs["weight_decay"])
    optimizer.step()
    return theta.detach().tolist()


@given(seed=seeds)
def test_weight_decay_step_is_torchs_sgd_step(seed: int) -> None:
    after = _sgd_step(exercise("weight-decay-step", seed).inputs)
    verdict = answer("weight-decay-step", seed, ", ".join(f"{v:.4f}" for v in after))
    assert verdict.correct
    assert verdict.expected_value == [round(v, 10) for v in verdict.expected_value]
    assert all(
        abs(a - b) < 1e-9 for a, b in zip(verdict.expected_value, after, strict=True)
    )  # rounded to 1e-10


@given(seed=seeds)
def test_weight_decay_step_forgetting_the_2_gets_its_hint(seed: int) -> None:
    i = exercise("weight-decay-step", seed).inputs
    wrong = [
        t - i["lr"] * (g + i["weight_decay"] * t)
        for t, g in zip(i["theta"], i["gradient"], strict=True)
    ]
    right = _sgd_step(i)
    assume(max(abs(a - b) for a, b in zip(wrong, right, strict=True)) > 0.002)
    verdict = answer("weight-decay-step", seed, "[" + ", ".join(map(str, wrong)) + "]")
    assert not verdict.correct
    assert verdict.mistake == "forgot-the-2"
    assert verdict.hint.startswith("You used λθ for the gradient of λ‖θ‖²; it is 2λθ")


@given(seed=seeds)
def test_weight_decay_step_without_decay_gets_its_hint(seed: int) -> None:
    i = exercise("weight-decay-step", seed).inputs
    plain = [t - i["lr"] * g for t, g in zip(i["theta"], i["gradient"], strict=True)]
    half = [
        t - i["lr"] * (g + i["weight_decay"] * t)
        for t, g in zip(i["theta"], i["gradient"], strict=True)
    ]
    assume(max(abs(a - b) for a, b in zip(plain, half, strict=True)) > 0.002)
    verdict = answer("weight-decay-step", seed, " ".join(f"{v:.6f}" for v in plain))
    assert verdict.mistake == "no-weight-decay"


def _torch_parameters(inputs: dict) -> int:
    if inputs["kind"] == "fc":
        layer = torch.nn.Linear(inputs["in_features"], inputs["out_features"])
    else:
        k = inputs["kernel"]
        layer = torch.nn.Conv2d(inputs["in_channels"], inputs["filters"], (k, k))
    return sum(p.numel() for p in layer.parameters())


@given(seed=seeds)
def test_parameter_count_is_torchs_count(seed: int) -> None:
    total = _torch_parameters(exercise("parameter-count", seed).inputs)
    assert answer("parameter-count", seed, str(total)).correct
    assert answer("parameter-count", seed, f"{total:,}").correct
    assert answer("parameter-count", seed, str(total)).expected_value == total


@given(seed=seeds)
def test_parameter_count_without_biases_gets_the_bias_hint(seed: int) -> None:
    inputs = exercise("parameter-count", seed).inputs
    units = inputs["out_features"] if inputs["kind"] == "fc" else inputs["filters"]
    verdict = answer("parameter-count", seed, str(_torch_parameters(inputs) - units))
    assert verdict.mistake == "forgot-bias"
    assert verdict.hint.startswith("You forgot the bias: each of the")


def test_parameter_count_the_tutorials_layers() -> None:
    seed_fc = next(
        s
        for s in range(2000)
        if exercise("parameter-count", s).inputs
        == {"kind": "fc", "in_features": 784, "out_features": 100}
    )
    assert answer("parameter-count", seed_fc, "78,500").correct
    seed_conv = next(
        s
        for s in range(5000)
        if exercise("parameter-count", s).inputs
        == {"kind": "conv", "in_channels": 1, "filters": 100, "kernel": 5}
    )
    assert answer("parameter-count", seed_conv, "2600").correct
    assert answer("parameter-count", seed_conv, "2500").mistake == "forgot-bias"
