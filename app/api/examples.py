"""/docs response examples computed by the engine, never typed by hand.

The request examples are written in the schemas (the tutorial's X and K, …). The response
examples are what the routes answer to them, computed once through the app's public HTTP
interface and kept in ``examples.json`` beside this module: ``python -m app.api.examples``
runs the app (its lifespan loads the shipped models), posts every route's request example(s)
as /openapi.json lists them and writes the answers; tests/api/test_examples.py checks that the
file is what the routes answer today (run the command again after changing a route or a
request example). When /openapi.json is first built (``app.api.docs``), ``add_engine_examples``
writes each route's answers into its response model's JSON schema (``example``, plus
``examples`` when the request has several), and each nested model's part of an answer into
that model's schema (the first answer that holds one). So /docs never shows a number the engine
would not compute. A route without an answer in the file keeps no response example: an
``async`` endpoint (the health probe, a training run), a body that depends on the path, or an
example the app refuses.
"""

from __future__ import annotations

import inspect
import json
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
"""{"METHOD /path": [answer, …]}: the routes' answers to their request examples."""


def request_examples(model: type[BaseModel]) -> list[Any]:
    """The request examples of a body model: ``example`` first, then the other ``examples``."""
    extra = model.model_config.get("json_schema_extra")
    if not isinstance(extra, dict):
        return []
    found = [extra["example"]] if "example" in extra else []
    return found + [e for e in extra.get("examples", []) if e not in found]


def _component(openapi: dict, schema: dict) -> dict | None:
    ref = schema.get("$ref")
    return None if ref is None else openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _url(path: str, operation: dict) -> str | None:
    """``path`` with its parameters filled from their examples (None when one has none)."""
    query = []
    for parameter in operation.get("parameters", []):
        examples = parameter["schema"].get("examples") or parameter.get("examples") or []
        if parameter["in"] == "path":
            if not examples:
                return None
            path = path.replace("{" + parameter["name"] + "}", str(examples[0]))
        elif parameter["in"] == "query" and examples:
            query.append(f"{parameter['name']}={examples[0]}")
        elif parameter["in"] == "query" and parameter.get("required"):
            return None
    return path + ("?" + "&".join(query) if query else "")


def _bodies(openapi: dict, operation: dict) -> list[Any] | None:
    """The request examples of an operation's JSON body ([None] without a body; None when the
    body model depends on the path)."""
    body = operation.get("requestBody")
    if body is None:
        return [None]
    component = _component(openapi, body["content"]["application/json"]["schema"])
    if component is None:
        return None
    found = [component["example"]] if "example" in component else []
    return found + [e for e in component.get("examples", []) if e not in found]


def compute_examples(app: FastAPI) -> dict[str, list[Any]]:
    """Every synchronous route's answers to its request examples, through HTTP (the lifespan
    runs). Needs httpx (a test dependency): it is run by hand and by the tests, not by the
    server."""
    from fastapi.testclient import TestClient

    from app.api.docs import api_routes

    answers: dict[str, list[Any]] = {}
    with TestClient(app) as client:
        openapi = client.get("/openapi.json").json()
        for path, route in api_routes(app):
            if route.response_model is None:
                continue
            if not route.include_in_schema or inspect.iscoroutinefunction(route.endpoint):
                continue
            for method in sorted(route.methods & {"GET", "POST"}):
                operation = openapi["paths"][path][method.lower()]
                url, bodies = _url(path, operation), _bodies(openapi, operation)
                if url is None or not bodies:
                    continue
                found = []
                for body in bodies:
                    response = client.request(method, url, json=body)
                    if response.status_code == 200:
                        found.append(response.json())
                if found:
                    answers[f"{method} {path}"] = found
    return answers


def load_examples() -> dict[str, list[Any]]:
    """The answers kept in ``examples.json`` (none when the file is absent)."""
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


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


def add_engine_examples(app: FastAPI, routes: list[tuple[str, APIRoute]]) -> None:
    """Put every route's answers from ``examples.json`` into the response models' schemas (see
    the module doc)."""
    stored = load_examples()
    top: dict[type[BaseModel], list[Any]] = {}
    nested: dict[type[BaseModel], Any] = {}
    for path, route in routes:
        if route.response_model is None or not route.include_in_schema:
            continue
        answers = next(
            (stored[f"{m} {path}"] for m in sorted(route.methods or ()) if f"{m} {path}" in stored),
            None,
        )
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


def main() -> None:
    """Write ``examples.json`` from the routes' answers of a fresh app."""
    from app.main import create_app

    answers = compute_examples(create_app())
    lines = [
        f"{json.dumps(key)}: {json.dumps(answers[key], separators=(',', ':'), ensure_ascii=False)}"
        for key in sorted(answers)
    ]  # one route a line: a change shows as the lines of the routes it changed
    EXAMPLES_FILE.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {len(answers)} routes' examples to {EXAMPLES_FILE}")


if __name__ == "__main__":
    main()
