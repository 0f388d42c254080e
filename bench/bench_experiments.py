"""How long a default experiment run takes on one core, and how many fit in a minute on two.

    nice python bench/bench_experiments.py [--repeats 3] [--parallel]

For each experiment, the default config (exactly what the page's "Train" sends with no change)
is run ``--repeats`` times in this process with one torch thread, after one warm-up run (the
server's training process is warm too: it imports torch and loads the subset when it starts).
The figure is **CPU time** (``time.process_time``), because the machine is shared and wall time
measures the neighbours; "2 × 60 / CPU s" is what two cores would do if nothing else ran.
``--parallel`` measures it: two processes (one training process per core,
``CONVLAB_EXPERIMENT_RUNS_AT_ONCE=2``) each do one default run at once, and the runs per minute
are 2 × 60 / the wall time of the slower one — which counts whatever else the machine is
doing, so the load average is printed beside it.

Run it from the project root (``PYTHONPATH=.`` if ``app`` is not installed from this checkout).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import torch

from app.experiments import data
from app.experiments.runner import EXPERIMENTS, run


def cpu_seconds(experiment_id: str) -> float:
    start = time.process_time()
    run(experiment_id, dict(EXPERIMENTS[experiment_id].defaults))
    return time.process_time() - start


def _one_process(experiment_id: str) -> tuple[float, float]:
    torch.set_num_threads(1)
    data.load_subset()
    run(experiment_id, dict(EXPERIMENTS[experiment_id].defaults, epochs=1, train_size=100))
    wall = time.perf_counter()
    cpu = cpu_seconds(experiment_id)
    return cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parallel", action="store_true", help="also run 2 processes at once")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data.load_subset()
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}")
    print(f"{'experiment':<16} {'CPU s/run (median)':>19} {'min':>6} {'2 × 60 / CPU s':>15}")
    for experiment_id in EXPERIMENTS:
        cpu_seconds(experiment_id)  # warm-up
        times = [cpu_seconds(experiment_id) for _ in range(args.repeats)]
        median = statistics.median(times)
        print(f"{experiment_id:<16} {median:>19.2f} {min(times):>6.2f} {2 * 60 / median:>15.1f}")
    if args.parallel:
        with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
            for experiment_id in EXPERIMENTS:
                pairs = list(pool.map(_one_process, [experiment_id] * 2))
                wall = max(w for _, w in pairs)
                cpu = ", ".join(f"{c:.2f}" for c, _ in pairs)
                print(
                    f"{experiment_id:<16} 2 at once: wall {wall:.2f} s (CPU {cpu} s) → "
                    f"{2 * 60 / wall:.1f} runs/min, load average {os.getloadavg()[0]:.1f}"
                )


if __name__ == "__main__":
    main()
