"""The model card a training run writes beside the weights, validated when the model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ModelCard(BaseModel):
    """What a training run wrote beside the weights (the JSON card)."""

    model_config = ConfigDict(extra="allow")

    model: Literal["cnn", "fc", "cnn-aa"] = Field(description="Model name.")
    architecture: str = Field(description="The module printed by PyTorch.")
    parameters: dict[str, int] = Field(description="Parameters per layer.")
    total_parameters: int = Field(description="Sum of the parameters.")
    test_accuracy: float = Field(description="Accuracy on the 10,000 MNIST test digits.")
    per_class_accuracy: list[float] = Field(description="Test accuracy of digits 0..9.")
    confusion_matrix: list[list[int]] = Field(description="[true digit][predicted digit] counts.")
    curve: list[dict[str, float]] = Field(
        description="Per epoch: epoch, train_loss, train_accuracy, test_loss, test_accuracy, "
        "seconds."
    )
    seed: int = Field(description="Random seed of the run.")
    epochs: int = Field(description="Epochs trained.")
    data_checksums: dict[str, str] = Field(description="MD5 of each IDX file used.")
    date: str = Field(description="ISO date-time the run finished.")
    wall_time_seconds: float = Field(description="Training wall time.")


def read_card(path: Path) -> ModelCard:
    """The card at ``path``; RuntimeError naming the file and the first problem if invalid."""
    try:
        return ModelCard.model_validate_json(path.read_bytes())
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the card"
        raise RuntimeError(f"invalid model card {path}: {where}: {first['msg']}") from None
