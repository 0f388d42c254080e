"""Limits (Q6d): where convolution's bias is wrong.

A translation-invariant CNN (circular padding + global average pooling, so its output is
*exactly* the same wherever a pattern sits on the torus) against fc, on generated tasks whose
answer depends on position or on a global relation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import ConfigDict, Field, model_validator

from app.experiments import cost as C
from app.experiments import data as D
from app.experiments import models as M
from app.experiments import training as T
from app.experiments.data import Pool
from app.experiments.spec import Experiment, Prediction, RunConfig, Runs, unique

DEFAULTS: dict[str, Any] = {
    "tasks": ["corner", "symmetry"],
    "models": ["fc", "cnn"],
    "train_size": 1000,
    "test_size": 1000,
    "epochs": 5,
    "batch_size": 32,
    "learning_rate": 0.002,
    "hidden": 100,
    "seed": 0,
}
CLASSES = 2
SEPARATION = 0.15
"""How far (in accuracy) the invariant CNN must fall below FC on a task to show the claim."""


class LimitsConfig(RunConfig):
    """A translation-invariant CNN against fc on generated tasks."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEFAULTS]})
    uses_mnist = False

    test_size: int = Field(
        DEFAULTS["test_size"], ge=100, le=2_000, description="Generated test images evaluated."
    )
    learning_rate: float = Field(
        DEFAULTS["learning_rate"], gt=0, le=1.0, allow_inf_nan=False, description="Adam step size."
    )
    tasks: Annotated[list[Literal["corner", "symmetry"]], Field(min_length=1, max_length=2)] = (
        Field(default_factory=lambda: list(DEFAULTS["tasks"]), description="Generated tasks.")
    )
    models: Annotated[list[Literal["fc", "cnn"]], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: list(DEFAULTS["models"]),
        description='Which networks to train ("cnn": translation-invariant, global pooling).',
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> LimitsConfig:
        unique(self.tasks)
        unique(self.models)
        return self

    def work(self) -> list[C.Work]:
        kinds = ["invariant" if m == "cnn" else m for m in self.models]
        return [
            C.training_work(
                kind,
                train_size=self.train_size,
                epochs=self.epochs,
                batch_size=self.batch_size,
                test_size=self.test_size,
                hidden=self.hidden,
                classes=CLASSES,
            )
            for _ in self.tasks
            for kind in kinds
        ]

    def largest_network(self) -> int:
        return 784 * self.hidden + self.hidden + self.hidden * CLASSES + CLASSES


def _network(name: str, hidden: int) -> tuple[torch.nn.Module, str, str]:
    if name == "fc":
        return M.build_fc(hidden, classes=CLASSES), "FC", f"784 → {hidden} → 2, ReLU"
    return (
        M.build_invariant_cnn(),
        "Invariant CNN",
        "two 5×5 convolutions (6, 8 channels, circular padding), ReLU, global average pooling, "
        "8 → 2: its output is the same wherever a pattern is",
    )


def body(
    config: dict[str, Any], pool: Pool | None, report: T.Progress, should_stop: T.ShouldStop
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
        examples = [
            {"image": np.round(x[i, 0].numpy().astype(np.float64), 3).tolist(), "label": int(y[i])}
            for i in range(6)
        ]
        tasks.append(
            {
                "id": task,
                "title": title,
                "description": description,
                "chance": 0.5,
                "examples": examples,
            }
        )
        for name in config["models"]:
            torch.manual_seed(config["seed"])
            model, label, description = _network(name, config["hidden"])
            tag = {"model": name, "task": task, "weight_decay": None}
            trainer = T.Trainer(report, should_stop, {**tag, "model_index": index, "models": total})
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
            result = T.model_result(
                name, label, description, model, curves, T.accuracy(model, x, y)
            )
            result["task"] = task
            results.append(result)
            index += 1
    return {"models": results, "tasks": tasks, **summary(results)}


def summary(results: list[dict]) -> dict[str, Any]:
    sentences, holds = [], []
    for task in dict.fromkeys(r["task"] for r in results):
        by = {r["name"]: r for r in results if r["task"] == task}
        words = ", ".join(f"{r['label']} {T.pct(r['test_accuracy'])}" for r in by.values())
        if "fc" in by and "cnn" in by:
            fc, cnn = by["fc"]["test_accuracy"], by["cnn"]["test_accuracy"]
            separated = fc - cnn >= SEPARATION
            holds.append(separated)
            if separated and cnn < 0.6:
                verdict = "the invariant CNN stays near chance (50%) where FC succeeds"
            elif separated:
                verdict = f"the invariant CNN falls {100 * (fc - cnn):.0f} points short of FC"
            elif T.is_tie(by["fc"], by["cnn"]):
                verdict = (
                    "the two tie (inside their 95 % intervals), which does not show Q6d's claim"
                )
            elif cnn > fc:
                verdict = "the invariant CNN beats FC here, which does not show Q6d's claim"
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


SEEDS = (0, 1, 2)


def sweep(run_all: Runs) -> dict[str, Any]:
    config = dict(DEFAULTS)
    results = run_all([("limits", dict(config, seed=seed)) for seed in SEEDS])
    tasks: dict[str, Any] = {}
    for index, entry in enumerate(results[0]["models"]):
        tasks.setdefault(entry["task"], {})[entry["name"]] = {
            "label": entry["label"],
            "test_accuracy": _stats([r["models"][index]["test_accuracy"] for r in results]),
            "train_accuracy": _stats([r["models"][index]["train_accuracy"] for r in results]),
        }
    words = []
    holds = True
    for task, by in tasks.items():
        fc, cnn = by["fc"]["test_accuracy"]["mean"], by["cnn"]["test_accuracy"]["mean"]
        holds = holds and fc - cnn >= SEPARATION
        words.append(f"{task}: FC {100 * fc:.1f}%, invariant CNN {100 * cnn:.1f}%")
    text = (
        f"Mean test accuracy over {len(SEEDS)} seeds on "
        + "; ".join(words)
        + (
            " — the invariant CNN fails where FC succeeds (Q6d)."
            if holds
            else " — the models are not clearly separated, which does not show Q6d's claim."
        )
    )
    return {
        "seeds": list(SEEDS),
        "config": config,
        "tasks": tasks,
        "summary": text,
        "claim_holds": holds,
    }


def _stats(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    return {"mean": float(array.mean()), "std": float(array.std())}


def _better_on_average(reference: dict[str, Any]) -> str | None:
    names = ("fc", "cnn")
    mean = {
        name: np.mean([by[name]["test_accuracy"]["mean"] for by in reference["tasks"].values()])
        for name in names
    }
    return max(names, key=lambda name: mean[name])


PREDICTION = Prediction(
    id="limits-better-network",
    prompt="On these two where-questions (a dot in the corner, left-right symmetry), which "
    "network reaches the higher test accuracy, averaged over the tasks?",
    options=[
        {"value": "fc", "label": "FC (dense)"},
        {"value": "cnn", "label": "invariant CNN (global pooling)"},
    ],
    answer=_better_on_average,
)

EXPERIMENT = Experiment(
    id="limits",
    question="Q6d",
    title="Where convolution's bias is wrong",
    description="A translation-invariant CNN (convolutions with circular padding, then global "
    "average pooling) answers the same wherever a pattern is, so it cannot learn a task whose "
    "answer depends on where something is; a fully connected network can.",
    config=LimitsConfig,
    body=body,
    sweep=sweep,
    prediction=PREDICTION,
)
