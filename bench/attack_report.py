"""The outside audit's attack requests against one real worker: status, wall time,
the worker's CPU time, response size, and the worker's RSS after each; then slow clients and
the health probe under load.

    .venv/bin/python bench/attack_report.py                # this tree
    .venv/bin/python bench/attack_report.py --root /path/to/other/checkout   # e.g. before

One uvicorn process (the worker itself), so /proc/<pid> is the worker. Figures are printed as
a Markdown table. The machine may be shared: CPU seconds are the worker's own, wall times are
what a client saw.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
import time
from pathlib import Path

import httpx
from serving import serving  # bench/serving.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")

ATTACKS: list[tuple[str, str, bytes]] = [
    (
        "explain, input_cell, 1×1 input, 64×64 kernel, replicate padding 41",
        "/api/conv2d/explain",
        json.dumps({"input": [[0]], "kernel": [[0] * 64] * 64, "input_cell": [0, 0],
                    "padding": 41, "padding_mode": "replicate"}).encode(),
    ),
    (
        "explain, as above with padding 55",
        "/api/conv2d/explain",
        json.dumps({"input": [[0]], "kernel": [[0] * 64] * 64, "input_cell": [0, 0],
                    "padding": 55, "padding_mode": "replicate"}).encode(),
    ),
    (
        "equivariance, 143 bytes, padding 511",
        "/api/equivariance",
        b'{"image":[[1.0]],"kernel":[[1.0]],"padding":511,"padding_mode":"replicate","dx":1,'
        b'"dy":1,"pool":{"mode":"max","kernel_size":1}}',
    ),
    (
        "conv2d, 960 KB of 160,000 channels of [[0]]",
        "/api/conv2d",
        b'{"input":[' + b",".join([b"[[0]]"] * 160_000) + b'],"kernel":[[1]]}',
    ),
    (
        "activations, kernel_overrides of 1e38",
        "/api/mnist/activations",
        json.dumps({"image": [[0.5] * 28] * 28,
                    "kernel_overrides": {"0": [[1e38] * 5] * 5}}).encode(),
    ),
    (
        "conv2d with 1 MB of unknown junk",
        "/api/conv2d",
        json.dumps({"input": [[1]], "kernel": [[1]], "junk": "x" * 900_000}).encode(),
    ),
]  # fmt: skip


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def attacks(url: str, pid: int, timeout: float) -> None:
    print(f"\nworker RSS at start: {rss_mb(pid):.0f} MB\n")
    print("| request | status | wall s | worker CPU s | response bytes | RSS after MB |")
    print("|---|---|---|---|---|---|")
    for name, path, body in ATTACKS:
        cpu = cpu_seconds(pid)
        started = time.monotonic()
        try:
            response = httpx.post(
                url + path, content=body, headers={"content-type": "application/json"},
                timeout=timeout,
            )  # fmt: skip
            status, size = str(response.status_code), f"{len(response.content):,}"
        except httpx.TimeoutException:
            status, size = f"no answer in {timeout:g} s", "—"
        wall = time.monotonic() - started
        time.sleep(0.5)
        print(
            f"| {name} | {status} | {wall:.2f} | {cpu_seconds(pid) - cpu:.2f} | "
            f"{size} | {rss_mb(pid):.0f} |",
            flush=True,
        )
    time.sleep(3)
    print(f"\nworker RSS 3 s after the attacks: {rss_mb(pid):.0f} MB")


def slow_clients(url: str, count: int = 50, ordinary: int = 40) -> None:
    host, port = url.removeprefix("http://").split(":")
    socks = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"POST /api/conv2d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 900000\r\n\r\n{")  # fmt: skip
        socks.append(sock)
    stop = threading.Event()

    def trickle() -> None:  # one more byte per second on every slow connection
        while not stop.wait(1.0):
            for sock in socks:
                try:
                    sock.sendall(b" ")
                except OSError:
                    pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(1.0)
    body = {"input": [[1, 2], [3, 4]], "kernel": [[1]]}
    statuses = [
        httpx.post(f"{url}/api/conv2d", json=body, timeout=30).status_code for _ in range(ordinary)
    ]
    stop.set()
    answers = []
    for sock in socks:
        sock.settimeout(30)
        try:
            answers.append(sock.recv(64).split(b" ")[1].decode())
        except (OSError, IndexError):
            answers.append("none")
        sock.close()
    print(
        f"\n{count} slow clients (Content-Length 900000, 1 byte/s) + {ordinary} ordinary "
        f"requests: ordinary statuses {dict((s, statuses.count(s)) for s in set(statuses))}; "
        f"slow clients got {dict((a, answers.count(a)) for a in set(answers))}"
    )


def health_under_load(url: str) -> None:
    body = b'{"input":[' + b",".join([b"[[0]]"] * 160_000) + b'],"kernel":[[1]]}'
    headers = {"content-type": "application/json"}
    threads = [
        threading.Thread(target=httpx.post, args=(url + "/api/conv2d",),
                         kwargs={"content": body, "headers": headers, "timeout": 60})
        for _ in range(4)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    httpx.get(url + "/api/health", timeout=60)
    waited = time.monotonic() - started
    for thread in threads:
        thread.join()
    print(f"\n/api/health behind four 960 KB bodies: answered after {waited:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--malloc-arena-max", default=None, help="MALLOC_ARENA_MAX for the worker")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait per request")
    args = parser.parse_args()
    env = {"CONVLAB_LOG_LEVEL": "warning"}
    if args.malloc_arena_max:
        env["MALLOC_ARENA_MAX"] = args.malloc_arena_max
    print(f"# attacks against {args.root} (one worker)")
    with serving(args.root, env) as (url, pid):
        attacks(url, pid, args.timeout)
        health_under_load(url)
        slow_clients(url)


if __name__ == "__main__":
    main()
