"""What each MNIST route computes, one call per request: the digit made ready, then the model.

A request's digit is a 28×28 image or a PNG drawing (normalised as MNIST was: crop, scale to
20 px, centre of mass at the centre). Each function here takes the digit as the request gives
it and returns everything its route answers, so the web layer only maps a result to JSON.
No HTTP here; ``InvalidInput`` for what the caller asked wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from app.mnist import inference
from app.mnist.inference import EncodedLayer, LoadedModel
from app.mnist.preprocess import Preprocessed, png_data_url, preprocess_png


@dataclass(frozen=True, kw_only=True)
class Digit:
    """The digit of a request: ``image`` (28×28 in [0, 1]) or ``png`` (PNG bytes, refused
    beyond ``max_png_side`` pixels per side), not both."""

    image: Sequence[Sequence[float]] | np.ndarray | None = None
    png: bytes | None = None
    max_png_side: int


@dataclass(frozen=True)
class Preview:
    """One stage of the MNIST normalisation of a drawing, as a small grayscale PNG."""

    name: Literal["grayscale", "crop", "scale", "center"]
    """The stage."""
    description: str
    """What this step did, in one sentence."""
    width: int
    """Width of the step's image in pixels (before any preview)."""
    height: int
    """Height of the step's image in pixels."""
    png: str
    """data:image/png;base64 URL of the image, bright digit on black."""


@dataclass(frozen=True)
class Preprocessing:
    """How a drawing became the 28×28 image the network saw."""

    original_size: tuple[int, int]
    """(width, height) of the PNG."""
    polarity: Literal["dark_on_light", "light_on_dark", "transparent"]
    """Ink."""
    bbox: tuple[int, int, int, int]
    """Bounding box of the ink in the PNG."""
    scale: float
    """Resize factor applied to the crop (longer side -> 20 px)."""
    center_of_mass: tuple[float, float]
    """(x, y) in the 28×28 image."""
    steps: list[Preview]
    """grayscale, crop, scale, center, in order."""


@dataclass(frozen=True)
class Prepared:
    """The (1, 1, 28, 28) input made from a digit; for a PNG, how (and, when asked, previews)."""

    x: torch.Tensor
    preprocessed: Preprocessed | None
    previews: list[Preview] | None

    @property
    def image(self) -> np.ndarray:
        """The 28×28 the model sees."""
        return self.x[0, 0].numpy()

    @property
    def preprocessing(self) -> Preprocessing | None:
        """How a PNG became the 28×28 (rounded for JSON), when its previews were made."""
        done = self.preprocessed
        if done is None or self.previews is None:
            return None
        x, y = done.center_of_mass
        scale, center = round(done.scale, 6), (round(x, 3), round(y, 3))
        return Preprocessing(
            done.original_size, done.polarity, done.bbox, scale, center, self.previews
        )


def prepare(digit: Digit, *, previews: bool = False) -> Prepared:
    """The model input of ``digit``; ``previews`` encodes each preprocessing stage as a PNG
    (four small PNGs: about a third of a light activations request's CPU, so only on demand)."""
    if digit.image is not None:
        return Prepared(inference.to_tensor(digit.image), None, None)
    assert digit.png is not None, "a digit is an image or a PNG"
    result = preprocess_png(digit.png, max_side=digit.max_png_side)
    shown = None
    if previews:
        shown = [
            Preview(
                s.name, s.description, s.image.shape[1], s.image.shape[0], png_data_url(s.image)
            )
            for s in result.steps
        ]
    return Prepared(inference.to_tensor(result.image), result, shown)


def _shifted(digit: Digit, shift: tuple[int, int], previews: bool = False) -> Prepared:
    """``prepare`` of the digit, its input shifted by ``shift`` = (dx, dy)."""
    prepared = prepare(digit, previews=previews)
    x = inference.shift(prepared.x, *shift)
    return Prepared(x, prepared.preprocessed, prepared.previews)


@dataclass(frozen=True)
class Prediction:
    digit: Prepared
    probabilities: np.ndarray  # (10,)


def predict(model: LoadedModel, digit: Digit) -> Prediction:
    """The class probabilities of one digit, with its preprocessing previews."""
    prepared = prepare(digit, previews=True)
    return Prediction(prepared, inference.probabilities(model, prepared.x)[0])


@dataclass(frozen=True)
class Activations:
    digit: Prepared  # x is the shifted input the network saw
    layers: list[EncodedLayer]
    probabilities: np.ndarray


def activations(
    model: LoadedModel,
    digit: Digit,
    *,
    shift: tuple[int, int] = (0, 0),
    overrides: Mapping[int, Sequence[Sequence[float]]] | None = None,
    previews: bool = False,
) -> Activations:
    """Every layer's output (8-bit quantised) for one digit shifted by ``shift`` = (dx, dy),
    with first-layer kernels replaced by ``overrides`` for this call only."""
    shifted = _shifted(digit, shift, previews)
    layers, probs = inference.encoded_activations(model, shifted.x, overrides)
    return Activations(shifted, layers, probs)


@dataclass(frozen=True)
class Saliency:
    digit: Prepared  # shifted
    gradient: np.ndarray  # (28, 28)
    probabilities: np.ndarray
    target: int

    @property
    def max_abs(self) -> float:
        """Largest |gradient| (a symmetric colour scale's end)."""
        return float(np.abs(self.gradient).max())


def saliency(
    model: LoadedModel, digit: Digit, *, shift: tuple[int, int] = (0, 0), target: int | None
) -> Saliency:
    """∂ logit_target / ∂ input for one digit shifted by ``shift`` (target: the predicted class
    when None)."""
    shifted = _shifted(digit, shift)
    gradient, probs, chosen = inference.saliency(model, shifted.x, target)
    return Saliency(shifted, gradient, probs, chosen)


@dataclass(frozen=True)
class GradCam:
    digit: Prepared  # shifted
    result: inference.GradCam

    @property
    def max(self) -> float:
        """Largest cam value (0 when no part of the image raises the target's score)."""
        return float(self.result.cam.max())


def gradcam(
    model: LoadedModel, digit: Digit, *, shift: tuple[int, int] = (0, 0), target: int | None
) -> GradCam:
    """Grad-CAM of the last conv block for one digit shifted by ``shift`` (target: the
    predicted class when None); InvalidInput for a model without convolutions."""
    inference.gradcam_layer(model)  # refuse the FC net before any preprocessing
    shifted = _shifted(digit, shift)
    return GradCam(shifted, inference.gradcam(model, shifted.x, target))


@dataclass(frozen=True)
class ConvLayerWeights:
    """The learned kernels of one conv layer."""

    name: str
    """Layer name, e.g. "conv1"."""
    shape: list[int]
    """(C_out, C_in, kh, kw)."""
    weight: list[list[list[list[float]]]]
    """C_out×C_in×kh×kw kernels."""
    bias: list[float]
    """C_out biases."""
    min: float
    """Smallest weight of the layer."""
    max: float
    """Largest weight of the layer."""


FILTER_DECIMALS = 5


def filters(model: LoadedModel) -> list[ConvLayerWeights]:
    """Every conv layer's kernels and biases (BatchNorm folded in), rounded for JSON."""
    return [
        ConvLayerWeights(
            name=layer.name,
            shape=list(layer.weight.shape),
            weight=inference.rounded(layer.weight, FILTER_DECIMALS),
            bias=inference.rounded(layer.bias, FILTER_DECIMALS),
            min=float(layer.weight.min()),
            max=float(layer.weight.max()),
        )
        for layer in inference.conv_filters(model)
    ]


PROBABILITY_DECIMALS = 6


@dataclass(frozen=True)
class ModelScan:
    """One model over the whole shift grid."""

    probabilities: list[list[list[float]]]
    """[dy][dx][digit] softmax."""
    labels: list[list[int]]
    """[dy index][dx index] predicted digit."""


@dataclass(frozen=True)
class ShiftScan:
    digit: Prepared
    dxs: list[int]
    dys: list[int]
    probabilities: dict[str, np.ndarray]  # model name → (len(dys), len(dxs), 10)

    @property
    def models(self) -> dict[str, ModelScan]:
        """Each model's grid as the route answers it (probabilities rounded for JSON)."""
        return {
            name: ModelScan(
                inference.rounded(probs, PROBABILITY_DECIMALS), probs.argmax(axis=2).tolist()
            )
            for name, probs in self.probabilities.items()
        }


def shift_scan(
    models: Sequence[LoadedModel],
    digit: Digit,
    *,
    dx: tuple[int, int],
    dy: tuple[int, int],
) -> ShiftScan:
    """Each model's probabilities for every shift (dx, dy) of one digit in the inclusive
    ranges ``dx`` and ``dy``, one batch per model."""
    prepared = prepare(digit)
    dxs = list(range(dx[0], dx[1] + 1))
    dys = list(range(dy[0], dy[1] + 1))
    batch = inference.shifted_grid(prepared.x, dxs, dys)  # (len(dys) * len(dxs), 1, 28, 28)
    probabilities = {
        model.name: inference.probabilities(model, batch).reshape(len(dys), len(dxs), 10)
        for model in models
    }
    return ShiftScan(prepared, dxs, dys, probabilities)
