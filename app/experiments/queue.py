"""The training queue shared by the server's worker processes: first come, first served.

uvicorn's workers are separate processes, each with its own training slots. A run that is asked
for takes a ticket in a directory shared by the workers (``training-queue-<digest>/`` in the result
cache's directory, ``manager.queue_directory``), named by the time it was asked for, so every
worker sees one order. Any worker with a free slot starts the oldest waiting ticket, whichever
worker's client asked for it; the worker that runs it appends what the run does to the ticket's
events file, and every worker with clients waiting for that run reads the file and relays the
events to them.

One asked-for run has the id ``<time_ns>-<worker>-<run key>`` (``<worker>`` is the worker that
took the ticket, ``<pid>_<n>``) and these files:

    <id>.wait             waiting; holds {"experiment_id", "config", "seconds"} for whoever
                          runs it (seconds: the cost model's CPU time of the run)
    <id>.run-<worker>     training in a slot of <worker> since the file's mtime (same content)
    <id>.events           the run's events, one JSON object a line, appended by the worker
                          running it: {"event": "progress" | "result" | "error" | "cancelled"
                          | "restart", "data": ...}
    <id>.sub-<worker>     <worker> has clients waiting for this run
    worker-<worker>.json  {"slots": n, "free": f, "pace": p} of each live worker (pace: wall
                          seconds of its recent runs per predicted CPU second)

Every decision is taken under an exclusive ``fcntl`` lock on ``.lock``. A worker is live while
its file exists and its process runs. Under the lock, the files of workers that are gone are
swept: a run whose worker died ends with an ``error`` line for its readers, a waiting ticket
nobody waits for any more is dropped, and an events file nobody reads is deleted. A student's
position is 1 + the waiting tickets older than theirs, across every worker, and their expected
wait is when a slot frees for them if every run ahead takes its predicted time at the
workers' recent pace (``expected_waits``).
"""

from __future__ import annotations

import fcntl
import heapq
import itertools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER_GONE = "the server process training this run stopped; try again"
"""The ``error`` a run's readers get when the worker that trained it is gone."""

_serial = itertools.count()


def worker_name(pid: int | None = None) -> str:
    """A name for one manager: its process id and a serial (two apps may share a process)."""
    return f"{os.getpid() if pid is None else pid}_{next(_serial)}"


@dataclass(frozen=True, order=True)
class Ticket:
    at: int  # time.time_ns() when it was asked for
    owner: str  # the worker that took it
    key: str
    runner: str | None = None  # the worker training it; None while it waits

    @property
    def id(self) -> str:
        return f"{self.at:020d}-{self.owner}-{self.key}"

    @property
    def name(self) -> str:
        return f"{self.id}.wait" if self.runner is None else f"{self.id}.run-{self.runner}"

    def running_in(self, worker: str) -> Ticket:
        return Ticket(self.at, self.owner, self.key, worker)

    @classmethod
    def parse_id(cls, text: str) -> Ticket | None:
        parts = text.split("-")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isalnum():
            return None
        return cls(int(parts[0]), parts[1], parts[2])


def to_start(waiting: list[Ticket], free_here: int) -> list[Ticket]:
    """The tickets a worker with ``free_here`` free slots starts now: the oldest waiting ones,
    whichever worker's client took them."""
    return sorted(waiting)[: max(0, free_here)]


def positions(waiting: list[Ticket]) -> dict[Ticket, int]:
    """1-based place of each waiting ticket in the one queue of every worker."""
    return {ticket: index + 1 for index, ticket in enumerate(sorted(waiting))}


def expected_waits(running: list[float], waiting: list[float], slots: int) -> list[float]:
    """Seconds until each waiting run starts, in queue order: every slot serves the queue in
    order as soon as it is free (``running``: seconds left of the runs training now, one slot
    each; ``waiting``: seconds each waiting run will take)."""
    free_at = sorted(running)[:slots] + [0.0] * max(0, slots - len(running))
    heapq.heapify(free_at)
    starts = []
    for seconds in waiting:
        start = heapq.heappop(free_at)
        starts.append(start)
        heapq.heappush(free_at, start + seconds)
    return starts


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Snapshot:
    """What the queue holds, seen under its lock."""

    waiting: list[Ticket]
    running: list[Ticket]
    slots: int  # training slots of every live worker
    free: dict[str, int]
    subscribers: dict[str, set[str]]  # ticket id → live workers with clients waiting for it
    pace: float  # wall seconds per predicted CPU second, mean of the live workers' recent runs
    seconds: dict[str, float]  # ticket id → the cost model's CPU seconds of its run
    since: dict[str, float]  # running ticket id → time.time() when it started

    def waits(self, now: float) -> dict[str, float]:
        """Expected seconds until each waiting ticket starts (by id)."""
        running = [
            max(0.0, self.seconds.get(t.id, 0.0) * self.pace - (now - self.since.get(t.id, now)))
            for t in self.running
        ]
        waiting = [self.seconds.get(t.id, 0.0) * self.pace for t in self.waiting]
        starts = expected_waits(running, waiting, max(1, self.slots))
        return {t.id: start for t, start in zip(self.waiting, starts, strict=True)}

    def find(self, key: str) -> Ticket | None:
        """The waiting or running ticket of run ``key``, if any."""
        return next((t for t in self.running + self.waiting if t.key == key), None)


class TicketQueue:
    """One worker's view of the shared queue directory."""

    def __init__(
        self, directory: Path, slots: int, worker: str | None = None, pace: float = 1.0
    ) -> None:
        self.directory = directory
        self.slots = slots
        self.worker = worker_name() if worker is None else worker
        self.pace = pace
        self._seconds: dict[str, float] = {}  # predicted seconds by ticket id (files never change)
        directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._write_free(slots)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _path(self, name: str) -> Path:
        return self.directory / name

    def _write_free(self, free: int) -> None:
        path = self._path(f"worker-{self.worker}.json")
        temporary = path.with_suffix(".part")
        state = {"slots": self.slots, "free": free, "pace": self.pace}
        temporary.write_text(json.dumps(state))
        os.replace(temporary, path)

    def _read(self) -> Snapshot:
        """Every live worker and ticket; the files of the dead swept (under the lock)."""
        free, paces, slots = {}, [], 0
        for path in self.directory.glob("worker-*.json"):
            worker = path.stem.removeprefix("worker-")
            if worker != self.worker and not _pid_alive(int(worker.split("_")[0])):
                path.unlink(missing_ok=True)
                continue
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            free[worker], slots = int(state["free"]), slots + int(state["slots"])
            paces.append(float(state.get("pace", self.pace)))
        live = set(free) | {self.worker}
        waiting, running, events = [], [], set()
        subscribers: dict[str, set[str]] = {}
        for path in self.directory.iterdir():
            stem, dot, state = path.name.partition(".")
            ticket = Ticket.parse_id(stem) if dot else None
            if ticket is None:
                continue
            kind, _, worker = state.partition("-")
            if kind == "sub":
                if worker in live:
                    subscribers.setdefault(ticket.id, set()).add(worker)
                else:
                    path.unlink(missing_ok=True)
            elif kind == "wait" and not worker:
                waiting.append(ticket)
            elif kind == "run" and worker:
                if worker in live:
                    running.append(ticket.running_in(worker))
                else:  # its worker died: its readers must not wait for ever
                    self._append(ticket, "error", {"status": 500, "detail": WORKER_GONE})
                    path.unlink(missing_ok=True)
            elif kind == "events":
                events.add(ticket.id)
        for ticket in list(waiting):
            if ticket.id not in subscribers:  # everybody waiting for it has left
                waiting.remove(ticket)
                self._path(ticket.name).unlink(missing_ok=True)
        held = {t.id for t in waiting + running} | set(subscribers)
        for stale in events - held:
            self._path(f"{stale}.events").unlink(missing_ok=True)
        seconds, since = {}, {}
        for ticket in waiting + running:
            seconds[ticket.id] = self._predicted(ticket)
        for ticket in running:
            try:
                since[ticket.id] = self._path(ticket.name).stat().st_mtime
            except FileNotFoundError:
                pass
        self._seconds = {i: s for i, s in self._seconds.items() if i in seconds}
        pace = sum(paces) / len(paces) if paces else self.pace
        return Snapshot(
            sorted(waiting), sorted(running), slots, free, subscribers, pace, seconds, since
        )

    def _predicted(self, ticket: Ticket) -> float:
        if ticket.id not in self._seconds:
            try:
                payload = json.loads(self._path(ticket.name).read_text())
                self._seconds[ticket.id] = float(payload.get("seconds", 0.0))
            except (OSError, ValueError):
                return 0.0
        return self._seconds[ticket.id]

    def snapshot(self) -> Snapshot:
        with self._locked():
            return self._read()

    # -- asking for a run ----------------------------------------------------------------------

    def take(
        self,
        key: str,
        experiment_id: str,
        config: dict[str, Any],
        free_here: int,
        seconds: float = 0.0,
        pace: float | None = None,
        asked: int | None = None,
    ) -> tuple[Ticket, bool, list[tuple[Ticket, dict[str, Any]]], Snapshot]:
        """The ticket of run ``key``, this worker subscribed to it: the one waiting or training
        already (joined: True), or a new one at the end of the queue (False; ``seconds``: its
        predicted CPU time; ``asked``: time.time_ns() when the request came, its place in the
        queue; by default now); then a ``step``
        in the same turn of the lock (a free slot here takes its own new ticket before an
        idle worker can)."""
        with self._locked():
            ticket = self._read().find(key)
            joined = ticket is not None
            if ticket is None:
                ticket = Ticket(time.time_ns() if asked is None else asked, self.worker, key)
                payload = {"experiment_id": experiment_id, "config": config, "seconds": seconds}
                self._path(ticket.name).write_text(json.dumps(payload))
            self._path(f"{ticket.id}.sub-{self.worker}").touch()
            starting, snapshot = self._step(free_here, pace)
            return ticket, joined, starting, snapshot

    def step(
        self, free_here: int, pace: float | None = None
    ) -> tuple[list[tuple[Ticket, dict[str, Any]]], Snapshot]:
        """Record this worker's free slots; claim the tickets it starts now (the oldest in the
        whole queue), each with its {"experiment_id", "config", "seconds"}; ``pace``: this
        worker's recent wall seconds per predicted second."""
        with self._locked():
            return self._step(free_here, pace)

    def _step(
        self, free_here: int, pace: float | None
    ) -> tuple[list[tuple[Ticket, dict[str, Any]]], Snapshot]:
        if pace is not None:
            self.pace = pace
        self._write_free(free_here)
        snapshot = self._read()
        starting = []
        for ticket in to_start(snapshot.waiting, free_here):
            started = ticket.running_in(self.worker)
            try:
                payload = json.loads(self._path(ticket.name).read_text())
                os.replace(self._path(ticket.name), self._path(started.name))
                os.utime(self._path(started.name))  # its mtime: when it started
            except (OSError, ValueError):
                self._path(ticket.name).unlink(missing_ok=True)
                continue
            starting.append((started, payload))
        if starting:
            self._write_free(free_here - len(starting))
            begun = {t.id for t, _ in starting}
            now = time.time()
            snapshot = Snapshot(
                [t for t in snapshot.waiting if t.id not in begun],
                sorted(snapshot.running + [t for t, _ in starting]),
                snapshot.slots,
                {**snapshot.free, self.worker: free_here - len(starting)},
                snapshot.subscribers,
                snapshot.pace,
                snapshot.seconds,
                {**snapshot.since, **{i: now for i in begun}},
            )
        return starting, snapshot

    # -- leaving and ending --------------------------------------------------------------------

    def leave(self, ticket: Ticket) -> bool:
        """This worker's clients of ``ticket`` are gone: unsubscribe; a waiting ticket nobody
        else waits for leaves the queue. True if another worker's clients still wait for it."""
        with self._locked():
            self._path(f"{ticket.id}.sub-{self.worker}").unlink(missing_ok=True)
            others = self._read().subscribers.get(ticket.id, set()) - {self.worker}
            return bool(others)

    def resubscribe(self, ticket: Ticket) -> None:
        """This worker's clients wait for ``ticket`` again (joined while it was cancelled)."""
        with self._locked():
            self._path(f"{ticket.id}.sub-{self.worker}").touch()

    def done(self, ticket: Ticket, free_here: int) -> None:
        """The run of ``ticket`` ended in this worker's slot: drop the ticket and this worker's
        subscription; its events stay for the other workers' readers until they leave."""
        with self._locked():
            self._path(ticket.name).unlink(missing_ok=True)
            self._path(f"{ticket.id}.sub-{self.worker}").unlink(missing_ok=True)
            self._write_free(free_here)
            self._read()

    # -- events --------------------------------------------------------------------------------

    def _append(self, ticket: Ticket, event: str, data: Any) -> None:
        line = json.dumps({"event": event, "data": data}, separators=(",", ":")) + "\n"
        with open(self._path(f"{ticket.id}.events"), "ab") as out:
            out.write(line.encode())

    def append(self, ticket: Ticket, event: str, data: Any) -> None:
        """Add one event of the run of ``ticket`` for its readers in other workers."""
        self._append(ticket, event, data)

    def read_events(self, ticket: Ticket, offset: int) -> tuple[list[tuple[str, Any]], int]:
        """The whole lines of ``ticket``'s events file after byte ``offset``, and the new
        offset (a line still being written is left for the next read)."""
        try:
            with open(self._path(f"{ticket.id}.events"), "rb") as handle:
                handle.seek(offset)
                blob = handle.read()
        except FileNotFoundError:
            return [], offset
        end = blob.rfind(b"\n") + 1
        events = []
        for line in blob[:end].splitlines():
            entry = json.loads(line)
            events.append((entry["event"], entry["data"]))
        return events, offset + end

    def close(self) -> None:
        """This worker stops: its runs' readers are told, its subscriptions and file go."""
        with self._locked():
            for path in list(self.directory.iterdir()):
                stem, _, state = path.name.partition(".")
                ticket = Ticket.parse_id(stem)
                if ticket is None:
                    continue
                if state == f"run-{self.worker}":
                    self._append(ticket, "error", {"status": 500, "detail": WORKER_GONE})
                    path.unlink(missing_ok=True)
                elif state == f"sub-{self.worker}":
                    path.unlink(missing_ok=True)
            self._path(f"worker-{self.worker}.json").unlink(missing_ok=True)
            self._read()
