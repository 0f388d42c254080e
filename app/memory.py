"""Give memory back to the operating system after large requests (glibc only; a no-op elsewhere).

A worker that answered a few large requests kept their peak: freed blocks stay in glibc's
per-thread malloc arenas (one per worker thread, up to 8 × the cores), where the kernel still
counts them. Two measures, both from the glibc manual ("Memory Allocation Tunables"):

- ``limit_arenas``: ``mallopt(M_ARENA_MAX, 2)`` at start-up, before the worker threads exist,
  so the threads share two arenas instead of growing one each (the same as
  ``MALLOC_ARENA_MAX=2`` in the environment, which the Docker image also sets);
- ``trim``: ``malloc_trim(0)`` returns the free pages at the top and inside every arena;
  ``MemoryTrimMiddleware`` calls it (in a thread, at most every few seconds) when a worker
  falls idle after compute requests.

The figures before and after are in bench/attack_report.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

M_ARENA_MAX = -8
"""mallopt parameter number of M_ARENA_MAX in glibc's malloc.h."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 (glibc has it; musl and macOS do not)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def limit_arenas(arenas: int = 2) -> bool:
    """At most ``arenas`` malloc arenas for threads created from now on; True if applied."""
    return _LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, arenas) == 1


def trim() -> bool:
    """Return free heap memory to the operating system; True if some was released."""
    return _LIBC is not None and _LIBC.malloc_trim(0) == 1


class MemoryTrimMiddleware:
    """After compute requests under ``prefix``, when none is left in flight, trim the heap in
    a worker thread, at most once every ``min_interval`` seconds."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/", min_interval: float = 2.0) -> None:
        self.app = app
        self.prefix = prefix
        self.min_interval = min_interval
        self.in_flight = 0
        self.last_trim = 0.0
        self.trims = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # a class session's event stream stays open all lesson long and allocates nothing
        # worth trimming: counted as in flight, it would keep every trim from running
        if scope["type"] != "http" or not path.startswith(self.prefix) or path.endswith("/events"):
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
        now = time.monotonic()
        if self.in_flight == 0 and now - self.last_trim >= self.min_interval:
            self.last_trim = now
            self.trims += 1
            await anyio.to_thread.run_sync(trim)
