"""Schemas of the class sessions API (docs/sessions-api.md)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.api.schemas.common import RequestModel, documented, settings_of
from app.api.schemas.exercises import AnswerFormat, AnswerText, Seed
from app.sessions.service import Created


def _nickname(value: object, info: ValidationInfo) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("nickname", "nickname must be a string or null")
    cleaned = "".join(c for c in value if unicodedata.category(c)[0] != "C").strip()
    limit = settings_of(info).session_max_nickname_chars
    if len(cleaned) > limit:
        raise PydanticCustomError(
            "nickname_too_long",
            "nickname is longer than {limit} characters",
            {"limit": limit},
        )
    return cleaned or None


Nickname = Annotated[
    Any,
    PlainValidator(_nickname),
    WithJsonSchema(
        {
            "type": ["string", "null"],
            "description": "Optional; shown only to the teacher (at most "
            "CONVLAB_SESSION_MAX_NICKNAME_CHARS characters, 40 by default).",
        }
    ),
]
ExerciseId = Annotated[
    str,
    Field(
        min_length=1, max_length=64, description="An exercise id from GET /api/sessions/questions."
    ),
]


CreatedSession = documented(Created)
"""A new session: the engine's ``Created`` as it is."""


class JoinRequest(RequestModel):
    nickname: Nickname = None


class Joined(BaseModel):
    participant_token: str = Field(description="Send as Authorization: Bearer.")
    code: str


class AskRequest(RequestModel):
    exercise: ExerciseId
    seed: Seed


class AnswerRequest(RequestModel):
    answer: AnswerText


class Answered(BaseModel):
    round: int = Field(description="The round the answer counts in.")


class OptionView(BaseModel):
    key: str
    text: str


class OptionReveal(OptionView):
    correct: bool
    explanation: str


class Reveal(BaseModel):
    expected: str = Field(description="The expected answer as text the checker accepts.")
    expected_value: Any
    explanation: str
    options: list[OptionReveal] | None
    lesson_url: str = Field(description="The lesson page that shows this exercise.")


class QuestionView(BaseModel):
    """A question as pages render it; ``reveal`` only for the teacher or once revealed."""

    id: int
    exercise: str
    seed: int
    title: str
    page: str
    prompt: str
    inputs: dict[str, Any]
    answer_format: AnswerFormat
    options: list[OptionView] | None
    round: int
    state: Literal["open", "closed", "revealed"]
    reveal: Reveal | None


class Bar(BaseModel):
    answer: str = Field(description="The checker's spelling of this group of answers.")
    count: int
    correct: bool


class RoundResult(BaseModel):
    round: int
    answered: int
    correct: int
    distribution: list[Bar]


class Results(BaseModel):
    question: int
    rounds: list[RoundResult]


class QuestionSummary(BaseModel):
    id: int
    exercise: str
    seed: int
    title: str
    round: int
    state: Literal["open", "closed", "revealed"]


class MyAnswer(BaseModel):
    round: int
    answer: str


class SessionState(BaseModel):
    """The session as the caller may see it: counts and names only for the teacher."""

    code: str
    role: Literal["teacher", "participant"]
    join_url: str
    expires_at: datetime
    participants: int | None
    nicknames: list[str] | None
    questions: list[QuestionSummary]
    current: QuestionView | None
    my_answer: MyAnswer | None


class AskableQuestion(BaseModel):
    exercise: str
    title: str
    page: str
    question: str = Field(description='The tutorial question, e.g. "Q3a".')
    source: Literal["exercise", "experiment"]


class ProgressRequest(AskRequest):
    outcome: Literal["first-try", "after-hint", "shown"]


class KindProgress(BaseModel):
    exercise: str
    title: str
    page: str
    first_try: int
    after_hint: int
    shown: int
    not_yet: int


class ProgressBoard(BaseModel):
    participants: int
    kinds: list[KindProgress]
