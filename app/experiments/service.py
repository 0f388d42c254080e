"""What a request for a run waits on: the subscription's messages, as Server-Sent Events or
as one result. The routes (app.api.experiments) only map these onto responses.

Events (docs/experiments-api.md): ``started`` first (unless the result is cached), ``queued``
while the run waits for a slot, ``progress`` while it trains, then ``result`` or ``error``.
A keep-alive comment goes out when nothing happened for ``KEEP_ALIVE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from app.experiments.manager import ExperimentManager, RunFailed, Subscription

KEEP_ALIVE_SECONDS = 10.0
DISCONNECT_POLL_SECONDS = 0.5


class ClientGone(Exception):
    """The client closed the connection before the result was ready."""


def sse(name: str, data: Any) -> str:
    """One Server-Sent Event."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def event_stream(
    manager: ExperimentManager, subscription: Subscription
) -> AsyncIterator[str]:
    """The run's events as SSE text; leaving (closing the generator) unsubscribes."""
    try:
        if not subscription.cached:
            yield sse("started", {"key": subscription.key, "shared": subscription.shared})
        while True:
            try:
                kind, data = await asyncio.wait_for(
                    subscription.queue.get(), timeout=KEEP_ALIVE_SECONDS
                )
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if kind == "result":
                yield sse("result", {**data, "cached": subscription.cached})
                return
            if kind == "error":
                yield sse("error", {"status": data["status"], "detail": data["detail"]})
                return
            yield sse(kind, data)
    finally:
        manager.unsubscribe(subscription)


async def wait_for_result(
    manager: ExperimentManager,
    subscription: Subscription,
    is_disconnected: Callable[[], Awaitable[bool]],
) -> dict[str, Any]:
    """The result, or ``RunFailed`` / ``ClientGone``; the run is cancelled if the client goes
    away (``is_disconnected`` is asked every ``DISCONNECT_POLL_SECONDS``)."""
    try:
        while True:
            try:
                kind, data = await asyncio.wait_for(
                    subscription.queue.get(), timeout=DISCONNECT_POLL_SECONDS
                )
            except TimeoutError:
                if await is_disconnected():
                    raise ClientGone() from None
                continue
            if kind == "result":
                return {**data, "cached": subscription.cached}
            if kind == "error":
                raise RunFailed(data["status"], data["detail"])
    finally:
        manager.unsubscribe(subscription)
