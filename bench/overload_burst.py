"""Overload in one burst: N students press "draw" at the same instant.

Starts ``convlab serve`` on a free loopback port (2 workers by default), sends ``--burst``
simultaneous ``POST /api/mnist/activations`` requests (each on its own connection, a real
drawing as a PNG data URL, raw HTTP/1.1 so the client adds little), ``--rounds`` times, and
prints for each answer status how many and how fast: with the concurrency limit the requests
over it get 503 + Retry-After as fast as the server answers anything, while the admitted ones
keep a bounded latency; with the limit lifted (``--max-concurrency 10000``) every request
queues and the last ones wait seconds. ``--path /api/health`` measures the floor: how long
this machine takes to open that many connections and answer the cheapest request.

    python bench/overload_burst.py                      # CONVLAB_MAX_CONCURRENCY as configured
    python bench/overload_burst.py --max-concurrency 10000     # the limit lifted
    python bench/overload_burst.py --path /api/health          # the client's own floor

Bounded: at most 2000 requests per burst, 10 rounds, 60 s per request; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from drawings import DRAWINGS  # noqa: E402 (the same drawings as the classroom load)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _one(port: int, request: bytes) -> tuple[int, float, str]:
    """One request on a fresh connection, in raw HTTP/1.1 (a client as light as can be, so
    the times are the server's, not the load generator's)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 60)
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), 60)
        writer.close()
        retry = headers.get("retry-after", "")
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        status, retry = 0, type(exc).__name__
    return status, 1000 * (time.perf_counter() - started), retry


@contextmanager
def serving(workers: int, env_overrides: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`convlab serve` on a free loopback port, up once /api/health answers 200; stopped after.

    The port is ``server.port`` on the yielded process.
    """
    port = _free_port()
    env = {**os.environ, "CONVLAB_LOG_LEVEL": "warning", **env_overrides}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "convlab"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server.port = port  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 60
        health = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        while asyncio.run(_one(port, health))[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _burst(port: int, size: int, path: str) -> list[tuple[int, float, str]]:
    if path == "/api/mnist/activations":
        body = json.dumps(
            {"image_png": DRAWINGS[3][-1], "model": "cnn", "shift": [0, 0], "kernel_overrides": {}}
        ).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
    else:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    return await asyncio.gather(*(_one(port, request) for _ in range(size)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=400, help="simultaneous requests (≤ 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="bursts, 2 s apart (≤ 10)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--path",
        default="/api/mnist/activations",
        help="the activations POST, or a GET path to compare with "
        "(e.g. /api/health, exempt from the limit: the client's own floor)",
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="CONVLAB_MAX_CONCURRENCY for the server (default: settings)",
    )
    args = parser.parse_args()
    size, rounds = min(args.burst, 2000), min(args.rounds, 10)

    overrides = {"CONVLAB_WORKERS": str(args.workers)}
    if args.max_concurrency is not None:
        overrides["CONVLAB_MAX_CONCURRENCY"] = str(args.max_concurrency)
    with serving(args.workers, overrides) as server:
        port = server.port
        limit = overrides.get("CONVLAB_MAX_CONCURRENCY", "default (settings)")
        method = "POST" if args.path == "/api/mnist/activations" else "GET"
        print(
            f"{rounds} bursts of {size} simultaneous {method} {args.path}; "
            f"{args.workers} workers, CONVLAB_MAX_CONCURRENCY={limit}\n"
        )
        print("| status | count | p50 ms | p95 ms | max ms | Retry-After |")
        print("|---|---:|---:|---:|---:|---|")
        results: dict[int, list[float]] = defaultdict(list)
        retry_after: dict[int, set[str]] = defaultdict(set)
        wall: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            for status, millis, retry in asyncio.run(_burst(port, size, args.path)):
                results[status].append(millis)
                retry_after[status].add(retry)
            wall.append(time.perf_counter() - started)
            time.sleep(2)
        for status in sorted(results):
            times = results[status]
            print(
                f"| {status or 'error'} | {len(times)} | {statistics.median(times):.0f} | "
                f"{_percentile(times, 0.95):.0f} | {max(times):.0f} | "
                f"{', '.join(sorted(r for r in retry_after[status] if r)) or '-'} |"
            )
        print(f"\nWhole burst answered in {statistics.median(wall):.2f} s (median of {rounds}).")


if __name__ == "__main__":
    main()
