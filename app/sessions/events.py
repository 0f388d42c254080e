"""Live events of class sessions, for the streams this process holds.

The event log is a table (``session_events``), so every worker and replica on the database sees
every event: one ``EventHub`` per process polls it every ``session_poll_seconds`` for all the
sessions it streams (one read transaction per poll, however many students are connected) and
hands each new event to the streams of that session. On PostgreSQL a listener thread also
waits for the ``NOTIFY`` each event sends at commit and wakes the poll at once, so a question
reaches every process's students without waiting for the next poll. A teacher's stream also
gets the live counts (``participants``, ``answers``) when they change. A session that is gone
gives its streams ``ended``. The poll also sweeps expired sessions every ``session_sweep_seconds``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread

from app.sessions.service import NOTIFY_CHANNEL, SessionStore, Snapshot

log = logging.getLogger(__name__)

KEEP_ALIVE_SECONDS = 15.0
ENDED = "ended"


def sse(kind: str, data: dict[str, Any], event_id: int | None) -> bytes:
    """One Server-Sent Event (the data is one line of JSON)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, default=str)}\n\n".encode()


@dataclass(eq=False)
class Stream:
    """One connected client: the events for it wait in ``queue``."""

    session_id: int
    teacher: bool
    after: int
    queue: asyncio.Queue[tuple[int, str, dict[str, Any]]] = field(default_factory=asyncio.Queue)


class EventHub:
    """Polls the event log for the streams of this process (one task per process)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.poll_seconds = store.settings.session_poll_seconds
        self.sweep_seconds = store.settings.session_sweep_seconds
        self.streams: dict[int, set[Stream]] = {}
        self.seen: dict[int, int] = {}
        """session id → the newest seq handed out."""
        self.counts: dict[int, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = threading.Event()
        self.polls = 0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.store.db.dialect == "postgresql":
            url = self.store.db.engine.url.set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            threading.Thread(
                target=self._listen, args=(dsn, loop), name="session-notify", daemon=True
            ).start()
        self._task = loop.create_task(self._run())

    def _listen(self, dsn: str, loop: asyncio.AbstractEventLoop) -> None:
        """PostgreSQL LISTEN in a thread: each NOTIFY wakes the poll (reconnects on error)."""
        import psycopg

        while not self._stopping.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            if not loop.is_closed():
                                loop.call_soon_threadsafe(self._wake.set)
            except Exception:
                log.exception("session LISTEN connection failed; polling until it is back")
                self._stopping.wait(2.0)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def subscribe(self, snapshot: Snapshot) -> Stream:
        sid = snapshot.actor.session_id
        stream = Stream(sid, snapshot.actor.role == "teacher", snapshot.seq)
        self.streams.setdefault(sid, set()).add(stream)
        self.seen[sid] = min(self.seen.get(sid, snapshot.seq), snapshot.seq)
        if stream.teacher:
            for kind, data in snapshot.events:
                if kind == "participants":
                    self.counts.setdefault(sid, {})["participants"] = data["count"]
                elif kind == "answers":
                    self.counts.setdefault(sid, {})["answers"] = data
        return stream

    def unsubscribe(self, stream: Stream) -> None:
        streams = self.streams.get(stream.session_id)
        if streams is None:
            return
        streams.discard(stream)
        if not streams:
            del self.streams[stream.session_id]
            self.seen.pop(stream.session_id, None)
            self.counts.pop(stream.session_id, None)

    async def _run(self) -> None:
        last_sweep = time.monotonic()
        while True:
            try:
                await self.poll_once()
                if time.monotonic() - last_sweep >= self.sweep_seconds:
                    last_sweep = time.monotonic()
                    await to_thread.run_sync(self.store.sweep)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end every stream
                log.exception("session event poll failed; retrying")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def poll_once(self) -> None:
        """Read the log once and hand out what is new."""
        if not self.streams:
            return
        after = dict(self.seen)
        teachers = {sid for sid, streams in self.streams.items() if any(s.teacher for s in streams)}
        result = await to_thread.run_sync(self.store.poll, after, teachers)
        self.polls += 1
        for sid, seq, kind, data in result.events:
            self.seen[sid] = max(self.seen.get(sid, 0), seq)
            self._send(sid, seq, kind, data, teachers_only=False)
        for sid, counts in result.counts.items():
            before = self.counts.setdefault(sid, {})
            seq = self.seen.get(sid, 0)
            if before.get("participants") != counts["participants"]:
                before["participants"] = counts["participants"]
                self._send(sid, seq, "participants", {"count": counts["participants"]}, True)
            if counts["answers"] is not None and before.get("answers") != counts["answers"]:
                before["answers"] = counts["answers"]
                self._send(sid, seq, "answers", counts["answers"], True)
        for sid, reason in result.ended.items():
            self._send(sid, self.seen.get(sid, 0), ENDED, {"reason": reason}, False)

    def _send(
        self, sid: int, seq: int, kind: str, data: dict[str, Any], teachers_only: bool
    ) -> None:
        for stream in self.streams.get(sid, ()):
            if teachers_only and not stream.teacher:
                continue
            if kind in ("participants", "answers", ENDED):
                stream.queue.put_nowait((seq, kind, data))
            elif seq > stream.after:
                stream.after = seq  # a stream gets each event once, whatever the polls re-read
                stream.queue.put_nowait((seq, kind, data))

    async def stream(self, snapshot: Snapshot) -> AsyncIterator[bytes]:
        """The bytes of one client's event stream: the current state, then live events."""
        stream = self.subscribe(snapshot)
        try:
            yield b"retry: 2000\n\n"
            for kind, data in snapshot.events:
                yield sse(kind, data, snapshot.seq)
            while True:
                try:
                    seq, kind, data = await asyncio.wait_for(
                        stream.queue.get(), timeout=KEEP_ALIVE_SECONDS
                    )
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield sse(kind, data, seq)
                if kind == ENDED:
                    return
        finally:
            self.unsubscribe(stream)
