"""The model card a training run writes beside the weights, and the shift-consistency figures
``convlab evaluate --consistency`` writes beside them; both validated when the models load."""

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


class AxisConsistency(BaseModel):
    """One axis of the consistency measurement: per shift, accuracy and mean P(true digit)."""

    shifts: list[int] = Field(description="The shifts along this axis, in order.")
    accuracy: list[float] = Field(description="Test accuracy at each shift.")
    mean_p_true: list[float] = Field(description="Mean probability of the true digit.")


class ModelConsistency(BaseModel):
    """One model's one-pixel shift consistency on the test set."""

    same_prediction: float = Field(
        description="Fraction of neighbouring one-pixel shift pairs with the same prediction."
    )
    mean_abs_delta_p_true: float = Field(
        description="Mean |ΔP(true digit)| between neighbouring one-pixel shifts."
    )
    changed_pairs: int = Field(description="Pairs whose predicted digit differs.")
    pairs: int = Field(description="Pairs measured (digits × 2 axes × 2m).")
    by_axis: dict[Literal["dx", "dy"], AxisConsistency] = Field(description="dx and dy.")


class TestDigit(BaseModel):
    """One MNIST test digit the lesson shifts."""

    index: int = Field(description="Its index in the MNIST test set.")
    label: int = Field(ge=0, le=9, description="Its true digit.")
    image: list[list[int]] = Field(description="28×28 grey levels 0..255, white on black.")


class ShiftConsistency(BaseModel):
    """What ``convlab evaluate --consistency`` measured, how, and for which models."""

    definition: str = Field(description="How the figures were measured, in one paragraph.")
    max_shift: int = Field(description="Shifts run over -m..m along each axis.")
    test_digits: int = Field(description="Test digits measured.")
    models: dict[Literal["cnn", "fc", "cnn-aa"], ModelConsistency] = Field(
        description="The figures per model."
    )
    examples: list[TestDigit] = Field(
        description="Test digit 0, then test digits the CNN reads right unshifted but reads "
        "differently at two neighbouring horizontal shifts within ±2 pixels."
    )
    date: str = Field(description="ISO date-time of the measurement.")
    torch: str = Field(description="PyTorch version that ran the models.")


CONSISTENCY_FILE = "shift_consistency.json"


def read_consistency(path: Path) -> ShiftConsistency:
    """The figures at ``path``; RuntimeError naming the file and the first problem if invalid."""
    try:
        return ShiftConsistency.model_validate_json(path.read_bytes())
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise RuntimeError(
            f"invalid shift-consistency file {path}: {where}: {first['msg']}"
        ) from None
