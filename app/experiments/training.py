"""What every experiment shares: one model's training loop, accuracy, and a result's entry.

Deterministic for a given config: one torch thread, every random draw from the seed (model
init: ``torch.manual_seed(seed)`` before each model, so every model of a run starts from the
same stream; data sample and batch order: numpy generators seeded from the seed). No HTTP here:
the loop reports progress through a callback and stops when ``should_stop`` says so.

Where a run's time goes (bench/bench_experiment_cost.py): the optimizer steps, each paying a
fixed Python overhead besides its multiply-adds, and evaluation. Evaluation here runs without
autograd in batches of ``EVAL_BATCH``, and the shifted copies of the test digits are evaluated
in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.engine.errors import InvalidInput
from app.experiments import data as D
from app.experiments import models as M

FILTER_DECIMALS = 4
EVAL_BATCH = 250
"""Examples per forward pass when evaluating (no autograd); every accuracy is the same, bit for
bit, as in other batch sizes. 250 is the fastest on one thread here: larger batches' im2col
and gathered patches (25 floats per output value) no longer fit the caches, smaller ones pay
the per-call overhead more often (bench/bench_experiment_speed.py)."""
WILSON_Z = 1.959963984540054
"""z of a two-sided 95 % interval."""

Progress = Callable[[dict[str, Any]], None]
ShouldStop = Callable[[], bool]


class RunCancelled(Exception):
    """``should_stop`` said stop: nobody is waiting for this run any more."""


def wilson_interval(correct: int, n: int, z: float = WILSON_Z) -> list[float]:
    """The 95 % Wilson score interval [low, high] of a proportion ``correct``/``n``
    (Wilson 1927; Agresti & Coull 1998): the accuracies a test set of ``n`` digits cannot
    tell apart from the measured one."""
    assert n > 0, "an interval needs at least one test digit"
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if correct == 0 else centre - half  # exactly 0 and 1 at the ends, not 1e-18
    high = 1.0 if correct == n else centre + half
    return [low, high]


def is_tie(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two model results whose test accuracies the test digits cannot tell apart: either
    accuracy lies inside the other's 95 % interval."""
    (a_low, a_high), (b_low, b_high) = a["test_accuracy_interval"], b["test_accuracy_interval"]
    return a_low <= b["test_accuracy"] <= a_high or b_low <= a["test_accuracy"] <= b_high


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``x`` that ``model`` classifies as ``y`` (eval mode, no autograd)."""
    return correct_count(model, x, y) / len(x)


def correct_count(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(x), EVAL_BATCH):
            logits = model(x[start : start + EVAL_BATCH])
            correct += int((logits.argmax(1) == y[start : start + EVAL_BATCH]).sum())
    model.train()
    return correct


def shift(x: torch.Tensor, dx: int) -> torch.Tensor:
    """(N, 1, H, W) moved dx pixels right (left if negative), zero fill."""
    if dx == 0:
        return x
    out = torch.zeros_like(x)
    if dx > 0:
        out[..., dx:] = x[..., :-dx]
    else:
        out[..., :dx] = x[..., -dx:]
    return out


def shifted_accuracies(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, shifts: tuple[int, ...]
) -> list[float]:
    """Accuracy on ``x`` shifted by each dx of ``shifts``, all copies evaluated in one pass."""
    stacked = torch.cat([shift(x, dx) for dx in shifts])  # (len(shifts)·N, 1, H, W)
    model.eval()
    with torch.inference_mode():
        hits = torch.cat(
            [
                model(stacked[start : start + EVAL_BATCH]).argmax(1)
                for start in range(0, len(stacked), EVAL_BATCH)
            ]
        ) == y.repeat(len(shifts))
    model.train()
    per_shift = hits.reshape(len(shifts), len(x)).sum(1)  # (shifts,)
    return [int(c) / len(x) for c in per_shift]


def decayed(model: nn.Module) -> list[nn.Parameter]:
    """The weights L2 acts on: every weight tensor, not the biases."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """‖W‖² over the decayed weights."""
    return sum((p * p).sum() for p in decayed(model))  # type: ignore[return-value]


@torch.no_grad()
def add_l2_gradient(model: nn.Module, l2: float) -> None:
    """Add ∇(λ‖W‖²) = 2λW to the decayed weights' gradients, without an autograd graph.

    Bit for bit what ``(l2 * l2_penalty(model)).backward()`` accumulates: autograd's gradient
    of p·p is λp + λp = 2·fl(λp), and fl(2λ·p) is the same float (doubling is exact).
    """
    for p in decayed(model):
        assert p.grad is not None, "backpropagate the data loss first"
        p.grad.add_(p * (2 * l2))


def rounded(t: torch.Tensor) -> list:
    return np.round(t.numpy().astype(np.float64), FILTER_DECIMALS).tolist()


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def sample_digits(pool: D.Pool, config: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """The run's N stratified training digits (from the seed) and its first test digits."""
    n, test_size = config["train_size"], config["test_size"]
    if n > len(pool.train_labels):
        raise InvalidInput(
            f"train_size {n} is more than the {len(pool.train_labels):,} training digits of the "
            f"{pool.source} data"
        )
    if test_size > len(pool.test_labels):
        raise InvalidInput(
            f"test_size {test_size} is more than the {len(pool.test_labels):,} test digits"
        )
    indices = D.stratified_sample(pool.train_labels, n, np.random.default_rng([config["seed"], 0]))
    x = D.to_tensor(pool.train_images[indices])
    y = torch.from_numpy(pool.train_labels[indices].astype(np.int64))
    x_test = D.to_tensor(pool.test_images[:test_size])
    y_test = torch.from_numpy(pool.test_labels[:test_size].astype(np.int64))
    return x, y, x_test, y_test


@dataclass
class Trainer:
    """One model's training loop: batches from ``order_seed``, progress through ``report``."""

    report: Progress
    should_stop: ShouldStop
    tag: dict[str, Any]  # model, task, weight_decay, model_index, models
    reports_per_epoch: int = 8

    def fit(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        x_test: torch.Tensor,
        y_test: torch.Tensor,
        *,
        epochs: int,
        batch_size: int,
        order_seed: tuple[int, ...],
        l2: float = 0.0,
        filters: Callable[[], torch.Tensor] | None = None,
        on_step: Callable[[int], None] | None = None,
        before_step: Callable[[], None] | None = None,
    ) -> dict[str, list]:
        """Train; return per-epoch curves (and filters after each epoch if asked)."""
        order = np.random.default_rng(order_seed)
        steps_per_epoch = math.ceil(len(x) / batch_size)
        steps = epochs * steps_per_epoch
        every = max(1, steps_per_epoch // self.reports_per_epoch)
        curves: dict[str, list] = {
            "epoch": [],
            "train_loss": [],
            "train_accuracy": [],
            "test_accuracy": [],
        }
        history = [rounded(filters())] if filters else []
        step = 0
        test_correct = 0
        model.train()
        for epoch in range(1, epochs + 1):
            permutation = torch.from_numpy(order.permutation(len(x)))
            # one gather per epoch; each step's batch is then a contiguous slice, not a copy
            x_epoch, y_epoch = x[permutation], y[permutation]
            # running sums stay tensors: one float() per report, not one per step
            loss_sum = torch.zeros((), dtype=torch.float64)
            correct = torch.zeros((), dtype=torch.int64)
            seen = 0
            for start in range(0, len(x), batch_size):
                if self.should_stop():
                    raise RunCancelled()
                x_batch = x_epoch[start : start + batch_size]
                y_batch = y_epoch[start : start + batch_size]
                logits = model(x_batch)
                data_loss = F.cross_entropy(logits, y_batch)
                optimizer.zero_grad(set_to_none=True)
                data_loss.backward()
                if before_step:
                    before_step()  # the gradients hold ∇L_data only
                if l2 > 0:
                    add_l2_gradient(model, l2)  # ∇(λ‖W‖²) = 2λW
                optimizer.step()
                step += 1
                if on_step:
                    on_step(step)
                with torch.no_grad():
                    loss_sum += data_loss.detach().double() * len(y_batch)
                    correct += (logits.argmax(1) == y_batch).sum()
                seen += len(y_batch)
                if step % every == 0 and seen < len(x):
                    self.report(
                        {
                            **self.tag,
                            "epoch": epoch,
                            "epochs": epochs,
                            "step": step,
                            "steps": steps,
                            "epoch_end": False,
                            "metrics": {"train_loss": round(float(loss_sum) / seen, 6)},
                        }
                    )
            train_loss, train_accuracy = float(loss_sum) / seen, int(correct) / seen
            test_correct = correct_count(model, x_test, y_test)
            test_accuracy = test_correct / len(x_test)
            curves["epoch"].append(epoch)
            curves["train_loss"].append(train_loss)
            curves["train_accuracy"].append(train_accuracy)
            curves["test_accuracy"].append(test_accuracy)
            event = {
                **self.tag,
                "epoch": epoch,
                "epochs": epochs,
                "step": step,
                "steps": steps,
                "epoch_end": True,
                "metrics": {
                    "train_loss": train_loss,
                    "train_accuracy": train_accuracy,
                    "test_accuracy": test_accuracy,
                },
            }
            if filters:
                history.append(rounded(filters()))
                event["filters"] = history[-1]
            self.report(event)
        if filters:
            curves["filters"] = history
        curves["test_correct"] = [test_correct, len(x_test)]
        return curves


def model_result(
    name: str,
    label: str,
    description: str,
    model: nn.Module,
    curves: dict[str, list],
    train_accuracy: float,
) -> dict[str, Any]:
    """One trained model's entry in a result (ModelResult of docs/experiments-api.md)."""
    test_accuracy = curves["test_accuracy"][-1]
    correct, n = curves["test_correct"]
    return {
        "name": name,
        "label": label,
        "description": description,
        "parameters": M.count_parameters(model),
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "test_accuracy_interval": wilson_interval(correct, n),
        "gap": train_accuracy - test_accuracy,
        "curves": {
            key: curves[key] for key in ("epoch", "train_loss", "train_accuracy", "test_accuracy")
        },
    }
