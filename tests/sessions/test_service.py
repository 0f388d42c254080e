"""SessionStore on both databases without HTTP: expiry, the sweep, deletion, the event log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from app.config import Settings
from app.sessions.db import Database, upgrade
from app.sessions.errors import NotFound
from app.sessions.models import (
    Answer,
    ClassSession,
    Participant,
    Progress,
    Question,
    SessionEvent,
)
from app.sessions.service import Caller, SessionStore

TABLES = (ClassSession, Participant, Question, Answer, Progress, SessionEvent)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[SessionStore]:
    db = Database(database_url)
    upgrade(db.engine)
    settings = Settings(database_url=database_url, session_data_dir=tmp_path)
    yield SessionStore(db, settings, clock=clock)
    db.close()


def _rows(store: SessionStore) -> dict[str, int]:
    with store.db.read() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _full_session(store: SessionStore) -> tuple[str, Caller]:
    created = store.create(Caller("10.0.0.1"))
    teacher = Caller("10.0.0.1", bearer=created.teacher_token)
    student = Caller("10.0.0.2", bearer=store.join(created.code, Caller("10.0.0.2"), "Ada"))
    q = store.ask(created.code, teacher, "output-size", 1)["id"]
    store.answer(created.code, student, q, "5")
    store.record_progress(created.code, student, "output-size", 1, "first-try")
    return created.code, teacher


def test_migrations_create_every_table_and_run_twice(store: SessionStore) -> None:
    upgrade(store.db.engine)  # a second worker starting: nothing to do
    names = set(inspect(store.db.engine).get_table_names())
    assert names >= {t.__tablename__ for t in TABLES} | {"alembic_version"}


def test_a_session_past_its_ttl_answers_404(store: SessionStore, clock: Clock) -> None:
    code, teacher = _full_session(store)
    clock.now += timedelta(hours=12, seconds=1)
    with pytest.raises(NotFound, match="no session with code"):
        store.state(code, teacher)


def test_a_session_within_its_ttl_is_served(store: SessionStore, clock: Clock) -> None:
    code, teacher = _full_session(store)
    clock.now += timedelta(hours=11, minutes=59)
    assert store.state(code, teacher)["participants"] == 1


def test_the_sweep_deletes_every_row_of_expired_sessions_only(
    store: SessionStore, clock: Clock
) -> None:
    _full_session(store)
    clock.now += timedelta(hours=6)
    _full_session(store)
    clock.now += timedelta(hours=6, seconds=1)
    assert store.sweep() == 1
    assert _rows(store) == {
        "sessions": 1,
        "participants": 1,
        "questions": 1,
        "answers": 1,
        "progress": 1,
        "session_events": 1,
    }


def test_delete_removes_all_the_sessions_data(store: SessionStore) -> None:
    code, teacher = _full_session(store)
    store.delete(code, teacher)
    assert set(_rows(store).values()) == {0}


def test_tokens_are_stored_hashed(store: SessionStore) -> None:
    created = store.create(Caller("10.0.0.1"))
    token = store.join(created.code, Caller("10.0.0.2"), None)
    with store.db.read() as s:
        stored = (
            s.scalars(select(Participant.token_hash)).all()
            + s.scalars(select(ClassSession.teacher_token_hash)).all()
        )
    assert token not in stored and created.teacher_token not in stored
    assert all(len(h) == 64 for h in stored)


def test_poll_returns_new_events_in_order_and_ended_sessions(store: SessionStore) -> None:
    code, teacher = _full_session(store)
    sid = store.snapshot(code, teacher).actor.session_id
    q = store.state(code, teacher)["current"]["id"]
    store.close(code, teacher, q)
    store.revote(code, teacher, q)
    polled = store.poll({sid: 1}, set())
    assert [(seq, kind) for _, seq, kind, _ in polled.events] == [(2, "closed"), (3, "question")]
    store.delete(code, teacher)
    assert store.poll({sid: 3}, set()).ended == {sid: "ended"}
