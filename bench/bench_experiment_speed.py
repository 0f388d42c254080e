"""CPU time of a default generalization run: this checkout's code against another's.

    git archive <commit> app | tar -x -C /tmp/convlab-old      # e.g. the landed main
    PYTHONPATH=. nice python bench/bench_experiment_speed.py --old /tmp/convlab-old

Runs, each in a fresh interpreter with one torch thread, after a warm-up run: the old code on
the old default config, the new code on the same config, and the new code on its own default
(``--repeats`` each, the median CPU seconds by ``time.process_time``). The configs are the old
default (N = 1,000, 3 epochs, 500 test digits) and this checkout's default. CPU time, not wall
time: the machine is shared; the load average is printed beside.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_DEFAULT = {
    "train_size": 1000,
    "test_size": 500,
    "epochs": 3,
    "batch_size": 32,
    "learning_rate": 0.005,
    "weight_decay": 0.001,
    "hidden": 100,
    "models": ["fc", "lc", "cnn"],
    "seed": 0,
}
CHILD = """
import json, statistics, sys, time
import torch
torch.set_num_threads(1)
from app.experiments.runner import run
config, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
run("generalization", dict(config, train_size=100, epochs=1))
times = []
for _ in range(repeats):
    start = time.process_time()
    run("generalization", config)
    times.append(time.process_time() - start)
print(json.dumps(statistics.median(times)))
"""


def cpu_seconds(tree: Path, config: dict, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config), str(repeats)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="a tree holding the old app/")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app.experiments.registry import EXPERIMENTS

    new_default = EXPERIMENTS["generalization"].defaults
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds per run, median of {args.repeats}")
    rows = [
        ("old code, old default", args.old, OLD_DEFAULT),
        ("new code, old default", ROOT, OLD_DEFAULT),
        ("new code, new default", ROOT, new_default),
    ]
    for label, tree, config in rows:
        seconds = cpu_seconds(tree, config, args.repeats)
        shape = f"N={config['train_size']}, {config['epochs']} epochs, {config['test_size']} test"
        print(f"{label:<24} {shape:<32} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
