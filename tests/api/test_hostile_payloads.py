"""Random and hostile JSON at every POST route: never a 5xx, always JSON, "detail" on a 4xx.

The routes and their example bodies come from the app's OpenAPI document, so every route that
lands is covered without editing this file. Two layers:

* named hostile bodies (parametrized, so a failure names the route and the payload): broken and
  empty JSON, NaN/Infinity literals, 1e400, a 10**5000 integer, deep nesting, ragged and empty
  lists, negative and enormous sizes, unicode, wrong types, and shapes that are gigantic but
  still under the 1 MB body limit;
* hypothesis mutations of each route's own example: any field replaced, removed or nested
  deeper with hostile values, plus unknown fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.main import create_app
from tests.helpers.app_routes import route_paths

SLOW_SECONDS = 20.0
"""No single request may take longer than this (a hang or a compute bomb would)."""
TRAINING_ROUTE = "/api/experiments/{experiment_id}/runs"
"""Left out: a valid config trains networks for seconds to a minute by design (bounded by the
compute budget); tests/api/test_experiments.py covers its 4xx texts."""
MAX_ERROR_BYTES = 256_000
"""An error answer stays small whatever the request: no amplification (1 MB in, 45 MB out)."""


def _examples_by_route() -> dict[str, list[dict[str, Any]]]:
    app = create_app(Settings())
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    found: dict[str, list[dict[str, Any]]] = {}
    for path in route_paths(app, "POST"):
        if path == TRAINING_ROUTE:
            continue
        body = spec["paths"].get(path, {}).get("post", {}).get("requestBody", {})
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        schema = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
        examples = schema.get("examples") or schema.get("example") or [{}]
        if isinstance(examples, dict):
            examples = [examples]
        found[path] = [e for e in examples if isinstance(e, dict)] or [{}]
    return found


def _path_parameter_examples() -> dict[str, str]:
    """A value for every path parameter (e.g. ``{exercise_id}``), from its OpenAPI example."""
    found: dict[str, str] = {}
    for operations in create_app(Settings()).openapi()["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    found[parameter["name"]] = parameter["schema"]["examples"][0]
    return found


EXAMPLES = _examples_by_route()
POST_ROUTES = sorted(EXAMPLES)
PATH_PARAMETERS = _path_parameter_examples()


def _check(client, path: str, body: bytes, content_type: str = "application/json") -> int:
    """POST the raw body; assert the answer is a well-formed non-5xx JSON response."""
    started = time.monotonic()
    url = path.format(**PATH_PARAMETERS)
    response = client.post(url, content=body, headers={"content-type": content_type})
    elapsed = time.monotonic() - started
    shown = body[:300]
    assert response.status_code < 500, (
        f"POST {path} -> {response.status_code} for body {shown!r}: {response.text[:500]}"
    )
    assert elapsed < SLOW_SECONDS, f"POST {path} took {elapsed:.1f} s for body {shown!r}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    payload = response.json()
    if response.status_code >= 400:
        assert isinstance(payload, dict) and "detail" in payload, payload
        assert payload["detail"], "the message must say what is wrong"
        assert len(response.content) <= MAX_ERROR_BYTES, (
            f"POST {path}: a {len(body)}-byte body got a {len(response.content)}-byte "
            f"{response.status_code} ({response.text[:200]}...)"
        )
    return response.status_code


def _dumps(value: Any) -> bytes:
    # allow_nan (Python's default) writes the NaN / Infinity literals a hostile client may send
    return json.dumps(value, allow_nan=True).encode()


def _replace_every_field(example: dict, value: Any) -> dict:
    return {key: value for key in example}


def _replace_lists(node: Any, replacement: Any) -> Any:
    """Every list anywhere in the example (matrices, pairs, layer lists) becomes ``replacement``."""
    if isinstance(node, list):
        return replacement
    if isinstance(node, dict):
        return {k: _replace_lists(v, replacement) for k, v in node.items()}
    return node


def _replace_numbers(node: Any, replacement: Any) -> Any:
    """Every number anywhere in the example (cells, sizes, seeds) becomes ``replacement``."""
    if isinstance(node, bool):
        return node
    if isinstance(node, int | float):
        return replacement
    if isinstance(node, list):
        return [_replace_numbers(v, replacement) for v in node]
    if isinstance(node, dict):
        return {k: _replace_numbers(v, replacement) for k, v in node.items()}
    return node


def _zeros(*shape: int) -> bytes:
    """A nested JSON list of zeros, built as bytes (fast, and exact about its size)."""
    text = "0"
    for side in reversed(shape):
        text = "[" + ",".join([text] * side) + "]"
    return text.encode()


def _with_raw_lists(example: dict, raw: bytes) -> bytes:
    """The example with its largest list field (the image, input or layers) set to ``raw``."""
    lists = [k for k, v in example.items() if isinstance(v, list)]
    if not lists:
        return _dumps({**example, "input": None}).replace(b"null", raw)
    target = max(lists, key=lambda k: len(_dumps(example[k])))
    marker = "\u0000RAW\u0000"
    return _dumps({**example, target: marker}).replace(_dumps(marker), raw)


NAMED_BODIES: dict[str, Callable[[dict], bytes]] = {
    "empty": lambda ex: b"",
    "whitespace": lambda ex: b"   \n\t ",
    "null": lambda ex: b"null",
    "list": lambda ex: b"[]",
    "string": lambda ex: b'"conv"',
    "number": lambda ex: b"42",
    "empty-object": lambda ex: b"{}",
    "truncated": lambda ex: _dumps(ex)[:-3],
    "not-utf8": lambda ex: b'{"input": "\xff\xfe\xfd"}',
    "bom": lambda ex: b"\xef\xbb\xbf" + _dumps(ex),
    "nan-literal-top": lambda ex: b"NaN",
    "deep-nesting": lambda ex: b"[" * 20_000 + b"]" * 20_000,
    "deep-nesting-in-field": lambda ex: _with_raw_lists(ex, b"[" * 5_000 + b"]" * 5_000),
    "moderate-nesting-in-field": lambda ex: _with_raw_lists(ex, b"[" * 600 + b"1" + b"]" * 600),
    "nan-literals": lambda ex: _dumps(_replace_numbers(ex, float("nan"))),
    "infinity-literals": lambda ex: _dumps(_replace_numbers(ex, float("inf"))),
    "minus-infinity-literals": lambda ex: _dumps(_replace_numbers(ex, float("-inf"))),
    "1e400": lambda ex: _dumps(_replace_numbers(ex, 0.5)).replace(b"0.5", b"1e400"),
    "nan-strings": lambda ex: _dumps(_replace_numbers(ex, "NaN")),
    "infinity-strings": lambda ex: _dumps(_replace_numbers(ex, "Infinity")),
    "huge-int": lambda ex: _dumps(_replace_numbers(ex, 10**30)),
    "int-over-parse-limit": lambda ex: _dumps(_replace_numbers(ex, 7)).replace(
        b"7", b"1" + b"0" * 5_000, 1
    ),
    "max-float": lambda ex: _dumps(_replace_numbers(ex, 1.7976931348623157e308)),
    "negative": lambda ex: _dumps(_replace_numbers(ex, -1)),
    "zero": lambda ex: _dumps(_replace_numbers(ex, 0)),
    "bools": lambda ex: _dumps(_replace_numbers(ex, True)),
    "fractional": lambda ex: _dumps(_replace_numbers(ex, 2.5)),
    "every-field-null": lambda ex: _dumps(_replace_every_field(ex, None)),
    "every-field-unicode": lambda ex: _dumps(_replace_every_field(ex, "\u202e𝔘\u0000ñ")),
    "every-field-object": lambda ex: _dumps(_replace_every_field(ex, {"$ref": "#/x"})),
    "lists-empty": lambda ex: _dumps(_replace_lists(ex, [])),
    "lists-of-empty": lambda ex: _dumps(_replace_lists(ex, [[]])),
    "lists-ragged": lambda ex: _dumps(_replace_lists(ex, [[1, 2, 3], [4], [5, 6]])),
    "lists-mixed-types": lambda ex: _dumps(_replace_lists(ex, [[1, "2"], [None, [3]]])),
    "lists-of-strings": lambda ex: _dumps(_replace_lists(ex, ["1", "2"])),
    "unknown-fields": lambda ex: _dumps({**ex, "__proto__": {"x": 1}, "../../etc": "passwd"}),
    "long-string": lambda ex: _dumps({**ex, next(iter(ex), "x"): "A" * 500_000}),
    "gigantic-2d": lambda ex: _with_raw_lists(ex, _zeros(640, 640)),
    "gigantic-3d": lambda ex: _with_raw_lists(ex, _zeros(60, 60, 60)),
    "gigantic-4d": lambda ex: _with_raw_lists(ex, _zeros(16, 16, 24, 24)),
    "long-row": lambda ex: _with_raw_lists(ex, _zeros(1, 400_000)),
    "tall-column": lambda ex: _with_raw_lists(ex, _zeros(200_000, 1)),
    "strings-matrix": lambda ex: _with_raw_lists(
        ex, b"[" + b",".join([b"[" + b",".join([b'"x"'] * 300) + b"]"] * 300) + b"]"
    ),
    "many-tiny-rows": lambda ex: _with_raw_lists(ex, b"[" + b",".join([b"[]"] * 300_000) + b"]"),
    "sizes-at-1024": lambda ex: _dumps(_replace_numbers(ex, 1024)),
    "sizes-at-65536": lambda ex: _dumps(_replace_numbers(ex, 65536)),
    "big-matrix-big-sizes": lambda ex: _with_raw_lists(_replace_numbers(ex, 255), _zeros(256, 256)),
}


@pytest.mark.parametrize("name", sorted(NAMED_BODIES))
@pytest.mark.parametrize("path", POST_ROUTES)
def test_named_hostile_body_gets_a_clear_non_5xx_answer(client, path, name):
    for example in EXAMPLES[path]:
        body = NAMED_BODIES[name](example)
        assert len(body) <= 1_000_000, f"{name} must stay under the body limit to test the app"
        _check(client, path, body)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_json_sent_as_another_content_type_gets_a_clear_non_5xx_answer(client, path):
    body = _dumps(EXAMPLES[path][0])
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        _check(client, path, body, content_type)


STATELESS_ROUTES = [path for path in POST_ROUTES if not path.startswith("/api/sessions")]
"""Class session routes answer 201/200 only inside a live session (and a client that created
many is rate-limited): tests/api/test_sessions.py covers their successes; here they must still
answer every hostile body without a 5xx."""


@pytest.mark.parametrize("path", STATELESS_ROUTES)
def test_every_route_example_is_answered_with_200(client, path):
    """The baseline: the bodies above are hostile variations of something that works."""
    for example in EXAMPLES[path]:
        assert _check(client, path, _dumps(example)) == 200, example


# --- hypothesis: random hostile values in random places of each route's example --------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 3, -1, 1024, 1025, 4096, 2**31, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "nan", "Infinity", "-inf", "1e999", "", " ", "same", "valid", "max"]),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=30,
)
MATRICES = st.integers(1, 300).flatmap(
    lambda h: st.integers(1, 300).flatmap(
        lambda w: st.sampled_from([0.0, 1.0, -1.0, 1e300, float("nan")]).map(
            lambda v: [[v] * w for _ in range(h)]
        )
    )
)


@st.composite
def mutated_example(draw: st.DrawFn, example: dict) -> dict:
    """The example with 1-3 fields replaced, dropped or deepened, maybe an unknown field."""
    body = json.loads(json.dumps(example))
    keys = sorted(body) or ["x"]
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["replace", "matrix", "drop", "wrap", "ragged"]))
        if action == "replace":
            body[key] = draw(JSON_VALUES)
        elif action == "matrix":
            body[key] = draw(MATRICES)
        elif action == "drop":
            body.pop(key, None)
        elif action == "wrap":
            body[key] = [body.get(key)]
        elif isinstance(body.get(key), list) and body[key]:
            body[key] = [*body[key][:-1], draw(JSON_VALUES)]
    if draw(st.booleans()):
        body[draw(st.text(min_size=1, max_size=10))] = draw(JSON_VALUES)
    return body


@pytest.mark.parametrize("path", POST_ROUTES)
@settings(max_examples=25)
@given(data=st.data())
def test_random_mutations_of_the_example_never_get_a_5xx(client, path, data):
    example = data.draw(st.sampled_from(EXAMPLES[path]), label="example")
    body = data.draw(mutated_example(example), label="body")
    encoded = _dumps(body)
    if len(encoded) <= 1_000_000:
        _check(client, path, encoded)


@pytest.mark.parametrize("path", POST_ROUTES)
@settings(max_examples=10)
@given(value=JSON_VALUES)
def test_random_json_documents_never_get_a_5xx(client, path, value):
    _check(client, path, _dumps(value))


def test_every_post_route_is_in_the_openapi_document_and_so_covered_here():
    app = create_app(Settings())
    documented = {p for p, ops in app.openapi()["paths"].items() if "post" in ops}
    assert set(route_paths(app, "POST")) == documented
    assert POST_ROUTES == sorted(documented - {TRAINING_ROUTE})
