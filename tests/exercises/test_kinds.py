"""Every exercise kind: stable seeds, the answer shown is the one torch or the formula gives
(tests/exercises/oracles.py) and reads back as right, typical mistakes are marked wrong with
their hint, inputs are plain JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from app.exercises import KINDS, MAX_SEED, UnknownExercise, check_answer, exercise, kind
from tests.exercises.helpers import problem, seeds
from tests.exercises.oracles import ORACLES

IDS = [k.id for k in KINDS]


def test_every_numeric_kind_has_an_independent_oracle() -> None:
    concepts = {k for k in IDS if k.startswith("concept-")}
    assert set(ORACLES) == set(IDS) - concepts


@pytest.mark.parametrize("exercise_id", sorted(ORACLES))
@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_the_answer_shown_is_the_independent_answer_and_reads_back_as_right(
    exercise_id: str, seed: int
) -> None:
    drawn = exercise(exercise_id, seed)
    verdict = check_answer(exercise_id, seed, drawn.answer_format["example"])
    independent = ORACLES[exercise_id](drawn.inputs)
    if drawn.answer_format["type"] == "vector":
        assert verdict.expected_value == pytest.approx(independent, abs=1e-9)
    else:
        assert verdict.expected_value == independent
    shown = check_answer(exercise_id, seed, verdict.expected)  # the text the page shows
    assert shown.correct
    assert shown.hint is None and shown.mistake is None


@pytest.mark.parametrize("exercise_id", IDS)
@settings(max_examples=40)
@given(seed=seeds)
def test_every_recognised_mistake_is_marked_wrong_with_a_hint(exercise_id: str, seed: int) -> None:
    drawn = problem(exercise_id, seed)
    for mistake in drawn.mistakes:
        if mistake.value is None or drawn.answer.same(mistake.value, drawn.expected):
            continue
        verdict = check_answer(exercise_id, seed, drawn.answer.show(mistake.value))
        assert not verdict.correct
        assert verdict.mistake is not None and verdict.hint


@pytest.mark.parametrize("exercise_id", IDS)
@settings(max_examples=20)
@given(seed=seeds)
def test_the_same_seed_gives_the_same_exercise(exercise_id: str, seed: int) -> None:
    assert exercise(exercise_id, seed) == exercise(exercise_id, seed)


@pytest.mark.parametrize("exercise_id", IDS)
@settings(max_examples=20)
@given(seed=seeds)
def test_inputs_and_format_are_plain_json(exercise_id: str, seed: int) -> None:
    drawn = exercise(exercise_id, seed)
    text = json.dumps({"inputs": drawn.inputs, "format": drawn.answer_format}, allow_nan=False)
    assert json.loads(text) == {"inputs": drawn.inputs, "format": drawn.answer_format}
    assert drawn.prompt and len(drawn.prompt) < 1000


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_largest_seed_draws_an_exercise(exercise_id: str) -> None:
    assert exercise(exercise_id, MAX_SEED).seed == MAX_SEED


def test_a_wrong_unrecognised_answer_gets_the_general_hint() -> None:
    verdict = check_answer("receptive-field", 1, "1000")
    assert (verdict.correct, verdict.mistake) == (False, None)
    assert verdict.hint == "Start from R_0 = 1 (one pixel) and add k − 1 for each layer."


def test_an_unknown_id_raises_unknown_exercise_naming_it() -> None:
    with pytest.raises(UnknownExercise) as info:
        kind("conv-output")
    assert str(info.value) == "no exercise called 'conv-output'; GET /api/exercises lists them"


# -- pinned seeds: a fixed seed gives a fixed exercise, on every machine -----------------------

PINNED = {
    ("output-size", 0): {"size": 15, "kernel": 4, "stride": 2, "padding": 1, "dilation": 1},
    ("receptive-field", 1): {"layers": 4, "kernel": 3},
    ("parameter-count", 1): {"kind": "fc", "in_features": 196, "out_features": 128},
    ("weight-decay-step", 1): {
        "theta": [1.5, 2.0],
        "gradient": [-1.0, -0.7],
        "lr": 0.1,
        "weight_decay": 0.1,
    },
    ("pooled-size", 3): {"size": [14, 4], "kernel": 2, "stride": 2},
    ("grad-input-entries", 3): {"size": 8, "kernel": 2, "stride": 1, "padding": 0, "cell": [1, 5]},
    ("transposed-output-size", 3): {
        "size": 5,
        "kernel": 2,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "output_padding": 0,
    },
    ("pool-shift", 3): {
        "input": [
            [0, 0, 0, 2],
            [2, 1, 0, 6],
            [0, 1, 1, 1],
            [0, 0, 2, 6],
            [0, 0, 1, 8],
            [2, 1, 1, 1],
        ],
        "kernel": 2,
        "stride": 2,
        "dx": 0,
        "dy": 1,
    },
    ("conv-output-value", 1): {
        "input": [
            [0, 3, 3, 0, 1],
            [3, 1, 1, 3, 1],
            [1, 2, 2, 0, 0],
            [3, 3, 3, 2, 3],
            [1, 1, 3, 0, 1],
        ],
        "kernel": [[-1, 0, 2], [-1, 0, 0], [2, -1, 1]],
        "stride": 2,
        "padding": 0,
        "cell": [0, 0],
    },
}


@pytest.mark.parametrize(("key", "inputs"), PINNED.items(), ids=[f"{k}-{s}" for k, s in PINNED])
def test_pinned_seed_gives_its_exercise(key: tuple[str, int], inputs: dict) -> None:
    assert exercise(*key).inputs == inputs


def test_pinned_conv_output_value_seed_1_is_5() -> None:
    # window rows 1–3, cols 1–3 of X: 0·(−1) + 3·0 + 3·2 + 3·(−1) + 1·0 + 1·0 + 1·2 + 2·(−1) + 2·1
    assert check_answer("conv-output-value", 1, "5").correct


def test_pinned_pool_shift_seed_3_changes_four_pooled_values() -> None:
    # pooled 2 6 / 1 6 / 2 8 before, 0 2 / 2 6 / 0 8 after shifting down one row
    verdict = check_answer("pool-shift", 3, "1,1; 1,2; 2,1; 3,1")
    assert verdict.correct


def test_pinned_grad_input_entries_seed_3_is_a_2x2_window() -> None:
    assert check_answer("grad-input-entries", 3, "2,6; 2,7; 3,6; 3,7").correct


# -- the reveal shows every drawn exercise on its page's widgets, so it must fit them ----------
# (the pages' limits: conv_state.js MAX_INPUT 16 / MAX_KERNEL 7, channels.js side 8 / kernel 4,
# lessons/backward/state.js input 8, kernel 4, stride 3, padding 3, transposed input 5; the
# equivariance page's image up to 16 × 16, kernel up to 5 × 5, 2 × 2 pooling; the parameters
# page's 2-D plot)
FITS = {
    "output-size": lambda i: i["size"] <= 16 and i["kernel"] <= 7,
    "weight-sharing": lambda i: i["size"] <= 8 and (i["in_channels"] == 1 or i["kernel"] <= 4),
    "grad-input-entries": lambda i: (
        i["size"] <= 8 and i["kernel"] <= 4 and i["stride"] <= 3 and i["padding"] <= 3
    ),
    "transposed-output-size": lambda i: (
        i["size"] <= 5
        and i["kernel"] <= 4
        and i["stride"] <= 3
        and i["padding"] <= 3
        and i["dilation"] == 1
    ),
    "feature-shift": lambda i: len(i["input"]) <= 16 and len(i["kernel"]) <= 5,
    "max-pool-value": lambda i: (
        i["kernel"] == 2 and len(i["input"]) <= 16 and min(map(min, i["input"])) >= 0
    ),
    "pooled-size": lambda i: i["kernel"] == 2 and max(i["size"]) <= 16,
    "pool-shift": lambda i: i["kernel"] == 2 and len(i["input"]) <= 16,
    "weight-decay-step": lambda i: len(i["theta"]) == 2,
    "blurmax-shift": lambda i: len(i["input"]) == 8 and i["mode"] == "blurmax",
    "blurmax-size": lambda i: 3 <= min(i["size"]) and max(i["size"]) <= 30,
}


@pytest.mark.parametrize("exercise_id", sorted(FITS))
def test_every_drawn_exercise_fits_the_widgets_of_its_page(exercise_id: str) -> None:
    for seed in range(300):
        inputs = exercise(exercise_id, seed).inputs
        assert FITS[exercise_id](inputs), (seed, inputs)


def test_pinned_blurmax_shift_moves_three_eighths_of_the_peak() -> None:
    drawn = exercise("blurmax-shift", 0)
    peak = max(map(max, drawn.inputs["input"]))
    verdict = check_answer("blurmax-shift", 0, str(peak))
    assert not verdict.correct and verdict.mistake == "whole-peak"
    assert check_answer("blurmax-shift", 0, str(0.375 * peak)).correct


def test_blurmax_size_stopped_after_the_dense_max_gets_its_hint() -> None:
    drawn = exercise("blurmax-size", 1)
    h, w = drawn.inputs["size"]
    assert check_answer("blurmax-size", 1, f"{h - 1}x{w - 1}").mistake == "stopped-after-max"
    assert check_answer("blurmax-size", 1, f"{h // 2}x{w // 2}").correct
