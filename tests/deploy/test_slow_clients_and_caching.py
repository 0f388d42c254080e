"""Slow clients cannot take the compute slots (408 after the body time limit), the health probe
answers while every thread is busy, pages and static files are never refused by the compute
limit, and pages and static files carry cache validators."""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from app.config import Settings
from app.main import create_app
from app.middleware import BodyLimitMiddleware, ConcurrencyLimitMiddleware
from tests.deploy.server import serving
from tests.helpers.asgi import _blocking_app, _echo_length, run

# --- the body time limit ------------------------------------------------------------------


def test_a_body_that_stops_arriving_gets_408_after_the_time_limit():
    app = BodyLimitMiddleware(_echo_length, max_bytes=1_000_000, timeout_seconds=0.3)
    sent: list[Message] = []

    async def trickle() -> Message:
        if not sent and not getattr(trickle, "started", False):
            trickle.started = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(3600)  # then nothing more, like a client sending 1 byte a minute
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        scope = {"type": "http", "method": "POST", "path": "/api/conv2d", "headers": []}
        await asyncio.wait_for(app(scope, trickle, send), timeout=5)
        return loop.time() - started

    elapsed = run(scenario())
    assert 0.3 <= elapsed < 2
    assert sent[0]["status"] == 408
    assert sent[1]["body"] == b'{"detail": "the request body did not arrive within 0.3 seconds"}'


def test_the_app_installs_the_body_time_limit_from_settings():
    app = create_app(Settings(body_timeout_seconds=4.5))
    (found,) = [m for m in app.user_middleware if m.cls is BodyLimitMiddleware]
    assert found.kwargs["timeout_seconds"] == 4.5


def _slow_sender(url: str) -> socket.socket:
    """A client that declares a 900 kB body and sends one byte of it."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        b"POST /api/conv2d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 900000\r\n\r\n{"
    )
    return sock


@pytest.mark.slow
def test_slow_bodies_hold_no_compute_slot_and_get_408(tmp_path: Path):
    env = {"CONVLAB_MAX_CONCURRENCY": "4", "CONVLAB_BODY_TIMEOUT_SECONDS": "4"}
    with serving(env, log=tmp_path / "server.log") as url:
        slow = [_slow_sender(url) for _ in range(20)]  # five times the concurrency limit
        time.sleep(0.5)
        body = {"input": [[1, 2], [3, 4]], "kernel": [[1]]}
        statuses = [httpx.post(f"{url}/api/conv2d", json=body, timeout=10).status_code
                    for _ in range(20)]  # fmt: skip
        assert statuses == [200] * 20
        for sock in slow:
            sock.settimeout(10)
            answer = b""
            while chunk := sock.recv(4096):  # the server closes the connection after a 408
                answer += chunk
            sock.close()
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
            assert b"did not arrive within 4 seconds" in answer


# --- the health probe while every thread is busy --------------------------------------------


@pytest.mark.slow
def test_health_answers_at_once_while_every_worker_thread_is_busy(tmp_path: Path):
    env = {"CONVLAB_THREADPOOL_SIZE": "1", "CONVLAB_MAX_CONCURRENCY": "64"}
    # 8 million multiply-adds each (about 60 ms of CPU here), 32 of them queued behind one
    # thread: about 2 s of work, so the queue outlasts the health probe even on a fast machine
    heavy = {"input": [[[0.5] * 64] * 64] * 16, "kernel": [[[[0.1] * 6] * 6] * 16] * 4}
    finished: list[float] = []

    def post() -> int:
        status = httpx.post(f"{url}/api/conv2d", json=heavy, timeout=120).status_code
        finished.append(time.monotonic())
        return status

    with serving(env, log=tmp_path / "server.log") as url:
        with ThreadPoolExecutor(max_workers=32) as pool:
            busy = [pool.submit(post) for _ in range(32)]
            while not finished:  # the thread is working through the queue
                time.sleep(0.01)
            health = httpx.get(f"{url}/api/health", timeout=10)
            answered = time.monotonic()
            assert [f.result() for f in busy] == [200] * 32
    assert health.status_code == 200
    # answered while compute requests were still queued behind the one thread: it did not
    # wait for them (wall times on this shared machine vary too much for an absolute bound)
    after = sum(t > answered for t in finished)
    assert after >= 1, f"health answered after all 32 compute requests ({len(finished)} done)"


# --- the compute limit spares pages and static files -----------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/static/js/lessons/mnist/page.js", 200),
        ("/", 200),
        ("/convolution", 200),
        ("/docs", 200),
        ("/api/health", 200),
        ("/api/conv2d", 503),
    ],
)
def test_with_every_compute_slot_taken_only_compute_routes_are_refused(path, expected):
    async def scenario() -> int:
        release = asyncio.Event()
        entered: list[str] = []
        limited = ConcurrencyLimitMiddleware(_blocking_app(release, entered), limit=1)
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            busy = asyncio.create_task(http.post("/api/mnist/predict"))
            while not entered:
                await asyncio.sleep(0)
            answer = asyncio.create_task(http.get(path))
            await asyncio.sleep(0.05)
            release.set()
            status = (await answer).status_code
            await busy
            return status

    assert run(scenario()) == expected


# --- caching -----------------------------------------------------------------------------------


def test_static_files_are_cacheable_for_five_minutes_then_revalidated(client: TestClient):
    response = client.get("/static/css/lab.css")
    assert response.headers["cache-control"] == "public, max-age=300, must-revalidate"
    etag = response.headers["etag"]
    again = client.get("/static/css/lab.css", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["cache-control"] == "public, max-age=300, must-revalidate"


def test_a_changed_static_file_gets_a_new_etag(tmp_path: Path):
    (tmp_path / "a.js").write_text("export const a = 1;\n")
    with TestClient(create_app(Settings(static_dir=tmp_path, static_max_age_seconds=60))) as local:
        first = local.get("/static/a.js")
        assert first.headers["cache-control"] == "public, max-age=60, must-revalidate"
        (tmp_path / "a.js").write_text("export const a = 22;\n")
        changed = local.get("/static/a.js", headers={"if-none-match": first.headers["etag"]})
        assert changed.status_code == 200
        assert changed.text == "export const a = 22;\n"
        assert changed.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("path", ["/", "/convolution", "/docs"])
def test_pages_carry_an_etag_and_answer_304_when_unchanged(client: TestClient, path: str):
    page = client.get(path)
    assert page.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"if-none-match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == page.headers["etag"]
    other = client.get(path, headers={"if-none-match": '"something-else"'})
    assert other.status_code == 200 and other.content == page.content


def test_api_answers_carry_no_cache_validators(client: TestClient):
    response = client.post("/api/conv2d", json={"input": [[1]], "kernel": [[1]]})
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers
