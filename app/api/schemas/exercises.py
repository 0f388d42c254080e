"""Schemas of the exercises API: the list, one exercise, a check and its verdict."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.api.schemas.common import RequestModel, ResultModel, documented, settings_of
from app.exercises import MAX_SEED
from app.exercises.base import Verdict

_SEED_SCHEMA = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_SEED,
    "description": "Draws the exercise: the same seed gives the same exercise.",
}


def _seed_from_json(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise PydanticCustomError("seed", f"seed must be a whole number from 0 to {MAX_SEED}")
    return value


def _seed_from_query(value: object) -> int:
    digits = isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10
    return _seed_from_json(int(value) if digits else None)  # type: ignore[arg-type]  # None: refused


def _answer(value: object, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("answer", "answer must be a string (the text the student typed)")
    limit = settings_of(info).max_answer_chars
    if len(value) > limit:
        raise PydanticCustomError(
            "answer_too_long", "answer is longer than {limit} characters", {"limit": limit}
        )
    if not value.strip():
        raise PydanticCustomError("answer_empty", "answer is empty")
    return value


Seed = Annotated[Any, PlainValidator(_seed_from_json), WithJsonSchema(_SEED_SCHEMA)]
"""A JSON integer 0 … 2³² − 1 (no bool, float or string)."""
SeedQuery = Annotated[Any, PlainValidator(_seed_from_query), WithJsonSchema(_SEED_SCHEMA)]
"""The ``?seed=`` query parameter: decimal digits, 0 … 2³² − 1."""
AnswerText = Annotated[
    Any,
    PlainValidator(_answer),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "What the student typed (at most CONVLAB_MAX_ANSWER_CHARS "
            "characters, 200 by default); its accepted forms are in answer_format.",
        }
    ),
]


class ExerciseSummary(ResultModel):
    """One exercise kind in the list."""

    id: str = Field(description="The kind's id, used in the other routes.")
    question: str = Field(description='The tutorial question it answers, e.g. "Q3a".')
    questions: list[str] = Field(description="Every tutorial question it answers.")
    page: str = Field(description='The lesson page\'s path, e.g. "/convolution".')
    title: str = Field(description="A short title.")


class AnswerFormat(ResultModel):
    """How to write the answer."""

    type: str = Field(description="integer, number, size, vector, cell, cells or choice.")
    description: str = Field(description="A sentence to show under the answer box.")
    example: str = Field(description="A well-formed answer of this type (not the solution).")
    tolerance: float = Field(description="Absolute tolerance per number (0: exact).")
    indexing: str | None = Field(description='"1-based" for cells, else null.')
    length: int | None = Field(None, description="How many numbers a vector answer has.")


class ExerciseResponse(ResultModel):
    """One exercise drawn from a seed."""

    id: str
    seed: int = Field(description="Send it back with the answer.")
    prompt: str = Field(description="The task in words; cells are counted from 1.")
    inputs: dict[str, Any] = Field(description="The numbers (0-based cells; see docs).")
    answer_format: AnswerFormat


class CheckRequest(RequestModel):
    """The seed of the exercise and the student's answer as typed."""

    seed: Seed
    answer: AnswerText


CheckResponse = documented(Verdict)
"""The verdict on one answer: the engine's ``Verdict`` as it is."""
