"""Error handlers: every bad input becomes a 4xx with a readable, valid-JSON detail.

- ``InvalidInput`` from the engine (or the models) -> 422 ``{"detail": message}``.
- Request validation errors -> 422 with FastAPI's usual list, but with the echoed input made
  JSON-safe: Python's JSON parser accepts bare ``NaN`` / ``Infinity`` tokens, and echoing such a
  float back would make the error response itself invalid JSON (a 500). At most 20 errors are
  listed and each echo is shortened, so a hostile body cannot make a huge error response.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.engine.errors import InvalidInput
from app.sessions.errors import SessionError

_MAX_ECHO_CHARS = 200
_MAX_ECHO_DEPTH = 8
_MAX_ECHO_ITEMS = 8
_MAX_ERRORS = 20


def json_safe(value: Any, depth: int = 0) -> Any:
    """A small JSON-safe preview of ``value``: non-finite floats spelled as strings, at most
    8 items of a list or object and 8 levels of nesting (the rest elided with "…"), long
    strings cut. Its cost does not grow with the input: a 300,000-item list is 8 items."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict | list | tuple) and depth >= _MAX_ECHO_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(itertools.islice(value.items(), _MAX_ECHO_ITEMS))
        preview = {str(k)[:_MAX_ECHO_CHARS]: json_safe(v, depth + 1) for k, v in items}
        if len(value) > _MAX_ECHO_ITEMS:
            preview["…"] = f"{len(value) - _MAX_ECHO_ITEMS} more"
        return preview
    if isinstance(value, list | tuple):
        preview = [json_safe(v, depth + 1) for v in value[:_MAX_ECHO_ITEMS]]
        if len(value) > _MAX_ECHO_ITEMS:
            preview.append("…")
        return preview
    if isinstance(value, str):
        return value if len(value) <= _MAX_ECHO_CHARS else value[: _MAX_ECHO_CHARS - 1] + "…"
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return json_safe(bytes(value[: _MAX_ECHO_CHARS * 4]).decode("utf-8", errors="replace"))
    return json_safe(str(value))


def _shorten(value: Any) -> Any:
    """The preview itself when its JSON is short, else that JSON cut to 200 characters."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= _MAX_ECHO_CHARS:
        return value
    return text[: _MAX_ECHO_CHARS - 1] + "…"


_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


def _plain(message: str) -> str:
    """pydantic's message without its "Value error, " prefix: the sentence a student reads."""
    for prefix in _LIBRARY_PREFIXES:
        message = message.removeprefix(prefix)
    return message


async def _session_error(request: Request, exc: Exception) -> JSONResponse:
    """A class session refused the request: its status, its sentence, Retry-After on a 429."""
    assert isinstance(exc, SessionError)
    headers = {"retry-after": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse(status_code=exc.status, content={"detail": str(exc)}, headers=headers)


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
    app.add_exception_handler(SessionError, _session_error)
