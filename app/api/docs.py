"""The API reference: /docs served offline under the strict CSP, and an OpenAPI document that
states every error a client can get.

FastAPI's built-in /docs loads Swagger UI from a CDN and starts it with an inline ``<script>``;
both are refused by ConvLab's Content-Security-Policy (``script-src 'self'``, no external
origin) and would not load in an offline classroom. This page uses the vendored copy under
``static/vendor/swagger-ui`` and an external start-up module, ``static/js/api_docs.js``.

``document_error_responses`` completes /openapi.json with the errors FastAPI does not list: the
engine's 422 ``{"detail": "<message>"}`` (beside FastAPI's field-error list), FastAPI's own 400
for an unreadable body, the body limit's 413 and the concurrency limit's 503, so a client
generated from the schema (or schemathesis) finds every status and body it can receive described.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from html import escape
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import validation_error_definition, validation_error_response_definition
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from app.api.deps import BODY_MODEL_ATTRIBUTE, BODY_MODELS_ATTRIBUTE
from app.api.examples import add_engine_examples
from app.engine.conv import conv_geometry
from app.engine.errors import InvalidInput
from app.middleware import HEALTH_PATH

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"


@router.get(OPENAPI_PATH)
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document. A plain ``def``: the first build computes the /docs examples
    (app.api.examples, well under a second of CPU) in a worker thread, never on the event loop;
    later requests get the cached document."""
    return JSONResponse(request.app.openapi())


@router.get(DOCS_PATH, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for /openapi.json, with every asset from /static."""
    app = request.app
    vendor = "/static/vendor/swagger-ui"
    title = escape(f"{app.title} · API reference")
    openapi_url = escape(OPENAPI_PATH)
    html = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="{vendor}/favicon-32x32.png" type="image/png">
  <link rel="stylesheet" href="{vendor}/swagger-ui.css">
  <link rel="stylesheet" href="/static/css/api_docs.css">
</head>
<body>
  <header class="docs-back"><a href="/">← ConvLab: back to the lessons</a></header>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="{vendor}/swagger-ui-bundle.js"></script>
  <script src="/static/js/api_docs.js"></script>
</body>
</html>
"""
    return HTMLResponse(html)


def _engine_refusal() -> str:
    """The engine's answer to a 5×5 kernel on the tutorial's 4×4 input (the error example)."""
    try:
        conv_geometry((4, 4), (5, 5))
    except InvalidInput as refusal:
        return str(refusal)
    raise AssertionError("the engine accepted a 5×5 kernel on a 4×4 input")


class ErrorMessage(BaseModel):
    """A 4xx/5xx answer that is one readable sentence."""

    detail: str = Field(
        description="What is wrong, in words (names the sizes or limits involved).",
        examples=[_engine_refusal()],
    )


_MESSAGE_REF = {"$ref": "#/components/schemas/ErrorMessage"}
_JSON_MESSAGE = {"application/json": {"schema": _MESSAGE_REF}}


def _add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe 422 (both forms), 400, 413 and 503 on every operation of ``schema``, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorMessage"] = ErrorMessage.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            validation = responses.get("422")
            if validation is not None:
                body = validation["content"]["application/json"]["schema"]
                validation["description"] = (
                    "Invalid input: FastAPI's list of field errors, or one message from the "
                    "engine (e.g. a kernel larger than the padded input)."
                )
                validation["content"]["application/json"]["schema"] = {
                    "anyOf": [body, _MESSAGE_REF]
                }
            if "requestBody" in operation:
                responses["415"] = {
                    "description": "The body was not sent as JSON (Content-Type: "
                    "application/json).",
                    "content": _JSON_MESSAGE,
                }
                responses["408"] = {
                    "description": "The body did not arrive within CONVLAB_BODY_TIMEOUT_SECONDS.",
                    "content": _JSON_MESSAGE,
                }
                responses["413"] = {
                    "description": "The request body is over CONVLAB_MAX_BODY_BYTES.",
                    "content": _JSON_MESSAGE,
                }
            if path != HEALTH_PATH:
                responses["503"] = {
                    "description": "Server busy (CONVLAB_MAX_CONCURRENCY requests in flight "
                    "in this worker); retry after the Retry-After seconds.",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": _JSON_MESSAGE,
                }
    return schema


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every FastAPI route of ``app``, included routers flattened."""
    try:  # FastAPI >= 0.120 keeps included routers as lazy entries
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [(r.path_format, r) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (context.path_format, context.route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, APIRoute)
    ]


def _body_model(route: APIRoute) -> type[BaseModel] | None:
    """The model of the route's ``JsonBody[...]`` dependency, if it has one."""
    for dependant in route.dependant.dependencies:
        model = getattr(dependant.call, BODY_MODEL_ATTRIBUTE, None)
        if model is not None:
            return model
    return None


def body_models_by_path(route: APIRoute) -> tuple[str, dict[str, type[BaseModel]]] | None:
    """(path parameter, {value: model}) of a route whose body model depends on a path
    parameter (``BODY_MODELS_ATTRIBUTE``), else None."""
    for dependant in route.dependant.dependencies:
        found = getattr(dependant.call, BODY_MODELS_ATTRIBUTE, None)
        if found is not None:
            return found
    return None


def _body_models(route: APIRoute) -> list[type[BaseModel]]:
    """The models a route validates its body as: one, or one per value of a path parameter."""
    model = _body_model(route)
    if model is not None:
        return [model]
    by_path = body_models_by_path(route)
    return [] if by_path is None else list(by_path[1].values())


def _add_json_bodies(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Document the bodies that ``JsonBody`` validates (FastAPI does not see them): the request
    body of each operation, its schemas in components, and the field-error 422."""
    bodies: dict[tuple[str, str], list[type[BaseModel]]] = {}
    for path, route in api_routes(app):
        models = _body_models(route)
        if models and route.include_in_schema:
            for method in route.methods:
                bodies[(path, method.lower())] = models
    if not bodies:
        return schema
    models = sorted({m for found in bodies.values() for m in found}, key=lambda m: m.__name__)
    refs, definitions = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # a name FastAPI already uses for a different (response-side) schema gets "-Input"
    renames = {
        name: f"{name}-Input"
        for name, definition in definitions.get("$defs", {}).items()
        if name in components and components[name] != definition
    }
    text = json.dumps(definitions.get("$defs", {}))
    ref_text = json.dumps([refs[(model, "validation")] for model in models])
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
        ref_text = ref_text.replace(
            f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"'
        )
    for name, definition in json.loads(text).items():
        components[renames.get(name, name)] = definition
    ref_of = dict(zip(models, json.loads(ref_text), strict=True))
    components.setdefault("ValidationError", validation_error_definition)
    components.setdefault("HTTPValidationError", validation_error_response_definition)
    for (path, method), found in bodies.items():
        operation = schema["paths"][path][method]
        if len(found) == 1:
            body_schema, required = ref_of[found[0]], True
        else:
            parameter = body_models_by_path(dict(api_routes(app))[path])[0]  # type: ignore[index]
            body_schema = {
                "anyOf": [ref_of[model] for model in found],
                "description": f"The model named by {parameter}; every field is optional (an "
                "empty body takes the defaults).",
            }
            required = False
        operation["requestBody"] = {
            "content": {"application/json": {"schema": body_schema}},
            "required": required,
        }
        operation.setdefault("responses", {}).setdefault(
            "422",
            {
                "description": "Validation Error",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                    }
                },
            },
        )
    return schema


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the JSON bodies and every error response (built once,
    then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi
    building = threading.Lock()  # two first requests at once: one builds, the other waits

    def openapi() -> dict[str, Any]:
        with building:
            if app.openapi_schema is None:
                document = add_engine_examples(app, build())
                app.openapi_schema = _add_error_responses(_add_json_bodies(app, document))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
