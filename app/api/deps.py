"""Shared dependencies as Annotated aliases; tests swap them with app.dependency_overrides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings, get_settings
from app.mnist.inference import ModelRegistry


def get_models(request: Request) -> ModelRegistry:
    """The models loaded by the lifespan of this process."""
    return request.app.state.models


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelsDep = Annotated[ModelRegistry, Depends(get_models)]
