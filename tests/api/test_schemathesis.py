"""Schemathesis against the app's own /openapi.json: every operation, a bounded number of cases.

In-process (the ASGI app, no network; schemathesis runs the app's lifespan itself, so the
MNIST models are loaded). For each generated request, valid and invalid alike:

* ``not_a_server_error`` - never a 5xx;
* ``status_code_conformance`` - only documented status codes;
* ``content_type_conformance`` - the documented media type;
* ``response_schema_conformance`` - the body matches the documented schema.

The cases per operation are bounded (``MAX_EXAMPLES``; ``HYPOTHESIS_PROFILE=thorough`` raises
it), so the whole file stays within about a minute of CI time.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.helpers.app_routes import route_paths

MAX_EXAMPLES = 60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _tuples_as_items(node: Any) -> Any:
    """Rewrite JSON-Schema 2020-12 tuples (``prefixItems``) as the equivalent ``items``.

    Works around schemathesis 4.32: it turns ``prefixItems`` into a draft-4 ``items`` list and
    then refuses that list when it validates an OpenAPI 3.1 *response* ("Invalid Schema Object
    in response definition ... is not of types boolean, object"), for any FastAPI response
    with a ``tuple[float, float]`` field. Every tuple here has a fixed length
    (minItems = maxItems), so ``items: <the one element schema>`` (or ``anyOf`` them when the
    elements differ) with those bounds accepts exactly what the tuple accepts, or more.
    """
    if isinstance(node, list):
        return [_tuples_as_items(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _tuples_as_items(value) for key, value in node.items()}
    prefix = node.pop("prefixItems", None)
    if prefix is not None:
        distinct = [s for i, s in enumerate(prefix) if s not in prefix[:i]]
        node["items"] = distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
        node.setdefault("minItems", len(prefix))
        node.setdefault("maxItems", len(prefix))
    return node


def _load_schema() -> schemathesis.BaseSchema:
    """What ``schemathesis.openapi.from_asgi`` does, with the tuple rewrite in between."""
    app = create_app()
    served = TestClient(app).get("/openapi.json").json()  # no lifespan needed for the document
    loaded = schemathesis.openapi.from_dict(_tuples_as_items(copy.deepcopy(served)))
    loaded.app = app
    loaded.location = "/openapi.json"
    return loaded


TRAINING_ROUTE = "/api/experiments/{experiment_id}/runs"
"""Left out: a valid config trains networks for seconds to a minute by design (bounded by the
compute budget, not fuzzable at speed); tests/api/test_experiments.py covers its 4xx texts."""

schema = _load_schema().exclude(path=TRAINING_ROUTE)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)


def test_the_fuzzed_document_covers_every_api_route():
    app = create_app(Settings())
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for method in ("GET", "POST"):
        for path in route_paths(app, method):
            if path.startswith("/api/") and path != TRAINING_ROUTE:
                assert (method, path) in documented, f"{method} {path} is not fuzzed"


def test_the_tuple_rewrite_keeps_fixed_lengths():
    pair = {
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "number"}],
        "minItems": 2,
        "maxItems": 2,
    }
    assert _tuples_as_items({"properties": {"c": pair}}) == {
        "properties": {
            "c": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
        }
    }
    mixed = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}
    assert _tuples_as_items(mixed) == {
        "type": "array",
        "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "minItems": 2,
        "maxItems": 2,
    }
