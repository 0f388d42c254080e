"""The /docs response examples are computed by the engine (app/api/examples.py): every route
answers its request example with exactly the response example /openapi.json shows, the numbers
agree with torch, and no response model carries a hand-typed example."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from app.api.docs import _body_model, api_routes
from app.api.examples import compute_examples, load_examples, request_examples
from app.main import create_app
from tests.helpers.threads import record_event_loop

APP = create_app()
ROUTES = sorted(
    (path, method, route)
    for path, route in api_routes(APP)
    for method in route.methods or ()
    if route.response_model is not None
    and route.include_in_schema
    and method in ("GET", "POST")
    and path != "/api/health"  # async: no example is computed (and none typed)
    and not path.endswith("/runs")  # a training run: async, minutes of CPU
    # a class session's routes answer only inside a session (its code and tokens are state in
    # the database), so no example can be computed; docs/sessions-api.md shows their JSON
    and not (path == "/api/sessions" or path.startswith("/api/sessions/{code}"))
)


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _component(openapi: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        items = ref_or_schema.get("items", {}).get("$ref")
        assert items, ref_or_schema
        ref = items
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _url(openapi: dict, path: str, method: str) -> str:
    """``path`` with its path parameters and the query parameters that have one filled from
    their examples."""
    query = []
    for parameter in openapi["paths"][path][method].get("parameters", []):
        example = (parameter["schema"].get("examples") or parameter.get("examples") or [None])[0]
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(example))
        elif parameter["in"] == "query" and example is not None:
            query.append(f"{parameter['name']}={example}")
    return path + ("?" + "&".join(query) if query else "")


def _shown(openapi: dict, path: str, method: str) -> list[Any]:
    """The response examples /openapi.json shows for a route: [example, *examples[1:]] (for a
    list answer, the example of its items' model)."""
    schema = openapi["paths"][path][method]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    component = _component(openapi, schema)
    found = [component["example"]]
    return found + [e for e in component.get("examples", []) if e not in found]


def _without_nulls(value: Any) -> Any:
    """``value`` as /openapi.json shows it: FastAPI drops the null members of objects there."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _answers(client: TestClient, openapi: dict, path: str, method: str, route) -> list[Any]:
    url = _url(openapi, path, method.lower())
    if method == "GET":
        return [_without_nulls(client.get(url).json())]
    bodies = request_examples(_body_model(route))
    assert bodies, f"{path} has no request example"
    answers = []
    for body in bodies:
        response = client.post(url, json=body)
        assert response.status_code == 200, (path, response.text[:300])
        answers.append(_without_nulls(response.json()))
    return answers


@pytest.mark.parametrize(
    ("path", "method", "route"), ROUTES, ids=[f"{m} {p}" for p, m, _ in ROUTES]
)
def test_every_route_answers_its_request_examples_with_the_examples_openapi_shows(
    client: TestClient, openapi: dict, path: str, method: str, route
) -> None:
    answers = _answers(client, openapi, path, method, route)
    shown = _shown(openapi, path, method.lower())
    if isinstance(answers[0], list):
        assert shown == [answers[0][0]]  # a list: its first item is the items' example
    else:
        assert shown == answers


def test_the_examples_file_holds_what_the_routes_answer_today() -> None:
    """app/api/examples.json is current: run `python -m app.api.examples` after changing a
    route or a request example."""
    assert compute_examples(create_app()) == load_examples()


def test_every_response_model_in_the_routes_has_an_example(openapi: dict) -> None:
    components = openapi["components"]["schemas"]
    missing = [
        name
        for name, schema in components.items()
        if "example" not in schema
        and not name.endswith("Request")
        and not name.endswith("-Input")
        and "additionalProperties" not in schema  # request models forbid unknown fields
    ]
    # no route answers these with an example: errors, the async health check, and the options
    # of a multiple-choice answer (the check route's example exercise is not multiple choice)
    # and the answers of the class session routes, which exist only inside a session
    sessions = [
        "Answered",
        "Bar",
        "Created",
        "Joined",
        "KindProgress",
        "MyAnswer",
        "OptionReveal",
        "OptionView",
        "ProgressBoard",
        "QuestionSummary",
        "QuestionView",
        "Results",
        "Reveal",
        "RoundResult",
        "SessionState",
    ]
    assert sorted(missing) == sorted(
        ["ErrorMessage", "HTTPValidationError", "Health", "Option", "ValidationError"] + sessions
    )


def test_no_response_model_carries_a_hand_typed_example() -> None:
    """The document FastAPI builds from the response models, before the computed examples are
    put in, has no example in any of them."""
    from fastapi.openapi.utils import get_openapi

    components = get_openapi(title="t", version="0", routes=APP.routes)["components"]["schemas"]
    typed = sorted(
        name for name, schema in components.items() if {"example", "examples"} & set(schema)
    )
    assert len(components) > 40
    # PresetLayer is also the base of the request's LayerSpec: its example is a request's
    assert typed == ["PresetLayer"]


# -- the numbers of the examples, against torch ------------------------------------------------


def _example(openapi: dict, name: str, index: int = 0) -> Any:
    schema = openapi["components"]["schemas"][name]
    return schema["examples"][index] if index else schema["example"]


def _request(openapi: dict, name: str) -> dict:
    return openapi["components"]["schemas"][name]["example"]


def test_conv2d_example_is_torchs_convolution_of_the_tutorial(openapi: dict) -> None:
    request = _request(openapi, "Conv2dRequest")
    expected = F.conv2d(
        torch.tensor(request["input"], dtype=torch.float64)[None, None],
        torch.tensor(request["kernel"], dtype=torch.float64)[None, None],
    )[0, 0]
    example = _example(openapi, "Conv2dResponse")
    assert example["output"] == expected.tolist() == [[0, 5, 0], [1, -1, 2], [0, 3, 3]]
    assert example["formula"]["text"] == "(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3"
    assert example["counts"]["multiply_adds"] == expected.numel() * 4


def test_explain_example_writes_y11_as_the_tutorial(openapi: dict) -> None:
    cell = _example(openapi, "Conv2dExplainResponse")["output_cell"]
    assert cell["expression"] == "1·1 + 2·(−1) + 0·0 + 1·1 = 0"
    assert sum(term["product"] for term in cell["window"]) == cell["value"] == 0
    influence = _example(openapi, "Conv2dExplainResponse", 1)["input_cell"]
    assert [o["cell"] for o in influence["outputs"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_matrix_examples_reproduce_torchs_convolution(openapi: dict) -> None:
    for index, request in enumerate(
        openapi["components"]["schemas"]["Conv2dMatrixRequest"]["examples"]
    ):
        example = _example(openapi, "Conv2dMatrixResponse", index)
        x = torch.tensor(request["input"], dtype=torch.float64)[None, None]
        padding = request.get("padding", 0)
        if request.get("padding_mode") == "circular":
            x = F.pad(x, [padding] * 4, mode="circular")
            padding = 0
        y = F.conv2d(
            x, torch.tensor(request["kernel"], dtype=torch.float64)[None, None], padding=padding
        )
        flat = np.array(example["matrix"]) @ np.array(request["input"], dtype=float).reshape(-1)
        np.testing.assert_allclose(flat, y.reshape(-1).numpy(), atol=1e-12)
    merged = _example(openapi, "Conv2dMatrixResponse", 1)["merged_entries"]
    assert merged and _example(openapi, "MergedEntry") == merged[0]


def test_backward_example_is_torchs_autograd(openapi: dict) -> None:
    request = _request(openapi, "Conv2dBackwardRequest")
    x = torch.tensor(request["input"], dtype=torch.float64, requires_grad=True)
    k = torch.tensor(request["kernel"], dtype=torch.float64, requires_grad=True)
    F.conv2d(x[None, None], k[None, None]).sum().backward()
    example = _example(openapi, "Conv2dBackwardResponse")
    assert example["grad_input"] == x.grad.tolist()
    assert example["grad_kernel"] == k.grad.tolist() == [[12, 11], [12, 12]]
    full = example["full_convolution"]
    assert full["padded_grad"] == np.pad(np.ones((3, 3)), 1).tolist()
    assert full["rotated_kernel"] == np.rot90(np.array(request["kernel"], dtype=float), 2).tolist()
    again = F.conv2d(
        torch.tensor(full["padded_grad"])[None, None],
        torch.tensor(full["rotated_kernel"])[None, None],
    )[0, 0]
    assert again.tolist() == example["grad_input"]
    cell = _example(openapi, "Conv2dBackwardExplainResponse")["input_cell"]
    assert cell["value"] == x.grad[1, 1].item()
    assert cell["expression"] == "1·1 + 1·0 + 1·(−1) + 1·1 = 1"


def test_transpose_example_is_torchs_conv_transpose2d(openapi: dict) -> None:
    request = _request(openapi, "ConvTranspose2dRequest")
    stride = request["stride"]
    x = torch.tensor(request["input"], dtype=torch.float64)[None, None]
    k = torch.tensor(request["kernel"], dtype=torch.float64)[None, None]
    example = _example(openapi, "ConvTranspose2dResponse")
    assert example["output"] == F.conv_transpose2d(x, k, stride=stride)[0, 0].tolist()
    ones = F.conv_transpose2d(torch.ones_like(x), torch.ones_like(k), stride=stride)[0, 0]
    assert example["overlaps"] == ones.int().tolist()
    assert example["output_shape"] == [5, 5]
    cell = _example(openapi, "ConvTranspose2dExplainResponse")["output_cell"]
    i, j = cell["cell"]
    assert sum(t["product"] for t in cell["terms"]) == example["output"][i][j] == cell["value"]


def test_matrix_transpose_example_is_the_gradient_torch_computes(openapi: dict) -> None:
    request = _request(openapi, "Conv2dMatrixTransposeRequest")
    x = torch.tensor(request["input"], dtype=torch.float64, requires_grad=True)
    k = torch.tensor(request["kernel"], dtype=torch.float64)
    F.conv2d(x[None, None], k[None, None]).sum().backward()
    example = _example(openapi, "Conv2dMatrixTransposeResponse")
    assert example["grad_input"] == x.grad.tolist()
    assert example["gradient_check"]["matches"] and example["transpose_check"]["matches"]


def test_conv1d_example_is_torchs_conv1d(openapi: dict) -> None:
    request = _request(openapi, "Conv1dRequest")
    expected = F.conv1d(
        torch.tensor(request["input"], dtype=torch.float64)[None, None],
        torch.tensor(request["kernel"], dtype=torch.float64)[None, None],
    )[0, 0]
    assert _example(openapi, "Conv1dResponse")["output"] == expected.tolist()


def test_pool_example_is_torchs_max_pool(openapi: dict) -> None:
    request = _request(openapi, "PoolRequest")
    expected = F.max_pool2d(
        torch.tensor(request["input"], dtype=torch.float64)[None], request["kernel_size"]
    )[0]
    assert _example(openapi, "PoolResponse")["output"] == expected.tolist()


def test_equivariance_examples_are_torchs_convolution_shifted(openapi: dict) -> None:
    edge = _request(openapi, "EquivarianceRequest")
    report = _example(openapi, "EquivarianceResponse")
    expected = F.conv2d(
        torch.tensor(edge["image"], dtype=torch.float64)[None, None],
        torch.tensor(edge["kernel"], dtype=torch.float64)[None, None],
    )[0, 0]
    assert report["conv_output"] == expected.tolist()
    # the single bright pixel moved one column right, identity kernel, 2×2 max pooling
    pixel = openapi["components"]["schemas"]["EquivarianceRequest"]["examples"][0]
    report = _example(openapi, "EquivarianceResponse", 1)
    image = np.array(pixel["image"], dtype=float)
    moved = np.zeros_like(image)
    moved[:, pixel["dx"] :] = image[:, : image.shape[1] - pixel["dx"]]
    assert report["shifted_image"] == report["conv_of_shifted"] == moved.tolist()
    assert report["max_abs_diff_total"] == 0.0
    pooled = F.max_pool2d(torch.tensor(moved)[None], 2)[0]
    assert report["pool"]["pooled_after"] == report["pool"]["pooled_before"] == pooled.tolist()
    assert report["pool"]["unchanged_count"] == 4


def test_the_examples_are_computed_in_a_worker_thread_not_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.api.docs as docs

    on_event_loop = record_event_loop(monkeypatch, docs, "add_engine_examples")
    with TestClient(create_app()) as fresh:
        first = fresh.get("/openapi.json")
        again = fresh.get("/openapi.json")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert on_event_loop == [False]  # built once, in a worker thread


def test_the_error_example_is_what_the_engine_answers(client: TestClient, openapi: dict) -> None:
    shown = openapi["components"]["schemas"]["ErrorMessage"]["properties"]["detail"]["examples"]
    body = {"input": _request(openapi, "Conv2dRequest")["input"], "kernel": [[1] * 5] * 5}
    response = client.post("/api/conv2d", json=body)
    assert response.status_code == 422
    assert shown == [response.json()["detail"]]


def test_two_first_requests_at_once_build_the_document_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import app.api.docs as docs

    calls = record_event_loop(monkeypatch, docs, "add_engine_examples")
    fresh = create_app()
    documents: list[dict] = []
    threads = [threading.Thread(target=lambda: documents.append(fresh.openapi())) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert documents[0] is documents[1]
