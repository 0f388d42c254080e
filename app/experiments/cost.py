"""The cost model of a run: multiply-adds, and the CPU time they and the steps take.

A run's time is not its multiply-adds alone: every optimizer step pays a fixed overhead
(Python, autograd's graph, the optimizer's update, the batch gather), which at batch size 2
outweighs the arithmetic. The prediction, in CPU seconds on one thread, is

    Σ over the run's models  steps · STEP_SECONDS[kind]
                           + (3 · training examples + evaluated examples) · forward MACs
                             / MACS_PER_SECOND[kind]

with the constants measured by ``bench/bench_experiment_cost.py`` (which prints predicted
against measured for a grid of configs) on the development machine and rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.experiments import models as M

STEP_SECONDS = {"fc": 0.0017, "cnn": 0.0028, "lc": 0.0035, "invariant": 0.002}
"""Fixed CPU seconds of one optimizer step of each kind of network, besides its arithmetic
(least squares over batch 4, 64 and 256 runs: ``bench_experiment_cost.py --fit``; lc's
then scaled by its measured speed-up, 0.78, when its pooling became one ``max_pool2d``). On a
quiet machine a run takes a third to a half of the predicted time (the fit there: fc 0.6 ms,
cnn 1.0 ms, lc 1.4 ms per step): the margin is for CPU seconds under load, which grow."""
MACS_PER_SECOND = {"fc": 1.8e10, "cnn": 9.0e9, "lc": 6.4e9, "invariant": 7.0e9}
"""Multiply-adds per CPU second (one thread) each kind of network sustains (quiet machine:
fc 3.6e10, cnn 1.9e10, lc 1.1e10)."""


def forward_macs(kind: str, hidden: int = 100, classes: int = 10) -> int:
    """Multiply-adds of one forward pass of one 28×28 image."""
    if kind == "fc":
        return 784 * hidden + hidden * classes
    if kind in ("cnn", "lc"):
        c1, c2 = M.CONV_CHANNELS
        return 24 * 24 * c1 * 25 + 8 * 8 * c2 * c1 * 25 + c2 * 16 * 10
    if kind == "invariant":
        c1, c2 = M.INVARIANT_CHANNELS
        return 28 * 28 * c1 * 25 + 28 * 28 * c2 * c1 * 25 + c2 * classes
    raise ValueError(f"no cost model for a network of kind {kind!r}")


@dataclass(frozen=True)
class Work:
    """One model's share of a run."""

    kind: str  # "fc", "cnn", "lc", "invariant"
    steps: int
    trained: int  # examples through forward + backward (epochs · N)
    evaluated: int  # examples through a forward pass only
    hidden: int = 100
    classes: int = 10

    @property
    def macs(self) -> int:
        per_example = forward_macs(self.kind, self.hidden, self.classes)
        return per_example * (3 * self.trained + self.evaluated)

    @property
    def seconds(self) -> float:
        return self.steps * STEP_SECONDS[self.kind] + self.macs / MACS_PER_SECOND[self.kind]


def training_work(
    kind: str,
    *,
    train_size: int,
    epochs: int,
    batch_size: int,
    test_size: int,
    extra_evaluated: int = 0,
    hidden: int = 100,
    classes: int = 10,
) -> Work:
    """The work of ``Trainer.fit``: every epoch's steps and test pass, then the final
    accuracy on the N training examples, plus ``extra_evaluated`` examples."""
    steps = epochs * -(-train_size // batch_size)
    evaluated = epochs * test_size + train_size + extra_evaluated
    return Work(kind, steps, epochs * train_size, evaluated, hidden, classes)


def total_macs(work: list[Work]) -> int:
    return sum(w.macs for w in work)


def total_steps(work: list[Work]) -> int:
    return sum(w.steps for w in work)


def predicted_seconds(work: list[Work]) -> float:
    """CPU seconds the run is predicted to take on one thread."""
    return sum(w.seconds for w in work)
