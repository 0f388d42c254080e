"""Where a run's CPU time goes, and the cost model's prediction against the measurement.

    PYTHONPATH=. nice python bench/bench_experiment_cost.py            # the grid below
    PYTHONPATH=. nice python bench/bench_experiment_cost.py --fit      # and refit the constants

For single-model generalization runs over a grid of (model, N, batch size, epochs), one torch
thread: measured CPU seconds (``time.process_time``, the median of ``--repeats``) beside
``app.experiments.cost.predicted_seconds`` of the same config, and their ratio. Then the
default run of every experiment (all its models). ``--fit`` fits the cost model's two constants
per kind of network (seconds per step, multiply-adds per second) to the grid's measurements by
least squares; ``app.experiments.cost`` holds them rounded up.

CPU time, not wall time: the machine is shared. The load average is printed; under heavy load
CPU seconds grow too (caches and memory bandwidth are shared), so compare ratios, not
absolute figures, across machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from app.config import Settings
from app.experiments import cost as C
from app.experiments import data
from app.experiments.registry import EXPERIMENTS
from app.experiments.runner import run

GRID = [
    ("fc", 1000, 64, 5),
    ("fc", 1000, 4, 1),
    ("fc", 3000, 256, 3),
    ("cnn", 1000, 64, 5),
    ("cnn", 1000, 4, 1),
    ("cnn", 3000, 256, 3),
    ("lc", 1000, 64, 5),
    ("lc", 1000, 4, 1),
    ("lc", 3000, 256, 3),
]


def cpu(experiment_id: str, config: dict, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run(experiment_id, config)
        times.append(time.process_time() - start)
    return statistics.median(times)


def work(experiment_id: str, config: dict) -> list[C.Work]:
    model = EXPERIMENTS[experiment_id].config
    return model.model_validate(config, context={"settings": Settings()}).work()


def predicted(experiment_id: str, config: dict) -> float:
    return C.predicted_seconds(work(experiment_id, config))


def fit(rows: list[tuple[str, C.Work, float]]) -> None:
    """Least squares, per kind of network, of measured = steps · a + MACs / r: the constants
    ``STEP_SECONDS`` and ``MACS_PER_SECOND`` would take."""
    print("\nfitted per kind: seconds per step, multiply-adds per second")
    for kind in sorted({k for k, _, _ in rows}):
        mine = [(w, t) for k, w, t in rows if k == kind]
        a = torch.tensor([[w.steps, w.macs] for w, _ in mine], dtype=torch.float64)
        b = torch.tensor([t for _, t in mine], dtype=torch.float64)
        step, per_mac = torch.linalg.lstsq(a, b.unsqueeze(1)).solution.squeeze(1).tolist()
        rate = 1 / per_mac if per_mac > 0 else float("inf")
        print(f"  {kind:<4} step {step * 1000:6.2f} ms  {rate:9.3g} MAC/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit", action="store_true", help="also fit the constants")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data.load_subset()
    base = EXPERIMENTS["generalization"].defaults
    run("generalization", dict(base, train_size=100, epochs=1))  # warm-up
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<5} {'N':>5} {'batch':>5} {'epochs':>6} {'CPU s':>7} {'pred.':>7} ratio")
    rows = []
    for name, n, batch, epochs in GRID:
        config = dict(base, models=[name], train_size=n, batch_size=batch, epochs=epochs)
        measured = cpu("generalization", config, args.repeats)
        rows.append((name, work("generalization", config)[0], measured))
        guess = predicted("generalization", config)
        print(
            f"{name:<5} {n:>5} {batch:>5} {epochs:>6} {measured:>7.2f} {guess:>9.2f} "
            f"{guess / measured:>6.2f}"
        )
    print("\ndefault runs (every model)")
    for experiment_id, experiment in EXPERIMENTS.items():
        config = experiment.defaults
        measured = cpu(experiment_id, config, args.repeats)
        guess = predicted(experiment_id, config)
        print(f"{experiment_id:<15} CPU {measured:6.2f} s, predicted {guess:6.2f} s")
    if args.fit:
        fit(rows)


if __name__ == "__main__":
    main()
