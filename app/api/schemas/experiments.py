"""The experiments' run configs (each experiment's module declares its own, strict, with the
server's ``CONVLAB_EXPERIMENT_MAX_*`` limits from the validation context) and the list."""

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
        description="The run config's schema, this server's maxima."
    )
    defaults: dict[str, Any] = Field(description="Every config field with its default.")
    reference: dict[str, Any] | None = Field(description="Shipped sweep (mean ± std over seeds).")


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
