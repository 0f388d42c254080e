"""Class sessions survive crashes and stay consistent across processes, on real servers.

``convlab serve --workers 2`` in subprocesses, on an SQLite file (the default database) and on a
throw-away PostgreSQL server (app/sessions/scratch.py):

- an answer acknowledged with 200 is durable: kill -9 a worker while answers are arriving, then
  kill -9 the whole server, restart it on the same database, and every student's last
  acknowledged answer is in the results;
- two server processes on one database serve one session: an answer posted to one is in the
  results read from the other at once; an event posted through one reaches a stream held by
  the other within a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.server import PROJECT_ROOT, free_port

pytestmark = pytest.mark.slow

EXERCISE = "output-size"  # answers are sides of a square: "5", "5x5", "5 × 5" are one bar
EVENT_DEADLINE = 1.0  # seconds: a question reaches every student within a second


# --- servers ----------------------------------------------------------------------------------


class Server:
    """``convlab serve`` in its own process group, so kill -9 can take it whole."""

    def __init__(self, database_url: str, *, workers: int, log: Path) -> None:
        self.database_url, self.workers, self.log = database_url, workers, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            str(Path(sys.executable).with_name("convlab")), "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
        ]  # fmt: skip
        env = {**os.environ, "CONVLAB_DATABASE_URL": self.database_url}
        env["CONVLAB_LOG_LEVEL"] = "warning"
        with self.log.open("a") as output:
            self.proc = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 240  # torch loads in every worker: slow on a busy machine
        while len(self.worker_pids()) < self.workers or not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"server did not start; log:\n{self.log.read_text()}")
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes: the children of the supervisor running the app (one
        worker: uvicorn serves in the process itself)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid] if self.proc.poll() is None else []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and b"spawn_main" in cmdline:
                children.append(int(stat.parent.name))
        return sorted(children)

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        """kill -9 the supervisor and every worker at once: nothing gets to shut down."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        else:
            self.proc.wait()


@contextmanager
def running(database_url: str, log: Path, *, workers: int = 2) -> Iterator[Server]:
    server = Server(database_url, workers=workers, log=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_kind(request) -> str:
    return request.param


def fresh_database(kind: str, request, directory: Path) -> str:
    """A new, empty database: an SQLite file, or a new database on the test PostgreSQL server
    (the ``postgres_server`` fixture of tests/conftest.py, which skips where there is none)."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'sessions.db'}"
    return request.getfixturevalue("postgres_server").new_database()


# --- the session routes, as the pages call them -----------------------------------------------


def run_apart(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: in a whole-suite run the browser tests' Playwright
    keeps an event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_session(url: str, students: int) -> tuple[str, str, list[str]]:
    """(code, teacher token, participant tokens) of a new session with that many students."""
    with httpx.Client(base_url=url, timeout=30) as client:
        created = client.post("/api/sessions", json={})
        assert created.status_code == 201, created.text
        code, teacher = created.json()["code"], created.json()["teacher_token"]
        tokens = []
        for i in range(students):
            joined = client.post(f"/api/sessions/{code}/join", json={"nickname": f"s{i}"})
            assert joined.status_code == 201, joined.text
            tokens.append(joined.json()["participant_token"])
    return code, teacher, tokens


def ask(url: str, code: str, teacher: str, seed: int = 7) -> int:
    response = httpx.post(
        f"{url}/api/sessions/{code}/questions",
        json={"exercise": EXERCISE, "seed": seed},
        headers=bearer(teacher),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def results(url: str, code: str, teacher: str, question: int) -> dict:
    response = httpx.get(
        f"{url}/api/sessions/{code}/questions/{question}/results",
        headers=bearer(teacher),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def side(text: str) -> int:
    """The side of the square an answer names: "5", "5x5", "5 × 5" -> 5."""
    return int(text.replace("×", "x").split("x")[0])


def counted(round_: dict) -> Counter:
    return Counter({side(bar["answer"]): bar["count"] for bar in round_["distribution"]})


# --- durability -------------------------------------------------------------------------------


async def answer_until_acknowledged(
    client: httpx.AsyncClient, path: str, token: str, text: str, deadline: float
) -> None:
    """Post one answer again and again (a student sending again) until a 200 comes back."""
    while True:
        try:
            response = await client.post(path, json={"answer": text}, headers=bearer(token))
            if response.status_code == 200:
                return
            assert response.status_code >= 500, response.text  # a dying worker's 5xx: retry
        except httpx.TransportError:
            pass  # the worker that held the connection was killed: retry
        assert time.monotonic() < deadline, f"{text} was never acknowledged"
        await asyncio.sleep(0.05)


async def students_answer(
    url: str, code: str, question: int, tokens: list[str], answers: list[list[str]], kill
) -> Counter:
    """Every student posts their answers in turn; ``kill()`` runs while they are arriving.
    Counts the answers acknowledged before and after the kill."""
    path = f"{url}/api/sessions/{code}/questions/{question}/answers"
    deadline = time.monotonic() + 120
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=0)
    acknowledged: Counter = Counter()
    killed = False
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(token: str, texts: list[str]) -> None:
            for text in texts:
                await answer_until_acknowledged(client, path, token, text, deadline)
                acknowledged["after kill" if killed else "before kill"] += 1
                await asyncio.sleep(0.05)

        posting = asyncio.gather(*(one(t, a) for t, a in zip(tokens, answers, strict=True)))
        while acknowledged["before kill"] < len(tokens):  # about a quarter of the answers
            await asyncio.sleep(0.01)
        await asyncio.to_thread(kill)
        killed = True
        await posting
    return acknowledged


def test_every_answer_acknowledged_before_kill_9_of_a_worker_then_the_server_is_counted(
    database_url, tmp_path
):  # database_url: tests/conftest.py, an SQLite file then a PostgreSQL database
    students = 40
    answers = [[f"{3 + (i + k) % 5}" if k % 2 else f"{3 + (i * k) % 6}x{3 + (i * k) % 6}"
                for k in range(4)] for i in range(students)]  # fmt: skip
    log = tmp_path / "server.log"
    server = Server(database_url, workers=2, log=log)
    server.start()
    try:
        code, teacher, tokens = open_session(server.url, students)
        question = ask(server.url, code, teacher)
        killed: list[int] = []
        acknowledged = run_apart(
            students_answer(
                server.url, code, question, tokens, answers,
                lambda: killed.append(server.kill_worker()),
            )
        )  # fmt: skip
        assert acknowledged["before kill"] >= students and acknowledged["after kill"] >= students
        assert sum(acknowledged.values()) == 4 * students
        assert killed and killed[0] not in server.worker_pids()
        deadline = time.monotonic() + 120
        while len(server.worker_pids()) < 2:  # uvicorn replaced the killed worker
            assert time.monotonic() < deadline, "no new worker after kill -9"
            time.sleep(0.2)
        server.kill_all()  # right after the last 200: no shutdown, no flush
        server.start()  # same port, same database
        round_1 = results(server.url, code, teacher, question)["rounds"][0]
    finally:
        server.stop()
    last = Counter(side(texts[-1]) for texts in answers)
    assert round_1["round"] == 1
    assert round_1["answered"] == students
    assert counted(round_1) == last


# --- two processes, one database --------------------------------------------------------------


@pytest.fixture(scope="module")
def two_servers(database_kind, request, tmp_path_factory) -> Iterator[tuple[Server, Server]]:
    """Two servers (separate processes, one worker each) on one database, for the module."""
    directory = tmp_path_factory.mktemp(f"two-servers-{database_kind}")
    url = fresh_database(database_kind, request, directory)
    with (
        running(url, directory / "a.log", workers=1) as a,
        running(url, directory / "b.log", workers=1) as b,
    ):
        yield a, b


def test_an_answer_posted_to_one_server_is_in_the_results_read_from_the_other_at_once(
    two_servers,
):
    a, b = two_servers
    code, teacher, tokens = open_session(a.url, 3)
    question = ask(b.url, code, teacher)
    path = f"/api/sessions/{code}/questions/{question}/answers"
    with httpx.Client(base_url=a.url, timeout=30) as client:
        for i, (token, text) in enumerate(
            [(tokens[0], "5"), (tokens[1], "5 × 5"), (tokens[2], "4"), (tokens[2], "7x7")]
        ):
            posted = client.post(path, json={"answer": text}, headers=bearer(token))
            assert posted.status_code == 200, posted.text
            round_1 = results(b.url, code, teacher, question)["rounds"][0]  # no wait, no retry
            expected = [Counter({5: 1}), Counter({5: 2}), Counter({5: 2, 4: 1}),
                        Counter({5: 2, 7: 1})][i]  # fmt: skip
            assert counted(round_1) == expected


async def follow(
    url: str, token: str, arrivals: list[tuple[float, str, dict]], opened: asyncio.Event
) -> None:
    """Read ``GET /events`` as the pages do; note each event's arrival time. ``opened`` is set
    at the stream's first line (its ``retry:``), sent once the server has subscribed it."""
    headers = {**bearer(token), "Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200
        name, data = "message", []
        async for line in response.aiter_lines():
            opened.set()
            if line == "" and data:
                arrivals.append((time.monotonic(), name, json.loads("\n".join(data))))
                name, data = "message", []
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())


async def teacher_steps_and_arrivals(a: Server, b: Server) -> list[tuple[str, float]]:
    """A student follows server A; the teacher asks, closes, re-votes, reveals on server B."""
    code, teacher, [token] = await asyncio.to_thread(open_session, a.url, 1)
    arrivals: list[tuple[float, str, dict]] = []
    opened = asyncio.Event()
    reader = asyncio.create_task(
        follow(f"{a.url}/api/sessions/{code}/events", token, arrivals, opened)
    )
    delays = []
    try:
        # the stream is open and has sent the (empty) state; a fixed wait could end before a
        # busy server subscribed it, and the question would then come in its initial state, late
        await asyncio.wait_for(opened.wait(), timeout=60)
        async with httpx.AsyncClient(base_url=b.url, timeout=30, headers=bearer(teacher)) as t:
            question = None
            for step, event in [("ask", "question"), ("close", "closed"),
                                ("revote", "question"), ("reveal", "reveal")]:  # fmt: skip
                seen = len(arrivals)
                sent = time.monotonic()
                if step == "ask":
                    response = await t.post(
                        f"/api/sessions/{code}/questions", json={"exercise": EXERCISE, "seed": 3}
                    )
                    question = response.json()["id"]
                else:
                    response = await t.post(f"/api/sessions/{code}/questions/{question}/{step}")
                assert response.status_code in (200, 201), response.text
                while not any(name == event for _, name, _ in arrivals[seen:]):
                    assert time.monotonic() - sent < 10, f"no {event} event after {step}"
                    await asyncio.sleep(0.01)
                at = next(at for at, name, _ in arrivals[seen:] if name == event)
                delays.append((step, at - sent))
    finally:
        reader.cancel()
    return delays


def test_events_posted_through_one_server_reach_a_stream_on_the_other_within_a_second(
    two_servers,
):
    delays = run_apart(teacher_steps_and_arrivals(*two_servers))
    assert [step for step, _ in delays] == ["ask", "close", "revote", "reveal"]
    late = [(step, round(delay, 3)) for step, delay in delays if delay > EVENT_DEADLINE]
    assert not late, f"events later than {EVENT_DEADLINE} s: {late}"
