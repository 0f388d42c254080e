"""Where a run's CPU time goes, and the cost model's prediction against the measurement.

    PYTHONPATH=. nice python bench/bench_experiment_cost.py            # the grid below
    PYTHONPATH=. nice python bench/bench_experiment_cost.py --old      # also today's LC layer

For single-model generalization runs over a grid of (model, N, batch size, epochs), one torch
thread: measured CPU seconds (``time.process_time``, the median of ``--repeats``) beside
``app.experiments.cost.predicted_seconds`` of the same config, and their ratio. Then the
default run of every experiment (all its models). ``--old`` times the locally connected layer
as it was before (``F.unfold`` then a transposed ``bmm``) against the patch gather it uses now,
forward and backward at the training batch and forward at the evaluation batch.

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
import torch.nn.functional as F

from app.config import Settings
from app.experiments import cost as C
from app.experiments import data
from app.experiments.registry import EXPERIMENTS
from app.experiments.runner import run

GRID = [
    ("fc", 1000, 32, 3),
    ("fc", 1000, 4, 1),
    ("cnn", 1000, 32, 3),
    ("cnn", 1000, 4, 1),
    ("lc", 1000, 32, 3),
    ("lc", 1000, 4, 1),
    ("lc", 300, 32, 5),
]


def cpu(experiment_id: str, config: dict, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run(experiment_id, config)
        times.append(time.process_time() - start)
    return statistics.median(times)


def predicted(experiment_id: str, config: dict) -> float:
    model = EXPERIMENTS[experiment_id].config
    validated = model.model_validate(config, context={"settings": Settings()})
    return C.predicted_seconds(validated.work())


def old_lc_layer(repeats: int) -> None:
    from app.experiments.models import LocallyConnected2d

    def unfold_bmm(layer: LocallyConnected2d, x: torch.Tensor) -> torch.Tensor:
        cols = F.unfold(x, layer.kernel)  # (B, C_in·k·k, L)
        out = torch.bmm(cols.permute(2, 0, 1), layer.weight)  # (L, B, C_out)
        b, n = x.shape[0], layer.out_size
        return (out + layer.bias.unsqueeze(1)).permute(1, 2, 0).reshape(b, -1, n, n)

    def timed(f) -> float:
        f()
        start = time.process_time()
        for _ in range(repeats):
            f()
        return 1000 * (time.process_time() - start) / repeats

    print("\nlocally connected layer, ms per call (old: unfold + transposed bmm; now: gather)")
    for c_in, size, c_out in ((1, 28, 8), (8, 12, 16)):
        layer = LocallyConnected2d(c_in, c_out, size, 5)
        for batch, grad in ((32, True), (500, False)):
            x = torch.randn(batch, c_in, size, size, requires_grad=grad and c_in > 1)

            def step(forward, x=x, grad=grad) -> None:
                if grad:
                    forward(x).sum().backward()
                else:
                    with torch.inference_mode():
                        forward(x)

            old = timed(lambda step=step, layer=layer: step(lambda v: unfold_bmm(layer, v)))
            new = timed(lambda step=step, layer=layer: step(layer))
            what = "forward + backward" if grad else "forward (evaluation)"
            print(f"  C_in {c_in}, batch {batch:3d}, {what:<21} old {old:6.2f}  now {new:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data.load_subset()
    base = EXPERIMENTS["generalization"].defaults
    run("generalization", dict(base, train_size=100, epochs=1))  # warm-up
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<5} {'N':>5} {'batch':>5} {'epochs':>6} {'CPU s':>7} {'pred.':>7} ratio")
    for name, n, batch, epochs in GRID:
        config = dict(base, models=[name], train_size=n, batch_size=batch, epochs=epochs)
        measured = cpu("generalization", config, args.repeats)
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
    if args.old:
        old_lc_layer(args.repeats * 5)


if __name__ == "__main__":
    main()
