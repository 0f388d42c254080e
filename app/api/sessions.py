"""Routes of class sessions (docs/sessions-api.md): thin maps onto ``app.sessions``.

Each route reads the caller (Bearer token or the session's HttpOnly cookies, and the client's
address for the rate limits), makes one ``SessionStore`` call and maps its result; the store's
errors carry their status (app.api.errors). Routes are plain ``def``: the database calls block,
so FastAPI runs them in the worker's thread pool. The event stream is ``async``: it waits on the
process's ``EventHub`` without holding a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import BODY_MODEL_ATTRIBUTE, JsonBody, validate_json_body
from app.api.docs import ErrorMessage
from app.api.schemas.sessions import (
    Answered,
    AnswerRequest,
    AskableQuestion,
    AskRequest,
    CreatedSession,
    Joined,
    JoinRequest,
    ProgressBoard,
    ProgressRequest,
    QuestionView,
    Results,
    SessionState,
)
from app.sessions import questions
from app.sessions.events import EventHub
from app.sessions.service import Caller, Created, SessionStore, normal_code


def _error(description: str) -> dict:
    return {"model": ErrorMessage, "description": description}


router = APIRouter(
    prefix="/sessions",
    tags=["sessions"],
    responses={
        401: _error("Missing or wrong token (Authorization: Bearer, or the session's cookie)."),
        403: _error("A participant token on a teacher route, or the teacher on a student's."),
        404: _error("No session has this code (ended or expired), or no such question in it."),
        409: _error("The round is closed, or the question cannot go to that state."),
        429: _error(
            "A limit (sessions, participants, questions) or a rate limit per client; "
            "a rate limit sends Retry-After."
        ),
    },
)

TEACHER_COOKIE = "convlab_teacher_{code}"
PARTICIPANT_COOKIE = "convlab_participant_{code}"


async def get_store(request: Request) -> SessionStore:
    """The sessions store built by this app's lifespan."""
    return request.app.state.sessions


async def get_hub(request: Request) -> EventHub:
    """This process's event hub (lifespan)."""
    return request.app.state.session_events


async def get_caller(request: Request) -> Caller:
    """The client's address and the credentials it sent for the path's session."""
    header = request.headers.get("authorization")
    bearer = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        bearer = value.strip() if scheme.lower() == "bearer" else ""
    code = normal_code(request.path_params.get("code", ""))
    return Caller(
        ip=request.client.host if request.client else "unknown",
        bearer=bearer,
        teacher_cookie=request.cookies.get(TEACHER_COOKIE.format(code=code)),
        participant_cookie=request.cookies.get(PARTICIPANT_COOKIE.format(code=code)),
    )


StoreDep = Annotated[SessionStore, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(get_caller)]
Code = Annotated[
    str, Path(max_length=32, description="The session's join code.", examples=["K7QX2M"])
]
QuestionId = Annotated[
    int, Path(ge=1, le=2**62, description="A question id of this session.", examples=[1])
]


async def _join_body(request: Request) -> JoinRequest:
    """The join body; an empty body is ``{}`` (no nickname)."""
    return await validate_json_body(request, JoinRequest, empty_means=b"{}")  # type: ignore[return-value]


setattr(_join_body, BODY_MODEL_ATTRIBUTE, JoinRequest)


def _set_cookie(request: Request, response: Response, name: str, token: str, code: str) -> None:
    response.set_cookie(
        name,
        token,
        max_age=int(request.app.state.settings.session_ttl_hours * 3600),
        path=f"/api/sessions/{code}",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/questions", response_model=list[AskableQuestion])
def list_questions() -> list[AskableQuestion]:
    """Everything a teacher can ask: the exercise kinds, then the experiments' predictions."""
    return [
        AskableQuestion(
            exercise=a.exercise, title=a.title, page=a.page, question=a.question, source=a.source
        )
        for a in questions.askable()
    ]


@router.post("", status_code=201, response_model=CreatedSession)
def create_session(
    request: Request, response: Response, store: StoreDep, caller: CallerDep
) -> Created:
    """Start a session; the teacher token comes back once (and as an HttpOnly cookie)."""
    created = store.create(caller)
    _set_cookie(
        request,
        response,
        TEACHER_COOKIE.format(code=created.code),
        created.teacher_token,
        created.code,
    )
    return created


@router.post("/{code}/join", status_code=201, response_model=Joined)
def join_session(
    code: Code,
    request: Request,
    response: Response,
    store: StoreDep,
    caller: CallerDep,
    body: Annotated[JoinRequest, Depends(_join_body)],
) -> Joined:
    """Join as a participant (an optional nickname, shown only to the teacher)."""
    token = store.join(code, caller, body.nickname)
    code = normal_code(code)
    _set_cookie(request, response, PARTICIPANT_COOKIE.format(code=code), token, code)
    return Joined(participant_token=token, code=code)


@router.get("/{code}", response_model=SessionState)
def session_state(code: Code, store: StoreDep, caller: CallerDep) -> dict:
    """The session as the caller may see it."""
    return store.state(code, caller)


@router.delete("/{code}", status_code=204)
def end_session(code: Code, store: StoreDep, caller: CallerDep) -> Response:
    """End the session and delete all its data (teacher)."""
    store.delete(code, caller)
    return Response(status_code=204)


@router.post("/{code}/questions", status_code=201, response_model=QuestionView)
def ask_question(
    code: Code, store: StoreDep, caller: CallerDep, body: JsonBody[AskRequest]
) -> dict:
    """Ask the room a question (teacher); round 1 opens."""
    return store.ask(code, caller, body.exercise, body.seed)


@router.get("/{code}/questions/{question_id}", response_model=QuestionView)
def get_question(code: Code, question_id: QuestionId, store: StoreDep, caller: CallerDep) -> dict:
    """One question (a participant: only the current one)."""
    return store.question(code, caller, question_id)


@router.post("/{code}/questions/{question_id}/answers", response_model=Answered)
def answer_question(
    code: Code,
    question_id: QuestionId,
    store: StoreDep,
    caller: CallerDep,
    body: JsonBody[AnswerRequest],
) -> Answered:
    """Answer the open round (participant); a later answer replaces the earlier one."""
    return Answered(round=store.answer(code, caller, question_id, body.answer))


@router.post("/{code}/questions/{question_id}/close", response_model=QuestionView)
def close_round(code: Code, question_id: QuestionId, store: StoreDep, caller: CallerDep) -> dict:
    """Close the open round (teacher)."""
    return store.close(code, caller, question_id)


@router.post("/{code}/questions/{question_id}/revote", response_model=QuestionView)
def revote(code: Code, question_id: QuestionId, store: StoreDep, caller: CallerDep) -> dict:
    """Open the next round after discussion (teacher)."""
    return store.revote(code, caller, question_id)


@router.post("/{code}/questions/{question_id}/reveal", response_model=QuestionView)
def reveal(code: Code, question_id: QuestionId, store: StoreDep, caller: CallerDep) -> dict:
    """Reveal the answer to everyone (teacher)."""
    return store.reveal(code, caller, question_id)


@router.get("/{code}/questions/{question_id}/results", response_model=Results)
def results(code: Code, question_id: QuestionId, store: StoreDep, caller: CallerDep) -> dict:
    """Each round's answers grouped by the exercise's checker (teacher)."""
    return store.results(code, caller, question_id)


@router.post("/{code}/progress", status_code=204)
def report_progress(
    code: Code, store: StoreDep, caller: CallerDep, body: JsonBody[ProgressRequest]
) -> Response:
    """A lesson page's exercise outcome while the student is in the session (participant)."""
    store.record_progress(code, caller, body.exercise, body.seed, body.outcome)
    return Response(status_code=204)


@router.get("/{code}/progress", response_model=ProgressBoard)
def progress(code: Code, store: StoreDep, caller: CallerDep) -> dict:
    """Per exercise kind: first try, after a hint, shown, not yet (teacher)."""
    return store.progress(code, caller)


@router.get(
    "/{code}/export.csv",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(code: Code, store: StoreDep, caller: CallerDep) -> Response:
    """Every question and round as CSV (teacher)."""
    text = store.export_csv(code, caller)
    filename = f"convlab-session-{normal_code(code)}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{code}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    code: Code,
    store: StoreDep,
    caller: CallerDep,
    hub: Annotated[EventHub, Depends(get_hub)],
) -> StreamingResponse:
    """Server-Sent Events: the current state first, then question, closed, reveal, ended."""
    snapshot = await run_in_threadpool(store.snapshot, code, caller)
    return StreamingResponse(
        hub.stream(snapshot),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
