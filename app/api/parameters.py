"""Routes for parameter counts: a dense layer against a conv layer (tutorial Q6a)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.parameters import ParametersRequest, ParametersResponse
from app.engine import parameters as engine

router = APIRouter(tags=["parameters"])


@router.post("/parameters", response_model=ParametersResponse)
def parameters(request: JsonBody[ParametersRequest]) -> engine.Comparison:
    """Parameters of n_in → n_out against F filters of k×k over C channels."""
    return engine.compare_layers(
        in_features=request.fc.in_features,
        out_features=request.fc.out_features,
        fc_bias=request.fc.bias,
        in_channels=request.conv.in_channels,
        filters=request.conv.filters,
        kernel_size=request.conv.kernel_size,
        conv_bias=request.conv.bias,
    )
