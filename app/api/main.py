"""Gathers every topic router under /api."""

from fastapi import APIRouter

from app.api import (
    conv,
    conv_layer,
    exercises,
    experiments,
    health,
    mnist,
    parameters,
    pool,
    receptive_field,
    regularization,
    sessions,
    shift,
)

api_router = APIRouter(prefix="/api")
for module in (
    conv,
    pool,
    shift,
    receptive_field,
    parameters,
    regularization,
    mnist,
    experiments,
    health,
    exercises,
    conv_layer,  # backward, transposed, Mᵀ, 1-D
    sessions,
):
    api_router.include_router(module.router)
