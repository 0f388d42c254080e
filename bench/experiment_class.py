"""A class at once: 30 students press Train on /experiments with their own seeds.

    PYTHONPATH=. python bench/experiment_class.py                   # 30 students, 2 workers
    PYTHONPATH=. python bench/experiment_class.py --students 10 --port 8120

Starts the server as compose.yaml runs it (uvicorn, ``--workers 2``, one training slot per
worker) on ``--port`` with an empty result cache, then replays what the page sends: each
student POSTs the default generalization config with their own seed (``seed`` = 1 … 30, so no
two share a run or a cached result) to /api/experiments/generalization/runs with
``Accept: text/event-stream``, all within ``--spread`` seconds (a class pressing Train
together), and reads the stream to its result, as the page does.

Printed per student: when they pressed Train, the queue places the server told them, when
training started (first progress) and when the result arrived; then the slowest finish, the
median, whether every run finished within ``--target`` seconds, and whether runs started in
the order they were asked for (first come, first served). Wall time depends on what else the
machine runs: the load average is printed before and after, and a loaded machine's figure is
not the server's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def wait_for_server(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds:g} s")


def student(url: str, config: dict, at: float, t0: float, record: dict) -> None:
    time.sleep(max(0.0, t0 + at - time.monotonic()))
    record["pressed"] = time.monotonic() - t0
    record["places"] = []
    with httpx.stream(
        "POST",
        f"{url}/api/experiments/generalization/runs",
        json=config,
        headers={"Accept": "text/event-stream", "Content-Type": "application/json"},
        timeout=300,
    ) as response:
        record["status"] = response.status_code
        if response.status_code != 200:
            record["error"] = response.read().decode()[:200]
            return
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                now = time.monotonic() - t0
                if name == "queued":
                    record["places"].append(data["position"])
                elif name == "progress" and "started" not in record:
                    record["started"] = now
                elif name == "result":
                    record["finished"] = now
                    return
                elif name == "error":
                    record["error"] = data["detail"]
                    return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--spread", type=float, default=2.0, help="seconds over which they press")
    parser.add_argument("--target", type=float, default=30.0)
    args = parser.parse_args()

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is in use")
    cache = tempfile.mkdtemp(prefix="convlab-class-")
    env = {
        **os.environ,
        "CONVLAB_EXPERIMENT_CACHE_DIR": cache,
        "CONVLAB_EXPERIMENT_RUNS_AT_ONCE": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--port", str(args.port), "--workers", str(args.workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{args.port}"
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
        t0 = time.monotonic() + 0.5
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
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{args.students} students, {args.workers} workers × 1 slot, {os.cpu_count()} CPUs")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print(f"{'seed':>4} {'pressed':>8} {'queue places':<24} {'started':>8} {'finished':>9}")
    for r in sorted(records, key=lambda r: r["pressed"]):
        places = ",".join(map(str, dict.fromkeys(r.get("places", [])))) or "-"
        if len(places) > 24:
            places = places[:21] + "..."
        started = f"{r['started']:8.1f}" if "started" in r else "       -"
        finished = f"{r['finished']:9.1f}" if "finished" in r else f"  {r.get('error', '?')}"
        print(f"{r['seed']:>4} {r['pressed']:8.1f} {places:<24} {started} {finished}")
    done = [r["finished"] for r in records if "finished" in r]
    failed = len(records) - len(done)
    met = "yes" if failed == 0 and max(done) <= args.target else "NO"
    print(f"\nfinished {len(done)} of {len(records)} (failed {failed}); slowest {max(done):.1f} s,")
    print(
        f"median {statistics.median(done):.1f} s after the first press; "
        f"within {args.target:g} s: {met}"
    )
    started = [r for r in records if "started" in r]
    by_press = [r["seed"] for r in sorted(started, key=lambda r: r["pressed"])]
    by_start = [r["seed"] for r in sorted(started, key=lambda r: r["started"])]
    inversions = sum(
        1
        for i, a in enumerate(by_start)
        for b in by_start[i + 1 :]
        if by_press.index(a) > by_press.index(b)
    )
    pairs = len(by_start) * (len(by_start) - 1) // 2
    print(f"started out of press order: {inversions} of {pairs} pairs")


if __name__ == "__main__":
    main()
