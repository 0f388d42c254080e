"""Routes for exercises: list the kinds, draw one from a seed, check an answer.

The exercises are generated and checked by ``app.exercises`` (pure Python/NumPy); these routes
only validate, call it once and map the result. Unknown id → 404; a bad seed or an unreadable
answer → 422 in FastAPI's list form, as every other error about one field of a request: an
answer the kind cannot read is an error of the body's ``answer`` field, like a blank one.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.exceptions import RequestValidationError

from app import exercises
from app.api.deps import JsonBody
from app.api.docs import ErrorMessage
from app.api.schemas.exercises import (
    CheckRequest,
    CheckResponse,
    ExerciseResponse,
    ExerciseSummary,
    SeedQuery,
)

router = APIRouter(prefix="/exercises", tags=["exercises"])

_NOT_FOUND = {404: {"model": ErrorMessage, "description": "No exercise has this id."}}
ExerciseId = Annotated[
    str, Path(description="An id from GET /api/exercises.", examples=["receptive-field"])
]


def _known(exercise_id: ExerciseId) -> str:
    """The path's exercise id, or a 404 naming it."""
    try:
        return exercises.kind(exercise_id).id
    except exercises.UnknownExercise as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


KnownId = Annotated[str, Depends(_known)]


@router.get("", response_model=list[ExerciseSummary])
def list_exercises() -> list[ExerciseSummary]:
    """Every exercise kind, in the tutorial's order, with its question and lesson page."""
    return [ExerciseSummary.model_validate(k) for k in exercises.KINDS]


@router.get("/{exercise_id}", response_model=ExerciseResponse, responses=_NOT_FOUND)
def get_exercise(
    exercise_id: KnownId, seed: Annotated[SeedQuery | None, Query(examples=[1])] = None
) -> ExerciseResponse:
    """The exercise drawn from ``seed`` (the server draws a seed when none is given)."""
    if seed is None:
        seed = secrets.randbelow(exercises.MAX_SEED + 1)
    return ExerciseResponse.model_validate(exercises.exercise(exercise_id, seed))


@router.post("/{exercise_id}/check", response_model=CheckResponse, responses=_NOT_FOUND)
def check_exercise(exercise_id: KnownId, request: JsonBody[CheckRequest]) -> exercises.Verdict:
    """Judge the student's answer to the exercise of this seed."""
    try:
        verdict = exercises.check_answer(exercise_id, request.seed, request.answer)
    except exercises.MalformedAnswer as unreadable:  # the kind names the form it expected
        raise RequestValidationError(
            [
                {
                    "type": "answer_unreadable",
                    "loc": ("body", "answer"),
                    "msg": str(unreadable),
                    "input": request.answer,
                }
            ]
        ) from None
    return verdict
