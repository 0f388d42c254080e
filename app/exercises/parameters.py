"""Parameter exercises: one gradient step with L2 (Q1), parameter counts (Q2b, Q6a).

L(θ) = L_data(θ) + λ‖θ‖², so ∇L = ∇L_data + 2λθ and one step of gradient descent is
θ′ = θ − ε(∇L_data + 2λθ) = (1 − 2ελ)θ − ε∇L_data (Goodfellow et al. §7.1.1). Parameter
counts come from ``app.engine.parameters``: n_in·n_out + n_out for a dense layer,
F·(C·k·k + 1) for F filters of k×k over C channels.
"""

from __future__ import annotations

import numpy as np

from app.engine import parameters as engine
from app.exercises.answers import Integer, Vector, show_number
from app.exercises.base import Mistake, Problem, pick

_LRS = (0.05, 0.1, 0.1, 0.2, 0.5)
_LAMBDAS = (0.01, 0.05, 0.1, 0.1, 0.2, 0.5)


def l2_step(theta: np.ndarray, gradient: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
    """θ′ = (1 − 2ελ)θ − ε∇L_data: one gradient step on L_data + λ‖θ‖²."""
    return (1 - 2 * lr * weight_decay) * theta - lr * gradient


def _vec(values: np.ndarray) -> str:
    """A vector as the page shows it: "[0.5, −1]" (a typographic minus, as in the tutorial)."""
    return "[" + ", ".join(show_number(float(v)).replace("-", "−") for v in values) + "]"


def make_weight_decay_step(rng: np.random.Generator) -> Problem:
    """θ′ after one step from θ, ε, λ and ∇L_data (2 parameters: the page's plot is θ₁, θ₂)."""
    n = 2
    while True:
        lr, lam = pick(rng, _LRS), pick(rng, _LAMBDAS)
        if 2 * lr * lam <= 0.5:
            break
    theta = rng.choice([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0], size=n)  # (n,)
    gradient = rng.integers(-10, 11, size=n) / 10  # (n,) multiples of 0.1 in [−1, 1]
    expected = l2_step(theta, gradient, lr, lam)  # (n,)
    shrink = 1 - 2 * lr * lam
    explanation = (
        f"∇L = ∇L_data + 2λθ, so θ′ = θ − ε(∇L_data + 2λθ) = (1 − 2ελ)θ − ε∇L_data "
        f"= (1 − 2·{show_number(lr)}·{show_number(lam)})·{_vec(theta)} − "
        f"{show_number(lr)}·{_vec(gradient)} = {show_number(shrink)}·{_vec(theta)} − "
        f"{_vec(lr * gradient)} = {_vec(expected)}. The factor {show_number(shrink)} is the "
        "weight decay: every weight shrinks before the data step."
    )
    mistakes = (
        Mistake(
            "forgot-the-2",
            "You used λθ for the gradient of λ‖θ‖²; it is 2λθ (the derivative of θ² is 2θ), "
            "so the shrink factor is 1 − 2ελ.",
            value=tuple(theta - lr * (gradient + lam * theta)),
        ),
        Mistake(
            "decay-without-lr",
            "You subtracted 2λθ without the learning rate: the whole gradient "
            "∇L_data + 2λθ is multiplied by ε, so the shrink factor is 1 − 2ελ.",
            value=tuple(theta - lr * gradient - 2 * lam * theta),
        ),
        Mistake(
            "no-weight-decay",
            "You took the plain gradient step θ − ε∇L_data: the L2 term adds 2λθ to the "
            "gradient, which shrinks θ by the factor (1 − 2ελ).",
            value=tuple(theta - lr * gradient),
        ),
        Mistake(
            "wrong-sign",
            "Gradient descent steps against the gradient: θ′ = θ − ε(…), not θ + ε(…).",
            value=tuple(theta + lr * (gradient + 2 * lam * theta)),
        ),
        Mistake(
            "wrong-sign",
            "The data gradient is subtracted: θ′ = (1 − 2ελ)θ − ε∇L_data.",
            value=tuple(shrink * theta + lr * gradient),
        ),
    )
    prompt = (
        f"The loss is L(θ) = L_data(θ) + λ‖θ‖² with λ = {show_number(lam)}. At θ = "
        f"{_vec(theta)} the data gradient is ∇L_data = {_vec(gradient)}. What is θ after one "
        f"step of gradient descent with learning rate ε = {show_number(lr)}?"
    )
    return Problem(
        prompt=prompt,
        inputs={
            "theta": theta.tolist(),
            "gradient": gradient.tolist(),
            "lr": lr,
            "weight_decay": lam,
        },
        answer=Vector(length=n, tolerance=0.001),
        expected=tuple(float(v) for v in expected),
        explanation=explanation,
        general_hint="Write the gradient of L first (∇L_data + 2λθ), then step against it: "
        "θ′ = θ − ε·∇L.",
        mistakes=mistakes,
    )


_FC_IN = (784, 784, 3072, 196, 256, 512, 1024)
_FC_OUT = (10, 32, 64, 100, 100, 128, 256)
_CHANNELS = (1, 1, 3, 8, 16, 32, 64)
_FILTERS = (6, 8, 16, 32, 64, 100, 100)
_KERNELS = (1, 3, 3, 5, 5, 7)


def make_parameter_count(rng: np.random.Generator) -> Problem:
    """Weights + biases of a dense layer or of a bank of conv filters."""
    if pick(rng, ("fc", "conv")) == "fc":
        n_in, n_out = pick(rng, _FC_IN), pick(rng, _FC_OUT)
        count = engine.dense_parameters(n_in, n_out)
        prompt = (
            f"A fully connected layer maps ℝ^{n_in} → ℝ^{n_out}. How many parameters does it "
            "have, biases included?"
        )
        inputs: dict = {"kind": "fc", "in_features": n_in, "out_features": n_out}
        explanation = (
            f"Each of the {n_out} outputs has one weight per input and one bias: {count.formula}."
        )
        mistakes = [
            Mistake(
                "forgot-bias",
                f"You forgot the bias: each of the {n_out} output units adds one.",
                value=count.weights,
            ),
            Mistake(
                "one-bias",
                "There is one bias per output unit, not one for the whole layer.",
                value=count.weights + 1,
            ),
            Mistake(
                "bias-per-input",
                "Biases belong to the outputs (one per unit), not to the inputs.",
                value=count.weights + n_in,
            ),
        ]
    else:
        c, f, k = pick(rng, _CHANNELS), pick(rng, _FILTERS), pick(rng, _KERNELS)
        count = engine.conv_parameters(c, f, (k, k))
        prompt = (
            f"A convolutional layer has {f} filters of {k}×{k} over {c} input channel"
            f"{'s' if c > 1 else ''}. How many parameters does it have, biases included?"
        )
        inputs = {"kind": "conv", "in_channels": c, "filters": f, "kernel": k}
        explanation = (
            f"Each filter has {c}·{k}·{k} weights (one {k}×{k} slice per input channel) and "
            f"one bias: {count.formula}. The image size does not matter: the filters are "
            "shared across positions."
        )
        mistakes = [
            Mistake(
                "forgot-bias",
                f"You forgot the bias: each of the {f} filters adds one.",
                value=count.weights,
            ),
            Mistake(
                "one-bias",
                "There is one bias per filter, not one for the whole layer.",
                value=count.weights + 1,
            ),
            Mistake(
                "forgot-channels",
                f"You counted one input channel: each filter has a {k}×{k} slice for each of "
                f"the {c} input channels.",
                value=f * (k * k + 1),
            ),
            Mistake(
                "used-k-not-k-squared",
                f"A {k}×{k} filter has k·k = {k * k} weights per channel, not k = {k}.",
                value=f * (c * k + 1),
            ),
            Mistake(
                "bias-per-channel",
                "Each filter has one bias, not one per input channel.",
                value=f * c * (k * k + 1),
            ),
        ]
    return Problem(
        prompt=prompt,
        inputs=inputs,
        answer=Integer(example="1,234", description="a whole number, e.g. 1234 or 1,234"),
        expected=float(count.total),
        explanation=explanation,
        general_hint="Count the weights (one per connection) and then one bias per output "
        "unit or per filter.",
        mistakes=tuple(mistakes),
    )
