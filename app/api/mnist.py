"""Routes of the MNIST lab: predict, every layer's activations, saliency, Grad-CAM, shift scan,
models, filters.

The models come from the lifespan (ModelsDep); all torch work is in app.mnist.inference and
runs in these plain ``def`` endpoints (FastAPI's thread pool), never in ``async def``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import JsonBody, ModelsDep, SettingsDep
from app.api.schemas.mnist import (
    ActivationsRequest,
    ActivationsResponse,
    DigitInput,
    FiltersResponse,
    GradCamRequest,
    GradCamResponse,
    ModelsResponse,
    PredictRequest,
    PredictResponse,
    SaliencyRequest,
    SaliencyResponse,
    ShiftScanRequest,
    ShiftScanResponse,
)
from app.config import Settings
from app.mnist import inference, lab
from app.mnist.inference import LoadedModel, ModelRegistry, ModelUnavailable
from app.mnist.models import ModelName

router = APIRouter(tags=["mnist"])

PIXEL_DECIMALS = 4
CAM_DECIMALS = 6


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


def _digit(body: DigitInput, settings: Settings) -> lab.Digit:
    return lab.Digit(image=body.image, png=body.image_png, max_png_side=settings.max_png_side)


def _probabilities(probs: np.ndarray) -> list[float]:
    return inference.rounded(probs, lab.PROBABILITY_DECIMALS)


def _input(digit: lab.Prepared) -> list:
    return inference.rounded(digit.image, PIXEL_DECIMALS)


@router.post("/mnist/predict", response_model=PredictResponse)
def predict(body: JsonBody[PredictRequest], models: ModelsDep, settings: SettingsDep) -> Response:
    """Classify one digit (28×28 image or PNG drawing) with the CNN or the FC network."""
    result = lab.predict(_model(models, body.model), _digit(body, settings))
    probs = result.probabilities
    return _json(
        PredictResponse(
            model=body.model,
            label=int(probs.argmax()),
            probabilities=_probabilities(probs),
            input=_input(result.digit),
            preprocessing=result.digit.preprocessing,
        )
    )


@router.post("/mnist/activations", response_model=ActivationsResponse)
def activations(
    body: JsonBody[ActivationsRequest], models: ModelsDep, settings: SettingsDep
) -> Response:
    """Every layer's output for one digit, 8-bit quantised; optional shift and kernel edits."""
    result = lab.activations(
        _model(models, body.model),
        _digit(body, settings),
        shift=body.shift,
        overrides=body.kernel_overrides,
        previews=body.previews,
    )
    probs = result.probabilities
    return _json(
        ActivationsResponse(
            model=body.model,
            label=int(probs.argmax()),
            probabilities=_probabilities(probs),
            input=_input(result.digit),
            shift=body.shift,
            overridden_channels=sorted(body.kernel_overrides),
            layers=result.layers,
            preprocessing=result.digit.preprocessing,
        )
    )


@router.post("/mnist/saliency", response_model=SaliencyResponse)
def saliency(body: JsonBody[SaliencyRequest], models: ModelsDep, settings: SettingsDep) -> Response:
    """Gradient of one class's logit with respect to every input pixel."""
    result = lab.saliency(
        _model(models, body.model), _digit(body, settings), shift=body.shift, target=body.target
    )
    probs = result.probabilities
    return _json(
        SaliencyResponse(
            model=body.model,
            label=int(probs.argmax()),
            target=result.target,
            probabilities=_probabilities(probs),
            input=_input(result.digit),
            gradient=result.gradient.tolist(),
            max_abs=result.max_abs,
        )
    )


@router.post("/mnist/gradcam", response_model=GradCamResponse)
def gradcam(body: JsonBody[GradCamRequest], models: ModelsDep, settings: SettingsDep) -> Response:
    """Grad-CAM of the last conv block: where one class's score depends on the digit."""
    result = lab.gradcam(
        _model(models, body.model), _digit(body, settings), shift=body.shift, target=body.target
    )
    cam = result.result
    return _json(
        GradCamResponse(
            model=body.model,
            label=int(cam.probabilities.argmax()),
            target=cam.target,
            layer=cam.layer,
            probabilities=_probabilities(cam.probabilities),
            input=_input(result.digit),
            cam=inference.rounded(cam.cam, CAM_DECIMALS),
            cam_upsampled=inference.rounded(cam.upsampled, CAM_DECIMALS),
            weights=inference.rounded(cam.weights, CAM_DECIMALS),
            max=result.max,
        )
    )


@router.post("/mnist/shift-scan", response_model=ShiftScanResponse)
def shift_scan(
    body: JsonBody[ShiftScanRequest], models: ModelsDep, settings: SettingsDep
) -> Response:
    """The models' probabilities for every shift (dx, dy) of one digit in the given ranges."""
    scan = lab.shift_scan(
        [_model(models, name) for name in body.models],
        _digit(body, settings),
        dx=body.dx,
        dy=body.dy,
    )
    return _json(
        ShiftScanResponse(
            dx=scan.dxs,
            dy=scan.dys,
            input=_input(scan.digit),
            models=scan.models,
        )
    )


@router.get("/mnist/models", response_model=ModelsResponse)
def list_models(models: ModelsDep) -> Response:
    """Each loaded model's layers, output shapes, parameters per layer and training card."""
    infos = list(models.models.values())
    return _json(ModelsResponse(models=infos, shift_consistency=models.consistency))


@router.get("/mnist/filters", response_model=FiltersResponse)
def filters(
    models: ModelsDep,
    model: Annotated[ModelName, Query(description="Model whose conv kernels to list.")] = "cnn",
) -> Response:
    """The learned kernels and biases of every conv layer (BatchNorm folded in)."""
    layers = lab.filters(_model(models, model))
    return _json(FiltersResponse(model=model, layers=layers))
