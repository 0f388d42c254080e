"""The training queue shared by the server's worker processes: first come, first served.

uvicorn's workers are separate processes, each with its own training slots. A run that finds
no free slot takes a ticket in a directory shared by the workers (``queue/`` in the result
cache's directory), named by the time it was asked for, so every worker sees one order:

    <time_ns>-<pid>-<run key>.wait     waiting
    <time_ns>-<pid>-<run key>.run      training in one of pid's slots
    worker-<pid>.json                  {"slots": n, "free": f} of each live worker

Every decision is taken under an exclusive ``fcntl`` lock on ``.lock``. A worker with a free
slot starts its oldest ticket when no older waiting ticket belongs to a worker that has a free
slot too (``to_start``): in ticket order, each waiting ticket goes to a free slot of the worker
holding its client, and a ticket whose worker is busy does not hold up the others. A student's
position is 1 + the waiting tickets older than theirs, across every worker. Tickets and files
of a process that died are dropped.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Ticket:
    at: int  # time.time_ns() when it was asked for
    pid: int
    key: str
    running: bool = False

    @property
    def name(self) -> str:
        return f"{self.at:020d}-{self.pid}-{self.key}.{'run' if self.running else 'wait'}"

    @classmethod
    def parse(cls, name: str) -> Ticket | None:
        stem, _, state = name.rpartition(".")
        parts = stem.split("-")
        if state not in ("wait", "run") or len(parts) != 3 or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), int(parts[1]), parts[2], state == "run")


def to_start(waiting: list[Ticket], free: dict[int, int], me: int) -> list[Ticket]:
    """Which of ``me``'s waiting tickets start now: in ticket order, each takes a free slot of
    its own worker (``free``: pid → free slots), skipping tickets whose worker is full."""
    free = dict(free)
    chosen = []
    for ticket in sorted(waiting):
        if free.get(ticket.pid, 0) > 0:
            free[ticket.pid] -= 1
            if ticket.pid == me:
                chosen.append(ticket)
    return chosen


def positions(waiting: list[Ticket]) -> dict[Ticket, int]:
    """1-based place of each waiting ticket in the one queue of every worker."""
    return {ticket: index + 1 for index, ticket in enumerate(sorted(waiting))}


def _alive(pid: int) -> bool:
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
    free: dict[int, int]


class TicketQueue:
    """This worker's view of the shared queue directory."""

    def __init__(self, directory: Path, slots: int, pid: int | None = None) -> None:
        self.directory = directory
        self.slots = slots
        self.pid = os.getpid() if pid is None else pid
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

    def _worker_file(self, pid: int) -> Path:
        return self.directory / f"worker-{pid}.json"

    def _write_free(self, free: int) -> None:
        path = self._worker_file(self.pid)
        temporary = path.with_suffix(".part")
        temporary.write_text(json.dumps({"slots": self.slots, "free": free}))
        os.replace(temporary, path)

    def _read(self) -> Snapshot:
        waiting, running, free, slots = [], [], {}, 0
        dead: set[int] = set()
        for path in self.directory.glob("worker-*.json"):
            pid = int(path.stem.removeprefix("worker-"))
            if pid != self.pid and not _alive(pid):
                dead.add(pid)
                path.unlink(missing_ok=True)
                continue
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            free[pid], slots = int(state["free"]), slots + int(state["slots"])
        for path in self.directory.iterdir():
            ticket = Ticket.parse(path.name)
            if ticket is None:
                continue
            if ticket.pid in dead or (ticket.pid not in free and not _alive(ticket.pid)):
                path.unlink(missing_ok=True)
                continue
            (running if ticket.running else waiting).append(ticket)
        return Snapshot(sorted(waiting), sorted(running), slots, free)

    def take(self, key: str) -> Ticket:
        """A waiting ticket for run ``key``, at the end of the queue."""
        ticket = Ticket(time.time_ns(), self.pid, key)
        with self._locked():
            (self.directory / ticket.name).touch()
        return ticket

    def step(self, free_here: int) -> tuple[list[Ticket], Snapshot]:
        """Record this worker's free slots; mark and return its tickets that start now."""
        with self._locked():
            self._write_free(free_here)
            snapshot = self._read()
            starting = to_start(snapshot.waiting, snapshot.free, self.pid)
            for ticket in starting:
                started = Ticket(ticket.at, ticket.pid, ticket.key, running=True)
                os.replace(self.directory / ticket.name, self.directory / started.name)
            if starting:
                self._write_free(free_here - len(starting))
            return starting, snapshot

    def start_now(self, key: str, free_here: int) -> Ticket | None:
        """A running ticket for ``key`` if it may start at once (no one waits before it for a
        free slot of this worker), else None (take a ticket and wait)."""
        with self._locked():
            snapshot = self._read()
            ahead = [
                t for t in snapshot.waiting if t.pid == self.pid or snapshot.free.get(t.pid, 0) > 0
            ]
            if free_here <= 0 or ahead:
                return None
            ticket = Ticket(time.time_ns(), self.pid, key, running=True)
            (self.directory / ticket.name).touch()
            self._write_free(free_here - 1)
            return ticket

    def done(self, ticket: Ticket, free_here: int) -> None:
        """The run of ``ticket`` ended (or its waiting client left): drop the ticket."""
        with self._locked():
            (self.directory / ticket.name).unlink(missing_ok=True)
            self._write_free(free_here)

    def close(self) -> None:
        with self._locked():
            for path in self.directory.glob(f"*-{self.pid}-*"):
                path.unlink(missing_ok=True)
            self._worker_file(self.pid).unlink(missing_ok=True)
