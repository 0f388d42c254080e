"""Which thread ran a function during a request: the event loop's, or a worker's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


def record_event_loop(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Wrap ``owner.name``; each call appends True when it ran on an event loop's thread (a
    running loop there), False in a worker thread."""
    real = getattr(owner, name)
    calls: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            calls.append(True)
        except RuntimeError:  # no loop runs in this thread: a worker thread
            calls.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls
