"""/docs response examples computed by the engine, never typed by hand.

The request examples are written in the schemas (the tutorial's X and K, …). The response
examples are what the routes answer to them: ``add_engine_examples(app)`` calls every route's
endpoint on its request example(s) — the route's one engine call and its mapping, as a request
would — and writes the answer into the response model's JSON schema (``example``, plus
``examples`` when the request has several), and each nested model's part of an answer into that
model's schema (the first answer that holds one). So /docs can never show a number the engine
would not compute. A route whose answer cannot be computed here keeps no response example: an
``async`` endpoint (a training run streams for minutes), a dependency that is not available
(the MNIST models before the lifespan loaded them), or an example the app's limits refuse.

It runs once per app, when /openapi.json is first built (``app.api.docs``); the examples are
small, the whole pass costs well under a second of CPU.
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import FastAPI, HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from app.api.deps import (
    BODY_MODEL_ATTRIBUTE,
    BODY_MODELS_ATTRIBUTE,
    get_models,
    get_settings_of_app,
)
from app.engine.errors import InvalidInput

_NOT_AVAILABLE = object()


class _Unavailable(Exception):
    """A value the endpoint needs cannot be had outside a request (or is refused)."""


def request_examples(model: type[BaseModel]) -> list[Any]:
    """The request examples of a body model: ``example`` first, then the other ``examples``."""
    extra = model.model_config.get("json_schema_extra")
    if not isinstance(extra, dict):
        return []
    found = [extra["example"]] if "example" in extra else []
    return found + [e for e in extra.get("examples", []) if e not in found]


def _path_example(dependant: Dependant, name: str) -> Any:
    for param in dependant.path_params:
        if param.name == name:
            examples = param.field_info.examples or []
            if examples:
                return examples[0]
    raise _Unavailable(f"path parameter {name} has no example")


def _resolve(app: FastAPI, dependant: Dependant, body: Any) -> dict[str, Any]:
    """The keyword arguments of ``dependant.call``: the example body validated as the route
    validates it, the app's settings / models, path parameters from their examples, query
    parameters from their example (else their default), and plain (non-async)
    sub-dependencies called."""
    settings = app.state.settings
    kwargs: dict[str, Any] = {}
    for param in dependant.path_params:
        kwargs[param.name] = _path_example(dependant, param.name)
    for param in dependant.query_params:
        if param.field_info.examples:  # e.g. ?seed=1: an example answer is reproducible
            kwargs[param.name] = param.field_info.examples[0]
        elif param.field_info.is_required():
            raise _Unavailable(f"query parameter {param.name} is required")
        else:
            kwargs[param.name] = param.field_info.get_default(call_default_factory=True)
    for sub in dependant.dependencies:
        call = sub.call
        model = getattr(call, BODY_MODEL_ATTRIBUTE, None)
        if getattr(call, BODY_MODELS_ATTRIBUTE, None) is not None:
            raise _Unavailable("the body model depends on the path")
        if model is not None:
            value: Any = model.model_validate_json(json.dumps(body), context={"settings": settings})
        elif call is get_settings_of_app:
            value = settings
        elif call is get_models:
            value = getattr(app.state, "models", _NOT_AVAILABLE)
            if value is _NOT_AVAILABLE:
                raise _Unavailable("the models are loaded by the lifespan")
        elif call is not None and not inspect.iscoroutinefunction(call):
            value = call(**_resolve(app, sub, body))
        else:
            raise _Unavailable(f"dependency {call!r} runs only in a request")
        assert sub.name is not None, f"{call!r} is not a parameter of {dependant.call!r}"
        kwargs[sub.name] = value
    return kwargs


def route_answer(app: FastAPI, route: APIRoute, body: Any = None) -> Any:
    """What ``route`` answers to the JSON ``body`` (None for a route without one), as parsed
    JSON; raises ``_Unavailable`` when it cannot be computed outside a request."""
    if inspect.iscoroutinefunction(route.endpoint):
        raise _Unavailable("async endpoint")
    try:
        result = route.endpoint(**_resolve(app, route.dependant, body))
    except (InvalidInput, HTTPException, ValidationError) as exc:
        raise _Unavailable(f"the example is refused: {exc}") from None
    if isinstance(result, Response):
        return json.loads(bytes(result.body))
    return json.loads(json.dumps(jsonable_encoder(result)))


def _model_fits(model: type[BaseModel], value: dict) -> bool:
    keys = {field.alias or name for name, field in model.model_fields.items()}
    required = {
        field.alias or name for name, field in model.model_fields.items() if field.is_required()
    }
    if model.model_config.get("extra") == "allow":
        return required <= set(value)
    return required <= set(value) <= keys


def _walk(annotation: Any, value: Any, found: dict[type[BaseModel], Any]) -> None:
    """Record, for every model inside ``annotation``, the first part of ``value`` it describes."""
    if value is None:
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, dict) and _model_fits(annotation, value):
            found.setdefault(annotation, value)
            for name, field in annotation.model_fields.items():
                key = field.alias or name
                if key in value:
                    _walk(field.annotation, value[key], found)
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        _walk(args[0], value, found)
    elif origin in (Union, types.UnionType):
        for arg in args:
            _walk(arg, value, found)
    elif origin in (list, tuple, set, frozenset) and isinstance(value, list):
        item_types = [a for a in args if a is not Ellipsis]
        for index, item in enumerate(value):
            if origin is tuple and len(item_types) == len(value):
                _walk(item_types[index], item, found)
            else:
                for item_type in item_types:
                    _walk(item_type, item, found)
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        for item in value.values():
            _walk(args[1], item, found)


def _set_examples(model: type[BaseModel], examples: list[Any]) -> None:
    extra = model.model_config.get("json_schema_extra")
    extra = dict(extra) if isinstance(extra, dict) else {}
    extra["example"] = examples[0]
    if len(examples) > 1:
        extra["examples"] = examples
    else:
        extra.pop("examples", None)
    model.model_config["json_schema_extra"] = extra


def _response_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _response_models(arg)]


def add_engine_examples(
    app: FastAPI, routes: list[tuple[str, APIRoute]], body_model: Callable[[APIRoute], Any]
) -> dict[str, str]:
    """Compute every route's answer to its request examples and put them into the response
    models' schemas (see the module doc). Returns {path: why it has no example} for the routes
    that could not be computed."""
    top: dict[type[BaseModel], list[Any]] = {}
    nested: dict[type[BaseModel], Any] = {}
    skipped: dict[str, str] = {}
    for path, route in routes:
        if route.response_model is None or not route.include_in_schema:
            continue
        model = body_model(route)
        bodies = request_examples(model) if model is not None else [None]
        answers = []
        for body in bodies:
            try:
                answers.append(route_answer(app, route, body))
            except _Unavailable as why:
                skipped[path] = str(why)
        if not answers:
            continue
        for response_model in _response_models(route.response_model):
            if response_model is route.response_model:
                top.setdefault(response_model, answers)
        for answer in answers:
            _walk(route.response_model, answer, nested)
    for model, value in nested.items():
        if model not in top:
            _set_examples(model, [value])
    for model, answers in top.items():
        _set_examples(model, answers)
    return skipped
