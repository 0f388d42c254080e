"""The experiments' runner: deterministic, reports progress, stops when told, measures decay."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from app.config import Settings
from app.engine.errors import InvalidInput
from app.experiments import cost as C
from app.experiments import generalization as G
from app.experiments import limits as L
from app.experiments import runner as R
from app.experiments import weight_decay as W
from app.experiments.registry import EXPERIMENTS
from app.experiments.training import is_tie, wilson_interval

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
    tie = is_tie(fc, cnn)
    expected = None if tie else cnn["test_accuracy"] > fc["test_accuracy"]
    assert result["claim_holds"] is expected
    word = {True: "as Q6c claims", False: "contradicts Q6c's claim", None: "tie"}
    assert word[expected] in result["summary"]


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


def test_label_noise_makes_exactly_that_fraction_of_the_labels_wrong_from_the_seed() -> None:
    y = torch.arange(200) % 10
    noisy, wrong = W.mislabel(y, 0.3, seed=4)
    changed = noisy != y
    assert wrong == int(changed.sum()) == 60
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert torch.equal(W.mislabel(y, 0.3, seed=4)[0], noisy)
    assert not torch.equal(W.mislabel(y, 0.3, seed=5)[0], noisy)
    assert torch.equal(W.mislabel(y, 0.0, seed=4)[0], y)


def test_weight_decay_result_counts_the_wrong_labels_and_its_summary_says_so(
    results: dict,
) -> None:
    result = results["weight-decay"]
    config = TINY["weight-decay"]
    wrong = round(config["label_noise"] * config["train_size"])
    assert result["wrong_labels"] == wrong == 18
    assert result["summary"].endswith(
        f" {wrong} of the 60 training labels were wrong (label_noise 0.3); train accuracy counts "
        "the labels the network trained on."
    )


def test_with_wrong_labels_l2_memorises_fewer_of_them_and_narrows_the_gap() -> None:
    """The default regime's mechanism on a small run (100 digits, 30 % wrong, 30 epochs): λ = 0
    fits more of the training labels it was given (wrong ones included) than λ = 0.01, and its
    train-test gap is the wider. (Test accuracy itself needs the full default to separate; the
    shipped reference checks that.)"""
    config = dict(
        R.EXPERIMENTS["weight-decay"].defaults, train_size=100, test_size=500, lambdas=[0.0, 0.01]
    )
    none, decayed = R.run("weight-decay", config)["models"]
    assert none["train_accuracy"] == 0.88 and decayed["train_accuracy"] == 0.82
    assert none["gap"] > decayed["gap"]


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


def test_cost_counts_three_forward_passes_per_training_example_and_every_evaluation() -> None:
    tiny = dict(TINY["generalization"], models=["fc"], hidden=100)
    config = G.GeneralizationConfig.model_construct(**tiny)
    (work,) = config.work()
    n, epochs, test = 60, 2, 100
    assert work.steps == epochs * 1  # ⌈60 / 64⌉ steps per epoch
    assert work.macs == (784 * 100 + 100 * 10) * (
        3 * n * epochs + test * epochs + n + 9 * min(G.SHIFT_TEST_SIZE, test)
    )


def test_a_small_batch_costs_more_predicted_time_than_its_multiply_adds_alone() -> None:
    big = G.GeneralizationConfig.model_construct(**G.DEFAULTS)
    small = G.GeneralizationConfig.model_construct(**dict(G.DEFAULTS, batch_size=2))
    (b,), (s,) = ([w for w in c.work() if w.kind == "lc"] for c in (big, small))
    assert s.macs == b.macs and (s.steps, b.steps) == (2500, 80)  # 5 · ⌈1000 / 2⌉, 5 · ⌈1000 / 64⌉
    assert s.seconds - b.seconds == pytest.approx(2420 * C.STEP_SECONDS["lc"])


def test_every_default_run_is_within_the_default_limits_and_predicted_time() -> None:
    settings = Settings()
    for experiment in EXPERIMENTS.values():
        config = experiment.config.model_validate({}, context={"settings": settings})
        seconds = C.predicted_seconds(config.work())
        assert seconds <= settings.experiment_max_run_seconds / 2, (experiment.id, seconds)


# -- intervals and ties ---------------------------------------------------------------------------


def test_wilson_interval_matches_the_formula_at_900_of_1000() -> None:
    low, high = wilson_interval(900, 1000)
    assert low == pytest.approx(0.88, abs=5e-4) and high == pytest.approx(0.9171, abs=5e-4)
    assert wilson_interval(0, 100)[0] == 0.0 and wilson_interval(100, 100)[1] == 1.0


def test_every_model_result_carries_its_test_accuracy_interval(results: dict) -> None:
    for result in results.values():
        for model in result["models"]:
            n = result["config"]["test_size"]
            correct = round(model["test_accuracy"] * n)
            assert model["test_accuracy_interval"] == wilson_interval(correct, n)
            low, high = model["test_accuracy_interval"]
            assert low <= model["test_accuracy"] <= high


# -- the summaries agree with the table (constructed results) --------------------------------------


def _model(name: str, test: float, *, label: str = "", gap: float = 0.05, n: int = 1000, **extra):
    labels = {"fc": "FC + L2 (λ = 0.001)", "lc": "LC", "cnn": "CNN"}
    parameters = {"fc": 79_510, "lc": 328_202, "cnn": 5_994}
    return {
        "name": name,
        "label": label or labels[name],
        "test_accuracy": test,
        "test_accuracy_interval": wilson_interval(round(test * n), n),
        "parameters": parameters[name],
        "gap": gap,
        **extra,
    }


GENERALIZATION = dict(G.DEFAULTS, test_size=1000)


def test_generalization_summary_says_so_when_fc_beats_the_cnn() -> None:
    results = [_model("fc", 0.90), _model("cnn", 0.80)]
    assert G.summary(GENERALIZATION, results) == {
        "summary": "On 1,000 training digits, test accuracy: FC + L2 (λ = 0.001) 90.0%, CNN 80.0%; "
        "here FC + L2 (λ = 0.001) beats the CNN by 10.0 points, beyond their 95 % intervals on "
        "1,000 test digits, which contradicts Q6c's claim for this config (too few digits or "
        "epochs for the CNN?).",
        "claim_holds": False,
    }


def test_generalization_difference_inside_the_intervals_is_called_a_tie() -> None:
    config = dict(GENERALIZATION, test_size=500)
    results = [_model("fc", 0.900, n=500), _model("cnn", 0.910, n=500)]
    summary = G.summary(config, results)
    assert summary["claim_holds"] is None
    assert summary["summary"].endswith(
        "; the CNN and FC + L2 (λ = 0.001) tie: the difference (91.0% vs 90.0%) is inside their "
        "95 % intervals on 500 test digits, so this run neither shows nor contradicts Q6c's "
        "claim (more test digits, more epochs or another seed would tell)."
    )


def test_generalization_margin_beyond_the_intervals_confirms_the_claim() -> None:
    results = [_model("fc", 0.85, gap=0.12), _model("lc", 0.88), _model("cnn", 0.92, gap=0.06)]
    summary = G.summary(GENERALIZATION, results)
    assert summary["claim_holds"] is True
    assert summary["summary"].endswith(
        "; the CNN beats FC + L2 (λ = 0.001) by 7.0 points with 5,994 parameters against "
        "79,510 (gap 6.0% vs 12.0%), as Q6c claims. The CNN beats LC by 4.0 points: sharing "
        "the weights helps."
    )


def test_generalization_summary_says_so_when_lc_beats_the_cnn() -> None:
    results = [_model("fc", 0.80), _model("lc", 0.95), _model("cnn", 0.90)]
    summary = G.summary(GENERALIZATION, results)
    assert summary["summary"].endswith(
        " LC beats the CNN by 5.0 points here, so in this run sharing the weights did not help."
    )


def test_two_results_tie_when_either_accuracy_lies_inside_the_others_interval() -> None:
    assert is_tie(_model("fc", 0.90), _model("cnn", 0.91))
    assert not is_tie(_model("fc", 0.85), _model("cnn", 0.92))


def test_generalization_without_fc_cannot_test_the_claim() -> None:
    summary = G.summary(GENERALIZATION, [_model("lc", 0.5), _model("cnn", 0.9)])
    assert summary == {
        "summary": "On 1,000 training digits, test accuracy: LC 50.0%, CNN 90.0%.",
        "claim_holds": None,
    }


def test_limits_summary_says_so_when_the_invariant_cnn_is_not_clearly_worse() -> None:
    results = [
        _model("fc", 0.99, label="FC", task="corner"),
        _model("cnn", 0.50, label="Invariant CNN", task="corner"),
        _model("fc", 0.66, label="FC", task="symmetry"),
        _model("cnn", 0.58, label="Invariant CNN", task="symmetry"),
    ]
    assert L.summary(results) == {
        "summary": "Test accuracy on corner: FC 99.0%, Invariant CNN 50.0% — the invariant CNN "
        "stays near chance (50%) where FC succeeds; symmetry: FC 66.0%, Invariant CNN 58.0% — "
        "the invariant CNN is not clearly worse here, which does not show Q6d's claim.",
        "claim_holds": False,
    }


def test_limits_summary_confirms_when_every_task_separates() -> None:
    results = [
        _model("fc", 0.99, label="FC", task="corner"),
        _model("cnn", 0.70, label="Invariant CNN", task="corner"),
    ]
    summary = L.summary(results)
    assert summary["claim_holds"] is True
    assert summary["summary"] == (
        "Test accuracy on corner: FC 99.0%, Invariant CNN 70.0% — the invariant CNN falls 29 "
        "points short of FC. Global pooling throws away where things are, so a where-question "
        "is out of its reach."
    )


def _decay(lam: float, measured: float, *, test: float, norm: float) -> dict:
    expected = 1 - 2 * 0.1 * lam
    return {
        "weight_decay": lam,
        "test_accuracy": test,
        "test_accuracy_interval": wilson_interval(round(test * 1000), 1000),
        "norm": {"step": [0, 10], "norm": [9.0, norm]},
        "shrink": {
            "expected": expected,
            "measured_mean": measured,
            "max_abs_error": abs(measured - expected),
        },
    }


WEIGHT_DECAY = dict(W.DEFAULTS, learning_rate=0.1, label_noise=0.0)


def test_weight_decay_summary_says_so_when_the_measured_factor_is_not_one_minus_two_eps_lambda():
    results = [_decay(0.0, 1.0, test=0.8, norm=8.0), _decay(0.1, 0.97, test=0.7, norm=3.0)]
    assert W.summary(WEIGHT_DECAY, results) == {
        "summary": "Every SGD step multiplied the weights by the measured 0.970000 for λ = 0.1 "
        "(1 − 2ελ = 0.980000), and by 1 − 2ελ for every λ to within 1.0e-02, which is NOT the "
        "(1 − 2ελ) the tutorial derives; final ‖W‖ 8.0, 3.0 for λ = 0, 0.1; best test accuracy "
        "80.0% at λ = 0 (ε = 0.1).",
        "claim_holds": False,
    }


def test_weight_decay_summary_confirms_a_factor_within_one_millionth() -> None:
    results = [_decay(0.01, 0.998 + 1e-9, test=0.8, norm=6.0)]
    summary = W.summary(WEIGHT_DECAY, results)
    assert summary["claim_holds"] is True
    assert "NOT" not in summary["summary"]


def test_weight_decay_summary_names_every_lambda_that_ties_with_the_best() -> None:
    results = [_decay(0.0, 1.0, test=0.80, norm=6.1), _decay(0.1, 0.98, test=0.81, norm=5.6)]
    assert W.summary(WEIGHT_DECAY, results)["summary"].endswith(
        "; final ‖W‖ 6.1, 5.6 for λ = 0, 0.1; best test accuracy 81.0% at λ = 0.1; λ = 0 tie "
        "with it (inside the 95 % intervals) (ε = 0.1)."
    )
