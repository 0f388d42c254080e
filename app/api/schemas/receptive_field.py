"""Request and response models for receptive fields (theoretical and effective)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from app.api.schemas.common import (
    Cell,
    Listed,
    NonNegativeIntOrPair,
    PositiveIntOrPair,
    RequestModel,
    ResultModel,
    settings_of,
)
from app.engine.effective_rf import SeriesPoint
from app.engine.receptive_field import LayerField, Pair, Region

# -- theoretical receptive field ------------------------------------------------------------


class PresetLayer(ResultModel):
    """One layer of the stack: its geometry only (weights do not change the receptive field)."""

    type: Literal["conv", "pool"] = Field(description='"conv" or "pool" (max or average).')
    kernel_size: PositiveIntOrPair = Field(description="Kernel side k, or (kh, kw).")
    stride: PositiveIntOrPair | None = Field(None, description="Stride s, or (sh, sw).")
    padding: NonNegativeIntOrPair = Field(0, description="Zero padding p per side, or (ph, pw).")
    dilation: PositiveIntOrPair = Field(1, description="Dilation d: kernel spans d(k − 1) + 1.")
    name: str | None = Field(None, max_length=40, description="Optional label shown in messages.")


class LayerSpec(RequestModel, PresetLayer):
    """One layer of the stack: its geometry only (weights do not change the receptive field)."""

    @model_validator(mode="after")
    def _within_kernel_limit(self, info: ValidationInfo) -> LayerSpec:
        limit = settings_of(info).max_kernel_side
        for label in ("kernel_size", "stride", "padding", "dilation"):
            value = getattr(self, label)
            if value is not None and max(value if isinstance(value, tuple) else (value,)) > limit:
                raise ValueError(f"{label} {value} is over the limit of {limit}")
        return self


class UnitSpec(RequestModel):
    """A unit (one output position) of one layer of the stack."""

    layer: int = Field(ge=0, description="Index of the layer in `layers` (0 = first layer).")
    position: Cell = Field(description="[i, j]: row and column of the unit in that layer.")


class ReceptiveFieldRequest(RequestModel):
    """A stack of conv / pool layers, optionally an input size and a unit to locate."""

    layers: list[LayerSpec] = Field(min_length=1, description="The layers, input side first.")
    input_size: PositiveIntOrPair | None = Field(None, description="Input height and width.")
    unit: UnitSpec | None = Field(None, description="A unit whose input region is returned.")

    @field_validator("layers", mode="before")
    @classmethod
    def _at_most_max_layers(cls, layers: object, info: ValidationInfo) -> object:
        limit = settings_of(info).max_layers
        if isinstance(layers, list) and len(layers) > limit:  # counted before any is validated
            raise ValueError(f"has {len(layers)} layers, over the limit of {limit}")
        return layers


class ReceptiveFieldResponse(ResultModel):
    """Per-layer receptive fields, the last layer's field, a unit's region, the worked formula."""

    layers: list[LayerField] = Field(
        validation_alias="fields", description="One entry per layer, input side first."
    )
    receptive_field: Pair = Field(description="Receptive field of the last layer (rows, cols).")
    jump: Pair = Field(description="Jump (cumulative stride) of the last layer.")
    region: Region | None = Field(None, description="The requested unit's input region.")
    formula: str | None = Field(None, description="R_L = 1 + L(k − 1) worked out, if it applies.")


class Preset(ResultModel):
    """A named layer stack the UI can load (tested against published receptive fields)."""

    id: str = Field(description='Stable key, e.g. "vgg16".')
    name: str = Field(description="Display name.")
    description: str = Field(description="Where the layer list comes from and what to expect.")
    input_size: int | None = Field(description="Input side the network was designed for.")
    generator: dict[str, int] | None = Field(None, description="num_layers, kernel_size.")
    layers: list[PresetLayer] = Field(description="The layer list, input side first.")


class PresetList(ResultModel):
    """Every preset, in display order."""

    presets: list[Preset] = Field(description="Presets, in display order.")


# -- effective receptive field ---------------------------------------------------------------

Weights = Literal["uniform", "random"]
MassFraction = Annotated[float, Field(ge=0.5, le=0.999, allow_inf_nan=False)]
Depth = Annotated[int, Field(ge=1, le=32)]


class EffectiveRFRequest(RequestModel):
    """L single-channel conv layers of k×k (valid padding, stride 1), Luo et al. 2016."""

    num_layers: int = Field(8, ge=1, le=32, description="Depth L of the stack.")
    kernel_size: int = Field(3, ge=2, le=9, description="Kernel side k of every layer.")
    weights: Weights = Field("uniform", description="uniform: 1/k²; random: N(0, 1/k²).")
    relu: bool = Field(False, description="Put a ReLU after every layer but the last.")
    num_samples: int = Field(8, ge=1, le=64, description="Samples |gradient| is averaged over.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the random inputs / weights.")
    input_size: int | None = Field(
        None, ge=1, le=512, description="Side: 1 + L(k − 1) (default) + ≤ 64."
    )
    mass_fraction: MassFraction = Field(0.95, description="Mass the measured radius holds.")


class EffectiveRFResponse(ResultModel):
    """The effective receptive field: a heatmap and its radius beside the theoretical one."""

    heatmap: Listed[list[list[float]]] = Field(description="Mean |∂y_centre/∂x| over the samples.")
    size: Pair = Field(description="(H, W) of the heatmap = the input size.")
    centre: tuple[float, float] = Field(description="Input coordinates of the centre of the field.")
    theoretical_box: Pair = Field(
        validation_alias="box", description="[first, last] rows (= columns) of R_L."
    )
    theoretical_size: int = Field(description="R_L = 1 + L(k − 1).")
    theoretical_radius: float = Field(description="(R_L − 1)/2 = L(k − 1)/2: grows like L.")
    radius: float = Field(description="Half-width holding mass_fraction: grows like √L.")
    mass_fraction: float = Field(description="The share of mass `radius` holds.")
    std: float = Field(description="Standard deviation of the gradient distribution.")
    gaussian_std: float = Field(description="√(L(k² − 1)/12) (Luo et al. 2016): std's reference.")
    radius_ratio: float = Field(description="radius / theoretical_radius: shrinks like 1/√L.")
    num_layers: int = Field(description="L.")
    kernel_size: int = Field(description="k.")


class EffectiveRFSeriesRequest(RequestModel):
    """Several depths at once, for the plot of radius against L."""

    depths: list[Depth] = Field([1, 2, 4, 8, 16], min_length=1, max_length=32, description="L.")
    kernel_size: int = Field(3, ge=2, le=9, description="Kernel side k of every layer.")
    weights: Weights = Field("uniform", description='"uniform" or "random", as for one depth.')
    relu: bool = Field(False, description="ReLU after every layer but the last.")
    num_samples: int = Field(4, ge=1, le=64, description="Samples averaged per depth.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the random inputs / weights.")
    mass_fraction: MassFraction = Field(0.95, description="Mass the radius holds.")


class EffectiveRFSeriesResponse(ResultModel):
    """Measured and theoretical radius per depth, with fitted growth exponents."""

    kernel_size: int = Field(description="k.")
    points: list[SeriesPoint] = Field(description="One point per distinct depth, ascending.")
    std_exponent: float | None = Field(description="Slope of log std against log L.")
    radius_exponent: float | None = Field(description="Slope of log radius against log L.")
