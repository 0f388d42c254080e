"""What a teacher can ask: every exercise kind (drawn from a seed) and every experiment's
prediction. One registry, ``askable()``; ``drawn(exercise, seed)`` is the problem a session's
question is, with everything the pages render and the reveal shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from app import exercises
from app.exercises.base import MAX_SEED, Problem
from app.sessions.errors import NotFound
from app.sessions.predictions import prediction_questions


@dataclass(frozen=True)
class Askable:
    """One thing a teacher can ask: an exercise kind or an experiment's prediction."""

    exercise: str
    question: str
    title: str
    page: str
    source: Literal["exercise", "experiment"]

    def lesson_url(self, seed: int) -> str:
        """The lesson page showing this exercise with this seed's numbers (its Your-turn block
        reads ``ex-<id>=<seed>`` from the URL); a prediction's page shows its experiment."""
        if self.source == "experiment":
            return self.page
        return f"{self.page}?ex-{self.exercise}={seed}"


@cache
def _registry() -> dict[str, tuple[Askable, Any]]:
    entries: dict[str, tuple[Askable, Any]] = {}
    for k in exercises.KINDS:
        entries[k.id] = (Askable(k.id, k.question, k.title, k.page, "exercise"), k.problem)
    for p in prediction_questions():
        entries[p.id] = (
            Askable(p.id, p.question, p.title, p.page, "experiment"),
            lambda _seed, problem=p.problem: problem,
        )
    return entries


def askable() -> list[Askable]:
    """Every askable question, the tutorial's exercises first, then the experiments'."""
    return [entry for entry, _ in _registry().values()]


def find(exercise: str) -> Askable:
    """The askable question of this id, or NotFound naming it."""
    try:
        return _registry()[exercise][0]
    except KeyError:
        shown = exercise if len(exercise) <= 40 else exercise[:39] + "…"
        raise NotFound(
            f"no exercise called {shown!r}; GET /api/sessions/questions lists them"
        ) from None


@lru_cache(maxsize=256)
def drawn(exercise: str, seed: int) -> Problem:
    """The problem of this exercise and seed (deterministic, so cached)."""
    find(exercise)
    assert 0 <= seed <= MAX_SEED, f"seed {seed} is outside 0 … {MAX_SEED}"
    return _registry()[exercise][1](seed)
