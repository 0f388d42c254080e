"""The shipped reference sweep holds the tutorial's claims (computed by `convlab experiment
reference`, mean ± std over seeds 0, 1, 2)."""

from __future__ import annotations

import pytest

from app.experiments.generalization import EPOCHS, SEEDS, TRAIN_SIZES
from app.experiments.reference import REFERENCE_PATH, load_reference, prediction_questions
from app.experiments.registry import EXPERIMENTS


@pytest.fixture(scope="module")
def reference() -> dict:
    assert REFERENCE_PATH.exists(), "run `convlab experiment reference` to write it"
    return load_reference()


def test_reference_covers_the_sweep_of_the_issue(reference: dict) -> None:
    sweep = reference["generalization"]
    assert sweep["train_sizes"] == [100, 300, 1000, 3000, 10000] == list(TRAIN_SIZES)
    assert sweep["seeds"] == [0, 1, 2] == list(SEEDS)
    assert [c["train_size"] for c in sweep["configs"]] == list(TRAIN_SIZES)
    assert [c["epochs"] for c in sweep["configs"]] == [EPOCHS[n] for n in TRAIN_SIZES]
    for name in ("fc", "lc", "cnn"):
        model = sweep["models"][name]
        assert len(model["test_accuracy"]["mean"]) == len(model["gap"]["std"]) == 5
        assert model["shifted_accuracy"]["train_size"] == 1000
        assert model["shifted_accuracy"]["shifts"] == list(range(-4, 5))
        assert len(model["shifted_accuracy"]["mean"]) == len(model["shifted_accuracy"]["std"]) == 9


def test_reference_configs_are_the_defaults_but_for_size_epochs_and_test_digits(
    reference: dict,
) -> None:
    for config in reference["generalization"]["configs"]:
        changed = {k for k, v in config.items() if EXPERIMENTS["generalization"].defaults[k] != v}
        assert changed <= {"train_size", "epochs", "test_size"}


def test_cnn_beats_fc_with_l2_at_1000_digits_in_the_reference(reference: dict) -> None:
    models = reference["generalization"]["models"]
    at = TRAIN_SIZES.index(1000)
    cnn, fc = models["cnn"]["test_accuracy"], models["fc"]["test_accuracy"]
    assert models["fc"]["label"].startswith("FC + L2")
    # by more than the spread over seeds
    assert cnn["mean"][at] - fc["mean"][at] > cnn["std"][at] + fc["std"][at]
    assert reference["generalization"]["claim_holds"] is True


def test_cnn_has_the_smallest_gap_at_1000_digits_in_the_reference(reference: dict) -> None:
    models = reference["generalization"]["models"]
    at = TRAIN_SIZES.index(1000)
    gaps = {name: m["gap"]["mean"][at] for name, m in models.items()}
    assert min(gaps, key=gaps.get) == "cnn"


def test_limits_reference_separates_the_invariant_cnn_from_fc(reference: dict) -> None:
    tasks = reference["limits"]["tasks"]
    corner = tasks["corner"]
    assert corner["fc"]["test_accuracy"]["mean"] > 0.95
    assert abs(corner["cnn"]["test_accuracy"]["mean"] - 0.5) < 0.05  # chance
    for by_model in tasks.values():
        assert (
            by_model["fc"]["test_accuracy"]["mean"] - by_model["cnn"]["test_accuracy"]["mean"]
            > 0.15
        )
    assert reference["limits"]["claim_holds"] is True


def test_weight_decay_reference_measured_one_minus_two_epsilon_lambda(reference: dict) -> None:
    sweep = reference["weight-decay"]
    lr = sweep["config"]["learning_rate"]
    assert sweep["shrink"]["expected"] == [1 - 2 * lr * lam for lam in sweep["lambdas"]]
    assert sweep["shrink"]["measured_mean"] == pytest.approx(sweep["shrink"]["expected"], abs=1e-6)
    norms = sweep["final_norm"]["mean"]
    assert norms == sorted(norms, reverse=True)  # stronger λ, smaller weights


def test_weight_decay_reference_some_lambda_beats_no_l2_by_two_points(reference: dict) -> None:
    sweep = reference["weight-decay"]
    assert sweep["config"]["label_noise"] > 0  # the default regime overfits the wrong labels
    means = sweep["test_accuracy"]["mean"]
    assert sweep["lambdas"][0] == 0.0
    assert max(means[1:]) - means[0] >= 0.02
    assert sweep["summary"].endswith("(68.2%, against 63.4% without L2).")


def test_prediction_questions_name_the_option_the_shipped_reference_supports(
    reference: dict,
) -> None:
    questions = {q["experiment"]: q for q in prediction_questions()}
    assert list(questions) == ["generalization", "limits", "weight-decay"]
    at = TRAIN_SIZES.index(1000)
    means = {
        n: m["test_accuracy"]["mean"][at] for n, m in reference["generalization"]["models"].items()
    }
    assert questions["generalization"]["correct"] == max(means, key=means.get)
    assert questions["limits"]["correct"] == "fc"
    sweep = reference["weight-decay"]
    best = sweep["lambdas"][
        sweep["test_accuracy"]["mean"].index(max(sweep["test_accuracy"]["mean"]))
    ]
    assert questions["weight-decay"]["correct"] == str(best)
    for question in questions.values():
        assert question["correct"] in [option["value"] for option in question["options"]]


def test_prediction_questions_without_a_reference_have_no_correct_option() -> None:
    assert [q["correct"] for q in prediction_questions({})] == [None, None, None]
