"""The protective middleware: security headers, CORS, the concurrency limit and the body limit."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from app.api.pages import LESSONS
from app.config import Settings
from app.main import create_app
from app.middleware import (
    CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
    SecurityHeadersMiddleware,
)
from tests.helpers.app_routes import route_paths
from tests.helpers.asgi import _blocking_app, _echo_length, run

LIMIT = 1_000_000
T = TypeVar("T")


POST_ROUTES = route_paths(create_app(Settings()), "POST")


# --- a tiny ASGI harness: drive an app with any sequence of body chunks -----------------------


async def _call(
    app,
    method: str = "POST",
    path: str = "/x",
    chunks: tuple[bytes, ...] = (b"",),
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[int, dict[bytes, bytes], bytes]:
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # like a server: nothing more until the client goes away
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": list(headers),
        "query_string": b"",
        "root_path": "",
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


# --- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected_status"),
    [
        ("GET", "/", 200),
        ("GET", "/convolution", 200),
        ("GET", "/api/health", 200),
        ("GET", "/static/css/lab.css", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
        ("GET", "/no-such-lesson", 404),
        ("GET", "/api/no-such-route", 404),
        ("DELETE", "/api/health", 405),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, expected_status):
    response = client.request(method, path)
    assert response.status_code == expected_status
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()


def test_csp_allows_no_inline_script_and_no_external_origin():
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "http:" not in CONTENT_SECURITY_POLICY and "https:" not in CONTENT_SECURITY_POLICY
    assert "*" not in CONTENT_SECURITY_POLICY


def test_a_header_the_app_sets_itself_is_not_overwritten():
    async def app_with_own_csp(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-security-policy", b"default-src 'none'")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    status, headers, _ = run(_call(SecurityHeadersMiddleware(app_with_own_csp), "GET"))
    assert status == 200
    assert headers[b"content-security-policy"] == b"default-src 'none'"
    assert headers[b"x-content-type-options"] == b"nosniff"


@pytest.mark.parametrize("path", ["/", *(f"/{lesson.slug}" for lesson in LESSONS), "/docs"])
def test_pages_contain_no_inline_script_or_inline_handler(client, path):
    """The CSP would block them, so they must not be there to begin with."""
    html = client.get(path).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        # url_for() writes same-origin absolute URLs (the request's own host)
        assert re.search(r'src="(http://testserver)?/static/[^"]+"', attributes), attributes
        assert body.strip() == ""
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler attribute"
    assert "javascript:" not in html


# --- CORS -------------------------------------------------------------------------------------


def test_cors_is_off_by_default(client):
    response = client.get("/api/health", headers={"Origin": "http://elsewhere.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/health",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_exactly_the_configured_origins():
    settings = Settings(cors_origins=["http://teacher.example"])
    with TestClient(create_app(settings)) as cors_client:
        allowed = cors_client.get("/api/health", headers={"Origin": "http://teacher.example"})
        assert allowed.headers["access-control-allow-origin"] == "http://teacher.example"
        other = cors_client.get("/api/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = cors_client.options(
            "/api/health",
            headers={
                "Origin": "http://teacher.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://teacher.example"
        assert preflight.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_cors_origins_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONVLAB_CORS_ORIGINS", '["http://a.example", "http://b.example"]')
    assert Settings().cors_origins == ["http://a.example", "http://b.example"]


# --- concurrency limit ------------------------------------------------------------------------


def test_requests_over_the_limit_get_503_with_retry_after_at_once():
    async def scenario() -> None:
        release = asyncio.Event()
        entered: list[str] = []
        limited = ConcurrencyLimitMiddleware(_blocking_app(release, entered), limit=3)
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            held = [asyncio.create_task(http.get(f"/api/x{i}")) for i in range(3)]
            while len(entered) < 3:
                await asyncio.sleep(0)
            loop = asyncio.get_running_loop()
            started = loop.time()
            rejected = await http.get("/api/x3")
            elapsed = loop.time() - started
            assert rejected.status_code == 503
            assert rejected.headers["retry-after"] == "1"
            assert rejected.json() == {
                "detail": "server busy: 3 requests already in progress; retry shortly"
            }
            assert elapsed < 0.5
            assert entered == ["/api/x0", "/api/x1", "/api/x2"], "the rejected one never ran"
            assert limited.in_flight == 3
            release.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200, 200]
            assert limited.in_flight == 0
            assert (await http.get("/api/after")).status_code == 200

    run(scenario())


def test_the_health_probe_is_exempt_from_the_concurrency_limit():
    async def scenario() -> None:
        release = asyncio.Event()
        entered: list[str] = []
        limited = ConcurrencyLimitMiddleware(_blocking_app(release, entered), limit=1)
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            busy = asyncio.create_task(http.get("/api/slow"))
            while not entered:
                await asyncio.sleep(0)
            assert (await http.get("/api/other")).status_code == 503
            probe = asyncio.create_task(http.get("/api/health"))
            while len(entered) < 2:
                await asyncio.sleep(0)
            release.set()
            assert (await probe).status_code == 200
            assert (await busy).status_code == 200

    run(scenario())


def test_the_in_flight_count_is_released_when_the_app_raises():
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    limited = ConcurrencyLimitMiddleware(failing, limit=1)
    for _ in range(3):
        with pytest.raises(RuntimeError, match="boom"):
            run(_call(limited, "GET", "/api/x"))
    assert limited.in_flight == 0


def test_the_app_installs_the_limit_from_settings():
    app = create_app(Settings(max_concurrency=7))
    found = [m for m in app.user_middleware if m.cls is ConcurrencyLimitMiddleware]
    assert len(found) == 1
    assert found[0].kwargs["limit"] == 7


def test_503_from_the_app_stack_carries_the_security_headers():
    async def scenario() -> None:
        release = asyncio.Event()
        entered: list[str] = []
        stack = SecurityHeadersMiddleware(
            ConcurrencyLimitMiddleware(_blocking_app(release, entered), limit=1)
        )
        transport = httpx.ASGITransport(app=stack)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            busy = asyncio.create_task(http.get("/api/slow"))
            while not entered:
                await asyncio.sleep(0)
            rejected = await http.get("/api/other")
            assert rejected.status_code == 503
            assert rejected.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            release.set()
            await busy

    run(scenario())


# --- body limit -------------------------------------------------------------------------------


def test_a_declared_body_over_the_limit_gets_413_before_the_app_reads_it():
    app = BodyLimitMiddleware(_echo_length, max_bytes=1_024)
    status, headers, body = run(
        _call(app, chunks=(b"x" * 10,), headers=((b"content-length", b"5000"),))
    )
    assert status == 413
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body) == {"detail": "request body is larger than the limit of 1024 bytes"}


def test_a_chunked_body_over_the_limit_gets_413():
    app = BodyLimitMiddleware(_echo_length, max_bytes=1_024)
    status, _, body = run(_call(app, chunks=(b"x" * 600, b"x" * 600, b"x" * 600)))
    assert status == 413
    assert json.loads(body)["detail"] == "request body is larger than the limit of 1024 bytes"


def test_a_chunked_body_at_the_limit_reaches_the_app_whole():
    app = BodyLimitMiddleware(_echo_length, max_bytes=1_024)
    status, _, body = run(_call(app, chunks=(b"x" * 512, b"x" * 500, b"x" * 12)))
    assert status == 200
    assert json.loads(body) == {"received": 1_024}


def test_a_non_numeric_content_length_gets_400():
    app = BodyLimitMiddleware(_echo_length, max_bytes=1_024)
    status, _, body = run(_call(app, headers=((b"content-length", b"12abc"),)))
    assert status == 400
    assert json.loads(body) == {"detail": "Content-Length is not a number"}


def test_a_client_that_disconnects_mid_body_gets_no_answer():
    async def scenario() -> list[Message]:
        sent: list[Message] = []
        queue = [
            {"type": "http.request", "body": b"x" * 10, "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> Message:
            return queue.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}
        await BodyLimitMiddleware(_echo_length, max_bytes=1_024)(scope, receive, send)
        return sent

    assert run(scenario()) == []


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_post_route_answers_413_to_a_body_over_the_limit(client, path):
    body = b'{"input": [' + b"0," * (LIMIT // 2) + b"0]}"
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body is larger than the limit of {LIMIT} bytes"}


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_post_route_answers_413_to_a_chunked_body_over_the_limit(path):
    app = create_app(Settings())
    chunks = (b'{"input": [',) + (b"0," * 50_000,) * 11 + (b"0]}",)
    status, _, body = run(
        _call(app, "POST", path, chunks=chunks, headers=((b"content-type", b"application/json"),))
    )
    assert status == 413
    assert json.loads(body) == {"detail": f"request body is larger than the limit of {LIMIT} bytes"}


def test_real_server_answers_413_to_a_chunked_upload(base_url):
    def chunks():
        for _ in range(12):
            yield b" " * 100_000

    response = httpx.post(f"{base_url}/api/health", content=chunks(), timeout=30)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body is larger than the limit of {LIMIT} bytes"}
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_real_server_answers_413_to_a_declared_oversize_body(base_url):
    response = httpx.post(f"{base_url}/api/health", content=b"x" * (LIMIT + 1), timeout=30)
    assert response.status_code == 413


# --- no request value reaches a file path -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app/config.py",
        "/static/%2e%2e/app/config.py",
        "/static/..%2fapp%2fconfig.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/..%2fapp%2fconfig.py",
        "/%2e%2e%2fpyproject.toml",
        "/templates/base.html",
        "/base.html",
    ],
)
def test_path_traversal_reaches_no_file(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "BaseSettings" not in response.text
    assert "root:" not in response.text
    assert "{% block" not in response.text


# --- worker threads ---------------------------------------------------------------------------


def test_the_lifespan_sizes_the_worker_threadpool_from_settings():
    """At most threadpool_size CPU-bound requests run at once per worker (memory, GIL)."""
    from anyio import to_thread

    with TestClient(create_app(Settings(threadpool_size=3))) as local:
        tokens = local.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
        assert tokens == 3
        assert local.get("/api/health").status_code == 200
