"""Runs experiments for the server: training slots, a fair queue, a result cache, shared runs.

- **Slots.** ``runs_at_once`` training processes (app.experiments.worker), started lazily.
- **Queue.** Every new config takes a ticket in the queue shared by the server's worker
  processes (app.experiments.queue), stamped with its request's arrival: a free slot of ANY
  worker starts the oldest waiting ticket, whoever's client it is (first come, first served
  across workers). The worker training it appends its events to the ticket's events file; the
  workers whose clients wait for it relay them (``_relay``). Waiting clients get a ``queued``
  message with their position and expected wait whenever their place changes. Only a queue
  longer than ``MAX_WAITING`` raises ``Busy`` (the API answers 503 + Retry-After).
- **Cache.** A finished result is kept by key (experiment id + full config + data source +
  code digest), so the same config gives the same result, bit for bit, without training again.
  The cache is a directory shared by the server's worker processes (app.experiments.cache).
- **Sharing.** A config already training or queued, in this worker or another, is joined, not
  started again: every subscriber gets the progress so far (replayed) and then each new event.
- **Cancellation.** When the last subscriber of every worker leaves before the end, the run is
  cancelled where it trains (the training process stops within one training step; a queued
  run just leaves the queue) and its slot is free again. A client asking for the same config
  while the cancel is on its way (a page reload) is not joined to the dying run: when the
  worker confirms the cancel, the run starts again from scratch for it.
- **Failures.** A training process that dies, or a worker that stops or dies while training,
  ends the run with an ``error`` for the clients of every worker, never a hang.

Everything here runs on the server's event loop; each worker's pipe is read by a thread of its
own that hands messages to the loop. No HTTP here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT, Settings
from app.experiments import cost
from app.experiments.cache import ResultCache
from app.experiments.data import has_idx_files
from app.experiments.queue import Snapshot, Ticket, TicketQueue, positions
from app.experiments.registry import EXPERIMENTS

DEFAULT_RETRY_AFTER = 5
MAX_WAITING = 120
"""Runs one worker process keeps waiting in the queue; more are refused with a 503."""
POLL_SECONDS = 0.25
"""How often a worker whose clients wait (queued, or for a run in another worker) looks at the
shared queue and the events files."""
IDLE_POLL_SECONDS = 0.5
"""How often any other worker looks at the shared queue (its free slots take others' runs)."""
PROCESS_DIED = "the training process died; try again"
QUEUE_DIRECTORY = "training-queue"
"""The shared queue's directory in the cache directory (named for this queue's file format: a
server of an older format sharing the cache directory keeps to its own ``queue/``)."""
FIRST_RUN_SECONDS = 2.0
"""Assumed wall time of one run before this worker has finished any (for Retry-After)."""
FIRST_PACE = 1.4
"""Assumed wall seconds per predicted CPU second before this worker has finished a run (a
niced training process on a machine whose cores the server's workers share)."""


class Busy(Exception):
    """The queue is full."""

    def __init__(self, waiting: int, retry_after: int) -> None:
        self.waiting, self.retry_after = waiting, retry_after
        super().__init__(
            f"{waiting} runs are already waiting for a training slot; retry in {retry_after} s"
        )


class RunFailed(Exception):
    """The run stopped with an error (``status``: 422 bad config, 504 time limit, 500)."""

    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail
        super().__init__(detail)


CODE_FILES = (
    "runner.py",
    "training.py",
    "models.py",
    "data.py",
    "generalization.py",
    "limits.py",
    "weight_decay.py",
)
"""The modules whose code determines a result (with torch's version): part of every run key."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the training code and torch's version: a cached result of other code is
    never served (the cache directory outlives a server, and is shared)."""
    digest = hashlib.sha256(metadata.version("torch").encode())
    for name in CODE_FILES:
        digest.update((Path(__file__).resolve().parent / name).read_bytes())
    return digest.hexdigest()


def queue_directory(data_source: str, max_seconds: float) -> str:
    """The queue's directory in the cache directory: servers share a queue only when any of
    their workers would train a run the same way (the same code, data and time limit), since
    whichever worker is free trains it. Two servers of other versions, or of other MNIST files,
    that share the cache directory keep their own queues."""
    blob = f"{code_digest()}|{data_source}|{max_seconds!r}"
    return f"{QUEUE_DIRECTORY}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def predicted_seconds(experiment_id: str, config: dict[str, Any]) -> float:
    """The cost model's CPU seconds of a run (app.experiments.cost), 0 for an unknown id."""
    experiment = EXPERIMENTS.get(experiment_id)
    if experiment is None:
        return 0.0
    return cost.predicted_seconds(experiment.config.model_construct(**config).work())


def run_key(experiment_id: str, config: dict[str, Any], data_source: str) -> str:
    """Hex SHA-256 of what determines a result."""
    blob = json.dumps(
        {"id": experiment_id, "config": config, "data": data_source, "code": code_digest()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(eq=False)
class Subscription:
    """One client's view of a run: a queue of (event, data) pairs, ending in result or error."""

    key: str
    shared: bool
    cached: bool
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


@dataclass(eq=False)
class Run:
    """A run this worker's clients wait for, or one training in this worker's slot (for
    clients of any worker), or both."""

    key: str
    experiment_id: str
    config: dict[str, Any]
    seconds: float = 0.0  # the cost model's CPU seconds of the run
    started: float = field(default_factory=time.monotonic)
    cold: bool = False  # its slot's process started for it (not a measure of the pace)
    history: list[dict[str, Any]] = field(default_factory=list)
    subscribers: list[Subscription] = field(default_factory=list)
    fraction: float = 0.0  # of the work done, from the last progress event
    done: bool = False
    cancelling: bool = False  # "cancel" sent, the worker has not confirmed it yet
    ticket: Ticket | None = None  # its ticket in the shared queue (waiting or running)
    queued: dict[str, Any] | None = None  # the last "queued" message, while it waits
    slot: Slot | None = None  # training here; None: waiting, or training in another worker
    offset: int = 0  # bytes of the ticket's events file read so far (training elsewhere)
    missing: int = 0  # polls that found its ticket gone and no end in its events


class Slot:
    """One training process and the run it is doing (if any)."""

    def __init__(self, manager: ExperimentManager) -> None:
        self.manager = manager
        self.process: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.run: Run | None = None
        self.pid: int | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start_process(self) -> None:
        """``python -m app.experiments.worker FD NICE`` with one end of a socket pair.

        A fresh interpreter (not fork: forking a process whose torch thread pools run is
        unsafe; not multiprocessing's spawn, which re-runs the parent's __main__).
        """
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.experiments.worker",
                str(child.fileno()),
                str(self.manager.nice),
            ],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
        )
        child.close()
        self.conn = Connection(parent.detach())
        threading.Thread(
            target=self._read,
            args=(self.conn, self.manager.loop),
            daemon=True,
            name="convlab-experiment-pipe",
        ).start()

    def _read(self, conn, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = ("died",)
            if message[0] == "ready":
                self.pid = message[1]
                continue
            if message[0] == "result":  # on disk before anyone is told (file I/O off the loop)
                try:
                    self.manager.cache.put(message[1], message[2])
                except OSError:
                    pass  # a full or read-only disk costs the cache, not the result
            self._publish(message)
            try:
                loop.call_soon_threadsafe(self.manager._on_message, self, message)
            except RuntimeError:  # the loop is closed: the server is shutting down
                return
            if message[0] == "died":
                return

    def _publish(self, message: tuple) -> None:
        """Append the message to the run's events file, for clients of the other workers (in
        the pipe's thread: in the order the process sent them, off the loop)."""
        run = self.run
        if run is None or run.ticket is None:
            return
        kind = message[0]
        if kind != "died" and message[1] != run.key:
            return
        if kind == "progress" and not run.cancelling:
            event, data = "progress", message[2]
        elif kind == "result":
            event, data = "result", message[2]
        elif kind == "error":
            event, data = "error", {"status": message[2], "detail": message[3]}
        elif kind == "died" and not self.manager.closing:  # (closing: queue.close tells them)
            event, data = "error", {"status": 500, "detail": PROCESS_DIED}
        else:
            return
        try:
            self.manager.queue.append(run.ticket, event, data)
        except OSError:
            pass  # the directory is gone: the server is shutting down

    def reap(self) -> None:
        """Forget a process that closed its end: wait for its exit (kill it if it lingers)."""
        if self.process is not None:
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None

    def send(self, message: tuple) -> None:
        assert self.conn is not None
        self.conn.send(message)

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.send(("stop",))
        except (OSError, ValueError, AssertionError):
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=2)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None


class ExperimentManager:
    """Training slots, queue, cache and in-flight runs of one server process."""

    def __init__(
        self,
        *,
        runs_at_once: int,
        cache_size: int,
        nice: int,
        max_seconds: float,
        data_dir: Path | None,
        cache_dir: Path | None = None,
    ) -> None:
        self.runs_at_once = runs_at_once
        self.nice = nice
        self.max_seconds = max_seconds
        self.data_dir = data_dir if data_dir is not None and has_idx_files(data_dir) else None
        self.data_source = f"idx:{self.data_dir.resolve()}" if self.data_dir else "subset"
        self.cache = ResultCache(cache_dir, cache_size)
        queue_dir = (
            cache_dir / queue_directory(self.data_source, max_seconds)
            if cache_dir is not None
            else Path(tempfile.mkdtemp(prefix="convlab-queue-"))
        )
        self.run_seconds = FIRST_RUN_SECONDS  # moving average of finished runs' wall time
        self.pace = FIRST_PACE  # moving average of wall / predicted seconds of finished runs
        self.queue = TicketQueue(queue_dir, runs_at_once, pace=self.pace)
        self.running: dict[str, Run] = {}
        self.waiting: list[Run] = []
        self.slots = [Slot(self) for _ in range(runs_at_once)]
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._poller: asyncio.Task | None = None
        self.closing = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ExperimentManager:
        """The manager of one server process; no process starts before the first run."""
        return cls(
            runs_at_once=settings.experiment_runs_at_once,
            cache_size=settings.experiment_cache_size,
            nice=settings.experiment_nice,
            max_seconds=settings.experiment_max_seconds,
            data_dir=settings.data_dir,
            cache_dir=settings.experiment_cache_dir,
        )

    def _free(self) -> int:
        return sum(1 for slot in self.slots if slot.run is None)

    def start(self) -> None:
        """Watch the shared queue from now on (on the running loop): a free slot here takes
        the oldest waiting run of any worker, even before this worker's first client."""
        self.loop = asyncio.get_running_loop()
        if self._lock is None:
            self._lock, self._wake = asyncio.Lock(), asyncio.Event()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())

    # -- subscribing ---------------------------------------------------------------------------

    async def subscribe(
        self, experiment_id: str, config: dict[str, Any], asked: int | None = None
    ) -> Subscription:
        """Join the cached result or the run in flight (in any worker), or queue a run in the
        place of ``asked`` (time.time_ns() when the request came; by default now); ``Busy``
        if the queue is full."""
        asked = time.time_ns() if asked is None else asked
        self.start()
        assert self._lock is not None
        key = run_key(experiment_id, config, self.data_source)
        result = self.cache.in_memory(key)
        if result is None and key not in self.running:
            result = await asyncio.to_thread(self.cache.get, key)  # another worker's, on disk
        if result is not None:
            subscription = Subscription(key, shared=False, cached=True)
            subscription.queue.put_nowait(("result", result))
            return subscription
        async with self._lock:
            return await self._join_or_start(key, experiment_id, config, asked)

    async def _join_or_start(
        self, key: str, experiment_id: str, config: dict[str, Any], asked: int
    ) -> Subscription:
        run = self.running.get(key)
        if run is not None and run.cancelling:
            # its last client left and the worker is stopping it (a reload re-asks at once):
            # never join a dying run; it starts again for this client once the cancel lands
            subscription = Subscription(key, shared=False, cached=False)
            run.history.clear()
            run.subscribers.append(subscription)
            return subscription
        if run is not None:
            subscription = Subscription(key, shared=True, cached=False)
            if run.queued is not None:
                subscription.queue.put_nowait(("queued", run.queued))
            for event in run.history:
                subscription.queue.put_nowait(("progress", event))
            run.subscribers.append(subscription)
            return subscription
        if len(self.waiting) >= MAX_WAITING:
            raise Busy(len(self.waiting), max(1, math.ceil(self.run_seconds)))
        run = Run(key, experiment_id, config, predicted_seconds(experiment_id, config))
        ticket, joined, starting, snapshot = await asyncio.to_thread(
            self.queue.take,
            key,
            experiment_id,
            config,
            self._free(),
            run.seconds,
            self.pace,
            asked,
        )
        # joined: another worker's clients asked first; its progress so far is replayed from
        # the events file
        subscription = Subscription(key, shared=joined, cached=False)
        run.subscribers.append(subscription)
        run.ticket = ticket
        self.running[key] = run
        if ticket.runner is None:
            self.waiting.append(run)
        self._apply(starting, snapshot)
        return subscription

    def _start(self, run: Run, ticket: Ticket) -> None:
        slot = next(s for s in self.slots if s.run is None)
        run.ticket, run.queued, run.slot = ticket, None, slot
        run.started = time.monotonic()
        run.cold = not slot.alive
        if not slot.alive:
            slot.start_process()
        slot.run = run
        try:
            self._send_run(slot, run)
        except (OSError, ValueError):
            self.queue.append(ticket, "error", {"status": 500, "detail": PROCESS_DIED})
            self._finish(slot, run, ("error", {"status": 500, "detail": PROCESS_DIED}))

    # -- the queue -----------------------------------------------------------------------------

    async def _poll(self) -> None:
        """For as long as the server runs: start what the shared queue gives this worker's
        free slots, tell waiting clients their place, relay runs training elsewhere."""
        assert self._lock is not None and self._wake is not None
        while True:
            busy = self.waiting or any(r.slot is None for r in self.running.values())
            try:
                seconds = POLL_SECONDS if busy else IDLE_POLL_SECONDS
                await asyncio.wait_for(self._wake.wait(), timeout=seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                async with self._lock:
                    await self._step()
                    await self._relay()
            except OSError:  # the queue directory is gone: the server is shutting down
                await asyncio.sleep(IDLE_POLL_SECONDS)

    async def _step(self) -> None:
        starting, snapshot = await asyncio.to_thread(self.queue.step, self._free(), self.pace)
        self._apply(starting, snapshot)

    def _apply(self, starting: list[tuple[Ticket, dict[str, Any]]], snapshot: Snapshot) -> None:
        """Start the tickets this worker claimed; follow its clients' runs that started (or
        even ended) elsewhere; tell the others their place; cancel what nobody waits for."""
        for ticket, payload in starting:
            run = self.running.get(ticket.key)
            if run is None:  # another worker's clients' run, trained here
                experiment_id, config = payload["experiment_id"], payload["config"]
                run = Run(ticket.key, experiment_id, config, float(payload.get("seconds", 0.0)))
                self.running[ticket.key] = run
            elif run in self.waiting:
                self.waiting.remove(run)
            self._start(run, ticket)
        waiting = {t.id for t in snapshot.waiting}
        elsewhere = {t.id: t for t in snapshot.running}
        for run in list(self.waiting):
            assert run.ticket is not None
            if run.ticket.id not in waiting:  # its events file tells the rest (_relay)
                self.waiting.remove(run)
                ticket = elsewhere.get(run.ticket.id, run.ticket)
                run.ticket, run.queued, run.started = ticket, None, time.monotonic()
        self._tell_positions(snapshot)
        for slot in self.slots:  # a run here that no client of any worker waits for any more
            run = slot.run
            if run is None or run.subscribers or run.cancelling or run.ticket is None:
                continue
            if not snapshot.subscribers.get(run.ticket.id, set()) - {self.queue.worker}:
                self._cancel(slot, run)

    def _tell_positions(self, snapshot: Snapshot) -> None:
        order = {ticket.id: place for ticket, place in positions(snapshot.waiting).items()}
        waits = snapshot.waits(time.time()) if self.waiting else {}
        slots = max(1, snapshot.slots)
        for run in self.waiting:
            position = order.get(run.ticket.id) if run.ticket is not None else None
            if position is None:
                continue
            message = {
                "position": position,
                "waiting": len(snapshot.waiting),
                "running": len(snapshot.running),
                "slots": slots,
                "seconds": max(1, math.ceil(waits[run.ticket.id])),
            }
            last = run.queued
            if last is not None and {**last, "seconds": message["seconds"]} == message:
                continue  # the same place in the same queue: its wait only counts down
            run.queued = message
            for subscription in run.subscribers:
                subscription.queue.put_nowait(("queued", message))

    async def _relay(self) -> None:
        """Hand on the new events of the runs this worker's clients wait for that train in
        another worker (from their events files)."""
        remote = [r for r in self.running.values() if r.slot is None and r not in self.waiting]
        if not remote:
            return

        def read() -> tuple[list[tuple[list[tuple[str, Any]], int]], Snapshot]:
            reads = [self.queue.read_events(r.ticket, r.offset) for r in remote]  # type: ignore[arg-type]
            return reads, self.queue.snapshot()

        reads, snapshot = await asyncio.to_thread(read)
        present = {t.id for t in snapshot.running + snapshot.waiting}
        for run, (events, offset) in zip(remote, reads, strict=True):
            run.offset = offset
            for kind, data in events:
                if run.done:
                    break
                self._relay_event(run, kind, data)
            if run.done or run.ticket is None or run.ticket.id in present:
                continue
            run.missing += 1  # gone without an end (its events file was lost): never a hang
            if run.missing >= 3:
                self._end_remote(run, ("error", {"status": 500, "detail": PROCESS_DIED}))
        for run in remote:
            if run.done and run.ticket is not None:
                await asyncio.to_thread(self.queue.leave, run.ticket)

    def _relay_event(self, run: Run, kind: str, data: Any) -> None:
        if kind == "progress":
            self._progress(run, data)
        elif kind == "restart":  # trained again from scratch for clients who joined late
            run.history.clear()
            run.fraction = 0.0
        elif kind == "result":
            self.cache.remember(run.key, data)
            self._end_remote(run, ("result", data))
        elif kind == "error":
            self._end_remote(run, ("error", data))
        elif kind == "cancelled":  # nobody waited when it stopped; these clients came later
            detail = "the run was cancelled; try again"
            self._end_remote(run, ("error", {"status": 500, "detail": detail}))

    def _end_remote(self, run: Run, final: tuple) -> None:
        run.done = True
        if self.running.get(run.key) is run:
            del self.running[run.key]
        for subscription in run.subscribers:
            subscription.queue.put_nowait(final)

    def _progress(self, run: Run, event: dict[str, Any]) -> None:
        run.history.append(event)
        models = max(1, event["models"])
        run.fraction = (event["model_index"] + event["step"] / event["steps"]) / models
        for subscription in run.subscribers:
            subscription.queue.put_nowait(("progress", event))

    def unsubscribe(self, subscription: Subscription) -> None:
        """The client is gone: cancel its run if nobody else (in any worker) waits for it."""
        run = self.running.get(subscription.key)
        if run is None or subscription not in run.subscribers:
            return
        run.subscribers.remove(subscription)
        if run.subscribers or run.done or run.cancelling:
            return
        if run.slot is None:  # waiting, or training in another worker: this worker leaves it
            if run in self.waiting:
                self.waiting.remove(run)
            self.running.pop(run.key, None)
            run.done = True
            if run.ticket is not None:
                self.queue.leave(run.ticket)  # its runner cancels it if nobody else waits
            return
        if run.ticket is not None and self.queue.leave(run.ticket):
            return  # other workers' clients still wait for it: it trains on
        self._cancel(run.slot, run)

    def _cancel(self, slot: Slot, run: Run) -> None:
        # once only: a second "cancel" could stop the restarted run of the same key
        run.cancelling = True
        try:
            slot.send(("cancel", run.key))
        except (OSError, ValueError, AssertionError):
            pass

    # -- messages from the workers (on the event loop) -----------------------------------------

    def _on_message(self, slot: Slot, message: tuple) -> None:
        kind = message[0]
        run = slot.run
        if kind == "died":
            if run is not None:
                self._finish(slot, run, ("error", {"status": 500, "detail": PROCESS_DIED}))
            slot.reap()
            return
        if run is None or message[1] != run.key:
            return
        if kind == "progress":
            if run.cancelling:
                return  # the dying run's last steps: nobody asked for them
            self._progress(run, message[2])
        elif kind == "result":  # (the pipe's thread has put it in the cache)
            elapsed = time.monotonic() - run.started
            self.run_seconds = 0.7 * self.run_seconds + 0.3 * elapsed
            if run.seconds > 0 and not run.cold:
                self.pace = 0.7 * self.pace + 0.3 * elapsed / run.seconds
            self._finish(slot, run, ("result", message[2]))
        elif kind == "error":
            self._finish(slot, run, ("error", {"status": message[2], "detail": message[3]}))
        elif kind == "cancelled":
            others = False
            if not run.subscribers and run.ticket is not None:
                try:
                    subscribers = self.queue.snapshot().subscribers.get(run.ticket.id, set())
                except OSError:
                    subscribers = set()
                others = bool(subscribers - {self.queue.worker})
            if run.subscribers or others:  # asked for again while the cancel was on its way
                self._restart(slot, run)
            else:
                if run.ticket is not None:
                    try:
                        self.queue.append(run.ticket, "cancelled", None)
                    except OSError:
                        pass
                self._finish(slot, run, None)

    def _send_run(self, slot: Slot, run: Run) -> None:
        data_dir = str(self.data_dir) if self.data_dir else None
        slot.send(("run", run.key, run.experiment_id, run.config, data_dir, self.max_seconds))

    def _restart(self, slot: Slot, run: Run) -> None:
        """Train ``run`` again from scratch on its slot, for the clients that joined it while
        it was being cancelled."""
        run.cancelling = False
        run.started, run.fraction = time.monotonic(), 0.0
        run.history.clear()
        try:
            if run.ticket is not None:
                self.queue.append(run.ticket, "restart", None)
            self._send_run(slot, run)
        except (OSError, ValueError):
            self._finish(slot, run, ("error", {"status": 500, "detail": PROCESS_DIED}))

    def _finish(self, slot: Slot, run: Run, final: tuple | None) -> None:
        assert final is not None or not run.subscribers, "a subscriber would wait forever"
        run.done = True
        slot.run, run.slot = None, None
        self.running.pop(run.key, None)
        if run.ticket is not None:
            try:
                self.queue.done(run.ticket, self._free())
            except OSError:
                pass  # the directory is gone: the server is shutting down
        if final is not None:
            for subscription in run.subscribers:
                subscription.queue.put_nowait(final)
        if self._wake is not None:
            self._wake.set()  # a slot is free: the next waiting run may start

    # -- lifecycle -----------------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """PIDs of the training processes started so far (for tests and the bench)."""
        return [s.pid for s in self.slots if s.alive and s.pid is not None]

    def close(self) -> None:
        self.closing = True
        if self._poller is not None:
            self._poller.cancel()
        for slot in self.slots:
            slot.stop()
        try:
            self.queue.close()
        except OSError:
            pass
