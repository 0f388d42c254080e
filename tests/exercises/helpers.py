"""Shared by the exercise tests: seeds as hypothesis draws them, answering as a student would."""

from __future__ import annotations

from hypothesis import strategies as st

from app.exercises import MAX_SEED, check_answer, kind
from app.exercises.base import Problem, Verdict

seeds = st.integers(min_value=0, max_value=MAX_SEED)


def problem(exercise_id: str, seed: int) -> Problem:
    """The drawn problem (generator output, including the expected answer)."""
    return kind(exercise_id).problem(seed)


def answer(exercise_id: str, seed: int, text: str) -> Verdict:
    """Check ``text`` as the answer to the exercise of this seed."""
    return check_answer(exercise_id, seed, text)
