"""Request and response models of the MNIST routes (/api/mnist/...)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from app.api.schemas.common import KH, KW, RequestModel, ResultModel, numeric_array, settings_of
from app.mnist.card import ModelCard, ShiftConsistency
from app.mnist.inference import EncodedLayer, LayerInfo
from app.mnist.lab import ConvLayerWeights, ModelScan, Preprocessing
from app.mnist.models import ModelName

MNIST_SIDE = 28
MAX_SHIFT = 14
"""Largest |dx| or |dy| accepted anywhere (half the image: beyond it the digit is gone)."""
MAX_SHIFT_GRID = 17 * 17
"""Most shifts one shift-scan may ask for (two forward passes of that many images)."""

MnistImage = numeric_array(
    axes={2: (("{n} rows", MNIST_SIDE, "28"), ("{n} columns", MNIST_SIDE, "28"))},
    bounds=(0.0, 1.0),
    description="28 rows of 28 intensities in [0, 1]: 0 is black background, 1 is full ink.",
)
"""28 rows of 28 intensities in [0, 1], validated to a float64 array."""
MAX_OVERRIDE_WEIGHT = 100.0
"""Largest |weight| of an edited first-layer kernel (Sobel's is 2; no activation overflows)."""
OverrideKernel = numeric_array(
    axes={2: (KH, KW)},
    bounds=(-MAX_OVERRIDE_WEIGHT, MAX_OVERRIDE_WEIGHT),
    description="A kh×kw kernel (the first conv layer's size), weights in [−100, 100].",
)
ShiftValue = Annotated[int, Field(ge=-MAX_SHIFT, le=MAX_SHIFT)]
Shift = tuple[ShiftValue, ShiftValue]
SHIFT = "(dx, dy) applied to the 28×28 input first (dx > 0 right, dy > 0 down, zero fill)."
ChannelKey = Annotated[int, Field(ge=0, le=1023, strict=False)]
OVERRIDES = "{first-layer channel: kh×kw kernel} replacing learned kernels in this request (CNN)."
ClassIndex = Annotated[int, Field(ge=0, le=9)]

PNG_PREFIX = "data:image/png;base64,"


def decode_png_payload(value: str, limit: int) -> bytes:
    """The PNG bytes of a ``data:image/png;base64,...`` URL (prefix in any case) or bare base64."""
    text = value.strip()
    if text[:5].lower() == "data:":
        if text[: len(PNG_PREFIX)].lower() != PNG_PREFIX:
            media = text[5:].split(",", 1)[0][:40]
            raise ValueError(f"must be a data:image/png;base64 URL, got data:{media}")
        text = text[len(PNG_PREFIX) :]
    # base64 carries 3 bytes in 4 characters: reject before decoding a huge string
    if len(text) * 3 // 4 > limit + 3:
        raise ValueError(f"PNG is larger than the limit of {limit} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if not data:
        raise ValueError("is empty")
    if len(data) > limit:
        raise ValueError(f"PNG is {len(data)} bytes, larger than the limit of {limit} bytes")
    return data


def _png_bytes(value: object, info: ValidationInfo) -> bytes:
    if not isinstance(value, str):
        raise ValueError("must be a string: a data:image/png;base64 URL")
    return decode_png_payload(value, settings_of(info).max_png_bytes)


PngDataUrl = Annotated[
    bytes,
    PlainValidator(_png_bytes),
    WithJsonSchema({"type": "string", "format": "data-url"}),
]
"""A PNG as a data URL in the request, its decoded bytes after validation."""

# -- inputs -------------------------------------------------------------------------------------


class DigitInput(RequestModel):
    """One digit: exactly one of ``image`` (28×28, MNIST convention) or ``image_png``."""

    image: MnistImage | None = Field(default=None, description="28×28 intensities in [0, 1].")
    image_png: PngDataUrl | None = Field(default=None, description="A drawing, MNIST-normalised.")

    @model_validator(mode="after")
    def _exactly_one_image(self) -> DigitInput:
        if (self.image is None) == (self.image_png is None):
            raise ValueError('give exactly one of "image" (28×28 floats) or "image_png"')
        return self


class PredictRequest(DigitInput):
    """Classify one digit with one model."""

    model: ModelName = Field("cnn", description='"cnn", "fc" or "cnn-aa" (max-blur pooling).')


class ActivationsRequest(PredictRequest):
    """Run one digit through a model and return every layer's output."""

    shift: Shift = Field((0, 0), description=SHIFT)
    kernel_overrides: dict[ChannelKey, OverrideKernel] = Field(
        default_factory=dict, max_length=64, description=OVERRIDES
    )
    previews: bool = Field(True, description="Include a PNG's preprocessing stages as PNGs.")


class SaliencyRequest(PredictRequest):
    """Gradient of one class score with respect to the input pixels."""

    target: ClassIndex | None = Field(None, description="Class whose logit; default: predicted.")
    shift: Shift = Field((0, 0), description=SHIFT)


class GradCamRequest(SaliencyRequest):
    """Grad-CAM of the last conv block: which parts of the digit one class score depends on."""


class ShiftScanRequest(DigitInput):
    """Models on every shift (dx, dy) of one digit over a rectangular grid (≤ 289 cells)."""

    models: list[ModelName] = Field(
        ["cnn", "fc"], min_length=1, max_length=3, description="Each once."
    )
    dx: Shift = Field((-4, 4), description="Inclusive range [dx_min, dx_max].")
    dy: Shift = Field((0, 0), description="Inclusive range [dy_min, dy_max].")

    @model_validator(mode="after")
    def _ordered_ranges(self) -> ShiftScanRequest:
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"models must each be named once, got {', '.join(self.models)}")
        for name, (low, high) in (("dx", self.dx), ("dy", self.dy)):
            if low > high:
                raise ValueError(f"{name} range [{low}, {high}] is empty: the minimum is first")
        cells = (self.dx[1] - self.dx[0] + 1) * (self.dy[1] - self.dy[0] + 1)
        if cells > MAX_SHIFT_GRID:
            raise ValueError(
                f"the grid has {cells} shifts, over the limit of {MAX_SHIFT_GRID} (e.g. ±8 on "
                "both axes, or ±14 on one)"
            )
        return self


# -- outputs ------------------------------------------------------------------------------------


class PredictResponse(ResultModel):
    """A model's reading of one digit."""

    model: ModelName = Field(description="The network that answered.")
    label: int = Field(ge=0, le=9, description="The most probable digit.")
    probabilities: list[float] = Field(description="Softmax probabilities of digits 0..9.")
    input: list[list[float]] = Field(description="The 28×28 image the model saw, in [0, 1].")
    preprocessing: Preprocessing | None = Field(None, description="The normalisation steps.")


class ActivationsResponse(ResultModel):
    """Every layer of one forward pass."""

    model: ModelName = Field(description="The network that ran.")
    label: int = Field(ge=0, le=9, description="The most probable digit.")
    probabilities: list[float] = Field(description="Softmax probabilities of digits 0..9.")
    input: list[list[float]] = Field(description="The 28×28 input after the shift.")
    shift: tuple[int, int] = Field(description="(dx, dy) applied.")
    overridden_channels: list[int] = Field(description="First-layer channels replaced.")
    layers: list[EncodedLayer] = Field(description="Every layer in order, input first.")
    preprocessing: Preprocessing | None = Field(None, description="The normalisation steps.")


class SaliencyResponse(BaseModel):
    """d(score of ``target``)/d(input pixel) for every pixel."""

    model: ModelName = Field(description="The network differentiated.")
    label: int = Field(ge=0, le=9, description="The most probable digit.")
    target: int = Field(ge=0, le=9, description="The class whose logit was differentiated.")
    probabilities: list[float] = Field(description="Softmax probabilities of digits 0..9.")
    input: list[list[float]] = Field(description="The 28×28 input (after the shift).")
    gradient: list[list[float]] = Field(description="28×28 gradient of the target logit.")
    max_abs: float = Field(description="Largest |gradient| (for a symmetric colour scale).")


class GradCamResponse(BaseModel):
    """Grad-CAM: ReLU(Σ_k α_k A_k) with α_k the mean of ∂(target logit)/∂A_k over positions."""

    model: ModelName = Field(description="The network explained.")
    label: int = Field(ge=0, le=9, description="The most probable digit.")
    target: int = Field(ge=0, le=9, description="The class whose logit was explained.")
    layer: str = Field(description='The maps A weighed, e.g. "relu3" (after the last conv).')
    probabilities: list[float] = Field(description="Softmax probabilities of digits 0..9.")
    input: list[list[float]] = Field(description="The 28×28 input (after the shift).")
    cam: list[list[float]] = Field(description="h×w map at the layer's resolution, ≥ 0.")
    cam_upsampled: list[list[float]] = Field(description="The map bilinearly upsampled to 28×28.")
    weights: list[float] = Field(description="α_k, one per channel of the layer.")
    max: float = Field(description="Largest cam value (0: no region raises the score).")


class ShiftScanResponse(ResultModel):
    """The FC-vs-CNN translation argument on one digit."""

    dx: list[int] = Field(description="Horizontal shifts, in order (columns of the grids).")
    dy: list[int] = Field(description="Vertical shifts, in order (rows of the grids).")
    input: list[list[float]] = Field(description="The unshifted 28×28 input.")
    models: dict[ModelName, ModelScan] = Field(description="The requested models, by name.")


class ModelInfo(ResultModel):
    """One loaded model."""

    name: ModelName = Field(description="Model name.")
    description: str = Field(description="One line about the architecture.")
    input_shape: list[int] = Field(description="(1, 28, 28).")
    layers: list[LayerInfo] = Field(description="The layers in order.")
    total_parameters: int = Field(description="Learned numbers in the whole model.")
    card: ModelCard | None = Field(None, description="The training card shipped with the weights.")


class ModelsResponse(ResultModel):
    """Every loaded model."""

    models: list[ModelInfo] = Field(description="cnn, fc, then cnn-aa (those loaded).")
    shift_consistency: ShiftConsistency | None = Field(None, description="Measured offline.")


class FiltersResponse(ResultModel):
    """Every conv layer's kernels (BatchNorm already folded in)."""

    model: ModelName = Field(description="The model (only the CNN has conv layers).")
    layers: list[ConvLayerWeights] = Field(description="conv1, conv2, ... in order.")
