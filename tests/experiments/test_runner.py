"""The experiments' runner: deterministic, reports progress, stops when told, measures decay."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.errors import InvalidInput
from app.experiments import runner as R

TINY: dict[str, dict[str, Any]] = {
    "generalization": dict(
        R.EXPERIMENTS["generalization"].defaults,
        train_size=60,
        test_size=100,
        epochs=2,
        models=["fc", "cnn"],
    ),
    "limits": dict(R.EXPERIMENTS["limits"].defaults, train_size=60, test_size=100, epochs=1),
    "weight-decay": dict(
        R.EXPERIMENTS["weight-decay"].defaults,
        train_size=60,
        test_size=100,
        epochs=2,
        lambdas=[0.0, 0.1],
    ),
}


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    return {experiment_id: R.run(experiment_id, config) for experiment_id, config in TINY.items()}


@pytest.mark.parametrize("experiment_id", list(TINY))
def test_same_config_gives_an_identical_result(experiment_id: str, results: dict) -> None:
    assert R.run(experiment_id, TINY[experiment_id]) == results[experiment_id]


@pytest.mark.parametrize("experiment_id", list(TINY))
def test_another_seed_gives_a_different_result(experiment_id: str, results: dict) -> None:
    other = R.run(experiment_id, dict(TINY[experiment_id], seed=1))
    assert other["models"] != results[experiment_id]["models"]


def test_generalization_result_has_every_documented_field(results: dict) -> None:
    result = results["generalization"]
    assert result["config"] == TINY["generalization"]
    assert result["data"]["source"] == "subset"
    assert [m["name"] for m in result["models"]] == ["fc", "cnn"]
    fc, cnn = result["models"]
    assert fc["label"] == "FC + L2 (λ = 0.001)" and fc["weight_decay"] == 0.001
    assert cnn["weight_decay"] == 0.0 and cnn["parameters"] == 5_994
    for model in result["models"]:
        assert model["gap"] == model["train_accuracy"] - model["test_accuracy"]
        assert model["test_accuracy"] == model["curves"]["test_accuracy"][-1]
        assert model["curves"]["epoch"] == [1, 2]
        assert model["shifted_accuracy"]["shifts"] == list(range(-4, 5))
        assert len(model["shifted_accuracy"]["accuracy"]) == 9
        assert len(model["filters"]["epochs"]) == 3  # init + 2 epochs
    assert fc["filters"]["shape"] == [8, 28, 28]
    assert cnn["filters"]["shape"] == [8, 5, 5]
    assert cnn["filters"]["epochs"][0] != cnn["filters"]["epochs"][2]


def test_summary_names_each_models_test_accuracy(results: dict) -> None:
    result = results["generalization"]
    fc, cnn = result["models"]
    assert result["summary"].startswith(
        f"On 60 training digits, test accuracy: FC + L2 (λ = 0.001) "
        f"{100 * fc['test_accuracy']:.1f}%, CNN {100 * cnn['test_accuracy']:.1f}%"
    )
    assert result["claim_holds"] == (cnn["test_accuracy"] > fc["test_accuracy"])
    word = "as Q6c claims" if result["claim_holds"] else "contradicts Q6c's claim"
    assert word in result["summary"]


def test_weight_decay_measures_the_shrink_factor_one_minus_two_epsilon_lambda(
    results: dict,
) -> None:
    lr = TINY["weight-decay"]["learning_rate"]
    for model in results["weight-decay"]["models"]:
        shrink = model["shrink"]
        assert shrink["expected"] == 1 - 2 * lr * model["weight_decay"]
        assert shrink["measured_mean"] == pytest.approx(shrink["expected"], abs=1e-6)
        assert shrink["max_abs_error"] < 1e-6
    none, strong = results["weight-decay"]["models"]
    assert strong["norm"]["norm"][-1] < none["norm"]["norm"][-1]
    assert strong["norm"]["step"][0] == 0 and strong["norm"]["norm"][0] == none["norm"]["norm"][0]


def test_limits_has_one_entry_per_task_and_model_and_task_examples(results: dict) -> None:
    result = results["limits"]
    assert [(m["task"], m["name"]) for m in result["models"]] == [
        ("corner", "fc"),
        ("corner", "cnn"),
        ("symmetry", "fc"),
        ("symmetry", "cnn"),
    ]
    assert [t["id"] for t in result["tasks"]] == ["corner", "symmetry"]
    example = result["tasks"][0]["examples"][0]
    assert len(example["image"]) == 28 and example["label"] in (0, 1)


def test_progress_events_count_steps_and_end_each_epoch_with_test_accuracy() -> None:
    events: list[dict] = []
    config = dict(TINY["generalization"], models=["cnn"], epochs=2, batch_size=10)
    result = R.run("generalization", config, report=events.append)
    ends = [e for e in events if e["epoch_end"]]
    assert [e["epoch"] for e in ends] == [1, 2]
    assert ends[-1]["step"] == ends[-1]["steps"] == 12
    assert ends[-1]["metrics"]["test_accuracy"] == result["models"][0]["test_accuracy"]
    assert ends[-1]["filters"] == result["models"][0]["filters"]["epochs"][-1]
    within = [e for e in events if not e["epoch_end"]]
    assert within and all(set(e["metrics"]) == {"train_loss"} for e in within)


def test_should_stop_cancels_the_run_within_one_step() -> None:
    calls = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(R.RunCancelled):
        R.run("generalization", TINY["generalization"], should_stop=stop_after_three)
    assert len(calls) == 4


def test_weight_decay_refuses_a_factor_that_does_not_shrink() -> None:
    config = dict(TINY["weight-decay"], learning_rate=0.5, lambdas=[1.0])
    with pytest.raises(InvalidInput, match=r"2·ε·λ = 1 for λ = 1"):
        R.run("weight-decay", config)


def test_train_size_over_the_pool_is_refused() -> None:
    config = dict(TINY["generalization"], train_size=20_000)
    with pytest.raises(
        InvalidInput, match="train_size 20000 is more than the 10,000 training digits"
    ):
        R.run("generalization", config)


def test_budget_estimate_counts_three_forward_passes_per_training_example() -> None:
    config = dict(TINY["generalization"], models=["fc"], hidden=100)
    n, epochs, test = 60, 2, 100
    per_example = 784 * 100 + 100 * 10
    examples = 3 * n * epochs + test * epochs + n + test + 9 * R.SHIFT_TEST_SIZE
    assert R.estimate_macs("generalization", config) == per_example * examples
