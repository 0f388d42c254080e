"""Class sessions: the teacher asks, the room answers, the teacher closes, re-opens, reveals.

Pure logic over the database (no HTTP): every public method of ``SessionStore`` is one
transaction, committed before it returns, so a 200 means the answer is on disk and any other
worker or replica reading the database sees it. Errors are ``app.sessions.errors`` exceptions
carrying their HTTP status. Order of the checks on every route: rate limit of unknown codes
(429), the code (404), the token (401), the role (403), then the request itself.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.config import Settings
from app.exercises import KINDS, MalformedAnswer
from app.sessions import questions
from app.sessions.db import Database, upgrade
from app.sessions.errors import Conflict, Forbidden, NotFound, TooMany, Unauthorized, Unreadable
from app.sessions.models import (
    Answer,
    ClassSession,
    Participant,
    Progress,
    Question,
    SessionEvent,
)
from app.sessions.ratelimit import RateLimiter

NOTIFY_CHANNEL = "convlab_session_events"
"""PostgreSQL: every event is also announced here (at commit), so hubs wake at once."""
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a code read off a projector is typed right."""
CODE_LENGTH = 6
TOKEN_BYTES = 24
OUTCOMES = ("first-try", "after-hint", "shown")
Role = Literal["teacher", "participant"]
Need = Literal["teacher", "participant", "any"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def normal_code(code: str) -> str:
    return code.strip().upper()


@dataclass(frozen=True)
class Caller:
    """Who asks: the client's address (for rate limits) and the credentials it sent."""

    ip: str
    bearer: str | None = None
    teacher_cookie: str | None = None
    participant_cookie: str | None = None


@dataclass(frozen=True)
class Actor:
    """An authenticated caller within one session."""

    session_id: int
    code: str
    role: Role
    participant_id: int | None = None


@dataclass(frozen=True)
class Created:
    code: str
    """The join code (6 characters, no 0/O/1/I/L)."""
    teacher_token: str
    """Send as Authorization: Bearer on teacher routes."""
    join_url: str
    """The path students open, e.g. /join?code=K7QX2M."""
    expires_at: datetime


@dataclass
class Snapshot:
    """What a new event stream sends first: the current state, as events up to ``seq``."""

    actor: Actor
    seq: int
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class PollResult:
    """One poll of the event log for the sessions a process streams."""

    ended: dict[int, str]
    """session id → "ended" or "expired" for sessions gone since."""
    events: list[tuple[int, int, str, dict[str, Any]]]
    """(session id, seq, kind, payload) in seq order per session."""
    counts: dict[int, dict[str, Any]]
    """session id → {"participants": n, "answers": {id, round, answered} | None}."""


class SessionStore:
    """Class sessions over one database, with this process's rate limits."""

    def __init__(
        self, db: Database, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.joins = RateLimiter(settings.session_joins_per_minute, 60)
        self.guesses = RateLimiter(settings.session_code_guesses_per_minute, 60)
        self.creates = RateLimiter(settings.session_creates_per_hour, 3600)

    @classmethod
    def open(cls, settings: Settings) -> SessionStore:
        """The store on the settings' database, migrated to the newest schema, swept."""
        db = Database(settings.sessions_database_url())
        upgrade(db.engine)
        store = cls(db, settings)
        store.sweep()
        return store

    def dispose(self) -> None:
        """Close the database connections (lifespan end)."""
        self.db.close()

    # -- sessions and people -----------------------------------------------------------------

    def create(self, caller: Caller) -> Created:
        """A new session with its teacher token (429 past the per-client or server limit)."""
        wait = self.creates.hit(caller.ip)
        if wait is not None:
            raise TooMany(
                f"this address created {self.creates.limit} sessions in the last hour; "
                f"wait {wait} s",
                retry_after=wait,
            )
        now = self.clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.write() as s:
            live = _count(s, ClassSession, ClassSession.expires_at > now)
            limit = self.settings.session_max_sessions
            if live >= limit:
                raise TooMany(
                    f"the server already runs {limit} sessions; end one or wait until one expires",
                    retry_after=60,
                )
            code = self._free_code(s)
            expires = now + timedelta(hours=self.settings.session_ttl_hours)
            s.add(
                ClassSession(
                    code=code,
                    teacher_token_hash=token_hash(token),
                    created_at=now,
                    expires_at=expires,
                    event_seq=0,
                )
            )
        return Created(code=code, teacher_token=token, join_url=join_url(code), expires_at=expires)

    def _free_code(self, s: Session) -> str:
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if s.scalar(select(ClassSession.id).where(ClassSession.code == code)) is None:
                return code
        raise TooMany("no free session code found; try again", retry_after=1)

    def join(self, code: str, caller: Caller, nickname: str | None) -> str:
        """A participant token for this session (429 when the session is full)."""
        wait = self.joins.hit(caller.ip)
        if wait is not None:
            raise TooMany(
                f"too many joins from this address ({self.joins.limit} a minute); wait {wait} s",
                retry_after=wait,
            )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.write() as s:
            session = self._session(s, code, caller)
            count = _count(s, Participant, Participant.session_id == session.id)
            limit = self.settings.session_max_participants
            if count >= limit:
                raise TooMany(f"this session is full: {limit} participants")
            s.add(
                Participant(
                    session_id=session.id,
                    token_hash=token_hash(token),
                    nickname=nickname or None,
                    joined_at=self.clock(),
                )
            )
        return token

    def delete(self, code: str, caller: Caller) -> None:
        """End the session: every row of it is deleted; its streams get ``ended``."""
        with self.db.write() as s:
            actor = self._authorize(s, code, caller, "teacher")
            _delete_sessions(s, [actor.session_id])
            if self.db.dialect == "postgresql":
                s.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # its streams hear "ended" at once

    def sweep(self) -> int:
        """Delete every expired session; the number deleted."""
        with self.db.write() as s:
            ids = list(
                s.scalars(select(ClassSession.id).where(ClassSession.expires_at <= self.clock()))
            )
            _delete_sessions(s, ids)
        return len(ids)

    # -- questions ---------------------------------------------------------------------------

    def ask(self, code: str, caller: Caller, exercise: str, seed: int) -> dict[str, Any]:
        """Ask a question (the one still open is closed first); the teacher's view of it."""
        with self.db.write() as s:
            actor = self._authorize(s, code, caller, "teacher")
            questions.find(exercise)
            count = _count(s, Question, Question.session_id == actor.session_id)
            limit = self.settings.session_max_questions
            if count >= limit:
                raise TooMany(f"this session has asked {limit} questions, the most it can")
            still_open = s.scalars(
                select(Question)
                .where(Question.session_id == actor.session_id, Question.state == "open")
                .with_for_update()
            ).all()
            for q in still_open:
                q.state = "closed"
                self._emit(s, actor.session_id, "closed", _state_payload(q))
            question = Question(
                session_id=actor.session_id,
                exercise=exercise,
                seed=seed,
                round=1,
                state="open",
                asked_at=self.clock(),
            )
            s.add(question)
            s.flush()
            s.execute(
                update(ClassSession)
                .where(ClassSession.id == actor.session_id)
                .values(current_question_id=question.id)
            )
            self._emit(s, actor.session_id, "question", question_view(question, reveal=False))
            return question_view(question, reveal=True)

    def answer(self, code: str, caller: Caller, question_id: int, text: str) -> int:
        """Store this participant's answer for the open round (replacing an earlier one);
        the round. Committed before it returns."""
        with self.db.write() as s:
            actor = self._authorize(s, code, caller, "participant")
            question = self._question(s, actor, question_id, lock="share")
            if question.state != "open":
                raise Conflict(_closed_message(question))
            problem = questions.drawn(question.exercise, question.seed)
            try:
                value = problem.answer.parse(text)
            except MalformedAnswer as unreadable:
                raise Unreadable(str(unreadable)) from None
            values = {
                "session_id": actor.session_id,
                "question_id": question.id,
                "participant_id": actor.participant_id,
                "round": question.round,
                "text": text,
                "canonical": problem.answer.show(value),
                "correct": bool(problem.answer.same(value, problem.expected)),
                "answered_at": self.clock(),
            }
            keys = ("question_id", "round", "participant_id")
            self._upsert(s, Answer, values, keys, ("text", "canonical", "correct", "answered_at"))
            return question.round

    def close(self, code: str, caller: Caller, question_id: int) -> dict[str, Any]:
        """Close the open round (no change when closed; 409 when revealed)."""
        return self._transition(code, caller, question_id, "close")

    def revote(self, code: str, caller: Caller, question_id: int) -> dict[str, Any]:
        """Open the next round of a closed question."""
        return self._transition(code, caller, question_id, "revote")

    def reveal(self, code: str, caller: Caller, question_id: int) -> dict[str, Any]:
        """Reveal the answer to everyone (closes the round)."""
        return self._transition(code, caller, question_id, "reveal")

    def _transition(
        self, code: str, caller: Caller, question_id: int, action: str
    ) -> dict[str, Any]:
        with self.db.write() as s:
            actor = self._authorize(s, code, caller, "teacher")
            q = self._question(s, actor, question_id, lock="update")
            if action == "close":
                if q.state == "revealed":
                    raise Conflict("this question is revealed; its rounds are closed")
                if q.state == "open":
                    q.state = "closed"
                    self._emit(s, actor.session_id, "closed", _state_payload(q))
            elif action == "revote":
                if q.state == "open":
                    raise Conflict(f"round {q.round} is still open; close it before a re-vote")
                if q.state == "revealed":
                    raise Conflict("this question is revealed; ask a new one")
                if q.round >= self.settings.session_max_rounds:
                    raise Conflict(f"this question had {q.round} rounds, the most a question has")
                if _current_id(s, actor.session_id) != q.id:
                    raise Conflict("only the current question can be re-voted; ask it again")
                q.round += 1
                q.state = "open"
                self._emit(s, actor.session_id, "question", question_view(q, reveal=False))
            else:
                if q.state != "revealed":
                    q.state = "revealed"
                    payload = {**_state_payload(q), "reveal": reveal_view(q)}
                    self._emit(s, actor.session_id, "reveal", payload)
            s.flush()
            return question_view(q, reveal=True)

    def question(self, code: str, caller: Caller, question_id: int) -> dict[str, Any]:
        """One question; a participant may read only the current one."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "any")
            q = self._question(s, actor, question_id)
            if actor.role == "participant":
                if _current_id(s, actor.session_id) != q.id:
                    raise Forbidden("a participant sees only the current question")
            return question_view(q, reveal=actor.role == "teacher" or q.state == "revealed")

    def results(self, code: str, caller: Caller, question_id: int) -> dict[str, Any]:
        """Per round: how many answered, how many right, and the answers grouped by the
        exercise's own checker."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "teacher")
            q = self._question(s, actor, question_id)
            return {"question": q.id, "rounds": _rounds(s, q)}

    # -- what the pages show -----------------------------------------------------------------

    def state(self, code: str, caller: Caller) -> dict[str, Any]:
        """The session as the caller may see it (a participant: no one else's name or answer)."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "any")
            session = s.get(ClassSession, actor.session_id)
            assert session is not None
            current = _current(s, session)
            teacher = actor.role == "teacher"
            state: dict[str, Any] = {
                "code": session.code,
                "role": actor.role,
                "join_url": join_url(session.code),
                "expires_at": session.expires_at,
                "participants": None,
                "nicknames": None,
                "questions": [],
                "current": None,
                "my_answer": None,
            }
            if current is not None:
                state["current"] = question_view(
                    current, reveal=teacher or current.state == "revealed"
                )
            if teacher:
                names = s.scalars(
                    select(Participant.nickname)
                    .where(Participant.session_id == session.id)
                    .order_by(Participant.id)
                ).all()
                state["participants"] = len(names)
                state["nicknames"] = [n for n in names if n]
                asked = s.scalars(
                    select(Question).where(Question.session_id == session.id).order_by(Question.id)
                ).all()
                state["questions"] = [_summary(q) for q in asked]
            elif current is not None:
                mine = s.scalar(
                    select(Answer.text).where(
                        Answer.question_id == current.id,
                        Answer.round == current.round,
                        Answer.participant_id == actor.participant_id,
                    )
                )
                if mine is not None:
                    state["my_answer"] = {"round": current.round, "answer": mine}
            return state

    def record_progress(
        self, code: str, caller: Caller, exercise: str, seed: int, outcome: str
    ) -> None:
        """A lesson page's exercise check by a participant: the latest outcome per kind."""
        assert outcome in OUTCOMES, f"outcome must be one of {OUTCOMES}"
        with self.db.write() as s:
            actor = self._authorize(s, code, caller, "participant")
            questions.find(exercise)
            values = {
                "participant_id": actor.participant_id,
                "exercise": exercise,
                "session_id": actor.session_id,
                "seed": seed,
                "outcome": outcome,
                "updated_at": self.clock(),
            }
            keys = ("participant_id", "exercise")
            self._upsert(s, Progress, values, keys, ("seed", "outcome", "updated_at"))

    def progress(self, code: str, caller: Caller) -> dict[str, Any]:
        """Per exercise kind: how many participants got it first try, after a hint, were
        shown it, or have no outcome yet."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "teacher")
            present = _count(s, Participant, Participant.session_id == actor.session_id)
            rows = s.execute(
                select(Progress.exercise, Progress.outcome, func.count())
                .where(Progress.session_id == actor.session_id)
                .group_by(Progress.exercise, Progress.outcome)
            ).all()
        counts: dict[str, dict[str, int]] = {}
        for exercise, outcome, n in rows:
            counts.setdefault(exercise, {})[outcome] = n
        kinds = []
        for k in KINDS:
            seen = counts.get(k.id, {})
            first, hint, shown = (seen.get(o, 0) for o in OUTCOMES)
            kinds.append(
                {
                    "exercise": k.id,
                    "title": k.title,
                    "page": k.page,
                    "first_try": first,
                    "after_hint": hint,
                    "shown": shown,
                    "not_yet": max(0, present - first - hint - shown),
                }
            )
        return {"participants": present, "kinds": kinds}

    def export_csv(self, code: str, caller: Caller) -> str:
        """Every question's rounds as CSV rows: one per answer group (no names)."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "teacher")
            asked = s.scalars(
                select(Question)
                .where(Question.session_id == actor.session_id)
                .order_by(Question.id)
            ).all()
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            header = "question exercise seed title round answered correct fraction_right answer"
            writer.writerow([*header.split(), "count", "answer_correct"])
            for q in asked:
                title = questions.find(q.exercise).title
                for r in _rounds(s, q):
                    fraction = f"{r['correct'] / r['answered']:.3f}" if r["answered"] else ""
                    head = [q.id, q.exercise, q.seed, title, r["round"], r["answered"]]
                    head += [r["correct"], fraction]
                    bars = r["distribution"] or [{"answer": "", "count": 0, "correct": None}]
                    for bar in bars:
                        flag = "" if bar["correct"] is None else str(bar["correct"]).lower()
                        writer.writerow([*head, bar["answer"], bar["count"], flag])
            return out.getvalue()

    # -- event streams -----------------------------------------------------------------------

    def snapshot(self, code: str, caller: Caller) -> Snapshot:
        """Authorize a stream and read the current state it starts with."""
        with self.db.read() as s:
            actor = self._authorize(s, code, caller, "any")
            session = s.get(ClassSession, actor.session_id)
            assert session is not None
            snap = Snapshot(actor=actor, seq=session.event_seq)
            q = _current(s, session)
            if q is not None:
                snap.events.append(("question", question_view(q, reveal=False)))
                if q.state == "closed":
                    snap.events.append(("closed", _state_payload(q)))
                elif q.state == "revealed":
                    snap.events.append(("reveal", {**_state_payload(q), "reveal": reveal_view(q)}))
            if actor.role == "teacher":
                counts = _counts(s, session)
                snap.events.append(("participants", {"count": counts["participants"]}))
                if counts["answers"] is not None:
                    snap.events.append(("answers", counts["answers"]))
            return snap

    def poll(self, after: dict[int, int], teacher_sessions: set[int]) -> PollResult:
        """Events after ``after[session]`` of each session, which of them are gone, and the
        live counts of the sessions a teacher streams: one read transaction."""
        result = PollResult(ended={}, events=[], counts={})
        if not after:
            return result
        with self.db.read() as s:
            rows = s.execute(
                select(ClassSession.id, ClassSession.expires_at).where(
                    ClassSession.id.in_(list(after))
                )
            ).all()
            now = self.clock()
            alive = {sid for sid, expires in rows if expires > now}
            for sid in after:
                if sid not in alive:
                    result.ended[sid] = "expired" if any(r[0] == sid for r in rows) else "ended"
            wanted = [sid for sid in after if sid in alive]
            if wanted:
                floor = min(after[sid] for sid in wanted)
                events = s.execute(
                    select(
                        SessionEvent.session_id,
                        SessionEvent.seq,
                        SessionEvent.kind,
                        SessionEvent.payload,
                    )
                    .where(SessionEvent.session_id.in_(wanted), SessionEvent.seq > floor)
                    .order_by(SessionEvent.session_id, SessionEvent.seq)
                ).all()
                result.events = [
                    (sid, seq, kind, json.loads(payload))
                    for sid, seq, kind, payload in events
                    if seq > after[sid]
                ]
            for sid in teacher_sessions & alive:
                session = s.get(ClassSession, sid)
                if session is not None:
                    result.counts[sid] = _counts(s, session)
        return result

    # -- helpers -----------------------------------------------------------------------------

    def _session(self, s: Session, code: str, caller: Caller) -> ClassSession:
        wait = self.guesses.retry_after(caller.ip)
        if wait is not None:
            raise TooMany(
                f"too many unknown session codes from this address; wait {wait} s",
                retry_after=wait,
            )
        code = normal_code(code)
        session = None
        if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
            session = s.scalar(
                select(ClassSession).where(
                    ClassSession.code == code, ClassSession.expires_at > self.clock()
                )
            )
        if session is None:
            self.guesses.hit(caller.ip)
            shown = code if len(code) <= 12 else code[:11] + "…"
            raise NotFound(f"no session with code {shown!r}: it may have ended or expired")
        return session

    def _authorize(self, s: Session, code: str, caller: Caller, need: Need) -> Actor:
        session = self._session(s, code, caller)
        if caller.bearer is not None:
            tokens = [caller.bearer]
        elif need == "participant":
            tokens = [caller.participant_cookie, caller.teacher_cookie]
        else:
            tokens = [caller.teacher_cookie, caller.participant_cookie]
        actor = None
        for token in tokens:
            if token:
                actor = self._actor(s, session, token)
                if actor is not None:
                    break
        if actor is None:
            raise Unauthorized(
                "missing or wrong token: send the token that creating or joining this session "
                "gave as Authorization: Bearer <token>"
            )
        if need == "teacher" and actor.role != "teacher":
            raise Forbidden("only the session's teacher may do this (a participant token was sent)")
        if need == "participant" and actor.role != "participant":
            raise Forbidden("only a participant may do this: join the session for a token")
        return actor

    def _actor(self, s: Session, session: ClassSession, token: str) -> Actor | None:
        digest = token_hash(token)
        if hmac.compare_digest(digest, session.teacher_token_hash):
            return Actor(session.id, session.code, "teacher")
        row = s.execute(
            select(Participant.id, Participant.token_hash).where(
                Participant.session_id == session.id, Participant.token_hash == digest
            )
        ).first()
        if row is not None and hmac.compare_digest(digest, row.token_hash):
            return Actor(session.id, session.code, "participant", row.id)
        return None

    def _question(
        self, s: Session, actor: Actor, question_id: int, lock: str | None = None
    ) -> Question:
        statement = select(Question).where(
            Question.id == question_id, Question.session_id == actor.session_id
        )
        if lock == "update":
            statement = statement.with_for_update()
        elif lock == "share":
            statement = statement.with_for_update(read=True)
        q = s.scalar(statement)
        if q is None:
            raise NotFound(f"no question {question_id} in this session")
        return q

    def _upsert(
        self,
        s: Session,
        model: type,
        values: dict[str, Any],
        keys: tuple[str, ...],
        updated: tuple[str, ...],
    ) -> None:
        """Insert ``values``, or set the ``updated`` columns of the row with the same ``keys``."""
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        statement = insert(model).values(**values)
        s.execute(
            statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={k: statement.excluded[k] for k in updated},
            )
        )

    def _emit(self, s: Session, session_id: int, kind: str, payload: dict[str, Any]) -> int:
        """Append an event to the session's log; the session row stays locked until commit,
        so the session's events commit in ``seq`` order."""
        seq = s.execute(
            update(ClassSession)
            .where(ClassSession.id == session_id)
            .values(event_seq=ClassSession.event_seq + 1)
            .returning(ClassSession.event_seq)
        ).scalar_one()
        s.add(
            SessionEvent(
                session_id=session_id,
                seq=seq,
                kind=kind,
                payload=json.dumps(payload, default=str),
                created_at=self.clock(),
            )
        )
        if self.db.dialect == "postgresql":
            s.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered when the event commits
        return seq


def join_url(code: str) -> str:
    return f"/join?code={code}"


def _closed_message(q: Question) -> str:
    if q.state == "revealed":
        return "this question is revealed; answers are closed"
    return f"round {q.round} of this question is closed"


def _state_payload(q: Question) -> dict[str, Any]:
    return {"id": q.id, "round": q.round, "state": q.state}


def _summary(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "exercise": q.exercise,
        "seed": q.seed,
        "title": questions.find(q.exercise).title,
        "round": q.round,
        "state": q.state,
    }


def reveal_view(q: Question) -> dict[str, Any]:
    """The expected answer, why, and the lesson page that shows it."""
    problem = questions.drawn(q.exercise, q.seed)
    options = None if problem.options is None else [asdict(o) for o in problem.options]
    return {
        "expected": problem.answer.show(problem.expected),
        "expected_value": problem.answer.json(problem.expected),
        "explanation": problem.explanation,
        "options": options,
        "lesson_url": questions.find(q.exercise).lesson_url(q.seed),
    }


def question_view(q: Question, *, reveal: bool) -> dict[str, Any]:
    """Everything a page renders of a question; ``reveal`` adds the answer."""
    entry = questions.find(q.exercise)
    problem = questions.drawn(q.exercise, q.seed)
    options = None
    if problem.options is not None:
        options = [{"key": o.key, "text": o.text} for o in problem.options]
    return {
        "id": q.id,
        "exercise": q.exercise,
        "seed": q.seed,
        "title": entry.title,
        "page": entry.page,
        "prompt": problem.prompt,
        "inputs": problem.inputs,
        "answer_format": problem.answer.format(),
        "options": options,
        "round": q.round,
        "state": q.state,
        "reveal": reveal_view(q) if reveal else None,
    }


def _rounds(s: Session, q: Question) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Answer.round, Answer.canonical, Answer.correct, func.count())
        .where(Answer.question_id == q.id)
        .group_by(Answer.round, Answer.canonical, Answer.correct)
    ).all()
    answer_type = questions.drawn(q.exercise, q.seed).answer
    rounds = []
    for r in range(1, q.round + 1):
        groups = sorted(
            ((canonical, correct, n) for rnd, canonical, correct, n in rows if rnd == r),
            key=lambda g: (-g[2], g[0]),
        )
        bars: list[dict[str, Any]] = []
        values: list[Any] = []
        for canonical, correct, n in groups:
            value = answer_type.parse(canonical)
            for bar, seen in zip(bars, values, strict=True):
                if answer_type.same(value, seen):
                    bar["count"] += n
                    break
            else:
                bars.append({"answer": canonical, "count": n, "correct": bool(correct)})
                values.append(value)
        bars.sort(key=lambda b: (-b["count"], b["answer"]))
        rounds.append(
            {
                "round": r,
                "answered": sum(b["count"] for b in bars),
                "correct": sum(b["count"] for b in bars if b["correct"]),
                "distribution": bars,
            }
        )
    return rounds


def _count(s: Session, model: type, *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


def _current_id(s: Session, session_id: int) -> int | None:
    """The session's current question, read from the database (not an earlier loaded row)."""
    return s.scalar(select(ClassSession.current_question_id).where(ClassSession.id == session_id))


def _current(s: Session, session: ClassSession) -> Question | None:
    qid = session.current_question_id
    return None if qid is None else s.get(Question, qid)


def _counts(s: Session, session: ClassSession) -> dict[str, Any]:
    participants = _count(s, Participant, Participant.session_id == session.id)
    answers = None
    q = _current(s, session)
    if q is not None:
        answered = _count(s, Answer, Answer.question_id == q.id, Answer.round == q.round)
        answers = {"id": q.id, "round": q.round, "answered": answered}
    return {"participants": participants, "answers": answers}


def _delete_sessions(s: Session, ids: list[int]) -> None:
    if not ids:
        return
    for table in (SessionEvent, Progress, Answer, Question, Participant):
        s.execute(delete(table).where(table.session_id.in_(ids)))
    s.execute(delete(ClassSession).where(ClassSession.id.in_(ids)))
