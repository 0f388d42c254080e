"""Per-client rate limits, counted in this worker process's memory.

A fixed window per (client, action): at most ``limit`` events per ``window`` seconds; one more
is refused with the seconds until the window ends (the API's Retry-After). With W workers a
client gets at most W × limit per window. Memory is bounded: windows that ended are dropped
when the table grows past ``max_clients``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        assert limit >= 1 and window > 0, "a rate limit needs limit ≥ 1 and a window > 0"
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()  # the service runs in worker threads

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may act again, or None if it may now (counts nothing)."""
        with self._lock:
            start, count = self._current(client)
            if count < self.limit:
                return None
            return max(1, math.ceil(start + self.window - self.clock()))

    def hit(self, client: str) -> int | None:
        """Count one event; None if allowed, else the seconds to wait (not counted)."""
        with self._lock:
            start, count = self._current(client)
            if count >= self.limit:
                return max(1, math.ceil(start + self.window - self.clock()))
            self._windows[client] = (start, count + 1)
            return None

    def _current(self, client: str) -> tuple[float, int]:
        now = self.clock()
        start, count = self._windows.get(client, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if len(self._windows) >= self.max_clients:
            self._windows = {c: w for c, w in self._windows.items() if now - w[0] < self.window}
        return start, count
