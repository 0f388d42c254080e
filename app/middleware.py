"""ASGI middleware that protects a classroom server: security headers, CORS (off by default),
a per-worker concurrency limit (503) and the request body limit (413).

Every class here is pure ASGI (no ``BaseHTTPMiddleware``): no extra task per request, no body
streamed twice, and a rejection costs a few microseconds, which is what lets an overloaded
worker shed load quickly instead of queueing requests into time-outs.

Order, outermost first (``install_middleware``)::

    SecurityHeaders -> CORS (only if configured) -> ConcurrencyLimit -> BodyLimit -> app

so the 413 and 503 answers carry the security headers too.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

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


class ConcurrencyLimitMiddleware:
    """Answer 503 with ``Retry-After`` at once when ``limit`` requests are already in flight.

    The count is per worker process (one event loop, so a plain integer is race-free). The
    health probe is exempt, so an orchestrator does not restart a worker for being busy.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        exempt_paths: frozenset[str] = frozenset({HEALTH_PATH}),
        retry_after_seconds: int = 1,
    ) -> None:
        assert limit >= 1, f"the concurrency limit must be at least 1, got {limit}"
        self.app = app
        self.limit = limit
        self.exempt_paths = exempt_paths
        self.retry_after = str(retry_after_seconds).encode()
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
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
    """Answer 413 when a request body, declared or streamed (chunked), exceeds ``max_bytes``.

    The body is read here in full (at most ``max_bytes``) before the app runs and then replayed
    to it, so the 413 is decided before any route or body parser sees a byte: a route cannot
    turn the overflow into a 400, and a chunked upload cannot slip past a Content-Length check.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._reject_too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for http.disconnect as usual

        await self.app(scope, replay, send)

    async def _reject_too_large(self, send: Send) -> None:
        await send_json_error(
            send, 413, f"request body is larger than the limit of {self.max_bytes} bytes"
        )


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the middleware stack; ``add_middleware`` wraps, so the last one added is outermost."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrency)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
