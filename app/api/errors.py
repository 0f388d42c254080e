"""Error handlers: every bad input becomes a 4xx with a readable, valid-JSON detail.

- ``InvalidInput`` from the engine (or the models) -> 422 ``{"detail": message}``.
- Request validation errors -> 422 with FastAPI's usual list, but with the echoed input made
  JSON-safe: Python's JSON parser accepts bare ``NaN`` / ``Infinity`` tokens, and echoing such a
  float back would make the error response itself invalid JSON (a 500). At most 20 errors are
  listed and each echo is shortened, so a hostile body cannot make a huge error response.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.engine.errors import InvalidInput

_MAX_ECHO_CHARS = 200
_MAX_ECHO_DEPTH = 8
_MAX_ERRORS = 20


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` with non-finite floats spelled as strings; nesting past 8 levels elided."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict | list | tuple) and depth >= _MAX_ECHO_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _shorten(value: Any) -> Any:
    text = repr(value)
    if len(text) <= _MAX_ECHO_CHARS:
        return value
    return text[: _MAX_ECHO_CHARS - 1] + "…"


_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


def _plain(message: str) -> str:
    """pydantic's message without its "Value error, " prefix: the sentence a student reads."""
    for prefix in _LIBRARY_PREFIXES:
        message = message.removeprefix(prefix)
    return message


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    all_errors = exc.errors()
    for error in all_errors[:_MAX_ERRORS]:
        error = dict(error)
        error["msg"] = _plain(str(error.get("msg", "")))
        if "input" in error:
            error["input"] = _shorten(json_safe(error["input"]))
        if "ctx" in error:
            error["ctx"] = json_safe({k: str(v) for k, v in error["ctx"].items()})
        errors.append(error)
    if len(all_errors) > _MAX_ERRORS:
        errors.append(
            {
                "type": "too_many_errors",
                "loc": ["body"],
                "msg": f"{len(all_errors) - _MAX_ERRORS} more errors not shown",
            }
        )
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map domain and validation errors to 4xx responses."""
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(RequestValidationError, _validation_error)
