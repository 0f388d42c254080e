"""Run configs of the experiments (each experiment's module declares its own) and the list's
response model.

Strict: unknown fields are refused, and so are values of the wrong JSON type (no coercion:
"1000" is not 1000). The static bounds are in each ``Field``; the server's limits
(``CONVLAB_EXPERIMENT_MAX_*``: training examples, test examples, epochs, parameters, compute,
predicted run time) come from the app's settings, passed as validation context, so a 422 names
the limit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.config import Settings
from app.experiments.data import train_capacity
from app.experiments.registry import EXPERIMENTS
from app.experiments.spec import SETTING_LIMITS, RunConfig

CONFIGS: dict[str, type[RunConfig]] = {
    experiment_id: experiment.config for experiment_id, experiment in EXPERIMENTS.items()
}


def config_schema(model: type[RunConfig], settings: Settings) -> dict[str, Any]:
    """The JSON schema of a run config with the maxima this server enforces: each field of
    ``SETTING_LIMITS`` shows the lower of its static bound and the app's setting."""
    schema = model.model_json_schema()
    for name, setting in SETTING_LIMITS.items():
        field = schema["properties"][name]
        field["maximum"] = min(field["maximum"], getattr(settings, setting))
    if model.uses_mnist:
        field = schema["properties"]["train_size"]
        field["maximum"] = min(field["maximum"], train_capacity(settings.data_dir)[0])
    return schema


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


def experiment_list(settings: Settings, reference: dict[str, Any]) -> list[ExperimentInfo]:
    """Every experiment with its config schema under ``settings`` and its reference sweep."""
    return [
        ExperimentInfo(
            id=experiment.id,
            question=experiment.question,
            title=experiment.title,
            description=experiment.description,
            config_schema=config_schema(experiment.config, settings),
            defaults=experiment.defaults,
            reference=reference.get(experiment.id),
        )
        for experiment in EXPERIMENTS.values()
    ]
