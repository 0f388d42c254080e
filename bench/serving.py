"""A real uvicorn serving ConvLab in a subprocess on a free port, for the benchmark scripts
(the tests have their own in tests/deploy/server.py; bench does not import the tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float) -> bool:
    """Poll ``url``/api/health until it answers 200 (True), or the process exits or ``seconds``
    pass (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.3)


@contextmanager
def serving(root: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = _free_port()
    environment = {**os.environ, "PYTHONPATH": str(root), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=root, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, proc, 120):
            raise SystemExit("the server did not start")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # still busy with an attack: stop it for good
            proc.kill()
            proc.wait()
