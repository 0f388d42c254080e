"""/docs response examples computed by the engine, never typed by hand.

The request examples are data in ``request_examples.json`` beside this module, by model name
(the tutorial's X and K, …; ``app.api.schemas.common.EXAMPLES``). The response
examples are what the routes answer to them, computed once through the app's public HTTP
interface and kept in ``examples.json`` beside this module: ``python -m app.api.examples``
runs the app (its lifespan loads the shipped models), posts every route's request example(s)
as /openapi.json lists them and writes the answers; tests/api/test_examples.py checks that the
file is what the routes answer today (run the command again after changing a route or a
request example). When /openapi.json is first built (``app.api.docs``), ``add_engine_examples``
writes each route's answers into its response model's JSON schema (``example``, plus
``examples`` when the request has several), and each nested schema's part of an answer into
that schema (the first answer that holds one), walking the document's JSON schemas (so a
response part may be any type pydantic documents, an engine dataclass too). So /docs never
shows a number the engine would not compute. A route without an answer in the file keeps no
response example: an ``async`` endpoint (the health probe, a training run), a body that depends
on the path, or an example the app refuses.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
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


def _fits(component: dict, value: dict) -> bool:
    """True when ``value`` has the component's required keys and (unless it allows extra keys)
    no other."""
    required = set(component.get("required", []))
    if component.get("additionalProperties") is True:
        return required <= set(value)
    return required <= set(value) <= set(component.get("properties", {}))


def _walk(components: dict, schema: dict, value: Any, found: dict[str, Any]) -> None:
    """Record, for every component inside ``schema``, the first part of ``value`` it describes."""
    if value is None:
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        component = components[name]
        if isinstance(value, dict) and _fits(component, value):
            found.setdefault(name, value)
            for key, part in component.get("properties", {}).items():
                if key in value:
                    _walk(components, part, value[key], found)
        return
    for variant in schema.get("anyOf", []):
        _walk(components, variant, value, found)
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            item_schema = prefix[index] if index < len(prefix) else schema.get("items")
            if isinstance(item_schema, dict):
                _walk(components, item_schema, item, found)
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for item in value.values():
            _walk(components, schema["additionalProperties"], item, found)


def _without_nulls(value: Any) -> Any:
    """``value`` without the null members of its objects (as /openapi.json always showed)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def add_engine_examples(app: FastAPI, openapi: dict) -> dict:
    """Put every route's answers from ``examples.json`` into the component schemas of
    ``openapi`` (see the module doc)."""
    from app.api.docs import api_routes

    stored = load_examples()
    components = openapi.get("components", {}).get("schemas", {})
    top: dict[str, list[Any]] = {}
    nested: dict[str, Any] = {}
    for path, route in api_routes(app):
        if route.response_model is None or not route.include_in_schema:
            continue
        method = next((m for m in sorted(route.methods or ()) if f"{m} {path}" in stored), None)
        if method is None:
            continue
        answers = stored[f"{method} {path}"]
        content = openapi["paths"][path][method.lower()]["responses"]["200"]["content"]
        schema = content["application/json"]["schema"]
        if "$ref" in schema:
            top.setdefault(schema["$ref"].rsplit("/", 1)[1], answers)
        for answer in answers:
            _walk(components, schema, answer, nested)
    for name, value in nested.items():
        components[name]["example"] = _without_nulls(value)
        components[name].pop("examples", None)
    for name, answers in top.items():
        components[name]["example"] = _without_nulls(answers[0])
        if len(answers) > 1:
            components[name]["examples"] = _without_nulls(answers)
        else:
            components[name].pop("examples", None)
    return openapi


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
