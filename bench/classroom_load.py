"""A whole class drawing at once, replaying the MNIST page's own request policy.

Each simulated student opens /mnist (the HTML and every static file the page loads, found by
following its <link>/<script> tags and ES-module imports, as a browser does on a first visit),
then draws the page's sample digits (static/js/sample_digits.js, rendered with Pillow at every
stage of the stroke, as the 280×280 pad's PNG) one stroke after another, exactly as
static/js/lessons/mnist/page.js and static/js/api.js send them:

* while the pen moves (a stroke of 1.5-3 s): ``POST /api/mnist/activations`` with
  ``previews: false`` and the drawing so far, at most one request in flight and at most one per
  ``LIVE_INTERVAL_MS`` (read from mnist.js);
* at stroke end: the live request still in flight is aborted (its connection closed, as
  ``AbortController`` does) and the full update goes at once (``previews: true``); once it has
  answered, ``POST /api/mnist/shift-scan`` over ``SCAN_RANGE`` (read from mnist.js);
* a 503 with Retry-After is retried like api.js does: after Retry-After, doubling, capped,
  times a random factor in [1, 1.5), at most ``RETRY.attempts`` times (read from api.js);
* then the student looks at the maps for 2-5 s and draws the next digit.

An *interaction* fails when its last answer is not a 200 (after the retries) or the connection
breaks; a 503 retried into a 200 is a retry, counted and reported, not a failure. The figure
that matters is the stroke-end update: from the pen lifting to the full answer, retries
included. The client is raw HTTP/1.1 on asyncio (uvloop), so that it takes little of the two
cores it shares with the server; the server's own CPU time is read from /proc.

    python bench/classroom_load.py                       # 100 students, 90 s, 2 workers
    python bench/classroom_load.py --students 150 --duration 60
    python bench/classroom_load.py --port 8170           # a server you started yourself

Bounded: at most 400 students, 600 s, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from drawings import DRAWINGS  # noqa: E402 (the page's sample digits, stage by stage)

HOST = "127.0.0.1"


# -- the page's policy, read from the page's own modules -------------------------------------


def _js_number(path: Path, name: str) -> float:
    match = re.search(rf"export const {name} = (\d+(?:\.\d+)?);", path.read_text())
    assert match, f"no `export const {name} = <number>` in {path}"
    return float(match.group(1))


@dataclass(frozen=True)
class Policy:
    live_interval: float  # seconds between live requests while drawing
    scan_range: int
    retry_attempts: int
    retry_first: float  # seconds, when the 503 has no usable Retry-After
    retry_max: float

    @classmethod
    def from_static(cls) -> Policy:
        mnist = ROOT / "static" / "js" / "lessons" / "mnist" / "page.js"
        api = (ROOT / "static" / "js" / "api.js").read_text()
        retry = re.search(
            r"RETRY = Object\.freeze\(\{ attempts: (\d+), "
            r"firstDelayMs: (\d+), maxDelayMs: (\d+) \}\)",
            api,
        )
        assert retry, "no RETRY = Object.freeze({...}) in static/js/api.js"
        return cls(
            live_interval=_js_number(mnist, "LIVE_INTERVAL_MS") / 1000,
            scan_range=int(_js_number(mnist, "SCAN_RANGE")),
            retry_attempts=int(retry.group(1)),
            retry_first=int(retry.group(2)) / 1000,
            retry_max=int(retry.group(3)) / 1000,
        )

    def retry_delay(self, attempt: int, retry_after: str | None, rng: random.Random) -> float:
        """api.js retryDelay: Retry-After, doubling, capped, times [1, 1.5)."""
        try:
            first = float(retry_after) if retry_after and float(retry_after) > 0 else None
        except ValueError:
            first = None
        base = first if first is not None else self.retry_first
        return min(self.retry_max, base * 2**attempt) * (1 + 0.5 * rng.random())


# -- a small HTTP/1.1 client: keep-alive connections, like a browser's -------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()


async def _exchange(conn: Connection, request: bytes) -> tuple[int, dict[str, str], bytes]:
    conn.writer.write(request)
    await conn.writer.drain()
    head = await conn.reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ": " in line:
            name, value = line.split(": ", 1)
            headers[name.lower()] = value
    body = await conn.reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


class Browser:
    """One student's browser: a few keep-alive connections to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []

    async def request(
        self, method: str, path: str, body: bytes | None = None, etag: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
        if etag:
            head += f"If-None-Match: {etag}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        request = (head + "\r\n").encode() + (body or b"")
        while True:
            reused = bool(self.idle)
            if reused:
                conn = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(HOST, self.port)
                conn = Connection(reader, writer)
            try:
                answer = await _exchange(conn, request)
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                conn.close()
                if not reused:
                    raise
                # the server closed an idle keep-alive connection: a browser retries on a new one
            except BaseException:  # cancelled (an abort) or broken: the connection is gone
                conn.close()
                raise
        if answer[1].get("connection", "").lower() == "close":
            conn.close()
        else:
            self.idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


# -- what happened ---------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    served: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    retries: Counter = field(default_factory=Counter)
    retried_interactions: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    failure_examples: list[str] = field(default_factory=list)
    aborted: int = 0
    bytes_in: int = 0
    recording: bool = False


async def interaction(
    browser: Browser,
    policy: Policy,
    stats: Stats,
    rng: random.Random,
    kind: str,
    path: str,
    payload: dict | None,
) -> tuple[bool, bytes]:
    """One request as api.js makes it (503 retried); records its latency, retries included."""
    body = json.dumps(payload).encode() if payload is not None else None
    method = "POST" if body is not None else "GET"
    started = time.perf_counter()
    attempt = 0
    try:
        while True:
            sent = time.perf_counter()
            status, headers, answer = await browser.request(method, path, body)
            if stats.recording:
                stats.statuses[kind][status] += 1
                stats.served[kind].append(1000 * (time.perf_counter() - sent))
                stats.bytes_in += len(answer)
            busy = status == 503 and "retry-after" in headers
            if not busy or attempt >= policy.retry_attempts:
                break
            await asyncio.sleep(policy.retry_delay(attempt, headers["retry-after"], rng))
            attempt += 1
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        status, answer = 0, type(error).__name__.encode()
    if stats.recording:
        stats.latencies[kind].append(1000 * (time.perf_counter() - started))
        stats.retries[kind] += attempt
        stats.retried_interactions[kind] += attempt > 0
        if status != 200:
            stats.failures[kind] += 1
            if len(stats.failure_examples) < 5:
                stats.failure_examples.append(f"{kind}: {status} {answer[:120]!r}")
    return status == 200, answer


# -- a student ---------------------------------------------------------------------------------

STATIC_REF = re.compile(r"""(?:href|src)="(/static/[^"]+)"|from "(\.{1,2}/[^"]+)";""")


async def open_page(browser: Browser, stats: Stats, policy: Policy, rng, path: str) -> None:
    """The page and every static file it loads (stylesheets, scripts, their imports)."""
    _, html = await interaction(browser, policy, stats, rng, "page", path, None)
    queue = [m.group(1) for m in STATIC_REF.finditer(html.decode()) if m.group(1)]
    seen: set[str] = set()
    while queue:
        asset = queue.pop()
        if asset in seen:
            continue
        seen.add(asset)
        ok, text = await interaction(browser, policy, stats, rng, "static", asset, None)
        if ok and asset.endswith(".js"):
            base = asset.rsplit("/", 1)[0]
            for match in STATIC_REF.finditer(text.decode()):
                if match.group(2):
                    queue.append(os.path.normpath(f"{base}/{match.group(2)}"))


async def student(port: int, policy: Policy, stats: Stats, seed: int, stop: float) -> None:
    rng = random.Random(seed)
    browser = Browser(port)
    try:
        await open_page(browser, stats, policy, rng, "/mnist")
        while time.perf_counter() < stop:
            await draw_one_digit(browser, policy, stats, rng)
            await asyncio.sleep(rng.uniform(2.0, 5.0))  # looks at the maps
    finally:
        browser.close()


async def draw_one_digit(browser: Browser, policy: Policy, stats: Stats, rng) -> None:
    stages = rng.choice(DRAWINGS)
    stroke = rng.uniform(1.5, 3.0)
    began = time.perf_counter()

    def drawing_now() -> str:
        done = min(1.0, (time.perf_counter() - began) / stroke)
        return stages[max(0, int(done * len(stages)) - 1)]

    def body(png: str, previews: bool) -> dict:
        return {
            "image_png": png,
            "model": "cnn",
            "shift": [0, 0],
            "kernel_overrides": {},
            "previews": previews,
        }

    live: asyncio.Task | None = None
    last_sent = -1e9
    while time.perf_counter() - began < stroke:
        # mnist.js #pump: one live request in flight, at most one per LIVE_INTERVAL_MS
        now = time.perf_counter()
        if (live is None or live.done()) and now - last_sent >= policy.live_interval:
            last_sent = now
            live = asyncio.ensure_future(
                interaction(
                    browser,
                    policy,
                    stats,
                    rng,
                    "live",
                    "/api/mnist/activations",
                    body(drawing_now(), False),
                )
            )
        await asyncio.sleep(0.016)  # the pen moves every frame
    if live is not None and not live.done():
        live.cancel()  # the stroke-end update aborts the live request in flight
        if stats.recording:
            stats.aborted += 1
        await asyncio.gather(live, return_exceptions=True)
    final = stages[-1]
    ok, _ = await interaction(
        browser, policy, stats, rng, "stroke-end", "/api/mnist/activations", body(final, True)
    )
    if ok:
        r = policy.scan_range
        await interaction(
            browser,
            policy,
            stats,
            rng,
            "shift-scan",
            "/api/mnist/shift-scan",
            {"image_png": final, "dx": [-r, r], "dy": [0, 0]},
        )


# -- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def serving(workers: int, env_overrides: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`python -m app serve` from this tree on a free loopback port, stopped afterwards."""
    port = _free_port()
    env = {**os.environ, "CONVLAB_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT), **env_overrides}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server.port = port  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1) as sock:
                    sock.sendall(
                        b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    if b" 200 " in sock.recv(100):
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def process_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the uvicorn workers), from /proc."""
    ticks = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values[:8]), values[3] + values[4]  # total, idle + iowait


# -- the run -----------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(
    port: int, students: int, duration: float, ramp: float, warmup: float, server_pid: int | None
) -> None:
    policy = Policy.from_static()
    stats = Stats()
    started = time.perf_counter()
    stop = started + ramp + warmup + duration
    tasks = []
    for i in range(students):
        tasks.append(asyncio.ensure_future(student(port, policy, stats, i, stop)))
        await asyncio.sleep(ramp / students)
    await asyncio.sleep(max(0.0, started + ramp + warmup - time.perf_counter()))
    stats.recording = True
    cpu0 = process_cpu_seconds(server_pid) if server_pid else None
    own0 = time.process_time()
    machine0 = machine_busy()
    t0 = time.perf_counter()
    await asyncio.sleep(max(0.0, stop - time.perf_counter()))
    elapsed = time.perf_counter() - t0
    stats.recording = False
    cpu1 = process_cpu_seconds(server_pid) if server_pid else None
    own = time.process_time() - own0
    machine1 = machine_busy()
    await asyncio.gather(*tasks, return_exceptions=True)
    report(policy, stats, students, elapsed, cpu0, cpu1, own, machine0, machine1)


def report(policy, stats, students, elapsed, cpu0, cpu1, own, machine0, machine1) -> None:
    print(
        f"{students} students drawing for {elapsed:.0f} s (after ramp-up and warm-up); "
        f"policy from static/js: live every {policy.live_interval * 1000:.0f} ms, one in "
        f"flight; 503 retried {policy.retry_attempts}× from Retry-After "
        f"(cap {policy.retry_max:.0f} s)\n"
    )
    print(
        "| interaction | count | failed | retried (retries) | req/s | p50 ms | p95 ms | "
        "p99 ms | max ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    total = failed = 0
    for kind in ("page", "static", "live", "stroke-end", "shift-scan"):
        times = stats.latencies.get(kind, [])
        if not times:
            continue
        total += len(times)
        failed += stats.failures[kind]
        print(
            f"| {kind} | {len(times)} | {stats.failures[kind]} | "
            f"{stats.retried_interactions[kind]} ({stats.retries[kind]}) | "
            f"{len(times) / elapsed:.1f} | {statistics.median(times):.0f} | "
            f"{_pct(times, 0.95):.0f} | {_pct(times, 0.99):.0f} | {max(times):.0f} |"
        )
    requests = sum(sum(c.values()) for c in stats.statuses.values())
    statuses = Counter()
    for counter in stats.statuses.values():
        statuses.update(counter)
    print(
        f"\n{total} interactions, **{failed} failed**; {requests} HTTP requests "
        f"({requests / elapsed:.0f}/s; statuses {dict(sorted(statuses.items()))}), "
        f"{stats.aborted} live requests aborted at stroke end, "
        f"{stats.bytes_in / elapsed / 1e6:.1f} MB/s of answers."
    )
    end = stats.latencies.get("stroke-end", [])
    verdict = "met" if end and failed == 0 and _pct(end, 0.95) <= 200 else "NOT met"
    print(f"Stroke-end update p95 {_pct(end, 0.95):.0f} ms (target ≤ 200 ms, 0 failed): {verdict}.")
    if cpu0 is not None:
        idle = (machine1[1] - machine0[1]) / (machine1[0] - machine0[0])
        print(
            f"Server CPU: {(cpu1 - cpu0) / elapsed:.2f} cores on average; "
            f"load generator {own / elapsed:.2f} cores; "
            f"machine busy {100 * (1 - idle):.0f} % "
            f"of {os.cpu_count()} cores."
        )
    for example in stats.failure_examples:
        print(f"  failure: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100, help="students drawing (≤ 400)")
    parser.add_argument("--duration", type=float, default=90, help="measured seconds (≤ 600)")
    parser.add_argument("--ramp", type=float, default=10, help="seconds to bring them all in")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="measure a server already running on this loopback port",
    )
    args = parser.parse_args()
    students, duration = min(args.students, 400), min(args.duration, 600)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.port:
        asyncio.run(run(args.port, students, duration, args.ramp, args.warmup, None))
        return
    with serving(args.workers, {"CONVLAB_WORKERS": str(args.workers)}) as server:
        print(
            f"server: {args.workers} workers on {HOST}:{server.port} "
            f"(CONVLAB_MAX_CONCURRENCY, THREADPOOL_SIZE, TORCH_THREADS as configured)"
        )
        asyncio.run(run(server.port, students, duration, args.ramp, args.warmup, server.pid))


if __name__ == "__main__":
    main()
