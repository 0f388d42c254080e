"""A lecture hall against one ConvLab: 300 students in one class session, the pages' own requests.

Starts real servers (``convlab serve --workers 2``), then replays what /join and /teach do:

- each student (the join page, static/js/sessions/join.js): ``POST /join`` -> participant token,
  ``GET`` the session state, opens ``GET /events`` (Server-Sent Events, ``Authorization:
  Bearer``), waits for the ``question`` event, thinks, ``POST`` an answer; some change their
  mind and post a second one; waits for ``closed``, answers round 2 after the re-vote, waits
  for ``reveal``;
- the teacher (the teach page, static/js/sessions/teach.js): creates the session, follows its own
  event stream (live counts), reads the state whenever the head count changes and the progress
  board every 5 s, asks a question once everyone is in, closes the round once every student
  has answered, reads the results, re-votes, closes, reveals, reads the results after each step.

Measured: the time from the teacher's ``POST …/questions`` (and ``…/revote``, ``…/reveal``)
to the event's arrival on every student's stream (p50 / p95 / max), the answer ``POST``
latency (p50 / p95 / max), and whether the results count exactly the acknowledged answers (the
last 200 of each student per round). ``--two-servers``: students on one server, the teacher on
a second one (separate processes, other port), both on one PostgreSQL: events and answers cross
processes through the database.

On a shared machine the wall-clock figures grow with the others' load, so the bench also
reports the servers' own CPU time per phase (from /proc: per join, per second of idle
streams, per answer POST), the load average (``/proc/loadavg``) before and after, and the
load generator's CPU time and event-loop lag (one asyncio process holds all 300 streams).

    python bench/sessions_load.py                       # SQLite (the default database)
    python bench/sessions_load.py --database postgres   # a throw-away PostgreSQL server
    python bench/sessions_load.py --database postgres --two-servers
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.sessions.scratch import PostgresServer, find_bin_dir  # noqa: E402
from bench.serving import wait_healthy  # noqa: E402

EXERCISE = "output-size"  # the side of a square output: "5", "5x5" and "5 × 5" are one bar
SIDES = [3, 4, 5, 6, 7, 8]
SPELLINGS = ["{n}", "{n} × {n}", "{n}x{n}"]


def side(text: str) -> int:
    """The side an answer (as typed, or the results' spelling of its bar) names."""
    return int(re.match(r"\s*(\d+)", text).group(1))


# --- servers ----------------------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (the uvicorn workers), so far."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


@contextmanager
def server(port: int, env: dict[str, str], workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """``convlab serve --workers N --port P``; yield (its URL, its pid) once /api/health answers."""
    command = [
        str(Path(sys.executable).with_name("convlab")), "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    with log.open("w") as output:
        proc = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output
        )
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_healthy(url, proc, 180):
                raise SystemExit(f"server on {port} did not start:\n{log.read_text()}")
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- one student's stream ---------------------------------------------------------------------


@dataclass
class Stream:
    """Events as they arrive on one SSE connection: name -> [(monotonic time, data)]."""

    seen: dict[str, list[tuple[float, dict]]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    reconnects: int = 0

    def first(self, name: str, match) -> float | None:
        for at, data in self.seen.get(name, []):
            if match(data):
                return at
        return None

    async def wait_for(self, name: str, match, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while (at := self.first(name, match)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return None
        return at


async def read_events(client: httpx.AsyncClient, url: str, token: str, stream: Stream) -> None:
    """Follow ``GET /events`` as EventSource does (reconnecting with Last-Event-ID)."""
    last_id: str | None = None
    while True:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            async with client.stream("GET", url, headers=headers, timeout=None) as response:
                if response.status_code != 200:
                    return
                stream.connected.set()
                name, data = "message", []
                async for line in response.aiter_lines():
                    if line == "":
                        if data:
                            payload = "\n".join(data)
                            try:
                                parsed = json.loads(payload)
                            except ValueError:
                                parsed = {"raw": payload}
                            stream.seen.setdefault(name, []).append((time.monotonic(), parsed))
                            stream.changed.set()
                        name, data = "message", []
                    elif line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip())
                    elif line.startswith("id:"):
                        last_id = line[3:].strip()
        except httpx.HTTPError:
            pass
        stream.reconnects += 1
        await asyncio.sleep(1)


# --- the lecture ------------------------------------------------------------------------------


class Countdown:
    """Set once ``target`` parties have arrived (the target may be lowered later)."""

    def __init__(self, target: int) -> None:
        self.count, self.target, self.done = 0, target, asyncio.Event()

    def arrive(self) -> None:
        self.count += 1
        self.check()

    def lower(self, target: int) -> None:
        self.target = target
        self.check()

    def check(self) -> None:
        if self.count >= self.target:
            self.done.set()


@dataclass
class Lecture:
    """What the students and the teacher share: the moments, the figures."""

    code: str
    students: int
    qid: int | None = None
    sent: dict[str, float] = field(default_factory=dict)  # "ask1" ... -> when the POST left
    go: dict[str, asyncio.Event] = field(default_factory=dict)
    joined: Countdown | None = None
    answered: dict[int, Countdown] = field(default_factory=dict)
    event_delay: dict[str, list[float]] = field(default_factory=dict)
    missed: Counter = field(default_factory=Counter)
    joins: Counter = field(default_factory=Counter)
    answer_latency: list[float] = field(default_factory=list)
    answer_status: Counter = field(default_factory=Counter)
    acknowledged: dict[int, dict[int, str]] = field(default_factory=dict)  # round -> who -> text
    server_cpu: Callable[[], float] = lambda: 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # moment -> the servers' CPU seconds
    reconnects: int = 0

    def mark(self, moment: str) -> None:
        self.cpu[moment] = self.server_cpu()

    def __post_init__(self) -> None:
        self.go = {name: asyncio.Event() for name in ("ask1", "close1", "ask2", "close2", "reveal")}
        self.joined = Countdown(self.students)
        self.answered = {1: Countdown(self.students), 2: Countdown(self.students)}

    def record(self, name: str, stream: Stream, event: str, match, moment: str) -> float | None:
        at = stream.first(event, match)
        if at is None:
            self.missed[name] += 1
        else:
            self.event_delay.setdefault(name, []).append(at - self.sent[moment])
        return at


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(
    client: httpx.AsyncClient, url: str, body: dict, token: str | None
) -> httpx.Response | None:
    """POST as a browser does: a connection that breaks before any answer (a kept-alive socket
    the server had just closed) is tried again on a new one, twice at most."""
    for _ in range(3):
        try:
            return await client.post(url, json=body, headers=bearer(token) if token else {})
        except httpx.TransportError:
            continue
    return None


async def student(
    index: int, client: httpx.AsyncClient, base: str, lecture: Lecture, rng: random.Random,
    args: argparse.Namespace,
) -> None:  # fmt: skip
    """The join page: join, follow the events, read the state, answer each round."""
    session = f"{base}/api/sessions/{lecture.code}"
    await asyncio.sleep(rng.uniform(0, args.join_seconds))
    join = await post(client, f"{session}/join", {"nickname": f"student {index}"}, None)
    lecture.joins[join.status_code if join is not None else "no answer"] += 1
    if join is None or join.status_code != 201:
        lecture.joined.lower(lecture.joined.target - 1)
        for countdown in lecture.answered.values():
            countdown.lower(countdown.target - 1)
        return
    token = join.json()["participant_token"]
    (await client.get(session, headers=bearer(token))).raise_for_status()
    stream = Stream()
    reader = asyncio.create_task(read_events(client, f"{session}/events", token, stream))
    try:
        await asyncio.wait_for(stream.connected.wait(), 60)
        lecture.joined.arrive()
        for round_, think in ((1, args.answer_seconds), (2, args.revote_seconds)):
            await lecture.go[f"ask{round_}"].wait()
            is_question = lambda d, r=round_: d.get("id") == lecture.qid and d.get("round") == r  # noqa: E731
            await stream.wait_for("question", is_question, 30)
            if lecture.record(f"question, round {round_}", stream, "question", is_question,
                              f"ask{round_}") is None:  # fmt: skip
                lecture.answered[round_].arrive()
                continue
            sides = [rng.choice(SIDES)]
            if rng.random() < args.change_fraction:
                sides.append(rng.choice([n for n in SIDES if n != sides[0]]))
            choices = [rng.choice(SPELLINGS).format(n=n) for n in sides]
            await asyncio.sleep(rng.uniform(1, think - 4))
            for n, text in enumerate(choices):
                if n:
                    await asyncio.sleep(rng.uniform(1, 3))  # changes their mind
                started = time.monotonic()
                response = await post(
                    client, f"{session}/questions/{lecture.qid}/answers", {"answer": text}, token
                )
                lecture.answer_latency.append(time.monotonic() - started)
                lecture.answer_status[response.status_code if response else "no answer"] += 1
                if response is not None and response.status_code == 200:
                    lecture.acknowledged.setdefault(round_, {})[index] = text
            lecture.answered[round_].arrive()
            await lecture.go[f"close{round_}"].wait()
            is_closed = lambda d, r=round_: d.get("id") == lecture.qid and d.get("round") == r  # noqa: E731
            await stream.wait_for("closed", is_closed, 30)
            lecture.record(f"closed, round {round_}", stream, "closed", is_closed, f"close{round_}")
        await lecture.go["reveal"].wait()
        is_reveal = lambda d: d.get("id") == lecture.qid  # noqa: E731
        await stream.wait_for("reveal", is_reveal, 30)
        lecture.record("reveal", stream, "reveal", is_reveal, "reveal")
    finally:
        reader.cancel()
        lecture.reconnects += stream.reconnects


async def teacher(
    client: httpx.AsyncClient, base: str, token: str, lecture: Lecture, args: argparse.Namespace
) -> dict:
    """The teach page: follow the events (live counts), ask, close, re-vote, close, reveal.
    As static/js/sessions/teach.js does, it reads the state again when the participant count
    changes (one read at a time), the progress board every 5 s, and the results after each
    step."""
    session = f"{base}/api/sessions/{lecture.code}"
    (await client.get(session, headers=bearer(token))).raise_for_status()
    stream = Stream()
    reader = asyncio.create_task(read_events(client, f"{session}/events", token, stream))
    projector = asyncio.create_task(project(client, session, token, stream))
    counts: dict[str, float] = {}
    try:
        await asyncio.wait_for(stream.connected.wait(), 60)
        await asyncio.wait_for(lecture.joined.done.wait(), args.join_seconds + 120)
        await stream.wait_for("participants", lambda d: d.get("count") == lecture.joins[201], 10)
        counts["participants"] = stream.first(
            "participants", lambda d: d.get("count") == lecture.joins[201]
        )
        lecture.mark("joined")
        await asyncio.sleep(args.idle_seconds)  # the class waits: the streams are open and idle
        lecture.mark("idle")

        async def step(moment: str, method: str, path: str, body: dict | None = None) -> dict:
            lecture.sent[moment] = time.monotonic()
            response = await client.request(
                method, f"{session}{path}", json=body if body is not None else {},
                headers=bearer(token),
            )  # fmt: skip
            response.raise_for_status()
            if moment != "ask1":  # a closed round's bars (the page draws them)
                (await client.get(f"{session}{question}/results", headers=bearer(token))).json()
            return response.json()

        question = ""
        asked = await step("ask1", "POST", "/questions", {"exercise": EXERCISE, "seed": 7})
        lecture.qid = asked["id"]
        lecture.go["ask1"].set()
        question = f"/questions/{lecture.qid}"
        for round_ in (1, 2):
            await asyncio.wait_for(lecture.answered[round_].done.wait(), args.answer_seconds + 120)
            expected = len(lecture.acknowledged.get(round_, {}))
            seen = await stream.wait_for(
                "answers",
                lambda d, r=round_, n=expected: d.get("round") == r and d.get("answered") == n,
                10,
            )
            counts[f"answers event showed {expected} in round {round_}"] = seen
            lecture.mark(f"answered{round_}")
            await step(f"close{round_}", "POST", f"{question}/close")
            lecture.go[f"close{round_}"].set()
            if round_ == 1:
                lecture.mark("closed1")
                await step("ask2", "POST", f"{question}/revote")
                lecture.go["ask2"].set()
        await step("reveal", "POST", f"{question}/reveal")
        lecture.go["reveal"].set()
        results = await client.get(f"{session}{question}/results", headers=bearer(token))
        results.raise_for_status()
        lecture.mark("end")
        return {"results": results.json(), "counts": counts}
    finally:
        reader.cancel()
        projector.cancel()


async def project(client: httpx.AsyncClient, session: str, token: str, stream: Stream) -> None:
    """The projector's background reads: the state when the head count changes, the progress
    board every 5 s."""
    counted, next_progress = 0, time.monotonic()
    while True:
        if len(stream.seen.get("participants", [])) != counted:
            counted = len(stream.seen["participants"])
            await client.get(session, headers=bearer(token))
        if time.monotonic() >= next_progress:
            next_progress = time.monotonic() + 5
            await client.get(f"{session}/progress", headers=bearer(token))
        await asyncio.sleep(0.05)


async def loop_lag(lags: list[float], period: float = 0.05) -> None:
    """How late this process's event loop runs a timer: the load generator's own delay."""
    while True:
        due = time.monotonic() + period
        await asyncio.sleep(period)
        lags.append(time.monotonic() - due)


async def run_lecture(
    students_base: str, teacher_base: str, server_cpu: Callable[[], float], args
) -> dict:
    rng = random.Random(args.seed)
    lags: list[float] = []
    monitor = asyncio.create_task(loop_lag(lags))
    limits = httpx.Limits(max_connections=3 * args.students + 10, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started_cpu = server_cpu()
        created = await client.post(f"{teacher_base}/api/sessions", json={})
        created.raise_for_status()
        lecture = Lecture(created.json()["code"], args.students, server_cpu=server_cpu)
        lecture.cpu["start"] = started_cpu
        token = created.json()["teacher_token"]
        students = [
            asyncio.create_task(student(i, client, students_base, lecture, rng, args))
            for i in range(args.students)
        ]
        outcome = await teacher(client, teacher_base, token, lecture, args)
        await asyncio.gather(*students)
        ended = await client.delete(
            f"{teacher_base}/api/sessions/{lecture.code}", headers=bearer(token)
        )
        outcome["ended"] = ended.status_code
    monitor.cancel()
    outcome["lecture"], outcome["lags"] = lecture, lags
    return outcome


# --- report -----------------------------------------------------------------------------------


def quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms "
        f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"
    )


def check_results(lecture: Lecture, results: dict) -> tuple[bool, list[str]]:
    """The results' counts against the acknowledged answers, round by round."""
    lines, ok = [], True
    for entry in results["rounds"]:
        round_ = entry["round"]
        expected = Counter(side(text) for text in lecture.acknowledged.get(round_, {}).values())
        counted = Counter({side(d["answer"]): d["count"] for d in entry["distribution"]})
        same = counted == expected and entry["answered"] == sum(expected.values())
        ok &= same
        detail = "same per answer" if same else f"DIFFER: {dict(counted)} vs {dict(expected)}"
        lines.append(
            f"round {round_}: results count {entry['answered']}, acknowledged (last 200 of each "
            f"student) {sum(expected.values())}; {detail}"
        )
    ok &= len(results["rounds"]) == len(lecture.acknowledged)
    lines.append(
        "results == acknowledged answers: " + ("yes" if ok else "NO"),
    )
    return ok, lines


def cpu_report(lecture: Lecture, args: argparse.Namespace) -> list[str]:
    """The servers' CPU seconds per phase, from /proc: unlike the wall-clock figures, these do
    not grow when other processes share the CPUs."""
    cpu, joins = lecture.cpu, lecture.joins[201]
    answered = {r: len(lecture.acknowledged.get(r, {})) for r in (1, 2)}
    posts = sum(lecture.answer_status.values())
    joining = cpu["joined"] - cpu["start"]
    idle = (cpu["idle"] - cpu["joined"]) / args.idle_seconds
    round_1 = cpu["answered1"] - cpu["idle"]
    round_2 = cpu["answered2"] - cpu["closed1"]
    return [
        f"whole lecture {cpu['end'] - cpu['start']:.1f} s",
        f"{joins} joins, streams, state reads {joining:.1f} s "
        f"({joining / max(joins, 1) * 1000:.1f} ms per student)",
        f"{joins} idle streams: {idle * 1000:.0f} ms per second",
        f"ask + round 1 ({answered[1]} students answered) {round_1:.1f} s; re-vote + round 2 "
        f"({answered[2]}) {round_2:.1f} s; {(round_1 + round_2) / max(posts, 1) * 1000:.1f} ms "
        f"per answer POST ({posts}), the events' fan-out and the idle streams included",
    ]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--two-servers",
        action="store_true",
        help="students on one server, the teacher on another, one database",
    )
    parser.add_argument("--port", type=int, default=8130, help="first server's port (+1: second)")
    parser.add_argument("--pg-port", type=int, default=55430, help="the PostgreSQL server's port")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--join-seconds", type=float, default=20, help="joins spread over")
    parser.add_argument("--answer-seconds", type=float, default=25, help="round-1 answers within")
    parser.add_argument("--revote-seconds", type=float, default=20, help="round-2 answers within")
    parser.add_argument("--change-fraction", type=float, default=0.3, help="who post twice")
    parser.add_argument("--idle-seconds", type=float, default=5, help="all in, before the ask")
    parser.add_argument("--seed", type=int, default=0, help="of the students' choices")
    args = parser.parse_args()

    before, usage = loadavg(), resource.getrusage(resource.RUSAGE_SELF)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="convlab-bench-")))
        if args.database == "postgres":
            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries: apt-get install postgresql")
            postgres = PostgresServer(bin_dir, port=args.pg_port, fsync=True).start()
            stack.callback(postgres.stop)
            database_url = postgres.new_database()
        else:
            database_url = f"sqlite:///{work / 'sessions.db'}"
        env = {"CONVLAB_DATABASE_URL": database_url, "CONVLAB_LOG_LEVEL": "warning"}
        servers = [stack.enter_context(server(args.port, env, args.workers, work / "1.log"))]
        if args.two_servers:
            servers.append(
                stack.enter_context(server(args.port + 1, env, args.workers, work / "2.log"))
            )

        def server_cpu() -> float:
            return sum(tree_cpu_seconds(pid) for _, pid in servers)

        started = time.monotonic()
        outcome = asyncio.run(run_lecture(servers[0][0], servers[-1][0], server_cpu, args))
        elapsed = time.monotonic() - started
        after = loadavg()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = cpu.ru_utime - usage.ru_utime + cpu.ru_stime - usage.ru_stime
    lecture: Lecture = outcome["lecture"]
    where = (
        "students on server 1, teacher on server 2 (separate processes)"
        if args.two_servers
        else "students and teacher on one server"
    )
    print(f"class session: {args.students} students, {args.database}, {where}")
    print(f"  {args.workers} uvicorn workers per server, {os.cpu_count()} CPUs, {elapsed:.0f} s")
    print(f"  load average (1, 5, 15 min) before: {before}; after: {after}")
    print(
        f"  load generator: CPU time {cpu_seconds:.1f} s; its event loop's lag "
        f"{quantiles(outcome['lags'])}"
    )
    print(f"  joins by status: {dict(lecture.joins)}")
    for name, values in lecture.event_delay.items():
        print(f"  event {name}: reached {quantiles(values)}")
    for name, count in lecture.missed.items():
        print(f"  event {name}: NEVER reached {count} students")
    print(f"  answer POST: {quantiles(lecture.answer_latency)}")
    print(f"  answer POST by status: {dict(lecture.answer_status)}")
    print(f"  event streams reconnected: {lecture.reconnects}")
    for line in cpu_report(lecture, args):
        print(f"  server CPU: {line}")
    for name, at in outcome["counts"].items():
        print(f"  teacher's stream: {name}: {'yes' if at is not None else 'NO'}")
    ok, lines = check_results(lecture, outcome["results"])
    for line in lines:
        print(f"  {line}")
    print(f"  DELETE session: {outcome['ended']}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
