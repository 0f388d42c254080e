"""The class sessions API (docs/sessions-api.md), run against SQLite and a real PostgreSQL.

Each test builds its own app on a fresh database (``database_url`` in tests/conftest.py), so
limits and counts start from zero. The seed-1 ``output-size`` exercise has the answer 5 (a
square size): "5", "5.0" and "5 × 5" are the same answer to its checker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import exercises
from app.config import Settings
from app.main import create_app
from app.sessions.service import CODE_ALPHABET

SIZE, SEED = "output-size", 1  # expected answer: 5


@pytest.fixture
def make_client(database_url: str, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Build an app on the test's database with these settings; its lifespan runs."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(database_url=database_url, session_data_dir=tmp_path, **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Room:
    """A session with a teacher and some participants, driven with Bearer tokens only."""

    def __init__(self, client: TestClient, students: int = 0, nicknames: tuple = ()) -> None:
        self.client = client
        created = client.post("/api/sessions")
        assert created.status_code == 201, created.text
        self.code = created.json()["code"]
        self.teacher = bearer(created.json()["teacher_token"])
        self.students = [
            self.join(nicknames[i] if i < len(nicknames) else None) for i in range(students)
        ]
        client.cookies.clear()

    def join(self, nickname: str | None = None) -> dict[str, str]:
        response = self.client.post(f"/api/sessions/{self.code}/join", json={"nickname": nickname})
        assert response.status_code == 201, response.text
        self.client.cookies.clear()
        return bearer(response.json()["participant_token"])

    def url(self, rest: str = "") -> str:
        return f"/api/sessions/{self.code}{rest}"

    def ask(self, exercise: str = SIZE, seed: int = SEED) -> dict[str, Any]:
        response = self.client.post(
            self.url("/questions"), json={"exercise": exercise, "seed": seed}, headers=self.teacher
        )
        assert response.status_code == 201, response.text
        return response.json()

    def answer(self, question: int, student: int, text: str) -> Any:
        return self.client.post(
            self.url(f"/questions/{question}/answers"),
            json={"answer": text},
            headers=self.students[student],
        )

    def act(self, question: int, action: str) -> Any:
        return self.client.post(self.url(f"/questions/{question}/{action}"), headers=self.teacher)

    def results(self, question: int) -> dict[str, Any]:
        response = self.client.get(self.url(f"/questions/{question}/results"), headers=self.teacher)
        assert response.status_code == 200, response.text
        return response.json()


def read_events(lines: Iterator[str], until: str) -> list[tuple[str, str, Any]]:
    """(id, event, data) of the stream's events up to and including the first ``until``."""
    events: list[tuple[str, str, Any]] = []
    event_id = kind = data = None
    for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and kind is not None:
            events.append((event_id, kind, data))
            if kind == until:
                return events
            event_id = kind = data = None
    raise AssertionError(f"the stream ended before {until!r}: {events}")


@contextmanager
def stream(client: TestClient, url: str, headers: dict[str, str]) -> Iterator[Iterator[str]]:
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield response.iter_lines()


# -- the contract ---------------------------------------------------------------------------


def test_create_answers_201_with_a_code_from_the_unambiguous_alphabet(client: TestClient) -> None:
    response = client.post("/api/sessions")
    assert response.status_code == 201
    body = response.json()
    assert len(body["code"]) == 6 and set(body["code"]) <= set(CODE_ALPHABET)
    assert not set(body["code"]) & set("0O1IL")
    assert len(body["teacher_token"]) >= 22  # ≥ 16 random bytes, base64url
    assert body["join_url"] == f"/join?code={body['code']}"


def test_create_sets_an_httponly_teacher_cookie_that_authenticates(client: TestClient) -> None:
    response = client.post("/api/sessions")
    code = response.json()["code"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"convlab_teacher_{code}=")
    assert "HttpOnly" in cookie and f"Path=/api/sessions/{code}" in cookie
    assert "samesite=strict" in cookie.lower()
    state = client.get(f"/api/sessions/{code}")  # the cookie only
    assert state.status_code == 200 and state.json()["role"] == "teacher"


def test_join_answers_201_with_a_participant_token_and_cookie(client: TestClient) -> None:
    room = Room(client)
    response = client.post(room.url("/join"), json={"nickname": "Ada"})
    assert response.status_code == 201
    assert len(response.json()["participant_token"]) >= 22
    assert response.headers["set-cookie"].startswith(f"convlab_participant_{room.code}=")
    assert client.get(room.url()).json()["role"] == "participant"


def test_join_accepts_an_empty_body_and_a_lower_case_code(client: TestClient) -> None:
    room = Room(client)
    response = client.post(f"/api/sessions/{room.code.lower()}/join")
    assert response.status_code == 201
    assert response.json()["code"] == room.code


def test_asking_answers_201_with_the_question_open_in_round_1(client: TestClient) -> None:
    room = Room(client)
    question = room.ask()
    drawn = exercises.exercise(SIZE, SEED)
    assert question["prompt"] == drawn.prompt
    assert question["answer_format"]["type"] == "size"
    assert (question["round"], question["state"]) == (1, "open")
    assert question["reveal"]["expected"] == "5"
    assert question["reveal"]["lesson_url"] == f"/convolution?ex-{SIZE}={SEED}"


def test_a_multiple_choice_question_lists_its_options_without_the_right_one(
    client: TestClient,
) -> None:
    room = Room(client, students=1)
    question = room.ask("concept-pooling", 3)
    assert [o["key"] for o in question["options"]] == ["A", "B", "C", "D"]
    assert set(question["options"][0]) == {"key", "text"}
    seen = client.get(room.url(f"/questions/{question['id']}"), headers=room.students[0]).json()
    assert seen["reveal"] is None and seen["options"] == question["options"]


def test_an_answer_answers_200_with_its_round(client: TestClient) -> None:
    room = Room(client, students=1)
    question = room.ask()
    response = room.answer(question["id"], 0, "5")
    assert (response.status_code, response.json()) == (200, {"round": 1})


def test_a_later_answer_in_the_same_round_replaces_the_earlier_one(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    room.answer(q, 0, "4")
    room.answer(q, 0, "5")
    assert room.results(q)["rounds"] == [
        {
            "round": 1,
            "answered": 1,
            "correct": 1,
            "distribution": [{"answer": "5", "count": 1, "correct": True}],
        }
    ]


def test_an_answer_after_close_answers_409(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    closed = room.act(q, "close")
    assert (closed.status_code, closed.json()["state"], closed.json()["round"]) == (
        200,
        "closed",
        1,
    )
    response = room.answer(q, 0, "5")
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "round 1 of this question is closed"},
    )


def test_equivalent_answers_are_one_bar_grouped_by_the_checker(client: TestClient) -> None:
    room = Room(client, students=5)
    q = room.ask()["id"]
    for student, text in enumerate(["5", "5.0", "5 × 5", "(5, 5)", "4x4"]):
        assert room.answer(q, student, text).status_code == 200
    assert room.results(q)["rounds"][0] == {
        "round": 1,
        "answered": 5,
        "correct": 4,
        "distribution": [
            {"answer": "5", "count": 4, "correct": True},
            {"answer": "4", "count": 1, "correct": False},
        ],
    }


def test_numbers_within_the_kinds_tolerance_are_one_bar(client: TestClient) -> None:
    room = Room(client, students=2)
    q = room.ask("weight-decay-step", 1)["id"]  # a vector within 0.001 per entry
    room.answer(q, 0, "[1.57, 2.03]")
    room.answer(q, 1, "1.5704, 2.0296")
    bars = room.results(q)["rounds"][0]["distribution"]
    assert [(b["count"], b["correct"]) for b in bars] == [(2, True)]


def test_an_unreadable_answer_answers_422_with_the_checkers_message(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    response = room.answer(q, 0, "five")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "answer: expected a size such as 7, 7x7 or 7 × 7, got 'five'"
    }


def test_revote_opens_round_2_and_results_keep_round_1(client: TestClient) -> None:
    room = Room(client, students=2)
    q = room.ask()["id"]
    room.answer(q, 0, "4")
    room.answer(q, 1, "4")
    room.act(q, "close")
    reopened = room.act(q, "revote").json()
    assert (reopened["round"], reopened["state"]) == (2, "open")
    room.answer(q, 0, "5")
    rounds = room.results(q)["rounds"]
    assert [(r["round"], r["answered"], r["correct"]) for r in rounds] == [(1, 2, 0), (2, 1, 1)]


def test_revote_of_an_open_round_answers_409(client: TestClient) -> None:
    room = Room(client)
    q = room.ask()["id"]
    response = room.act(q, "revote")
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "round 1 is still open; close it before a re-vote",
    )


def test_reveal_answers_the_question_revealed_with_its_explanation(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    revealed = room.act(q, "reveal").json()
    assert revealed["state"] == "revealed"
    assert revealed["reveal"]["expected"] == "5"
    assert revealed["reveal"]["explanation"] == exercises.check_answer(SIZE, SEED, "5").explanation
    assert room.answer(q, 0, "5").status_code == 409
    seen = client.get(room.url(f"/questions/{q}"), headers=room.students[0]).json()
    assert seen["reveal"]["lesson_url"] == f"/convolution?ex-{SIZE}={SEED}"


def test_asking_a_new_question_closes_the_open_one(client: TestClient) -> None:
    room = Room(client, students=1)
    first = room.ask()["id"]
    room.ask("receptive-field", 2)
    assert room.answer(first, 0, "5").status_code == 409


def test_export_csv_lists_every_question_round_and_answer_group(client: TestClient) -> None:
    room = Room(client, students=3)
    q = room.ask()["id"]
    for student, text in enumerate(["5", "5 × 5", "4"]):
        room.answer(q, student, text)
    room.act(q, "close")
    room.act(q, "revote")
    response = client.get(room.url("/export.csv"), headers=room.teacher)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    title = "The output size of a convolution"
    assert response.text.splitlines() == [
        "question,exercise,seed,title,round,answered,correct,fraction_right,answer,count,"
        "answer_correct",
        f"{q},output-size,1,{title},1,3,2,0.667,5,2,true",
        f"{q},output-size,1,{title},1,3,2,0.667,4,1,false",
        f"{q},output-size,1,{title},2,0,0,,,0,",
    ]


def test_delete_answers_204_then_404_everywhere(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    assert client.delete(room.url(), headers=room.teacher).status_code == 204
    student = room.students[0]
    calls = [
        ("GET", room.url(), room.teacher),
        ("GET", room.url(), student),
        ("POST", room.url("/join"), {}),
        ("POST", room.url("/questions"), room.teacher),
        ("GET", room.url(f"/questions/{q}"), room.teacher),
        ("POST", room.url(f"/questions/{q}/answers"), student),
        ("POST", room.url(f"/questions/{q}/close"), room.teacher),
        ("POST", room.url(f"/questions/{q}/revote"), room.teacher),
        ("POST", room.url(f"/questions/{q}/reveal"), room.teacher),
        ("GET", room.url(f"/questions/{q}/results"), room.teacher),
        ("GET", room.url("/events"), student),
        ("GET", room.url("/export.csv"), room.teacher),
        ("GET", room.url("/progress"), room.teacher),
        ("POST", room.url("/progress"), student),
        ("DELETE", room.url(), room.teacher),
    ]
    bodies = {
        "/questions": {"exercise": SIZE, "seed": 1},
        "/answers": {"answer": "5"},
        "/progress": {"exercise": SIZE, "seed": 1, "outcome": "first-try"},
    }
    for method, url, headers in calls:
        body = next((b for suffix, b in bodies.items() if url.endswith(suffix)), None)
        if method == "POST" and body is None:
            body = {}
        response = client.request(method, url, headers=headers, json=body)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["detail"] == (
            f"no session with code '{room.code}': it may have ended or expired"
        )


# -- auth -----------------------------------------------------------------------------------

TEACHER_ROUTES = [
    ("POST", "/questions", {"exercise": SIZE, "seed": 1}),
    ("POST", "/questions/{q}/close", None),
    ("POST", "/questions/{q}/revote", None),
    ("POST", "/questions/{q}/reveal", None),
    ("GET", "/questions/{q}/results", None),
    ("GET", "/export.csv", None),
    ("GET", "/progress", None),
    ("DELETE", "", None),
]
ANY_ROUTES = [("GET", "", None), ("GET", "/questions/{q}", None), ("GET", "/events", None)]
PARTICIPANT_ROUTES = [
    ("POST", "/questions/{q}/answers", {"answer": "5"}),
    ("POST", "/progress", {"exercise": SIZE, "seed": 1, "outcome": "shown"}),
]


@pytest.mark.parametrize("method,path,body", TEACHER_ROUTES + ANY_ROUTES + PARTICIPANT_ROUTES)
@pytest.mark.parametrize(
    "token", [None, "wrong-token", "Basic dXNlcjpwYXNz"], ids=["missing", "wrong", "not-bearer"]
)
def test_a_missing_or_wrong_token_answers_401(
    client: TestClient, method: str, path: str, body: Any, token: str | None
) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    headers = {}
    if token is not None:
        headers = {"Authorization": token} if token.startswith("Basic") else bearer(token)
    response = client.request(method, room.url(path.format(q=q)), headers=headers, json=body)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("missing or wrong token")


@pytest.mark.parametrize("method,path,body", TEACHER_ROUTES)
def test_a_participant_token_on_a_teacher_route_answers_403(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    response = client.request(
        method, room.url(path.format(q=q)), headers=room.students[0], json=body
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "only the session's teacher may do this (a participant token was sent)"
    )


def test_a_browser_holding_both_cookies_acts_in_the_role_each_route_needs(
    client: TestClient,
) -> None:
    created = client.post("/api/sessions").json()  # the teacher cookie stays in the jar
    code = created["code"]
    client.post(f"/api/sessions/{code}/join", json={"nickname": "Me"})  # and the student's
    teacher = bearer(created["teacher_token"])
    q = client.post(
        f"/api/sessions/{code}/questions", json={"exercise": SIZE, "seed": 1}, headers=teacher
    ).json()["id"]
    answered = client.post(f"/api/sessions/{code}/questions/{q}/answers", json={"answer": "5"})
    assert (answered.status_code, answered.json()) == (200, {"round": 1})
    results = client.get(f"/api/sessions/{code}/questions/{q}/results")
    assert results.status_code == 200 and results.json()["rounds"][0]["answered"] == 1
    assert client.get(f"/api/sessions/{code}").json()["role"] == "teacher"


def test_a_participant_cannot_read_an_earlier_question_403(client: TestClient) -> None:
    room = Room(client, students=1)
    first = room.ask()["id"]
    room.ask("receptive-field", 2)
    response = client.get(room.url(f"/questions/{first}"), headers=room.students[0])
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "a participant sees only the current question"},
    )


def test_another_sessions_teacher_token_answers_401(client: TestClient) -> None:
    room, other = Room(client), Room(client)
    response = client.get(room.url("/progress"), headers=other.teacher)
    assert response.status_code == 401


def test_the_teacher_cannot_answer_403(client: TestClient) -> None:
    room = Room(client)
    q = room.ask()["id"]
    response = client.post(
        room.url(f"/questions/{q}/answers"), json={"answer": "5"}, headers=room.teacher
    )
    assert response.status_code == 403


def test_an_unknown_code_answers_404_whatever_the_token(client: TestClient) -> None:
    room = Room(client)
    response = client.get("/api/sessions/ZZZZZZ", headers=room.teacher)
    assert response.status_code == 404
    assert response.json() == {
        "detail": "no session with code 'ZZZZZZ': it may have ended or expired"
    }


def test_a_question_of_another_session_answers_404(client: TestClient) -> None:
    room, other = Room(client), Room(client)
    q = other.ask()["id"]
    response = client.get(room.url(f"/questions/{q}/results"), headers=room.teacher)
    assert (response.status_code, response.json()) == (
        404,
        {"detail": f"no question {q} in this session"},
    )


# -- privacy --------------------------------------------------------------------------------


def test_a_participant_never_sees_other_names_or_answers(client: TestClient) -> None:
    room = Room(client, students=2, nicknames=("Zed Secretname", "Other"))
    q = room.ask()["id"]
    room.answer(q, 1, "123457")
    mine = room.students[0]
    state = client.get(room.url(), headers=mine)
    assert state.json()["nicknames"] is None and state.json()["participants"] is None
    assert state.json()["my_answer"] is None
    room.act(q, "close")
    room.act(q, "reveal")
    texts = [client.get(room.url(), headers=mine).text]
    texts.append(client.get(room.url(f"/questions/{q}"), headers=mine).text)
    with stream(client, room.url("/events"), mine) as lines:
        texts.append(json.dumps(read_events(lines, until="reveal")))
    for text in texts:
        assert "Secretname" not in text and "Other" not in text and "123457" not in text
    assert client.get(room.url(f"/questions/{q}/results"), headers=mine).status_code == 403


def test_the_teacher_sees_nicknames_as_sent(client: TestClient) -> None:
    room = Room(client, students=2, nicknames=("<img src=x onerror=alert(1)>", None))
    state = client.get(room.url(), headers=room.teacher).json()
    assert state["participants"] == 2
    assert state["nicknames"] == ["<img src=x onerror=alert(1)>"]


def test_a_participant_sees_its_own_answer_in_the_state(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    room.answer(q, 0, "5 × 5")
    state = client.get(room.url(), headers=room.students[0]).json()
    assert state["my_answer"] == {"round": 1, "answer": "5 × 5"}


# -- bad input and limits -------------------------------------------------------------------


def test_an_unknown_exercise_answers_404_naming_it(client: TestClient) -> None:
    room = Room(client)
    response = client.post(
        room.url("/questions"), json={"exercise": "nope", "seed": 1}, headers=room.teacher
    )
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "no exercise called 'nope'; GET /api/sessions/questions lists them"},
    )


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True])
def test_a_seed_out_of_range_answers_422(client: TestClient, seed: Any) -> None:
    room = Room(client)
    response = client.post(
        room.url("/questions"), json={"exercise": SIZE, "seed": seed}, headers=room.teacher
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "seed must be a whole number from 0 to 4294967295"


def test_a_long_nickname_answers_422(make_client: Callable[..., TestClient]) -> None:
    client = make_client(session_max_nickname_chars=5)
    room = Room(client)
    response = client.post(room.url("/join"), json={"nickname": "Abcdef"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "nickname is longer than 5 characters"


def test_a_full_session_answers_429(make_client: Callable[..., TestClient]) -> None:
    client = make_client(session_max_participants=2)
    room = Room(client, students=2)
    response = client.post(room.url("/join"))
    assert (response.status_code, response.json()) == (
        429,
        {"detail": "this session is full: 2 participants"},
    )


def test_the_question_limit_answers_429(make_client: Callable[..., TestClient]) -> None:
    client = make_client(session_max_questions=1)
    room = Room(client)
    room.ask()
    response = client.post(
        room.url("/questions"), json={"exercise": SIZE, "seed": 2}, headers=room.teacher
    )
    assert (response.status_code, response.json()) == (
        429,
        {"detail": "this session has asked 1 questions, the most it can"},
    )


def test_the_server_session_limit_answers_429(make_client: Callable[..., TestClient]) -> None:
    client = make_client(session_max_sessions=1)
    Room(client)
    response = client.post("/api/sessions")
    assert response.status_code == 429
    assert response.json() == {
        "detail": "the server already runs 1 sessions; end one or wait until one expires"
    }


def test_joins_past_the_rate_limit_answer_429_with_retry_after(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(session_joins_per_minute=2)
    room = Room(client, students=2)
    response = client.post(room.url("/join"))
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["detail"].startswith("too many joins from this address (2 a minute)")


def test_code_guesses_past_the_rate_limit_answer_429_even_for_a_real_code(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(session_code_guesses_per_minute=3)
    room = Room(client)
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert client.post(f"/api/sessions/{guess}/join").status_code == 404
    response = client.post(room.url("/join"))
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["detail"].startswith("too many unknown session codes")


def test_session_creation_past_the_rate_limit_answers_429(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(session_creates_per_hour=1)
    Room(client)
    response = client.post("/api/sessions")
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 3600


# -- events ---------------------------------------------------------------------------------


def test_events_arrive_in_order_with_increasing_ids(client: TestClient) -> None:
    room = Room(client, students=1)
    with stream(client, room.url("/events"), room.students[0]) as lines:
        q = room.ask()["id"]
        events = read_events(lines, until="question")
        room.act(q, "close")
        room.act(q, "revote")
        room.act(q, "reveal")
        events += read_events(lines, until="reveal")
        client.delete(room.url(), headers=room.teacher)
        events += read_events(lines, until="ended")
    assert [(i, k) for i, k, _ in events] == [
        ("1", "question"),
        ("2", "closed"),
        ("3", "question"),
        ("4", "reveal"),
        ("4", "ended"),
    ]
    assert events[0][2]["id"] == q and events[0][2]["reveal"] is None
    assert events[2][2]["round"] == 2
    assert events[3][2]["reveal"]["expected"] == "5"
    assert events[4][2] == {"reason": "ended"}


def test_a_reconnect_with_last_event_id_first_gets_the_current_state(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    room.act(q, "close")
    headers = {**room.students[0], "Last-Event-ID": "1"}
    with stream(client, room.url("/events"), headers) as lines:
        events = read_events(lines, until="closed")
    assert [(i, k) for i, k, _ in events] == [("2", "question"), ("2", "closed")]
    assert (events[0][2]["id"], events[0][2]["state"]) == (q, "closed")


def test_the_teacher_stream_counts_participants_and_answers(client: TestClient) -> None:
    room = Room(client, students=1)
    q = room.ask()["id"]
    with stream(client, room.url("/events"), room.teacher) as lines:
        first = read_events(lines, until="answers")
        room.join()
        assert read_events(lines, until="participants")[-1][2] == {"count": 2}
        room.answer(q, 0, "5")
        assert read_events(lines, until="answers")[-1][2] == {"id": q, "round": 1, "answered": 1}
    assert [k for _, k, _ in first] == ["question", "participants", "answers"]
    assert first[1][2] == {"count": 1}


def test_a_question_reaches_a_student_on_another_process_within_a_second(
    make_client: Callable[..., TestClient],
) -> None:
    teacher_side, student_side = make_client(), make_client()  # two apps, two event hubs
    room = Room(teacher_side, students=1)
    with stream(student_side, room.url("/events"), room.students[0]) as lines:
        started = time.monotonic()
        q = room.ask()["id"]
        events = read_events(lines, until="question")
        elapsed = time.monotonic() - started
    assert events[-1][2]["id"] == q
    assert elapsed < 1.0, f"the question took {elapsed:.2f} s"


def test_on_postgresql_a_notify_delivers_without_waiting_for_the_poll(
    make_client: Callable[..., TestClient], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite streams rely on the poll")
    teacher_side = make_client(session_poll_seconds=5)
    student_side = make_client(session_poll_seconds=5)
    room = Room(teacher_side, students=1)
    with stream(student_side, room.url("/events"), room.students[0]) as lines:
        time.sleep(0.5)  # the hub's first poll has run; the next one is 5 s away
        started = time.monotonic()
        room.ask()
        read_events(lines, until="question")
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the question took {elapsed:.2f} s with a 5 s poll"


def test_open_event_streams_take_no_compute_slot(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_concurrency=1)
    room = Room(client, students=2)
    with stream(client, room.url("/events"), room.students[0]):
        with stream(client, room.url("/events"), room.students[1]):
            q = room.ask()["id"]
            assert room.answer(q, 0, "5").status_code == 200


def test_an_answer_on_one_process_is_in_the_results_of_another_at_once(
    make_client: Callable[..., TestClient],
) -> None:
    one, other = make_client(), make_client()
    room = Room(one, students=1)
    q = room.ask()["id"]
    assert room.answer(q, 0, "5").status_code == 200
    results = other.get(room.url(f"/questions/{q}/results"), headers=room.teacher).json()
    assert results["rounds"][0]["answered"] == 1


# -- pages ----------------------------------------------------------------------------------


def test_the_question_list_has_every_exercise_kind_and_the_experiments(client: TestClient) -> None:
    listed = client.get("/api/sessions/questions").json()
    kinds = [q["exercise"] for q in listed if q["source"] == "exercise"]
    assert kinds == [k.id for k in exercises.KINDS]
    assert [q["exercise"] for q in listed if q["source"] == "experiment"] == [
        "experiment-generalization",
        "experiment-limits",
        "experiment-weight-decay",
    ]


def test_an_experiment_prediction_is_answered_from_the_reference(client: TestClient) -> None:
    room = Room(client, students=1)
    question = room.ask("experiment-generalization", 0)
    assert [o["text"] for o in question["options"]][2] == "CNN (shared filters)"
    room.answer(question["id"], 0, "c")
    bars = room.results(question["id"])["rounds"][0]["distribution"]
    assert bars == [{"answer": "C", "count": 1, "correct": True}]
    assert question["reveal"]["lesson_url"] == "/experiments?exp=generalization"


def test_the_progress_board_counts_outcomes_per_kind(client: TestClient) -> None:
    room = Room(client, students=3)
    report = [("first-try", 0), ("after-hint", 1), ("first-try", 1)]  # the latest one counts
    for outcome, student in report:
        response = client.post(
            room.url("/progress"),
            json={"exercise": SIZE, "seed": 4, "outcome": outcome},
            headers=room.students[student],
        )
        assert response.status_code == 204
    board = client.get(room.url("/progress"), headers=room.teacher).json()
    assert board["participants"] == 3
    row = next(k for k in board["kinds"] if k["exercise"] == SIZE)
    assert row == {
        "exercise": SIZE,
        "title": "The output size of a convolution",
        "page": "/convolution",
        "first_try": 2,
        "after_hint": 0,
        "shown": 0,
        "not_yet": 1,
    }
    assert len(board["kinds"]) == len(exercises.KINDS)


def test_a_progress_outcome_must_be_one_of_three(client: TestClient) -> None:
    room = Room(client, students=1)
    response = client.post(
        room.url("/progress"),
        json={"exercise": SIZE, "seed": 4, "outcome": "guessed"},
        headers=room.students[0],
    )
    assert response.status_code == 422
