"""Multiple choice: one right option, an explanation for every option, shuffled by the seed."""

from __future__ import annotations

import pytest
from hypothesis import given

from app.exercises import KINDS, check_answer, exercise
from app.exercises.concepts import BANKS
from tests.exercises.helpers import problem, seeds

CONCEPTS = [k.id for k in KINDS if k.id.startswith("concept-")]


def test_every_conceptual_question_of_the_brief_has_a_kind() -> None:
    covered = {q for k in KINDS if k.id.startswith("concept-") for q in k.questions}
    assert {"Q2a", "Q3d", "Q5a", "Q5b", "Q6b", "Q6c", "Q6d"} <= covered
    assert set(CONCEPTS) == set(BANKS)


@pytest.mark.parametrize("exercise_id", CONCEPTS)
@given(seed=seeds)
def test_exactly_the_right_key_is_correct_and_every_option_is_explained(
    exercise_id: str, seed: int
) -> None:
    drawn = exercise(exercise_id, seed)
    keys = [o["key"] for o in drawn.inputs["options"]]
    assert keys == ["A", "B", "C", "D"]
    verdicts = {key: check_answer(exercise_id, seed, key.lower()) for key in keys}
    right = [key for key, verdict in verdicts.items() if verdict.correct]
    assert len(right) == 1
    for key, verdict in verdicts.items():
        assert [o.key for o in verdict.options] == keys
        assert all(o.explanation for o in verdict.options)
        assert verdict.expected == right[0]
        if key != right[0]:
            chosen = next(o for o in verdict.options if o.key == key)
            assert verdict.hint == chosen.explanation
            assert verdict.mistake is not None


@pytest.mark.parametrize("exercise_id", CONCEPTS)
def test_seeds_draw_every_question_and_shuffle_the_options(exercise_id: str) -> None:
    drawn = [problem(exercise_id, seed) for seed in range(60)]
    assert len({p.prompt for p in drawn}) == len(BANKS[exercise_id])
    assert len({p.expected for p in drawn}) == 4  # the right option lands on every key


def test_pinned_concept_seed_gives_its_question() -> None:
    drawn = exercise("concept-limits", 0)
    assert drawn.prompt == (
        "Which task is hard for a small stack of convolutions, because of its inductive bias?"
    )
    assert drawn.inputs["options"][1] == {
        "key": "B",
        "text": "Deciding whether an image is left-right symmetric as a whole.",
    }
    assert check_answer("concept-limits", 0, "B").correct


@pytest.mark.parametrize("exercise_id", CONCEPTS)
def test_the_right_option_is_the_longest_in_at_most_a_third_of_the_exercises(
    exercise_id: str,
) -> None:
    drawn = [exercise(exercise_id, seed) for seed in range(300)]
    longest = 0
    for d in drawn:
        lengths = {o["key"]: len(o["text"]) for o in d.inputs["options"]}
        right = check_answer(exercise_id, d.seed, "A").expected
        longest += lengths[right] == max(lengths.values())
    assert longest <= len(drawn) / 3, f"right option longest in {longest} of {len(drawn)}"


@pytest.mark.parametrize("question", [q for bank in BANKS.values() for q in bank])
def test_the_options_of_a_question_are_alike_in_length(question) -> None:
    lengths = [len(a.text) for a in question.answers]
    assert max(lengths) <= 1.3 * min(lengths), lengths


@pytest.mark.parametrize("exercise_id", CONCEPTS)
def test_the_order_of_the_options_changes_with_the_seed(exercise_id: str) -> None:
    orders = {
        tuple(o["text"] for o in exercise(exercise_id, s).inputs["options"]) for s in range(40)
    }
    assert len(orders) >= 8
