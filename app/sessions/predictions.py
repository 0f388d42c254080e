"""The experiments' prediction questions, as multiple-choice problems a teacher can ask.

Each question asks the room to predict what an experiment shows; the right option is read from
the shipped reference sweep (app/experiments/reference.json, mean over three seeds), so the
answer a reveal gives is the one the experiments page shows. ``prediction_questions`` is the
one place that knows the experiments: when app.experiments offers its own list, this function
is where it plugs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.exercises.answers import Choice
from app.exercises.base import Option, Problem
from app.experiments.reference import load_reference

KEYS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Prediction:
    """One prediction question: an id like an exercise id, its tutorial question and page."""

    id: str
    question: str
    title: str
    page: str
    problem: Problem


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _choice(
    prompt: str, texts: list[str], right: int, explanation: str, why: Callable[[int], str]
) -> Problem:
    keys = KEYS[: len(texts)]
    options = tuple(
        Option(key=k, text=t, correct=i == right, explanation=why(i))
        for i, (k, t) in enumerate(zip(keys, texts, strict=True))
    )
    return Problem(
        prompt=prompt,
        inputs={"options": [{"key": o.key, "text": o.text} for o in options]},
        answer=Choice(keys=keys),
        expected=keys[right],
        explanation=explanation,
        general_hint="Think about what each network can and cannot share across positions.",
        options=options,
    )


def _generalization(reference: dict[str, Any]) -> Problem:
    sizes = reference["train_sizes"]
    at = sizes.index(1000) if 1000 in sizes else len(sizes) // 2
    models = ["fc", "lc", "cnn"]
    accuracy = {m: reference["models"][m]["test_accuracy"]["mean"][at] for m in models}
    labels = {m: reference["models"][m]["label"] for m in models}
    best = max(models, key=accuracy.__getitem__)
    spread = max(accuracy.values()) - min(accuracy.values())
    right = 3 if spread < 0.01 else models.index(best)
    texts = [labels[m] for m in models] + ["All three within 1 point of each other"]
    shown = ", ".join(f"{labels[m]} {_pct(accuracy[m])}" for m in models)
    return _choice(
        f"Three networks are trained on the same {sizes[at]:,} MNIST digits: a fully connected "
        "network with weight decay, a locally connected network (local filters, no sharing) "
        "and a CNN. Which reaches the highest test accuracy?",
        texts,
        right,
        f"Measured test accuracy at N = {sizes[at]:,} (mean of 3 seeds): {shown}. "
        + reference["summary"],
        lambda i: f"Measured: {shown}.",
    )


def _limits(reference: dict[str, Any]) -> Problem:
    corner = reference["tasks"]["corner"]
    fc = corner["fc"]["test_accuracy"]["mean"]
    cnn = corner["cnn"]["test_accuracy"]["mean"]
    right = 2 if abs(fc - cnn) < 0.02 else (0 if fc > cnn else 1)
    shown = f"{corner['fc']['label']} {_pct(fc)}, {corner['cnn']['label']} {_pct(cnn)}"
    return _choice(
        "The label of an image is which corner holds a blob. A fully connected network and a "
        "CNN that ends in global pooling (invariant to where a feature is) are trained on it. "
        "Which does better on test images?",
        [corner["fc"]["label"], corner["cnn"]["label"], "About the same"],
        right,
        f"Measured test accuracy on the corner task (mean of 3 seeds): {shown}. "
        + reference["summary"],
        lambda i: f"Measured: {shown}.",
    )


def _weight_decay(reference: dict[str, Any]) -> Problem:
    lambdas = reference["lambdas"][: len(KEYS)]
    accuracy = reference["test_accuracy"]["mean"][: len(lambdas)]
    right = max(range(len(lambdas)), key=accuracy.__getitem__)
    shown = ", ".join(f"λ = {lam:g}: {_pct(a)}" for lam, a in zip(lambdas, accuracy, strict=True))
    return _choice(
        "A fully connected network is trained on 1,000 digits with L2 weight decay λ. Which λ "
        "gives the best test accuracy?",
        [f"λ = {lam:g}" for lam in lambdas],
        right,
        f"Measured test accuracy (mean of 3 seeds): {shown}. " + reference["summary"],
        lambda i: f"Measured: {shown}.",
    )


def prediction_questions() -> tuple[Prediction, ...]:
    """Every experiment's prediction question, answered from the shipped reference."""
    reference = load_reference()
    return (
        Prediction(
            "experiment-generalization",
            "Q6c",
            "Prediction: which network generalizes best on 1,000 digits?",
            "/experiments?exp=generalization",
            _generalization(reference["generalization"]),
        ),
        Prediction(
            "experiment-limits",
            "Q6d",
            "Prediction: where does the invariant CNN fail?",
            "/experiments?exp=limits",
            _limits(reference["limits"]),
        ),
        Prediction(
            "experiment-weight-decay",
            "Q1",
            "Prediction: which weight decay gives the best test accuracy?",
            "/experiments?exp=weight-decay",
            _weight_decay(reference["weight-decay"]),
        ),
    )
