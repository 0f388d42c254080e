"""Run configs of the experiments (every field optional, defaults from app.experiments.runner).

Strict: unknown fields are refused, and so are values of the wrong JSON type (no coercion:
"1000" is not 1000). The static bounds are in each ``Field``; the server's limits
(``CONVLAB_EXPERIMENT_MAX_*``: training examples, test examples, epochs, parameters, compute)
come from the app's settings, passed as validation context, so a 422 names the limit.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from app.api.schemas.common import settings_of
from app.config import Settings
from app.experiments.data import train_capacity
from app.experiments.runner import (
    EXPERIMENTS,
    count_model_parameters,
    estimate_macs,
)

_G = EXPERIMENTS["generalization"].defaults
_L = EXPERIMENTS["limits"].defaults
_W = EXPERIMENTS["weight-decay"].defaults


SETTING_LIMITS = {
    "train_size": "experiment_max_train_size",
    "test_size": "experiment_max_test_size",
    "epochs": "experiment_max_epochs",
}
"""Config fields whose maximum this server's settings lower: field -> Settings field."""
MNIST_EXPERIMENTS = ("generalization", "weight-decay")
"""The experiments that train on MNIST digits (limits generates its images)."""


def _unique(values: list) -> list:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicates", "must not repeat a value, got {v}", {"v": values})
    return values


class RunConfig(BaseModel):
    """Fields every experiment has."""

    model_config = ConfigDict(extra="forbid", strict=True)
    experiment_id: ClassVar[str]

    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seeds data sample, init, batch order.")
    train_size: int = Field(
        1000, ge=10, le=60_000, description="N training examples (N/10 of each class)."
    )
    test_size: int = Field(
        _G["test_size"], ge=100, le=2_000, description="Test digits evaluated (the first ones)."
    )
    epochs: int = Field(5, ge=1, le=1_000, description="Passes over the training examples.")
    batch_size: int = Field(32, ge=1, le=512, description="Examples per optimiser step.")
    hidden: int = Field(100, ge=1, le=1_024, description="Hidden units of the fc network.")

    @model_validator(mode="after")
    def _within_settings(self, info: ValidationInfo) -> RunConfig:
        settings = settings_of(info)
        for name, setting in SETTING_LIMITS.items():
            value, limit, env = getattr(self, name), getattr(settings, setting), setting.upper()
            if value > limit:
                raise PydanticCustomError(
                    "over_limit",
                    "{name} {value} is over this server's limit of {limit} (CONVLAB_{env})",
                    {"name": name, "value": value, "limit": limit, "env": env},
                )
        if self.experiment_id in MNIST_EXPERIMENTS:
            capacity, where = train_capacity(settings.data_dir)
            if self.train_size > capacity:
                raise PydanticCustomError(
                    "over_pool",
                    "train_size {value} is more than the {capacity} digits (N/10 of each) this "
                    "server can draw from {where}",
                    {"value": self.train_size, "capacity": f"{capacity:,}", "where": where},
                )
        config = self.model_dump()
        parameters = count_model_parameters(self.experiment_id, config)
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
        macs = estimate_macs(self.experiment_id, config)
        if macs > settings.experiment_max_macs:
            raise PydanticCustomError(
                "over_budget",
                "this run would take about {macs} multiply-adds, over the budget of {limit} per "
                "run (CONVLAB_EXPERIMENT_MAX_MACS); lower train_size, epochs or the number of "
                "models",
                {"macs": f"{macs:.2g}", "limit": f"{settings.experiment_max_macs:.2g}"},
            )
        return self


GeneralizationModel = Literal["fc", "lc", "cnn"]
LimitsModel = Literal["fc", "cnn"]
Task = Literal["corner", "symmetry"]
Lambda = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]


class GeneralizationConfig(RunConfig):
    """fc (+L2), lc and cnn on the same N digits with the same optimiser budget."""

    model_config = ConfigDict(json_schema_extra={"examples": [_G]})

    experiment_id: ClassVar[str] = "generalization"
    epochs: int = Field(
        _G["epochs"], ge=1, le=1_000, description="Passes over the training examples."
    )
    learning_rate: float = Field(
        _G["learning_rate"], gt=0, le=1.0, allow_inf_nan=False, description="Adam step size."
    )
    weight_decay: float = Field(
        _G["weight_decay"],
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="λ of fc's L2 penalty λ‖W‖² (weights, not biases).",
    )
    models: Annotated[list[GeneralizationModel], Field(min_length=1, max_length=3)] = Field(
        default_factory=lambda: list(_G["models"]), description="Which networks to train."
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> GeneralizationConfig:
        _unique(self.models)
        return self


class LimitsConfig(RunConfig):
    """A translation-invariant CNN against fc on generated tasks."""

    model_config = ConfigDict(json_schema_extra={"examples": [_L]})
    experiment_id: ClassVar[str] = "limits"

    test_size: int = Field(
        _L["test_size"], ge=100, le=2_000, description="Generated test images evaluated."
    )

    learning_rate: float = Field(
        _L["learning_rate"], gt=0, le=1.0, allow_inf_nan=False, description="Adam step size."
    )
    tasks: Annotated[list[Task], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: list(_L["tasks"]), description="Generated tasks to train on."
    )
    models: Annotated[list[LimitsModel], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: list(_L["models"]),
        description='Which networks to train ("cnn": translation-invariant, global pooling).',
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> LimitsConfig:
        _unique(self.tasks)
        _unique(self.models)
        return self


class WeightDecayConfig(RunConfig):
    """Plain SGD on fc for several λ."""

    model_config = ConfigDict(json_schema_extra={"examples": [_W]})
    experiment_id: ClassVar[str] = "weight-decay"

    test_size: int = Field(_W["test_size"], ge=100, le=2_000, description="Test digits evaluated.")

    learning_rate: float = Field(
        _W["learning_rate"], gt=0, le=1.0, allow_inf_nan=False, description="SGD step size ε."
    )
    lambdas: Annotated[list[Lambda], Field(min_length=1, max_length=6)] = Field(
        default_factory=lambda: list(_W["lambdas"]),
        description="L2 strengths λ, one run each (same init and batches); 2ελ must be < 1.",
    )

    @model_validator(mode="after")
    def _shrinks(self) -> WeightDecayConfig:
        _unique(self.lambdas)
        for lam in self.lambdas:
            if 2 * self.learning_rate * lam >= 1:
                raise PydanticCustomError(
                    "no_shrink",
                    "2·ε·λ = {v} for λ = {lam}: 1 − 2ελ must stay positive; lower learning_rate "
                    "or λ",
                    {"v": f"{2 * self.learning_rate * lam:g}", "lam": f"{lam:g}"},
                )
        return self


def config_schema(model: type[RunConfig], settings: Settings) -> dict[str, Any]:
    """The JSON schema of a run config with the maxima this server enforces: each field of
    ``SETTING_LIMITS`` shows the lower of its static bound and the app's setting."""
    schema = model.model_json_schema()
    for name, setting in SETTING_LIMITS.items():
        field = schema["properties"][name]
        field["maximum"] = min(field["maximum"], getattr(settings, setting))
    if model.experiment_id in MNIST_EXPERIMENTS:
        field = schema["properties"]["train_size"]
        field["maximum"] = min(field["maximum"], train_capacity(settings.data_dir)[0])
    return schema


CONFIGS: dict[str, type[RunConfig]] = {
    "generalization": GeneralizationConfig,
    "limits": LimitsConfig,
    "weight-decay": WeightDecayConfig,
}


class ExperimentInfo(BaseModel):
    """One experiment: what it asks, how to configure it, and the shipped reference sweep."""

    id: str = Field(description="generalization, limits or weight-decay.")
    question: str = Field(description="The tutorial questions it measures.")
    title: str
    description: str
    config_schema: dict[str, Any] = Field(
        description="JSON schema of the run config; its maxima are the ones this server "
        "enforces (the settings CONVLAB_EXPERIMENT_MAX_* lower the static bounds)."
    )
    defaults: dict[str, Any] = Field(description="Every config field with its default.")
    reference: dict[str, Any] | None = Field(
        description="Shipped sweep (mean ± std over seeds), see docs/experiments-api.md."
    )
