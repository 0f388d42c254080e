"""Routes of the MNIST lab: predict, every layer's activations, saliency, shift scan, models.

The models come from the lifespan (ModelsDep); all torch work is in app.mnist.inference and
runs in these plain ``def`` endpoints (FastAPI's thread pool), never in ``async def``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import JsonBody, ModelsDep, SettingsDep
from app.api.schemas.mnist import (
    ActivationsRequest,
    ActivationsResponse,
    ConvFilters,
    DigitInput,
    FiltersResponse,
    LayerActivation,
    LayerInfo,
    ModelInfo,
    ModelsResponse,
    PredictRequest,
    PredictResponse,
    Preprocessing,
    PreprocessStep,
    SaliencyRequest,
    SaliencyResponse,
    ShiftScanModel,
    ShiftScanRequest,
    ShiftScanResponse,
)
from app.config import Settings
from app.mnist import inference
from app.mnist.inference import LoadedModel, ModelRegistry, ModelUnavailable
from app.mnist.preprocess import Preprocessed, png_data_url, preprocess_png

router = APIRouter(tags=["mnist"])

PROBABILITY_DECIMALS = 6
PIXEL_DECIMALS = 4


def _json(payload: BaseModel) -> Response:
    """The response model serialised once, by pydantic.

    Returned as a Response, FastAPI skips its own pass for a sync endpoint: a second
    thread-pool hop that re-validates the whole payload (784 pixels, every layer) against
    ``response_model``, then encodes it again. ``response_model`` still documents the route.
    """
    return Response(payload.model_dump_json(), media_type="application/json")


def _model(models: ModelRegistry, name: str) -> LoadedModel:
    try:
        return models.get(name)
    except ModelUnavailable as error:
        raise HTTPException(status_code=503, detail=str(error)) from None


def _preprocessing(result: Preprocessed) -> Preprocessing:
    steps = [
        PreprocessStep(
            name=step.name,
            description=step.description,
            width=step.image.shape[1],
            height=step.image.shape[0],
            png=png_data_url(step.image),
        )
        for step in result.steps
    ]
    return Preprocessing(
        original_size=result.original_size,
        polarity=result.polarity,
        bbox=result.bbox,
        scale=round(result.scale, 6),
        center_of_mass=(round(result.center_of_mass[0], 3), round(result.center_of_mass[1], 3)),
        steps=steps,
    )


def _digit(
    body: DigitInput, settings: Settings, *, previews: bool = False
) -> tuple[torch.Tensor, Preprocessing | None]:
    """The (1, 1, 28, 28) input of a request, and how it was made from a PNG (if it was and
    ``previews`` asks for it: four small PNGs encoded, a third of a light request's cost)."""
    if body.image is not None:
        return inference.to_tensor(body.image), None
    assert body.image_png is not None
    result = preprocess_png(body.image_png, max_side=settings.max_png_side)
    return inference.to_tensor(result.image), _preprocessing(result) if previews else None


def _probabilities(probs: np.ndarray) -> list[float]:
    return inference.rounded(probs, PROBABILITY_DECIMALS)


@router.post("/mnist/predict", response_model=PredictResponse)
def predict(body: JsonBody[PredictRequest], models: ModelsDep, settings: SettingsDep) -> Response:
    """Classify one digit (28×28 image or PNG drawing) with the CNN or the FC network."""
    model = _model(models, body.model)
    x, steps = _digit(body, settings, previews=True)
    probs = inference.probabilities(model, x)[0]
    return _json(
        PredictResponse(
            model=body.model,
            label=int(probs.argmax()),
            probabilities=_probabilities(probs),
            input=inference.rounded(x[0, 0].numpy(), PIXEL_DECIMALS),
            preprocessing=steps,
        )
    )


@router.post("/mnist/activations", response_model=ActivationsResponse)
def activations(
    body: JsonBody[ActivationsRequest], models: ModelsDep, settings: SettingsDep
) -> Response:
    """Every layer's output for one digit, 8-bit quantised; optional shift and kernel edits."""
    model = _model(models, body.model)
    x, steps = _digit(body, settings, previews=body.previews)
    x = inference.shift(x, *body.shift)
    layers, probs = inference.encoded_activations(model, x, body.kernel_overrides)
    encoded = [
        LayerActivation(
            name=layer.name,
            kind=layer.kind,
            shape=list(layer.shape),
            min=layer.quantised.min,
            max=layer.quantised.max,
            scale=layer.quantised.scale,
            data=layer.quantised.data,
        )
        for layer in layers
    ]
    return _json(
        ActivationsResponse(
            model=body.model,
            label=int(probs.argmax()),
            probabilities=_probabilities(probs),
            input=inference.rounded(x[0, 0].numpy(), PIXEL_DECIMALS),
            shift=body.shift,
            overridden_channels=sorted(body.kernel_overrides),
            layers=encoded,
            preprocessing=steps,
        )
    )


@router.post("/mnist/saliency", response_model=SaliencyResponse)
def saliency(body: JsonBody[SaliencyRequest], models: ModelsDep, settings: SettingsDep) -> Response:
    """Gradient of one class's logit with respect to every input pixel."""
    model = _model(models, body.model)
    x, _ = _digit(body, settings)
    x = inference.shift(x, *body.shift)
    gradient, probs, target = inference.saliency(model, x, body.target)
    return _json(
        SaliencyResponse(
            model=body.model,
            label=int(probs.argmax()),
            target=target,
            probabilities=_probabilities(probs),
            input=inference.rounded(x[0, 0].numpy(), PIXEL_DECIMALS),
            gradient=np.asarray(gradient, dtype=np.float64).tolist(),
            max_abs=float(np.abs(gradient).max()),
        )
    )


@router.post("/mnist/shift-scan", response_model=ShiftScanResponse)
def shift_scan(
    body: JsonBody[ShiftScanRequest], models: ModelsDep, settings: SettingsDep
) -> Response:
    """Both models' probabilities for every shift (dx, dy) of one digit in the given ranges."""
    cnn, fc = _model(models, "cnn"), _model(models, "fc")
    x, _ = _digit(body, settings)
    dxs = list(range(body.dx[0], body.dx[1] + 1))
    dys = list(range(body.dy[0], body.dy[1] + 1))
    batch = inference.shifted_grid(x, dxs, dys)  # (len(dys) * len(dxs), 1, 28, 28)
    results = {}
    for model in (cnn, fc):
        probs = inference.probabilities(model, batch).reshape(len(dys), len(dxs), 10)
        results[model.name] = ShiftScanModel(
            probabilities=inference.rounded(probs, PROBABILITY_DECIMALS),
            labels=probs.argmax(axis=2).tolist(),
        )
    return _json(
        ShiftScanResponse(
            dx=dxs,
            dy=dys,
            input=inference.rounded(x[0, 0].numpy(), PIXEL_DECIMALS),
            models=results,
        )
    )


@router.get("/mnist/models", response_model=ModelsResponse)
def list_models(models: ModelsDep) -> Response:
    """Each loaded model's layers, output shapes, parameters per layer and training card."""
    infos = []
    for model in models.models.values():
        infos.append(
            ModelInfo(
                name=model.name,
                description=model.description,
                input_shape=[1, inference.MNIST_SIDE, inference.MNIST_SIDE],
                layers=[
                    LayerInfo(
                        name=layer.name,
                        kind=layer.kind,
                        output_shape=list(layer.output_shape),
                        parameters=layer.parameters,
                        config=layer.config,
                    )
                    for layer in model.layers
                ],
                total_parameters=model.total_parameters,
                card=model.card,
            )
        )
    return _json(ModelsResponse(models=infos))


@router.get("/mnist/filters", response_model=FiltersResponse)
def filters(
    models: ModelsDep,
    model: Literal["cnn", "fc"] = Query("cnn", description="Model whose conv kernels to list."),
) -> Response:
    """The learned kernels and biases of every conv layer (BatchNorm folded in)."""
    layers = [
        ConvFilters(
            name=layer.name,
            shape=list(layer.weight.shape),
            weight=inference.rounded(layer.weight, 5),
            bias=inference.rounded(layer.bias, 5),
            min=float(layer.weight.min()),
            max=float(layer.weight.max()),
        )
        for layer in inference.conv_filters(_model(models, model))
    ]
    return _json(FiltersResponse(model=model, layers=layers))
