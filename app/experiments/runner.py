"""The three experiments of tutorial 3A, each a function of a full config and a seed.

- ``generalization`` (Q6c, Q2b, Q3d): fc (+L2), lc and cnn trained on the same N digits with the
  same optimiser budget (Adam, same epochs, batches and batch order).
- ``limits`` (Q6d): a translation-invariant CNN (circular padding + global average pooling, so
  its output is *exactly* the same wherever a pattern sits on the torus) against fc, on tasks
  whose answer depends on position or on a global relation.
- ``weight-decay`` (Q1): plain SGD on fc for several λ with loss L + λ‖W‖²; each step's decay
  part is measured from the weights, against (1 − 2ελ) (Goodfellow §7.1.1).

Deterministic for a given config: one torch thread, every random draw from the seed (model
init: ``torch.manual_seed(seed)`` before each model, so every model of a run starts from the
same stream; data sample and batch order: numpy generators seeded from the seed). No HTTP here:
``run`` reports progress through a callback and stops when ``should_stop`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.engine.errors import InvalidInput
from app.experiments import data as D
from app.experiments import models as M

SHIFTS = tuple(range(-4, 5))
SHIFT_TEST_SIZE = 500
"""Test digits (the first 500) on which accuracy against shift is measured."""
FILTER_DECIMALS = 4
EVAL_BATCH = 100
"""Examples per forward pass when evaluating: lc's per-position matrices run a third faster in
batches of 100 than of 500 (bench), and every accuracy is the same, bit for bit."""

Progress = Callable[[dict[str, Any]], None]


class RunCancelled(Exception):
    """``should_stop`` said stop: nobody is waiting for this run any more."""


@dataclass(frozen=True)
class Experiment:
    id: str
    question: str
    title: str
    description: str
    defaults: dict[str, Any]


EXPERIMENTS: dict[str, Experiment] = {
    "generalization": Experiment(
        "generalization",
        "Q6c, Q2b, Q3d",
        "CNN vs locally connected vs fully connected (+L2)",
        "Train fc (784 → H → 10 with L2 strength λ), lc (a locally connected network with "
        "exactly the CNN's connectivity but no weight sharing) and cnn (two shared 5×5 "
        "convolutions) on the same N MNIST digits with the same optimiser budget, then "
        "compare test accuracy, the generalization gap and accuracy on shifted digits.",
        {
            "train_size": 1000,
            "test_size": 500,
            "epochs": 3,
            "batch_size": 32,
            "learning_rate": 0.005,
            "weight_decay": 0.001,
            "hidden": 100,
            "models": ["fc", "lc", "cnn"],
            "seed": 0,
        },
    ),
    "limits": Experiment(
        "limits",
        "Q6d",
        "Where convolution's bias is wrong",
        "A translation-invariant CNN (convolutions with circular padding, then global average "
        "pooling) answers the same wherever a pattern is, so it cannot learn a task whose "
        "answer depends on where something is; a fully connected network can.",
        {
            "tasks": ["corner", "symmetry"],
            "models": ["fc", "cnn"],
            "train_size": 1000,
            "test_size": 1000,
            "epochs": 5,
            "batch_size": 32,
            "learning_rate": 0.002,
            "hidden": 100,
            "seed": 0,
        },
    ),
    "weight-decay": Experiment(
        "weight-decay",
        "Q1",
        "L2 regularization is weight decay",
        "Plain SGD on fc with loss L + λ‖W‖² for several λ: every step multiplies the weights "
        "by (1 − 2ελ) before the data gradient moves them. The run measures that factor from "
        "the weights themselves, ‖W‖ over the steps, and train and test accuracy against λ.",
        {
            "lambdas": [0.0, 0.001, 0.01, 0.1],
            "train_size": 1000,
            "test_size": 1000,
            "epochs": 5,
            "batch_size": 32,
            "learning_rate": 0.1,
            "hidden": 100,
            "seed": 0,
        },
    ),
}


# -- cost (the compute budget per run) --------------------------------------------------------


def forward_macs(name: str, hidden: int = 100) -> int:
    """Multiply-adds of one forward pass of one 28×28 image."""
    if name == "fc":
        return 784 * hidden + hidden * 10
    c1, c2 = M.CONV_CHANNELS
    if name in ("cnn", "lc"):
        return 24 * 24 * c1 * 25 + 8 * 8 * c2 * c1 * 25 + c2 * 16 * 10
    if name == "invariant":
        c1, c2 = M.INVARIANT_CHANNELS
        return 28 * 28 * c1 * 25 + 28 * 28 * c2 * c1 * 25 + c2 * 2
    raise ValueError(name)


def estimate_macs(experiment_id: str, config: dict[str, Any]) -> int:
    """Multiply-adds a run will do: 3× forward per training example, 1× per evaluation."""
    n, epochs, test = config["train_size"], config["epochs"], config["test_size"]
    per_model_examples = 3 * n * epochs + test * epochs + n + test
    if experiment_id == "generalization":
        names = config["models"]
        per_model_examples += len(SHIFTS) * SHIFT_TEST_SIZE
        return sum(forward_macs(m, config["hidden"]) * per_model_examples for m in names)
    if experiment_id == "limits":
        names = ["invariant" if m == "cnn" else m for m in config["models"]]
        per_task = sum(forward_macs(m, config["hidden"]) * per_model_examples for m in names)
        return per_task * len(config["tasks"])
    return forward_macs("fc", config["hidden"]) * per_model_examples * len(config["lambdas"])


def count_model_parameters(experiment_id: str, config: dict[str, Any]) -> int:
    """Most parameters of any one model the run would build (the parameters limit)."""
    hidden = config["hidden"]
    classes = 2 if experiment_id == "limits" else 10
    fc = 784 * hidden + hidden + hidden * classes + classes
    if experiment_id == "generalization" and "lc" in config["models"]:
        return max(fc, M.locally_connected_parameters(28))
    return fc


# -- training ---------------------------------------------------------------------------------


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), EVAL_BATCH):
            logits = model(x[start : start + EVAL_BATCH])
            correct += int((logits.argmax(1) == y[start : start + EVAL_BATCH]).sum())
    model.train()
    return correct / len(x)


def _shift(x: torch.Tensor, dx: int) -> torch.Tensor:
    """(N, 1, H, W) moved dx pixels right (left if negative), zero fill."""
    if dx == 0:
        return x
    out = torch.zeros_like(x)
    if dx > 0:
        out[..., dx:] = x[..., :-dx]
    else:
        out[..., :dx] = x[..., -dx:]
    return out


def _decayed(model: nn.Module) -> list[nn.Parameter]:
    """The weights L2 acts on: every weight tensor, not the biases."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def _l2(model: nn.Module) -> torch.Tensor:
    return sum((p * p).sum() for p in _decayed(model))  # type: ignore[return-value]


def _rounded(t: torch.Tensor) -> list:
    return np.round(t.numpy().astype(np.float64), FILTER_DECIMALS).tolist()


@dataclass
class Trainer:
    """One model's training loop: batches from ``order_seed``, progress through ``report``."""

    report: Progress
    should_stop: Callable[[], bool]
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
        history = [_rounded(filters())] if filters else []
        step = 0
        model.train()
        for epoch in range(1, epochs + 1):
            permutation = torch.from_numpy(order.permutation(len(x)))
            loss_sum, correct, seen = 0.0, 0, 0
            for start in range(0, len(x), batch_size):
                if self.should_stop():
                    raise RunCancelled()
                batch = permutation[start : start + batch_size]
                logits = model(x[batch])
                data_loss = F.cross_entropy(logits, y[batch])
                optimizer.zero_grad(set_to_none=True)
                data_loss.backward()
                if before_step:
                    before_step()  # the gradients hold ∇L_data only
                if l2 > 0:
                    (l2 * _l2(model)).backward()  # accumulates ∇(λ‖W‖²) = 2λW
                optimizer.step()
                step += 1
                if on_step:
                    on_step(step)
                loss_sum += float(data_loss.detach()) * len(batch)
                correct += int((logits.argmax(1) == y[batch]).sum())
                seen += len(batch)
                if step % every == 0 and seen < len(x):
                    self.report(
                        {
                            **self.tag,
                            "epoch": epoch,
                            "epochs": epochs,
                            "step": step,
                            "steps": steps,
                            "epoch_end": False,
                            "metrics": {"train_loss": round(loss_sum / seen, 6)},
                        }
                    )
            train_loss, train_accuracy = loss_sum / seen, correct / seen
            test_accuracy = _accuracy(model, x_test, y_test)
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
                history.append(_rounded(filters()))
                event["filters"] = history[-1]
            self.report(event)
        if filters:
            curves["filters"] = history
        return curves


def _model_result(
    name: str,
    label: str,
    description: str,
    model: nn.Module,
    curves: dict[str, list],
    train_accuracy: float,
) -> dict[str, Any]:
    test_accuracy = curves["test_accuracy"][-1]
    return {
        "name": name,
        "label": label,
        "description": description,
        "parameters": M.count_parameters(model),
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "gap": train_accuracy - test_accuracy,
        "curves": {
            key: curves[key] for key in ("epoch", "train_loss", "train_accuracy", "test_accuracy")
        },
    }


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


# -- generalization ---------------------------------------------------------------------------

DESCRIPTIONS = {
    "fc": "784 → {hidden} → 10, ReLU; L2 penalty λ‖W‖² on its weights",
    "lc": "locally connected: two unshared 5×5 valid layers (8, 16 channels), ReLU, 2×2 max "
    "pooling, 256 → 10 — the CNN's connectivity without weight sharing",
    "cnn": "two shared 5×5 valid convolutions (8, 16 channels), ReLU, 2×2 max pooling, 256 → 10",
}


def _sample(pool: D.Pool, config: dict[str, Any]) -> tuple[torch.Tensor, ...]:
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


def run_generalization(
    config: dict[str, Any], pool: D.Pool, report: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    x, y, x_test, y_test = _sample(pool, config)
    results = []
    names = config["models"]
    for index, name in enumerate(names):
        torch.manual_seed(config["seed"])
        model = {"fc": lambda: M.build_fc(config["hidden"]), "lc": M.build_lc, "cnn": M.build_cnn}[
            name
        ]()
        l2 = config["weight_decay"] if name == "fc" else 0.0
        trainer = Trainer(
            report,
            should_stop,
            {
                "model": name,
                "task": None,
                "weight_decay": l2,
                "model_index": index,
                "models": len(names),
            },
        )
        curves = trainer.fit(
            model,
            torch.optim.Adam(model.parameters(), lr=config["learning_rate"]),
            x,
            y,
            x_test,
            y_test,
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            order_seed=(config["seed"], 1),
            l2=l2,
            filters=lambda model=model, name=name: M.first_layer_filters(name, model),
        )
        label = {"fc": f"FC + L2 (λ = {l2:g})" if l2 > 0 else "FC", "lc": "LC", "cnn": "CNN"}[name]
        result = _model_result(
            name,
            label,
            DESCRIPTIONS[name].format(hidden=config["hidden"]),
            model,
            curves,
            _accuracy(model, x, y),
        )
        shift_x, shift_y = x_test[:SHIFT_TEST_SIZE], y_test[:SHIFT_TEST_SIZE]
        result["weight_decay"] = l2
        result["shifted_accuracy"] = {
            "shifts": list(SHIFTS),
            "test_size": len(shift_y),
            "accuracy": [_accuracy(model, _shift(shift_x, dx), shift_y) for dx in SHIFTS],
        }
        history = curves["filters"]
        result["filters"] = {
            "shape": list(np.shape(history[0])),
            "what": M.FILTERS_WHAT[name],
            "epochs": history,
        }
        results.append(result)
    return {"models": results, **_generalization_summary(config, results)}


def _generalization_summary(config: dict[str, Any], results: list[dict]) -> dict[str, Any]:
    by = {r["name"]: r for r in results}
    n = f"{config['train_size']:,}"
    parts = [f"{r['label']} {_pct(r['test_accuracy'])}" for r in results]
    text = f"On {n} training digits, test accuracy: " + ", ".join(parts)
    if "cnn" in by and "fc" in by:
        cnn, fc = by["cnn"], by["fc"]
        margin = cnn["test_accuracy"] - fc["test_accuracy"]
        noise = accuracy_noise(cnn["test_accuracy"], fc["test_accuracy"], config["test_size"])
        measured = f"{config['test_size']:,} test digits measure a difference to ±{100 * noise:.1f}"
        holds: bool | None
        if margin > noise:
            holds = True
            text += (
                f"; the CNN beats {fc['label']} by {100 * margin:.1f} "
                f"points with {cnn['parameters']:,} parameters against {fc['parameters']:,} "
                f"(gap {_pct(cnn['gap'])} vs {_pct(fc['gap'])}), as Q6c claims."
            )
        elif margin < -noise:
            holds = False
            text += (
                f"; here {fc['label']} beats the CNN by {-100 * margin:.1f} points "
                f"({_pct(fc['test_accuracy'])} vs {_pct(cnn['test_accuracy'])}; {measured}), "
                "which contradicts Q6c's claim for this config (too few digits or epochs for "
                "the CNN?)."
            )
        else:
            holds = None
            text += (
                f"; the CNN and {fc['label']} are about the same, within the noise "
                f"({_pct(cnn['test_accuracy'])} vs {_pct(fc['test_accuracy'])}; {measured} "
                "points), so this run neither shows nor contradicts Q6c's claim (more test "
                "digits or another seed would tell)."
            )
        return {"summary": text, "claim_holds": holds}
    return {"summary": text + ".", "claim_holds": None}


def accuracy_noise(a: float, b: float, n: int) -> float:
    """The measurement noise of the difference of two accuracies on the same ``n`` test digits:
    one binomial standard error, √((a(1 − a) + b(1 − b)) / n), and never below one digit (1/n).

    (Counted as if the two were measured on different digits; on the same digits their errors
    are correlated and the paired standard error is smaller: the threshold is conservative.)
    """
    return max(1 / n, math.sqrt((a * (1 - a) + b * (1 - b)) / n))


# -- limits -----------------------------------------------------------------------------------


def run_limits(
    config: dict[str, Any], pool: D.Pool, report: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    results, tasks = [], []
    total = len(config["tasks"]) * len(config["models"])
    index = 0
    for t_index, task in enumerate(config["tasks"]):
        x, y = D.make_task(
            task, config["train_size"], np.random.default_rng([config["seed"], 10, t_index])
        )
        x_test, y_test = D.make_task(
            task, config["test_size"], np.random.default_rng([config["seed"], 20, t_index])
        )
        title, description = D.TASKS[task]
        tasks.append(
            {
                "id": task,
                "title": title,
                "description": description,
                "chance": 0.5,
                "examples": [
                    {
                        "image": np.round(x[i, 0].numpy().astype(np.float64), 3).tolist(),
                        "label": int(y[i]),
                    }
                    for i in range(6)
                ],
            }
        )
        for name in config["models"]:
            torch.manual_seed(config["seed"])
            if name == "fc":
                model = M.build_fc(config["hidden"], classes=2)
                label, description = "FC", f"784 → {config['hidden']} → 2, ReLU"
            else:
                model = M.build_invariant_cnn()
                label = "Invariant CNN"
                description = (
                    "two 5×5 convolutions (6, 8 channels, circular padding), ReLU, global "
                    "average pooling, 8 → 2: its output is the same wherever a pattern is"
                )
            trainer = Trainer(
                report,
                should_stop,
                {
                    "model": name,
                    "task": task,
                    "weight_decay": None,
                    "model_index": index,
                    "models": total,
                },
            )
            curves = trainer.fit(
                model,
                torch.optim.Adam(model.parameters(), lr=config["learning_rate"]),
                x,
                y,
                x_test,
                y_test,
                epochs=config["epochs"],
                batch_size=config["batch_size"],
                order_seed=(config["seed"], 1),
            )
            result = _model_result(name, label, description, model, curves, _accuracy(model, x, y))
            result["task"] = task
            results.append(result)
            index += 1
    return {"models": results, "tasks": tasks, **_limits_summary(results)}


def _limits_summary(results: list[dict]) -> dict[str, Any]:
    sentences, holds = [], []
    for task in dict.fromkeys(r["task"] for r in results):
        by = {r["name"]: r for r in results if r["task"] == task}
        words = ", ".join(f"{r['label']} {_pct(r['test_accuracy'])}" for r in by.values())
        if "fc" in by and "cnn" in by:
            fc, cnn = by["fc"]["test_accuracy"], by["cnn"]["test_accuracy"]
            separated = fc - cnn >= 0.15
            holds.append(separated)
            if separated and cnn < 0.6:
                verdict = "the invariant CNN stays near chance (50%) where FC succeeds"
            elif separated:
                verdict = f"the invariant CNN falls {100 * (fc - cnn):.0f} points short of FC"
            else:
                verdict = (
                    "the invariant CNN is not clearly worse here, which does not show Q6d's claim"
                )
            sentences.append(f"{task}: {words} — {verdict}")
        else:
            sentences.append(f"{task}: {words}")
    text = "Test accuracy on " + "; ".join(sentences) + "."
    if holds and all(holds):
        text += (
            " Global pooling throws away where things are, so a where-question is out of its reach."
        )
    return {"summary": text, "claim_holds": all(holds) if holds else None}


# -- weight decay -----------------------------------------------------------------------------

NORM_POINTS = 400


def _norm(weights: list[nn.Parameter]) -> float:
    return float(torch.sqrt(sum((w.detach().double() ** 2).sum() for w in weights)))


class DecayMeter:
    """Measures each SGD step's decay part from the weights: θ_{t+1} − (θ_t − ε∇L_data(θ_t)).

    ``before_step`` runs when the gradients hold ∇L_data only (the trainer backpropagates the
    penalty λ‖W‖² after it), ``on_step`` after the optimizer's step. The measured factor is
    ⟨θ_t + decay, θ_t⟩ / ⟨θ_t, θ_t⟩, which is 1 − 2ελ exactly when the decay is −2ελθ_t.
    """

    def __init__(self, weights: list[nn.Parameter], lr: float, keep_every: int, last: int):
        self.weights, self.lr, self.keep_every, self.last = weights, lr, keep_every, last
        self.shrinks: list[float] = []
        self.norm_steps = [0]
        self.norms = [_norm(weights)]
        self._theta: list[torch.Tensor] = []
        self._data_grad: list[torch.Tensor] = []

    def before_step(self) -> None:
        self._theta = [w.detach().clone() for w in self.weights]
        self._data_grad = [w.grad.detach().clone() for w in self.weights]

    def on_step(self, step: int) -> None:
        num = den = 0.0
        for w, theta, grad in zip(self.weights, self._theta, self._data_grad, strict=True):
            decay = w.detach() - (theta - self.lr * grad)  # what the step did beyond −ε∇L_data
            num += float(((theta + decay) * theta).sum(dtype=torch.float64))
            den += float((theta * theta).sum(dtype=torch.float64))
        self.shrinks.append(num / den)
        if step % self.keep_every == 0 or step == self.last:
            self.norm_steps.append(step)
            self.norms.append(_norm(self.weights))


def run_weight_decay(
    config: dict[str, Any], pool: D.Pool, report: Progress, should_stop: Callable[[], bool]
) -> dict[str, Any]:
    x, y, x_test, y_test = _sample(pool, config)
    lr, lambdas = config["learning_rate"], config["lambdas"]
    for lam in lambdas:
        if 2 * lr * lam >= 1:
            raise InvalidInput(
                f"2·ε·λ = {2 * lr * lam:g} for λ = {lam:g}: the factor 1 − 2ελ would not shrink "
                "the weights (it must be below 1 and positive); lower learning_rate or λ"
            )
    steps_total = config["epochs"] * math.ceil(config["train_size"] / config["batch_size"])
    keep_every = max(1, math.ceil(steps_total / NORM_POINTS))
    results = []
    for index, lam in enumerate(lambdas):
        torch.manual_seed(config["seed"])
        model = M.build_fc(config["hidden"])
        weights = _decayed(model)
        meter = DecayMeter(weights, lr, keep_every, steps_total)

        trainer = Trainer(
            report,
            should_stop,
            {
                "model": "fc",
                "task": None,
                "weight_decay": lam,
                "model_index": index,
                "models": len(lambdas),
            },
        )
        curves = trainer.fit(
            model,
            torch.optim.SGD(model.parameters(), lr=lr),
            x,
            y,
            x_test,
            y_test,
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            order_seed=(config["seed"], 1),
            l2=lam,
            before_step=meter.before_step,
            on_step=meter.on_step,
        )
        result = _model_result(
            "fc",
            f"λ = {lam:g}",
            f"784 → {config['hidden']} → 10, ReLU, plain SGD (ε = {lr:g}), loss L + λ‖W‖²",
            model,
            curves,
            _accuracy(model, x, y),
        )
        expected = 1 - 2 * lr * lam
        measured = np.array(meter.shrinks)
        result["weight_decay"] = lam
        result["norm"] = {"step": meter.norm_steps, "norm": meter.norms}
        result["shrink"] = {
            "expected": expected,
            "measured_mean": float(measured.mean()),
            "measured_min": float(measured.min()),
            "measured_max": float(measured.max()),
            "max_abs_error": float(np.abs(measured - expected).max()),
        }
        results.append(result)
    return {"models": results, **_weight_decay_summary(config, results)}


def _weight_decay_summary(config: dict[str, Any], results: list[dict]) -> dict[str, Any]:
    lr = config["learning_rate"]
    worst = max(r["shrink"]["max_abs_error"] for r in results)
    holds = worst < 1e-6
    decayed = [r for r in results if r["weight_decay"] > 0]
    if decayed:
        strongest = max(decayed, key=lambda r: r["weight_decay"])
        shrink = strongest["shrink"]
        text = (
            f"Every SGD step multiplied the weights by the measured {shrink['measured_mean']:.6f} "
            f"for λ = {strongest['weight_decay']:g} (1 − 2ελ = {shrink['expected']:.6f}), and "
            f"by 1 − 2ελ for every λ to within {worst:.1e}"
        )
    else:
        text = f"With λ = 0 there is no decay (measured factor within {worst:.1e} of 1)"
    if not holds:
        text += ", which is NOT the (1 − 2ελ) the tutorial derives"
    best = max(results, key=lambda r: r["test_accuracy"])
    norms = ", ".join(f"{r['norm']['norm'][-1]:.1f}" for r in results)
    lams = ", ".join(f"{r['weight_decay']:g}" for r in results)
    text += (
        f"; final ‖W‖ {norms} for λ = {lams}; "
        f"best test accuracy {_pct(best['test_accuracy'])} at λ = {best['weight_decay']:g} "
        f"(ε = {lr:g})."
    )
    return {"summary": text, "claim_holds": holds}


# -- entry point ------------------------------------------------------------------------------

RUNNERS = {
    "generalization": run_generalization,
    "limits": run_limits,
    "weight-decay": run_weight_decay,
}


def run(
    experiment_id: str,
    config: dict[str, Any],
    *,
    data_dir: Path | None = None,
    report: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Run experiment ``experiment_id`` with the full ``config``; the result as plain JSON data.

    The caller fills every field of ``config`` (the defaults of ``EXPERIMENTS``).
    """
    if experiment_id not in RUNNERS:
        raise InvalidInput(f"no experiment called {experiment_id!r}")
    torch.set_num_threads(1)
    pool = D.load_pool(data_dir)
    body = RUNNERS[experiment_id](
        config, pool, report or (lambda event: None), should_stop or (lambda: False)
    )
    return {
        "id": experiment_id,
        "config": config,
        "data": {
            "source": pool.source if experiment_id != "limits" else "generated",
            "description": pool.description
            if experiment_id != "limits"
            else "synthetic images generated from the seed",
            "train_pool": len(pool.train_labels) if experiment_id != "limits" else None,
            "test_size": config["test_size"],
        },
        **body,
    }
