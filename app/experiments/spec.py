"""What an experiment is: its config, cost, runner, reference sweep and prediction question.

Each experiment is one module (generalization, limits, weight_decay) that builds one
``Experiment``; ``app.experiments.registry`` lists them. Nothing else branches on an id.

The config is a strict pydantic model (unknown fields refused, no type coercion). The server's
limits (``CONVLAB_EXPERIMENT_MAX_*``) come from the settings passed as validation context
(``context={"settings": settings}``), so a 422 names the limit; the cost model bounds a run by
its predicted CPU time (``app.experiments.cost``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from app.config import Settings
from app.experiments import cost as C
from app.experiments.data import Pool, train_capacity
from app.experiments.training import Progress, ShouldStop

SETTING_LIMITS = {
    "train_size": "experiment_max_train_size",
    "test_size": "experiment_max_test_size",
    "epochs": "experiment_max_epochs",
}
"""Config fields whose maximum this server's settings lower: field -> Settings field."""


def _settings(info: ValidationInfo) -> Settings:
    context = info.context
    settings = context.get("settings") if isinstance(context, dict) else None
    if not isinstance(settings, Settings):
        raise AssertionError("experiment configs are validated with context={'settings': ...}")
    return settings


def unique(values: list) -> list:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicates", "must not repeat a value, got {v}", {"v": values})
    return values


class RunConfig(BaseModel):
    """Fields every experiment has; each experiment's module subclasses it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    uses_mnist: ClassVar[bool] = True
    """False when the experiment generates its images (no train_size limit from the digits)."""

    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seeds data sample, init, batch order.")
    train_size: int = Field(
        1000, ge=10, le=60_000, description="N training examples (N/10 of each class)."
    )
    test_size: int = Field(
        1000, ge=100, le=2_000, description="Test digits evaluated (the first ones)."
    )
    epochs: int = Field(5, ge=1, le=1_000, description="Passes over the training examples.")
    batch_size: int = Field(32, ge=1, le=512, description="Examples per optimiser step.")
    hidden: int = Field(100, ge=1, le=1_024, description="Hidden units of the fc network.")

    def work(self) -> list[C.Work]:
        """What the run computes, model by model (the cost model's input)."""
        raise NotImplementedError

    def largest_network(self) -> int:
        """Most parameters of any one network the run builds."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _within_settings(self, info: ValidationInfo) -> RunConfig:
        settings = _settings(info)
        for name, setting in SETTING_LIMITS.items():
            value, limit, env = getattr(self, name), getattr(settings, setting), setting.upper()
            if value > limit:
                raise PydanticCustomError(
                    "over_limit",
                    "{name} {value} is over this server's limit of {limit} (CONVLAB_{env})",
                    {"name": name, "value": value, "limit": limit, "env": env},
                )
        if self.uses_mnist:
            capacity, where = train_capacity(settings.data_dir)
            if self.train_size > capacity:
                raise PydanticCustomError(
                    "over_pool",
                    "train_size {value} is more than the {capacity} digits (N/10 of each) this "
                    "server can draw from {where}",
                    {"value": self.train_size, "capacity": f"{capacity:,}", "where": where},
                )
        parameters = self.largest_network()
        if parameters > settings.experiment_max_parameters:
            raise PydanticCustomError(
                "over_limit",
                "a network of this run would have {p} parameters, over this server's limit of "
                "{limit} (CONVLAB_EXPERIMENT_MAX_PARAMETERS); lower hidden",
                {
                    "p": f"{parameters:,}",
                    "limit": f"{settings.experiment_max_parameters:,}",
                },
            )
        work = self.work()
        macs = C.total_macs(work)
        if macs > settings.experiment_max_macs:
            raise PydanticCustomError(
                "over_budget",
                "this run would take about {macs} multiply-adds, over the budget of {limit} per "
                "run (CONVLAB_EXPERIMENT_MAX_MACS); lower train_size, epochs or the number of "
                "models",
                {"macs": f"{macs:.2g}", "limit": f"{settings.experiment_max_macs:.2g}"},
            )
        seconds = C.predicted_seconds(work)
        if seconds > settings.experiment_max_run_seconds:
            raise PydanticCustomError(
                "over_time",
                "this run would hold a training slot for about {s} s ({steps} optimizer steps "
                "and {macs} multiply-adds), over this server's limit of {limit} s per run "
                "(CONVLAB_EXPERIMENT_MAX_RUN_SECONDS); lower train_size, epochs or the number "
                "of models, or raise batch_size",
                {
                    "s": f"{seconds:.0f}",
                    "steps": f"{C.total_steps(work):,}",
                    "macs": f"{macs:.2g}",
                    "limit": f"{settings.experiment_max_run_seconds:g}",
                },
            )
        return self


Body = Callable[[dict[str, Any], Pool | None, Progress, ShouldStop], dict[str, Any]]
"""Trains a full config: (config, MNIST pool or None, report, should_stop) → the result's body
(``models``, ``summary``, ``claim_holds`` and the experiment's extra keys)."""
Runs = Callable[[list[tuple[str, dict[str, Any]]]], list[dict[str, Any]]]
"""Runs a list of (experiment id, config) and returns their results in order."""


@dataclass(frozen=True)
class Prediction:
    """The question a student answers before training, and how the shipped sweep answers it."""

    id: str
    prompt: str
    options: list[dict[str, str]]  # {"value", "label"}
    answer: Callable[[dict[str, Any]], str | None]
    """The option the shipped reference supports (None when it does not decide)."""


@dataclass(frozen=True)
class Experiment:
    id: str
    question: str
    title: str
    description: str
    config: type[RunConfig]
    body: Body
    sweep: Callable[[Runs], dict[str, Any]]
    prediction: Prediction
    data_note: Callable[[dict[str, Any], Pool | None], dict[str, Any]] | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """Every config field with its default."""
        return self.config.model_construct().model_dump()
