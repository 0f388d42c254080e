"""Turn the engine's InvalidInput into a 422 whose detail is the engine's message."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.engine.errors import InvalidInput


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map domain errors to 4xx responses."""
    app.add_exception_handler(InvalidInput, _invalid_input)
