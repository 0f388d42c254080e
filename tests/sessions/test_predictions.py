"""The experiments' prediction questions are the experiments page's own, answered from the
shipped reference."""

from __future__ import annotations

from app.exercises.base import check
from app.experiments.reference import load_reference
from app.experiments.reference import prediction_questions as experiment_predictions
from app.sessions.predictions import prediction_questions


def _by_id() -> dict:
    return {p.id: p for p in prediction_questions()}


def test_each_prediction_asks_the_experiments_pages_own_question_and_options() -> None:
    asked = {q["experiment"]: q for q in experiment_predictions()}
    for name, question in asked.items():
        problem = _by_id()[f"experiment-{name}"].problem
        assert problem.prompt == question["prompt"]
        assert [o.text for o in problem.options] == [o["label"] for o in question["options"]]


def test_generalization_expects_the_best_model_at_1000_digits() -> None:
    reference = load_reference()["generalization"]
    at = reference["train_sizes"].index(1000)
    means = {m: reference["models"][m]["test_accuracy"]["mean"][at] for m in ("fc", "lc", "cnn")}
    problem = _by_id()["experiment-generalization"].problem
    assert max(means, key=means.get) == "cnn"
    assert problem.expected == "C" and problem.options[2].text == "CNN (shared filters)"
    assert check(problem, "c").correct
    assert problem.explanation == reference["summary"]


def test_limits_expects_the_fully_connected_network_on_average_over_the_tasks() -> None:
    tasks = load_reference()["limits"]["tasks"]
    fc = sum(t["fc"]["test_accuracy"]["mean"] for t in tasks.values())
    cnn = sum(t["cnn"]["test_accuracy"]["mean"] for t in tasks.values())
    problem = _by_id()["experiment-limits"].problem
    assert fc > cnn
    assert problem.expected == "A" and problem.options[0].text == "FC (dense)"


def test_weight_decay_expects_the_lambda_with_the_best_mean_accuracy() -> None:
    reference = load_reference()["weight-decay"]
    accuracy = reference["test_accuracy"]["mean"]
    best = accuracy.index(max(accuracy))
    problem = _by_id()["experiment-weight-decay"].problem
    assert problem.expected == "ABCD"[best]
    assert problem.options[best].text == f"λ = {reference['lambdas'][best]:g}"
