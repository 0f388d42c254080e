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
):
    api_router.include_router(module.router)
api_router.include_router(exercises.router)
api_router.include_router(conv_layer.router)  # backward, transposed, Mᵀ, 1-D (issue 12)
