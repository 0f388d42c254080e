"""Routes for receptive fields: the theoretical field of a stack, presets, the effective field."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody, SettingsDep
from app.api.schemas.receptive_field import (
    EffectiveRFRequest,
    EffectiveRFResponse,
    EffectiveRFSeriesRequest,
    EffectiveRFSeriesResponse,
    Preset,
    PresetList,
    ReceptiveFieldRequest,
    ReceptiveFieldResponse,
)
from app.engine import effective_rf
from app.engine import receptive_field as rf

router = APIRouter(tags=["receptive-field"])


@router.post("/receptive-field", response_model=ReceptiveFieldResponse)
def receptive_field(request: JsonBody[ReceptiveFieldRequest]) -> ReceptiveFieldResponse:
    """Receptive field, jump, start and output size per layer; the input region of a unit."""
    unit = None if request.unit is None else (request.unit.layer, request.unit.position)
    layers = [spec.model_dump() for spec in request.layers]
    stack = rf.analyse_stack(layers, request.input_size, unit)
    return ReceptiveFieldResponse.model_validate(stack)


@router.get("/receptive-field/presets", response_model=PresetList)
def presets() -> PresetList:
    """Named layer stacks: L layers of k×k, LeNet-5, AlexNet (v2), VGG-16."""
    return PresetList(presets=[Preset.model_validate(preset) for preset in rf.PRESETS])


@router.post("/receptive-field/effective", response_model=EffectiveRFResponse)
def effective(request: JsonBody[EffectiveRFRequest], settings: SettingsDep) -> EffectiveRFResponse:
    """The effective receptive field (Luo et al. 2016) of L conv layers of k×k, by autograd."""
    field = effective_rf.effective_receptive_field(
        request.num_layers,
        request.kernel_size,
        weights=request.weights,
        relu=request.relu,
        num_samples=request.num_samples,
        seed=request.seed,
        input_size=request.input_size,
        mass_fraction=request.mass_fraction,
        max_macs=settings.max_erf_macs,
    )
    return EffectiveRFResponse.model_validate(field)


@router.post("/receptive-field/effective/series", response_model=EffectiveRFSeriesResponse)
def effective_series(
    request: JsonBody[EffectiveRFSeriesRequest], settings: SettingsDep
) -> EffectiveRFSeriesResponse:
    """Measured and theoretical radius at several depths, with their growth exponents."""
    growth = effective_rf.effective_rf_growth(
        request.depths,
        request.kernel_size,
        weights=request.weights,
        relu=request.relu,
        num_samples=request.num_samples,
        seed=request.seed,
        mass_fraction=request.mass_fraction,
        max_macs=settings.max_erf_macs,
    )
    return EffectiveRFSeriesResponse.model_validate(growth)
