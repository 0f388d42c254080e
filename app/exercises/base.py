"""What every exercise kind is made of, and the one check that serves them all.

A kind is a function ``make(rng) -> Problem``: it draws its numbers from
``numpy.random.default_rng(seed)`` and asks the engine for the expected answer, so the same
seed gives the same exercise everywhere. The problem carries the prompt, the inputs, the answer
type, the expected answer with its explanation, and the typical mistakes: the answer each
mistake leads to (or a test on the answer) with a hint that addresses it. ``check`` reads the
student's text, compares it with the expected answer, and names the first mistake it matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.exercises.answers import AnswerType

MAX_SEED = 2**32 - 1
"""Seeds are whole numbers 0 … 2³² − 1."""


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``value`` (what the mistake gives) or ``test`` (a predicate on the
    parsed answer), and the hint that addresses it. ``tag`` names it for pages and tests."""

    tag: str
    hint: str
    value: Any = None
    test: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Option:
    """One option of a multiple-choice question and why it is right or wrong."""

    key: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Problem:
    """One drawn exercise with everything needed to check an answer."""

    prompt: str
    inputs: dict
    answer: AnswerType
    expected: Any
    explanation: str
    general_hint: str
    mistakes: tuple[Mistake, ...] = ()
    options: tuple[Option, ...] | None = None


@dataclass(frozen=True)
class Kind:
    """An exercise kind: its id, the tutorial questions it answers, its lesson page."""

    id: str
    questions: tuple[str, ...]
    page: str
    title: str
    make: Callable[[np.random.Generator], Problem] = field(repr=False)

    @property
    def question(self) -> str:
        """The (first) tutorial question, e.g. "Q3a"."""
        return self.questions[0]

    def problem(self, seed: int) -> Problem:
        """The exercise of this seed (deterministic)."""
        assert 0 <= seed <= MAX_SEED, f"seed {seed} is outside 0 … {MAX_SEED}"
        return self.make(np.random.default_rng(seed))


@dataclass(frozen=True)
class Verdict:
    """The verdict on one answer."""

    correct: bool
    expected: str
    """The right answer, written in the answer format."""
    expected_value: Any
    """The right answer as JSON (1-based cells)."""
    explanation: str
    """How the answer is worked out, with these numbers."""
    hint: str | None
    """null when correct; else what the mistake likely is."""
    mistake: str | None
    """A tag of the recognised mistake, or null."""
    options: tuple[Option, ...] | None
    """Multiple choice only."""


def check(problem: Problem, text: str) -> Verdict:
    """Read ``text`` as the problem's answer type (MalformedAnswer if it cannot) and judge it."""
    answer = problem.answer
    value = answer.parse(text)
    correct = answer.same(value, problem.expected)
    hint = mistake = None
    if not correct:
        hint = problem.general_hint
        for candidate in problem.mistakes:
            if _matches(problem, candidate, value):
                hint, mistake = candidate.hint, candidate.tag
                break
    return Verdict(
        correct=correct,
        expected=answer.show(problem.expected),
        expected_value=answer.json(problem.expected),
        explanation=problem.explanation,
        hint=hint,
        mistake=mistake,
        options=problem.options,
    )


def _matches(problem: Problem, mistake: Mistake, value: Any) -> bool:
    if mistake.test is not None:
        return mistake.test(value)
    answer = problem.answer
    return not answer.same(mistake.value, problem.expected) and answer.same(value, mistake.value)


def pick(rng: np.random.Generator, options: list | tuple) -> Any:
    """One element of ``options``, drawn from rng (Python ints stay Python ints)."""
    return options[int(rng.integers(len(options)))]


def square(side: int) -> tuple[int, int] | None:
    """A square size as an answer value; None (no such mistake) for a negative side."""
    return (side, side) if side >= 0 else None


def swapped(expected: tuple[int, int]) -> Mistake:
    """The mistake of writing a size columns first."""
    return Mistake(
        "swapped",
        "Rows first: the answer is (output height) × (output width).",
        value=(expected[1], expected[0]),
    )
