"""Weight decay (Q1): L2 regularization is weight decay.

Plain SGD on fc for several λ with loss L + λ‖W‖²: each step multiplies the weights by
(1 − 2ελ) before the data gradient moves them (Goodfellow §7.1.1). The run measures that
factor from the weights themselves, ‖W‖ over the steps, and train and test accuracy against λ.

The default regime overfits, so L2 has something to prevent: few digits (N = 500), a wide
hidden layer (256 units), 30 epochs of plain SGD, and 30 % of the training labels wrong (each
replaced by another class, chosen from the seed), as in much real data. Without L2 the network
memorises many of the wrong labels (its train accuracy, counted on the labels it was given, ends
far above its test accuracy); λ = 0.01 keeps the weights small enough that it memorises fewer,
and beats λ = 0 by 3.1 to 7.6 test points on each of seeds 0-9 (2,000 test digits;
bench/experiment_defaults.py weight-decay). Too strong a λ (0.1: each step shrinks the weights
by 2 %) underfits.

Why L2 costs accuracy in a short regime (label_noise = 0, 5 epochs on 1,000 digits): the network
has not begun to overfit (its train and test accuracy are still close), so there is nothing for
L2 to prevent, and its pull of every weight towards 0 only slows learning.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import torch
from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from torch import nn

from app.engine.errors import InvalidInput
from app.experiments import cost as C
from app.experiments import models as M
from app.experiments import training as T
from app.experiments.data import Pool
from app.experiments.spec import Experiment, Prediction, RunConfig, Runs, unique

DEFAULTS: dict[str, Any] = {
    "lambdas": [0.0, 0.001, 0.01, 0.1],
    "train_size": 500,
    "test_size": 2000,
    "epochs": 30,
    "batch_size": 32,
    "learning_rate": 0.1,
    "hidden": 256,
    "label_noise": 0.3,
    "seed": 0,
}
NORM_POINTS = 400

Lambda = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]


class WeightDecayConfig(RunConfig):
    """Plain SGD on fc for several λ."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEFAULTS]})

    train_size: int = Field(
        DEFAULTS["train_size"], ge=10, le=60_000, description="N training digits (N/10 of each)."
    )
    test_size: int = Field(
        DEFAULTS["test_size"], ge=100, le=2_000, description="Test digits evaluated."
    )
    epochs: int = Field(
        DEFAULTS["epochs"], ge=1, le=1_000, description="Passes over the training examples."
    )
    hidden: int = Field(
        DEFAULTS["hidden"], ge=1, le=1_024, description="Hidden units of the fc network."
    )
    learning_rate: float = Field(
        DEFAULTS["learning_rate"], gt=0, le=1.0, allow_inf_nan=False, description="SGD step size ε."
    )
    label_noise: float = Field(
        DEFAULTS["label_noise"],
        ge=0.0,
        le=0.9,
        allow_inf_nan=False,
        description="Fraction of the training labels replaced by a wrong class (from the seed).",
    )
    lambdas: Annotated[list[Lambda], Field(min_length=1, max_length=6)] = Field(
        default_factory=lambda: list(DEFAULTS["lambdas"]),
        description="L2 strengths λ, one run each (same init and batches); 2ελ must be < 1.",
    )

    @model_validator(mode="after")
    def _shrinks(self) -> WeightDecayConfig:
        unique(self.lambdas)
        for lam in self.lambdas:
            if 2 * self.learning_rate * lam >= 1:
                raise PydanticCustomError(
                    "no_shrink",
                    "2·ε·λ = {v} for λ = {lam}: 1 − 2ελ must stay positive; lower learning_rate "
                    "or λ",
                    {"v": f"{2 * self.learning_rate * lam:g}", "lam": f"{lam:g}"},
                )
        return self

    def work(self) -> list[C.Work]:
        return [
            C.training_work(
                "fc",
                train_size=self.train_size,
                epochs=self.epochs,
                batch_size=self.batch_size,
                test_size=self.test_size,
                hidden=self.hidden,
            )
            for _ in self.lambdas
        ]

    def largest_network(self) -> int:
        return 784 * self.hidden + self.hidden + self.hidden * 10 + 10


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


def wrong_count(train_size: int, fraction: float) -> int:
    """How many of ``train_size`` labels ``label_noise`` = ``fraction`` makes wrong."""
    return round(fraction * train_size)


def mislabel(y: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, int]:
    """``y`` with round(fraction · N) labels, chosen from the seed, each replaced by one of the
    9 other classes (uniformly): the number changed is exact, and every changed label is wrong."""
    count = wrong_count(len(y), fraction)
    if count == 0:
        return y, 0
    rng = np.random.default_rng([seed, 2])
    which = torch.from_numpy(rng.choice(len(y), size=count, replace=False))
    offset = torch.from_numpy(rng.integers(1, 10, size=count))  # 1..9: never the true class
    noisy = y.clone()
    noisy[which] = (y[which] + offset) % 10
    return noisy, count


def body(
    config: dict[str, Any], pool: Pool | None, report: T.Progress, should_stop: T.ShouldStop
) -> dict[str, Any]:
    assert pool is not None, "weight-decay trains on MNIST digits"
    x, y, x_test, y_test = T.sample_digits(pool, config)
    y, wrong = mislabel(y, config["label_noise"], config["seed"])
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
        meter = DecayMeter(T.decayed(model), lr, keep_every, steps_total)
        tag = {"model": "fc", "task": None, "weight_decay": lam}
        trainer = T.Trainer(
            report, should_stop, {**tag, "model_index": index, "models": len(lambdas)}
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
        result = T.model_result(
            "fc",
            f"λ = {lam:g}",
            f"784 → {config['hidden']} → 10, ReLU, plain SGD (ε = {lr:g}), loss L + λ‖W‖²",
            model,
            curves,
            T.accuracy(model, x, y),
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
    return {"models": results, "wrong_labels": wrong, **summary(config, results)}


def summary(config: dict[str, Any], results: list[dict]) -> dict[str, Any]:
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
    tied = [r for r in results if r is not best and T.is_tie(r, best)]
    if not tied:
        at = f"at λ = {best['weight_decay']:g}"
    else:
        names = ", ".join(f"{r['weight_decay']:g}" for r in tied)
        at = f"at λ = {best['weight_decay']:g}; λ = {names} tie with it (inside the 95 % intervals)"
    norms = ", ".join(f"{r['norm']['norm'][-1]:.1f}" for r in results)
    lams = ", ".join(f"{r['weight_decay']:g}" for r in results)
    text += (
        f"; final ‖W‖ {norms} for λ = {lams}; best test accuracy {T.pct(best['test_accuracy'])} "
        f"{at} (ε = {lr:g})."
    )
    wrong = wrong_count(config["train_size"], config["label_noise"])
    if wrong:
        text += (
            f" {wrong:,} of the {config['train_size']:,} training labels were wrong (label_noise "
            f"{config['label_noise']:g}); train accuracy counts the labels the network trained on."
        )
    return {"summary": text, "claim_holds": holds}


SEEDS = (0, 1, 2)


def sweep(run_all: Runs) -> dict[str, Any]:
    config = dict(DEFAULTS)
    results = run_all([("weight-decay", dict(config, seed=seed)) for seed in SEEDS])

    def per_lambda(key: str) -> list[list[float]]:
        return [[m[key] for m in r["models"]] for r in results]

    def stats(values: list[list[float]]) -> dict[str, Any]:
        array = np.asarray(values, dtype=np.float64)  # (seeds, λ)
        return {"mean": array.mean(axis=0).tolist(), "std": array.std(axis=0).tolist()}

    worst = max(m["shrink"]["max_abs_error"] for r in results for m in r["models"])
    test = stats(per_lambda("test_accuracy"))
    best = int(np.argmax(test["mean"]))
    text = (
        f"Over {len(SEEDS)} seeds every SGD step shrank the weights by 1 − 2ελ to within "
        f"{worst:.1e} for every λ; mean test accuracy is best at λ = {config['lambdas'][best]:g} "
        f"({100 * test['mean'][best]:.1f}%"
    )
    if config["lambdas"][best] == 0:
        text += "): this run is too short to overfit, so L2 only slows learning."
    else:
        text += f", against {100 * test['mean'][0]:.1f}% without L2)."
    return {
        "seeds": list(SEEDS),
        "config": config,
        "lambdas": config["lambdas"],
        "test_accuracy": test,
        "train_accuracy": stats(per_lambda("train_accuracy")),
        "final_norm": stats([[m["norm"]["norm"][-1] for m in r["models"]] for r in results]),
        "shrink": {
            "expected": [1 - 2 * config["learning_rate"] * lam for lam in config["lambdas"]],
            **{
                f"measured_{k}": v
                for k, v in stats(
                    [[m["shrink"]["measured_mean"] for m in r["models"]] for r in results]
                ).items()
            },
            "max_abs_error": worst,
        },
        "summary": text,
        "claim_holds": worst < 1e-6,
    }


def _best_lambda(reference: dict[str, Any]) -> str | None:
    means = reference["test_accuracy"]["mean"]
    return str(reference["lambdas"][int(np.argmax(means))])


PREDICTION = Prediction(
    id="weight-decay-best-lambda",
    prompt="With the default run (30 epochs of plain SGD on N = 500 digits, 30 % of their "
    "labels wrong), which λ gives the highest test accuracy?",
    options=[{"value": str(lam), "label": f"λ = {lam:g}"} for lam in DEFAULTS["lambdas"]],
    answer=_best_lambda,
)

EXPERIMENT = Experiment(
    id="weight-decay",
    question="Q1",
    title="L2 regularization is weight decay",
    description="Plain SGD on fc with loss L + λ‖W‖² for several λ: every step multiplies the "
    "weights by (1 − 2ελ) before the data gradient moves them. The run measures that factor "
    "from the weights themselves, ‖W‖ over the steps, and train and test accuracy against λ. "
    "The default run overfits: 30 epochs on only 500 digits with a wide hidden layer (256 "
    "units), and 30 % of the training labels are wrong, as in much real data; memorising them "
    "is overfitting (train accuracy, counted on those labels, ends far above test accuracy), "
    "and a moderate λ keeps the weights too small to memorise them. Why L2 can cost accuracy: "
    "in a short run (say no wrong labels and 5 epochs on 1,000 digits) the network has not "
    "begun to overfit (train and test accuracy are still close), so there is nothing for L2 to "
    "prevent, and its pull of every weight towards 0 only slows learning.",
    config=WeightDecayConfig,
    body=body,
    sweep=sweep,
    prediction=PREDICTION,
)
