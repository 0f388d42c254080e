"""Seed by seed: does each experiment's default show its claim on every seed?

    PYTHONPATH=. python bench/experiment_defaults.py                   # both claims, seeds 0-9
    PYTHONPATH=. python bench/experiment_defaults.py generalization --set epochs=5
    PYTHONPATH=. python bench/experiment_defaults.py weight-decay --set train_size=200

generalization: the CNN's test accuracy minus FC + L2's, per seed; the claim is shown when it is
at least ``--margin`` points (2) on every seed. weight-decay: the best λ > 0 minus λ = 0, per
seed; shown when at least ``--margin`` points on ``--need`` (8) of the seeds. Every run is the
config the page's "Train" sends (the defaults) with only the seed changed, plus any ``--set``.
CPU seconds per run are printed beside it (one torch thread).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch

from app.experiments.cli import parse_assignments
from app.experiments.registry import EXPERIMENTS
from app.experiments.runner import run


def generalization_row(result: dict[str, Any]) -> tuple[float, str]:
    by = {m["name"]: m for m in result["models"]}
    margin = 100 * (by["cnn"]["test_accuracy"] - by["fc"]["test_accuracy"])
    words = "  ".join(f"{m['name']} {100 * m['test_accuracy']:5.1f}" for m in result["models"])
    return margin, words


def weight_decay_row(result: dict[str, Any]) -> tuple[float, str]:
    by = {m["weight_decay"]: m for m in result["models"]}
    base = by[0.0]["test_accuracy"]
    best = max(m["test_accuracy"] for lam, m in by.items() if lam > 0)
    words = "  ".join(f"λ={lam:g} {100 * m['test_accuracy']:5.1f}" for lam, m in by.items())
    return 100 * (best - base), words


def timed_run(job: tuple[str, dict[str, Any]]) -> tuple[dict[str, Any], float]:
    """One run and its CPU seconds (one torch thread), in this process or a pool's."""
    torch.set_num_threads(1)
    start = time.process_time()
    result = run(*job)
    return result, time.process_time() - start


ROWS = {"generalization": generalization_row, "weight-decay": weight_decay_row}
NEED = {"generalization": None, "weight-decay": 8}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--margin", type=float, default=2.0, help="points")
    parser.add_argument("--need", type=int, help="seeds that must show it (default: all / 8)")
    parser.add_argument("--jobs", type=int, default=1, help="processes running seeds at once")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}")
    for experiment_id in args.ids:
        config = dict(EXPERIMENTS[experiment_id].defaults, **parse_assignments(args.set))
        need = args.need or NEED[experiment_id] or args.seeds
        print(f"\n{experiment_id}: {config}")
        shown = 0
        jobs = [(experiment_id, dict(config, seed=seed)) for seed in range(args.seeds)]
        with ProcessPoolExecutor(args.jobs) as pool:
            timed = list(pool.map(timed_run, jobs))
        for seed, (result, cpu) in enumerate(timed):
            margin, words = ROWS[experiment_id](result)
            shown += margin >= args.margin
            print(f"seed {seed:2d}  {words}  margin {margin:+5.1f} points  ({cpu:.2f} CPU s)")
        verdict = "SHOWN" if shown >= need else "NOT shown"
        print(f"margin ≥ {args.margin:g} points on {shown} of {args.seeds} seeds: {verdict}")


if __name__ == "__main__":
    main()
