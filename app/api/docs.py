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

from collections.abc import Callable
from html import escape
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.middleware import HEALTH_PATH

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/docs"


@router.get(DOCS_PATH, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for /openapi.json, with every asset from /static."""
    app = request.app
    vendor = "/static/vendor/swagger-ui"
    title = escape(f"{app.title} · API reference")
    openapi_url = escape(app.openapi_url or "/openapi.json")
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


class ErrorMessage(BaseModel):
    """A 4xx/5xx answer that is one readable sentence."""

    detail: str = Field(
        description="What is wrong, in words (names the sizes or limits involved).",
        examples=["kernel 5×5 is larger than the padded input 4×4"],
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
                responses["400"] = {
                    "description": "The body could not be read as JSON (e.g. not UTF-8).",
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


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe every error response (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _add_error_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
