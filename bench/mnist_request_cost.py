"""CPU cost of each request the MNIST page sends, and what a class of students needs from it.

Runs the app in-process (the lifespan loads the models; the requests go through the whole ASGI
stack: JSON parsing, validation, the route, serialisation) and measures *CPU time* per request
with time.process_time, which other work on a shared machine does not inflate, unlike wall time.
Each kind is what static/js/lessons/mnist/page.js sends: a live update while the pen moves
(``previews: false``, the drawing so far), the full update at stroke end (``previews: true``)
and the shift scan, with the page's own sample digits (bench/drawings.py) as 280×280 PNGs.

From the costs and the page's pacing it prints the CPU a class needs when every student draws
one digit after another (``--stroke`` seconds of drawing, ``--think`` seconds looking):

    python bench/mnist_request_cost.py
    python bench/mnist_request_cost.py --repeats 300 --students 100
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from classroom_load import Policy  # noqa: E402 (the page's policy, read from static/js)
from drawings import DRAWINGS  # noqa: E402


def _bodies(policy: Policy) -> dict[str, list[dict]]:
    r = policy.scan_range
    live = [
        {"image_png": s, "model": "cnn", "shift": [0, 0], "kernel_overrides": {}, "previews": False}
        for stages in DRAWINGS
        for s in stages
    ]
    full = [{**body, "previews": True} for body in live[7::8]]  # each finished digit
    scan = [{"image_png": b["image_png"], "dx": [-r, r], "dy": [0, 0]} for b in full]
    return {"live": live, "stroke-end": full, "shift-scan": scan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="requests per kind (≤ 2000)")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--stroke", type=float, default=2.25, help="seconds of drawing per digit")
    parser.add_argument("--think", type=float, default=3.5, help="seconds between digits")
    args = parser.parse_args()
    repeats = min(args.repeats, 2000)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

    from app.main import create_app

    policy = Policy.from_static()
    paths = {
        "live": "/api/mnist/activations",
        "stroke-end": "/api/mnist/activations",
        "shift-scan": "/api/mnist/shift-scan",
    }
    cost: dict[str, float] = {}
    size: dict[str, float] = {}
    with TestClient(create_app()) as client:
        for kind, bodies in _bodies(policy).items():
            for body in bodies[:3]:  # warm up
                client.post(paths[kind], json=body)
            started = time.process_time()
            total = 0
            for i in range(repeats):
                answer = client.post(paths[kind], json=bodies[i % len(bodies)])
                assert answer.status_code == 200, answer.text[:200]
                total += len(answer.content)
            cost[kind] = 1000 * (time.process_time() - started) / repeats
            size[kind] = total / repeats / 1024
    with TestClient(create_app()) as client:  # the floor: the test client and the framework
        started = time.process_time()
        for _ in range(repeats):
            client.get("/api/health")
        floor = 1000 * (time.process_time() - started) / repeats
    print(f"CPU per request (in-process, {repeats} each; time.process_time):\n")
    print("| request | CPU ms | answer KB |")
    print("|---|---:|---:|")
    for kind in cost:
        print(f"| {kind} | {cost[kind]:.1f} | {size[kind]:.0f} |")
    print(f"| (floor: GET /api/health through the same test client) | {floor:.1f} | - |")
    live_per_digit = args.stroke / policy.live_interval
    cycle = args.stroke + args.think
    per_student = (live_per_digit * cost["live"] + cost["stroke-end"] + cost["shift-scan"]) / cycle
    print(
        f"\nOne student drawing a digit every {cycle:.2f} s ({args.stroke} s stroke, "
        f"{live_per_digit:.1f} live updates at one per {policy.live_interval * 1000:.0f} ms, "
        f"then the full update and the scan) costs {per_student:.1f} ms of CPU per second: "
        f"{args.students} students need {args.students * per_student / 1000:.2f} cores."
    )


if __name__ == "__main__":
    main()
