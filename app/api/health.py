"""Liveness and readiness: is the process up, are the models loaded."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app import __version__
from app.api.deps import ModelsDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description='"ok" when every model is loaded.')
    version: str = Field(description="ConvLab version.")
    models: dict[str, bool] = Field(description="Model name -> loaded.")


@router.get("/health", response_model=Health)
async def health(models: ModelsDep) -> Health:
    """Report the version and which MNIST models are loaded.

    ``async def`` on purpose: it does no work, so it answers on the event loop at once even
    when every worker thread is busy (a plain ``def`` would queue for a thread).
    """
    loaded = models.loaded()
    status = "ok" if loaded and all(loaded.values()) else "degraded"
    return Health(status=status, version=__version__, models=loaded)
