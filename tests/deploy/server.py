"""A real uvicorn serving ConvLab in a subprocess, for tests that need real sockets (chunked
uploads, slow clients, an installed wheel). Independent of tests/browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    env: Mapping[str, str] | None = None,
    *,
    cwd: Path = PROJECT_ROOT,
    pythonpath: Path | None = None,
    log: Path | None = None,
) -> Iterator[str]:
    """Start ``python -m uvicorn app.main:app`` on a free port; yield its base URL; stop it."""
    port = free_port()
    environment = {**os.environ, **(env or {})}
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    command = [
        sys.executable, "-m", "uvicorn", "app.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    output = log.open("w") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(command, cwd=cwd, env=environment, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start (exit {proc.poll()}); see {log}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if log is not None:
            output.close()
