"""A class at once: 30 students press Train on /experiments with their own seeds.

    PYTHONPATH=. python bench/experiment_class.py                   # 30 students, 2 workers
    PYTHONPATH=. python bench/experiment_class.py --students 10 --port 8120
    PYTHONPATH=. python bench/experiment_class.py --root /tmp/old   # another checkout's server

Starts the server the way the Docker image and compose.yaml run it (``convlab serve``:
uvicorn with ``CONVLAB_WORKERS=2``, ``CONVLAB_TORCH_THREADS=1``, one training slot per worker)
on ``--port`` with an empty result cache, then replays what static/js/lessons/experiments does
for each student: load the page (GET /experiments, GET /api/experiments), then, all within
``--spread`` seconds (a class pressing Train together), POST the form's config (the defaults,
with the student's own seed 1 … 30: no two share a run or a cached result) to
/api/experiments/generalization/runs with ``Accept: text/event-stream``; on a 503 wait
``Retry-After`` seconds and ask again (at most 60 times, as runs.js does); read the stream to
its result.

Printed per student: when they pressed Train, the first queue place and wait the server
announced, how long they actually waited (press → first progress) and when the result came,
and which worker process trained the run (seen from the queue directory's ``.run-<worker>``
files). Then the slowest finish, the median, whether all finished within ``--target`` s,
whether runs started in the order they were asked for (first come, first served), the runs per
worker and the 503s. Wall time depends on what else the machine runs: the load average is
printed before and after, and the CPU seconds of the whole server (every process) after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/experiments/generalization/runs"
MAX_ATTEMPTS = 60  # runs.js gives up after this many 503s


def wait_for_server(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds:g} s")


def retry_after(header: str | None) -> float:
    """runs.js's retryAfterSeconds: whole seconds, 1 … 120 (2 when missing)."""
    seconds = int(header) if header and header.strip().isdigit() else 2
    return min(120, max(1, seconds))


def student(url: str, config: dict, at: float, t0: float, record: dict) -> None:
    """One student's page: loaded before the class starts, Train pressed at t0 + ``at``."""
    with httpx.Client(base_url=url, timeout=300) as client:
        client.get("/experiments")
        client.get("/api/experiments")
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        record.update(pressed=time.monotonic() - t0, places=[], retries=0)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with client.stream(
                "POST",
                PATH,
                content=json.dumps(config),
                headers={"Accept": "text/event-stream", "Content-Type": "application/json"},
            ) as response:
                record["status"] = response.status_code
                if response.status_code == 503 and "retry-after" in response.headers:
                    if attempt < MAX_ATTEMPTS:
                        record["retries"] += 1
                        response.close()
                        time.sleep(retry_after(response.headers["retry-after"]))
                        continue
                if response.status_code != 200:
                    record["error"] = response.read().decode()[:200]
                    return
                read_stream(response, t0, record)
                return


def read_stream(response: httpx.Response, t0: float, record: dict) -> None:
    name = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
            now = time.monotonic() - t0
            if name == "started":
                record["key"] = data["key"]
            elif name == "queued":
                record["places"].append(data)
            elif name == "progress" and "started" not in record:
                record["started"] = now
            elif name == "result":
                record["finished"] = now
                return
            elif name == "error":
                record["error"] = data["detail"]
                return


def watch_queue(cache: Path, t0: float, stop: threading.Event, seen: dict) -> None:
    """Which worker trains each run key, when it started there (``.run-<worker>`` files), and
    when the server took its ticket (the time in the ticket's name), on the bench's clock."""
    wall_minus_monotonic = time.time() - time.monotonic()
    while not stop.is_set():
        names = []
        # this queue's (training-queue-<digest>), and the older one's (queue)
        for directory in cache.glob("*queue*"):
            try:
                names += os.listdir(directory)
            except (FileNotFoundError, NotADirectoryError):
                pass
        for name in names:
            stem, _, state = name.partition(".")
            if state.startswith("run"):  # .run-<worker>; before the shared queue: <pid> in the stem
                at, pid, key = stem.split("-")
                worker = state.removeprefix("run-") if "-" in state else pid
                asked = int(at) / 1e9 - wall_minus_monotonic - t0
                seen.setdefault(key, (worker, time.monotonic() - t0, asked))
        time.sleep(0.02)


def server_command(port: int, workers: int) -> list[str]:
    """``convlab serve`` (the image's CMD), with the bench's port and workers."""
    return [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--spread", type=float, default=2.0, help="seconds over which they press")
    parser.add_argument("--target", type=float, default=30.0)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    args = parser.parse_args()

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is in use")
    cache = Path(tempfile.mkdtemp(prefix="convlab-class-"))
    env = {
        **os.environ,
        "CONVLAB_EXPERIMENT_CACHE_DIR": str(cache),
        "CONVLAB_EXPERIMENT_RUNS_AT_ONCE": "1",
        "CONVLAB_TORCH_THREADS": "1",
        "CONVLAB_LOG_LEVEL": "warning",
        "PYTHONPATH": str(args.root),
    }
    server = subprocess.Popen(server_command(args.port, args.workers), env=env, cwd=args.root)
    url = f"http://127.0.0.1:{args.port}"
    seen: dict[str, tuple[str, float]] = {}
    try:
        wait_for_server(url)
        defaults = {e["id"]: e for e in httpx.get(f"{url}/api/experiments").json()}
        base = defaults["generalization"]["defaults"]
        # warm both workers' training processes the way a first visitor would
        warm = [
            threading.Thread(
                target=student,
                args=(url, dict(base, seed=1000 + i, train_size=50, epochs=1), 0, 0, {}),
            )
            for i in range(args.workers)
        ]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()
        load_before = os.getloadavg()
        rng = random.Random(0)
        t0 = time.monotonic() + 1.0
        stop = threading.Event()
        watcher = threading.Thread(target=watch_queue, args=(cache, t0, stop, seen))
        watcher.start()
        records = [{"seed": i + 1} for i in range(args.students)]
        threads = [
            threading.Thread(
                target=student,
                args=(url, dict(base, seed=r["seed"]), rng.uniform(0, args.spread), t0, r),
            )
            for r in records
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    report(args, records, seen, load_before, load_after, cpu.ru_utime + cpu.ru_stime)


def report(args, records, seen, load_before, load_after, cpu_seconds: float) -> None:
    workers = sorted({worker for worker, _, _ in seen.values()})
    label = {worker: chr(ord("A") + i) for i, worker in enumerate(workers)}
    for r in records:
        worker, began, asked = seen.get(r.get("key", ""), (None, None, None))
        r["worker"], r["began"], r["asked"] = label.get(worker, "?"), began, asked
    print(
        f"{args.students} students, {args.workers} workers × 1 slot, {os.cpu_count()} CPUs; "
        f"served from {args.root}"
    )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print(
        f"{'seed':>4} {'pressed':>7} {'1st place':>9} {'said wait':>9} {'waited':>7} "
        f"{'finished':>8} {'run':>5} {'worker':>6} {'503s':>4}"
    )
    for r in sorted(records, key=lambda r: r["pressed"]):
        first = r["places"][0] if r.get("places") else None
        place = f"{first['position']:>9}" if first else "        -"
        said = f"{first['seconds']:>8}s" if first else "        -"
        waited = f"{r['started'] - r['pressed']:7.1f}" if "started" in r else "      -"
        if "finished" in r:
            finished = f"{r['finished']:8.1f}"
            took = f"{r['finished'] - r['started']:5.1f}" if "started" in r else "    -"
        else:
            finished, took = f"  {r.get('error', '?')}", ""
        print(
            f"{r['seed']:>4} {r['pressed']:7.1f} {place} {said} {waited} {finished} {took} "
            f"{r['worker']:>6} {r['retries']:>4}"
        )
    done = [r["finished"] for r in records if "finished" in r]
    failed = len(records) - len(done)
    met = "yes" if done and failed == 0 and max(done) <= args.target else "NO"
    print(f"\nfinished {len(done)} of {len(records)} (failed {failed})", end="")
    if done:
        print(
            f"; after the first press: slowest {max(done):.1f} s, median "
            f"{statistics.median(done):.1f} s; all within {args.target:g} s: {met}"
        )
    waits = [r["started"] - r["pressed"] for r in records if "started" in r]
    if waits:
        median = statistics.median(waits)
        print(f"wait press → training: max {max(waits):.1f} s, median {median:.1f} s")
    # fairness: runs start in the order the server took their tickets (first come, first
    # served), and the server took them in about the order the students pressed
    begun = [r for r in records if r["began"] is not None]

    def inversions(first: str, then: str) -> int:
        a = [r["seed"] for r in sorted(begun, key=lambda r: r[first])]
        rank = {seed: i for i, seed in enumerate(a)}
        b = [r["seed"] for r in sorted(begun, key=lambda r: r[then])]
        return sum(1 for i, x in enumerate(b) for y in b[i + 1 :] if rank[x] > rank[y])

    pairs = len(begun) * (len(begun) - 1) // 2
    print(
        f"started out of the server's arrival order: {inversions('asked', 'began')} of {pairs} "
        f"pairs; arrived out of press order: {inversions('pressed', 'asked')} of {pairs} "
        f"(press → arrival at most {max(r['asked'] - r['pressed'] for r in begun):.2f} s)"
    )
    # honest places: a run told "position p" should see exactly the p − 1 runs that waited
    # ahead of it (arrived earlier, started after it arrived) start first
    queued = [r for r in begun if r.get("places") and "started" in r]
    off = []
    for r in queued:
        ahead = sum(
            1
            for other in begun
            if other is not r and other["asked"] < r["asked"] < other["began"] < r["began"]
        )
        off.append(r["places"][0]["position"] - 1 - ahead)
    exact = sum(1 for d in off if d == 0)
    print(
        f"first place told vs runs that waited ahead of it: exact for {exact} "
        f"of {len(queued)} queued runs (max off by {max(map(abs, off), default=0)})"
    )
    told = [
        (r["places"][0]["seconds"], r["started"] - r["pressed"]) for r in queued if "started" in r
    ]
    if told:
        ratio = statistics.median(actual / max(1, said) for said, actual in told)
        print(f"announced wait vs actual: median actual/announced {ratio:.2f}")
    counts = {label[w]: sum(1 for r in records if r["worker"] == label[w]) for w in workers}
    print("runs per worker: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    retries = [r["retries"] for r in records]
    print(f"503s (retries): total {sum(retries)}, most for one student {max(retries)}")
    print(f"server CPU (every process, user + system): {cpu_seconds:.1f} s", end="")
    print(
        f"; with its {args.workers} cores to itself the class would take at least "
        f"{cpu_seconds / args.workers:.0f} s (CPU / workers, warm-up included)"
    )


if __name__ == "__main__":
    main()
