"""Every route follows the request pattern of app.api.schemas.common, found by walking the app's
routes (a route added later is covered without editing this file): JSON bodies validated by
``JsonBody`` with the app's own settings, no unknown fields, no coercion, HEAD on every GET."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.api.docs import _body_model, api_routes, body_models_by_path
from app.config import Settings
from app.main import create_app

APP = create_app(Settings())
BODYLESS_ROUTES = {
    "/api/sessions",
    "/api/sessions/{code}/questions/{question_id}/close",
    "/api/sessions/{code}/questions/{question_id}/revote",
    "/api/sessions/{code}/questions/{question_id}/reveal",
}
"""Class session actions whose whole request is the path and the token: they read no body."""
BODY_ROUTES = sorted(
    (path, route)
    for path, route in api_routes(APP)
    if "POST" in (route.methods or ()) and path not in BODYLESS_ROUTES
)
SESSION_ROUTES = {path for path, _ in BODY_ROUTES if path.startswith("/api/sessions/{code}")}
"""Answer only inside a live session (a code and a token from the database):
tests/api/test_sessions.py runs their examples in one; here they must still refuse bad bodies."""
TRAINING_ROUTES = {"/api/experiments/{experiment_id}/runs"}
"""Routes whose example starts a training run (minutes of CPU): their example is checked
against the model here, the runs themselves in tests/api/test_experiments.py with tiny configs."""
EMPTY_BODY_IS_DEFAULTS = {"/api/experiments/{experiment_id}/runs", "/api/sessions/{code}/join"}
"""Routes whose every field is optional: an empty body takes the defaults
(docs/experiments-api.md; a join without a nickname, docs/sessions-api.md)."""
GET_ROUTES = sorted(
    path for path, route in api_routes(APP) if "GET" in (route.methods or ()) and "{" not in path
)


OPENAPI = APP.openapi()


def _url(path: str, method: str = "post") -> str:
    """``path`` with each path parameter filled from its OpenAPI example."""
    for parameter in OPENAPI["paths"][path][method].get("parameters", []):
        if parameter["in"] == "path":
            schema = parameter["schema"]
            example = parameter.get("example", (schema.get("examples") or [None])[0])
            path = path.replace("{" + parameter["name"] + "}", str(example))
    return path


def _path_value(path: str, parameter: str, method: str = "post") -> str:
    for found in OPENAPI["paths"][path][method].get("parameters", []):
        if found["name"] == parameter:
            return found["schema"]["examples"][0]
    raise AssertionError(f"{path} has no path parameter {parameter}")


def _model(path: str, route) -> type[BaseModel] | None:
    """The body model: the JsonBody's, or the one the path parameter's example names."""
    by_path = body_models_by_path(route)
    if by_path is not None:
        parameter, models = by_path
        return models[_path_value(path, parameter)]
    return _body_model(route)


def _example(model: type[BaseModel]) -> dict[str, Any]:
    extra = model.model_config.get("json_schema_extra") or {}
    example = extra.get("example") or (extra.get("examples") or [None])[0]
    assert example is not None, f"{model.__name__} has no example for /docs"
    return json.loads(json.dumps(example))


def _post_ids() -> list[str]:
    return [path for path, _ in BODY_ROUTES]


@pytest.mark.parametrize(("path", "route"), BODY_ROUTES, ids=_post_ids())
def test_every_post_route_takes_its_body_through_json_body(path, route):
    assert _model(path, route) is not None, (
        f"{path}: take the body as `body: JsonBody[Model]` (see app/api/schemas/common.py)"
    )


@pytest.mark.parametrize(
    ("path", "route"),
    [(path, route) for path, route in BODY_ROUTES if path not in TRAINING_ROUTES | SESSION_ROUTES],
    ids=[path for path in _post_ids() if path not in TRAINING_ROUTES | SESSION_ROUTES],
)
def test_every_post_route_answers_its_own_example(client: TestClient, path, route):
    response = client.post(_url(path), json=_example(_model(path, route)))
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize("path", sorted(TRAINING_ROUTES))
def test_every_example_of_a_training_route_is_a_valid_config(path):
    route = dict(api_routes(APP))[path]
    parameter, models = body_models_by_path(route)
    assert set(models) == {"generalization", "limits", "weight-decay"}
    for model in models.values():
        config = model.model_validate(_example(model), context={"settings": APP.state.settings})
        assert config.model_dump() == _example(model)


@pytest.mark.parametrize(("path", "route"), BODY_ROUTES, ids=_post_ids())
def test_every_post_route_refuses_an_unknown_field(client: TestClient, path, route):
    body = {**_example(_model(path, route)), "colour": "red"}
    response = client.post(_url(path), json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["body", "colour"],
            "msg": "Extra inputs are not permitted",
            "input": "red",
        }
    ]


@pytest.mark.parametrize(("path", "route"), BODY_ROUTES, ids=_post_ids())
def test_every_post_route_refuses_a_megabyte_of_unknown_junk(client: TestClient, path, route):
    body = {**_example(_model(path, route)), "junk": "x" * 900_000}
    response = client.post(_url(path), json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "junk"]
    assert len(response.content) < 2_000


def _typed_fields(model: type[BaseModel], kind: str) -> list[str]:
    properties = model.model_json_schema()["properties"]
    return [
        name
        for name, schema in properties.items()
        if schema.get("type") == kind
        or any(variant.get("type") == kind for variant in schema.get("anyOf", []))
        and not any(variant.get("type") == "string" for variant in schema.get("anyOf", []))
    ]


STRICT_CASES = [
    (path, route, field, wrong)
    for path, route in BODY_ROUTES
    for kind, wrong in (("boolean", "yes"), ("integer", True), ("number", "1"))
    for field in _typed_fields(_model(path, route), kind)
]


@pytest.mark.parametrize(
    ("path", "route", "field", "wrong"),
    STRICT_CASES,
    ids=[f"{path}-{field}={wrong!r}" for path, _, field, wrong in STRICT_CASES],
)
def test_no_field_is_coerced_from_another_json_type(client: TestClient, path, route, field, wrong):
    body = {**_example(_model(path, route)), field: wrong}
    response = client.post(_url(path), json=body)
    assert response.status_code == 422, f"{field}={wrong!r} was accepted"
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", field]


def test_the_strictness_cases_cover_the_fields_the_audit_named():
    named = {(path, field) for path, _, field, _ in STRICT_CASES}
    assert ("/api/conv2d", "flip_kernel") in named
    assert ("/api/equivariance", "dx") in named


@pytest.mark.parametrize(("path", "route"), BODY_ROUTES, ids=_post_ids())
def test_every_post_route_refuses_a_body_that_is_not_json_with_415(client: TestClient, path, route):
    response = client.post(
        _url(path),
        content=b"a=1&b=2",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json() == {
        "detail": "the body must be JSON sent with Content-Type: application/json "
        "(got application/x-www-form-urlencoded)"
    }


@pytest.mark.parametrize(
    ("path", "route"),
    [(path, route) for path, route in BODY_ROUTES if path not in EMPTY_BODY_IS_DEFAULTS],
    ids=[path for path in _post_ids() if path not in EMPTY_BODY_IS_DEFAULTS],
)
def test_every_post_route_answers_an_empty_body_in_words(client: TestClient, path, route):
    response = client.post(_url(path), content=b"", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "the body is empty; send a JSON object"


@pytest.mark.parametrize(("path", "route"), BODY_ROUTES, ids=_post_ids())
def test_every_post_route_documents_its_body_in_openapi(client: TestClient, path, route):
    operation = client.get("/openapi.json").json()["paths"][path]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    by_path = body_models_by_path(route)
    if by_path is None:
        assert schema == {"$ref": f"#/components/schemas/{_body_model(route).__name__}"}
        assert operation["requestBody"]["required"] is True
    else:
        assert [ref["$ref"] for ref in schema["anyOf"]] == [
            f"#/components/schemas/{model.__name__}" for model in by_path[1].values()
        ]
        assert operation["requestBody"]["required"] is False


@pytest.mark.parametrize("path", GET_ROUTES + ["/", "/convolution", "/docs", "/openapi.json"])
def test_head_answers_every_get_route_with_its_headers_and_no_body(client: TestClient, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_head_on_a_static_file_has_its_length_and_no_body(client: TestClient):
    get = client.get("/static/css/lab.css")
    head = client.head("/static/css/lab.css")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
