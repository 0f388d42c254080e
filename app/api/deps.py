"""Shared dependencies as Annotated aliases; tests swap them with app.dependency_overrides.

``JsonBody[Model]`` is how every route takes its JSON body: the body is parsed and validated
in a worker thread (never on the event loop, where a large body would make every other request
wait), with the settings of the app serving the request in the validation context, so the
limits follow ``create_app(settings)`` (see app.api.schemas.common).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.mnist.inference import ModelRegistry

BODY_MODEL_ATTRIBUTE = "convlab_body_model"
"""Set on a JsonBody dependency: the model it validates (app.api.docs documents it)."""
BODY_MODELS_ATTRIBUTE = "convlab_body_models"
"""Set on a body dependency whose model depends on a path parameter: (parameter name,
{value: model}); app.api.docs documents the body as one of the models."""


async def get_settings_of_app(request: Request) -> Settings:
    """The settings the serving app was created with (``create_app(settings)``)."""
    return request.app.state.settings


async def get_models(request: Request) -> ModelRegistry:
    """The models loaded by the lifespan of this process (``async``: no worker thread needed)."""
    return request.app.state.models


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _json_error(error: dict[str, Any], body: bytes) -> dict[str, Any]:
    """pydantic's "Invalid JSON: …" as a sentence, without echoing the body."""
    reason = str(error["msg"]).removeprefix("Invalid JSON: ")
    message = (
        "the body is empty; send a JSON object"
        if not body.strip()
        else (f"the body is not valid JSON: {reason}")
    )
    return {"type": "json_invalid", "loc": ("body",), "msg": message, "input": None}


async def validate_json_body(
    request: Request, model: type[BaseModel], *, empty_means: bytes | None = None
) -> BaseModel:
    """The request's JSON body as ``model``, parsed and validated in a worker thread with the
    app's settings as context; 415 when it is not JSON. ``empty_means``: the JSON an empty body
    stands for (e.g. ``b"{}"`` where every field is optional), else an empty body is a 422."""
    body = await request.body()
    if empty_means is not None and not body.strip():
        body = empty_means
    elif not _is_json(request.headers.get("content-type")):
        shown = request.headers.get("content-type") or "none"
        raise HTTPException(
            status_code=415,
            detail=f"the body must be JSON sent with Content-Type: application/json "
            f"(got {shown[:60]})",
        )
    settings = request.app.state.settings
    try:
        return await run_in_threadpool(
            model.model_validate_json, body, context={"settings": settings}
        )
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            if error["type"] == "json_invalid":
                errors.append(_json_error(dict(error), body))
            else:
                errors.append({**error, "loc": ("body", *error["loc"])})
        raise RequestValidationError(errors) from None


@cache
def json_body(model: type[BaseModel]) -> Callable[[Request], Awaitable[BaseModel]]:
    """The dependency that reads, parses and validates a ``model`` body off the event loop."""

    async def read_body(request: Request) -> BaseModel:
        return await validate_json_body(request, model)

    read_body.__name__ = f"read_{model.__name__}"
    setattr(read_body, BODY_MODEL_ATTRIBUTE, model)
    return read_body


class JsonBody:
    """``body: JsonBody[Conv2dRequest]``: the validated body of a route (see module doc)."""

    def __class_getitem__(cls, model: type[BaseModel]) -> Any:
        return Annotated[model, Depends(json_body(model))]


SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]
ModelsDep = Annotated[ModelRegistry, Depends(get_models)]
