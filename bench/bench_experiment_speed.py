"""CPU time of a default generalization run, model by model: this checkout's code against another's.

    git archive 72bc281 app | tar -x -C /tmp/convlab-old      # the code before the speed-up
    PYTHONPATH=. nice python bench/bench_experiment_speed.py --old /tmp/convlab-old

Each row runs in a fresh interpreter with one torch thread, after a warm-up run, ``--repeats``
times (the median CPU seconds by ``time.process_time``): the old code on the old default
(N = 1,000, 5 epochs, 1,000 test digits, batch 32, Adam lr 0.005), then this checkout's code on
its own default, for each model alone and for the whole run; then this checkout's weight-decay
and limits defaults. CPU time, not wall time: the machine is shared; the load average is
printed beside.
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
    "test_size": 1000,
    "epochs": 5,
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
experiment, config, repeats = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
run(experiment, dict(config, train_size=100, epochs=1))
times = []
for _ in range(repeats):
    start = time.process_time()
    run(experiment, config)
    times.append(time.process_time() - start)
print(json.dumps(statistics.median(times)))
"""


def cpu_seconds(tree: Path, experiment: str, config: dict, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, experiment, json.dumps(config), str(repeats)],
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
    for label, tree, config in (("old", args.old, OLD_DEFAULT), ("new", ROOT, new_default)):
        shape = (
            f"N={config['train_size']}, {config['epochs']} epochs, {config['test_size']} test, "
            f"batch {config['batch_size']}, lr {config['learning_rate']:g}"
        )
        print(f"{label} code on its default ({shape}):")
        for models in (["fc"], ["lc"], ["cnn"], config["models"]):
            seconds = cpu_seconds(tree, "generalization", dict(config, models=models), args.repeats)
            print(f"  {'+'.join(models):<12} {seconds:6.2f} s")
    for experiment in ("weight-decay", "limits"):
        config = EXPERIMENTS[experiment].defaults
        seconds = cpu_seconds(ROOT, experiment, config, args.repeats)
        print(f"new code, {experiment} default: {seconds:6.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
