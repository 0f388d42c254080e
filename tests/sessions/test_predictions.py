"""The experiments' prediction questions are answered from the shipped reference."""

from __future__ import annotations

from app.exercises.base import check
from app.experiments.reference import load_reference
from app.sessions.predictions import prediction_questions


def _by_id() -> dict:
    return {p.id: p for p in prediction_questions()}


def test_generalization_expects_the_best_model_at_1000_digits() -> None:
    reference = load_reference()["generalization"]
    at = reference["train_sizes"].index(1000)
    means = {m: reference["models"][m]["test_accuracy"]["mean"][at] for m in ("fc", "lc", "cnn")}
    problem = _by_id()["experiment-generalization"].problem
    assert max(means, key=means.get) == "cnn"
    assert problem.expected == "C" and problem.options[2].text == "CNN"
    assert check(problem, "c").correct


def test_limits_expects_the_fully_connected_network_on_the_corner_task() -> None:
    corner = load_reference()["limits"]["tasks"]["corner"]
    problem = _by_id()["experiment-limits"].problem
    assert corner["fc"]["test_accuracy"]["mean"] > corner["cnn"]["test_accuracy"]["mean"]
    assert problem.expected == "A"


def test_weight_decay_expects_the_lambda_with_the_best_mean_accuracy() -> None:
    reference = load_reference()["weight-decay"]
    accuracy = reference["test_accuracy"]["mean"]
    best = accuracy.index(max(accuracy))
    problem = _by_id()["experiment-weight-decay"].problem
    assert problem.expected == "ABCD"[best]
    assert problem.options[best].text == f"λ = {reference['lambdas'][best]:g}"
