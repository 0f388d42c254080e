"""Routes for parameter counts: a dense layer against a conv layer (tutorial Q6a)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import JsonBody
from app.api.schemas.parameters import Breakdown, ParametersRequest, ParametersResponse
from app.engine import parameters as engine
from app.engine.receptive_field import as_pair

router = APIRouter(tags=["parameters"])


def _breakdown(count: engine.Count) -> Breakdown:
    return Breakdown(
        weights=count.weights, biases=count.biases, total=count.total, formula=count.formula
    )


@router.post("/parameters", response_model=ParametersResponse)
def parameters(request: JsonBody[ParametersRequest]) -> ParametersResponse:
    """Parameters of n_in → n_out against F filters of k×k over C channels."""
    fc = engine.dense_parameters(request.fc.in_features, request.fc.out_features, request.fc.bias)
    conv = engine.conv_parameters(
        request.conv.in_channels,
        request.conv.filters,
        as_pair(request.conv.kernel_size, "kernel_size"),
        request.conv.bias,
    )
    return ParametersResponse(
        fc_parameters=fc.total,
        conv_parameters=conv.total,
        fc=_breakdown(fc),
        conv=_breakdown(conv),
        ratio=fc.total / conv.total,
    )
