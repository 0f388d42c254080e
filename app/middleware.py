"""ASGI middleware that protects a classroom server: security headers, CORS (off by default),
HEAD on every GET route, the request body limit (413) and time limit (408), a per-worker
concurrency limit for the compute routes (503), and cache validators for pages and static files.

Every class here is pure ASGI (no ``BaseHTTPMiddleware``): no extra task per request, no body
streamed twice, and a rejection costs a few microseconds, which is what lets an overloaded
worker shed load quickly instead of queueing requests into time-outs.

Order, outermost first (``install_middleware``)::

    SecurityHeaders -> CORS (only if configured) -> HeadAsGet -> BodyLimit
        -> ConcurrencyLimit -> Cache -> MemoryTrim -> app

so every refusal carries the security headers, a body is read in full (within the time limit)
before the request takes a compute slot — a client sending one byte a second holds no slot —
and only the compute routes under ``/api/`` count against the limit: pages, static files, the
API reference and the health probe are always served.
"""

from __future__ import annotations

import hashlib
import json
import math

import anyio
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.memory import MemoryTrimMiddleware

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # canvas drawings travel as PNG data URLs; heatmaps may use blob: object URLs
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Same-origin only, no inline script, no external origin (classrooms run offline)."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
"""Sent on every HTTP response; a header the app already set is left as it is."""

HEALTH_PATH = "/api/health"


async def send_json_error(
    send: Send, status: int, detail: str, extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Send a complete ``{"detail": ...}`` JSON response straight to the ASGI server."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra_headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Add ``SECURITY_HEADERS`` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


COMPUTE_PREFIX = "/api/"
"""Paths that do work worth limiting; everything else (pages, /static, /docs) never waits."""


def is_event_stream(path: str) -> bool:
    """A class session's event stream: open for the whole lesson, doing no work while it
    waits, so it takes no compute slot (a room of 300 would otherwise fill them all)."""
    return path.startswith("/api/sessions/") and path.endswith("/events")


class ConcurrencyLimitMiddleware:
    """Answer 503 with ``Retry-After`` at once when ``limit`` compute requests are in flight.

    The count is per worker process (one event loop, so a plain integer is race-free). Only
    paths under ``COMPUTE_PREFIX`` count: pages and static files are never refused (a page
    whose module script got a 503 would never start), and the health probe is exempt, so an
    orchestrator does not restart a worker for being busy.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        exempt_paths: frozenset[str] = frozenset({HEALTH_PATH}),
        retry_after_seconds: int = 1,
        limited_prefix: str = COMPUTE_PREFIX,
    ) -> None:
        assert limit >= 1, f"the concurrency limit must be at least 1, got {limit}"
        self.app = app
        self.limit = limit
        self.exempt_paths = exempt_paths
        self.limited_prefix = limited_prefix
        self.retry_after = str(retry_after_seconds).encode()
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in self.exempt_paths
            or not scope["path"].startswith(self.limited_prefix)
            or is_event_stream(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await send_json_error(
                send,
                503,
                f"server busy: {self.limit} requests already in progress; retry shortly",
                ((b"retry-after", self.retry_after),),
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class BodyLimitMiddleware:
    """Answer 413 when a request body, declared or streamed (chunked), exceeds ``max_bytes``,
    and 408 when it has not arrived in full within ``timeout_seconds``.

    The body is read here in full (at most ``max_bytes``) before the app runs and then replayed
    to it, so the 413 is decided before any route or body parser sees a byte: a route cannot
    turn the overflow into a 400, and a chunked upload cannot slip past a Content-Length check.
    Installed outside the concurrency limit, so a slow body holds no compute slot.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float = math.inf) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_json_error(send, 400, "Content-Length is not a number")
                    return
                if declared > self.max_bytes:
                    await self._reject_too_large(send)
                    return

        chunks: list[bytes] = []
        outcome = "late"
        with anyio.move_on_after(self.timeout_seconds):
            outcome = await self._read(receive, chunks)
        if outcome == "gone":
            return  # the client went away: nothing to answer
        if outcome == "too_large":
            await self._reject_too_large(send)
            return
        if outcome == "late":
            await send_json_error(
                send,
                408,
                f"the request body did not arrive within {self.timeout_seconds:g} seconds",
                ((b"connection", b"close"),),
            )
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for http.disconnect as usual

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, chunks: list[bytes]) -> str:
        """Collect the body into ``chunks``: "complete", "too_large" or "gone"."""
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return "gone"
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                return "too_large"
            chunks.append(chunk)
            if not message.get("more_body", False):
                return "complete"

    async def _reject_too_large(self, send: Send) -> None:
        await send_json_error(
            send, 413, f"request body is larger than the limit of {self.max_bytes} bytes"
        )


class HeadAsGetMiddleware:
    """Answer ``HEAD`` on every ``GET`` route: run it as GET and send the headers only (the
    Content-Length of the body it would have sent stays, as RFC 9110 §9.3.2 allows)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # drop every body chunk; the last one ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


STATIC_PREFIX = "/static/"


class CacheMiddleware:
    """Cache validators for everything that is not the JSON API: 30 students opening a page
    at once cost one render and a few 304s.

    - ``/static/…``: ``Cache-Control: public, max-age=<static_max_age>, must-revalidate`` on
      StaticFiles' own ETag / Last-Modified (it answers If-None-Match with 304), so a changed
      file is picked up after at most max-age seconds.
    - Other GET pages (lessons, /docs, /openapi.json): an ETag from the body's hash and
      ``Cache-Control: no-cache`` (revalidate every time: a changed page shows at once), 304
      when If-None-Match matches.
    """

    def __init__(self, app: ASGIApp, static_max_age: int, api_prefix: str = COMPUTE_PREFIX):
        self.app = app
        self.static_cache = f"public, max-age={static_max_age}, must-revalidate".encode()
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith(self.api_prefix)
        ):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(STATIC_PREFIX):
            await self.app(scope, receive, self._with_static_cache(send))
            return
        await self._page(scope, receive, send)

    def _with_static_cache(self, send: Send) -> Send:
        async def send_cacheable(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                headers.append((b"cache-control", self.static_cache))
                message = {**message, "headers": headers}
            await send(message)

        return send_cacheable

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the (small) page, tag it, and answer 304 when the client has it already."""
        start: Message | None = None
        parts: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        assert start is not None, "the app sent no response"
        body = b"".join(parts)
        headers = list(start.get("headers", []))
        if start["status"] != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers = [h for h in headers if h[0] not in (b"etag", b"cache-control")]
        headers += [(b"etag", etag), (b"cache-control", b"no-cache")]
        wanted = dict(scope.get("headers", [])).get(b"if-none-match", b"")
        if etag in [tag.strip().removeprefix(b"W/") for tag in wanted.split(b",")]:
            kept = [h for h in headers if h[0] not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the middleware stack; ``add_middleware`` wraps, so the last one added is outermost."""
    app.add_middleware(MemoryTrimMiddleware, prefix=COMPUTE_PREFIX)
    app.add_middleware(CacheMiddleware, static_max_age=settings.static_max_age_seconds)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrency)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    app.add_middleware(HeadAsGetMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
