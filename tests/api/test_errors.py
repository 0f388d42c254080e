"""Validation errors are valid, bounded JSON whatever the body held."""

import json


def _post_raw(client, path: str, body: str):
    return client.post(path, content=body, headers={"content-type": "application/json"})


def test_bare_nan_literal_gets_a_422_that_echoes_it_as_a_string(client):
    response = _post_raw(
        client, "/api/conv2d", '{"input": [[1, 2], [3, 4]], "kernel": [[1]], "flip_kernel": NaN}'
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "flip_kernel"]
    assert error["input"] == "NaN"


def test_a_body_nested_too_deeply_is_refused_with_a_422_naming_the_depth(client):
    deep = "[" * 40 + "1" + "]" * 40
    response = _post_raw(client, "/api/conv2d", f'{{"input": {deep}, "kernel": [[1]]}}')
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["msg"] == "must be a 2-D list (H×W) or a 3-D list (C×H×W), got a 6-D list"
    assert len(response.content) < 1_000


def test_a_body_nested_past_the_parser_limit_is_a_422_that_says_the_json_is_invalid(client):
    deep = "[" * 20_000 + "]" * 20_000
    response = _post_raw(client, "/api/conv2d", f'{{"input": {deep}, "kernel": [[1]]}}')
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "json_invalid",
            "loc": ["body"],
            "msg": "the body is not valid JSON: recursion limit exceeded at line 1 column 211",
            "input": None,
        }
    ]


def test_a_list_with_thousands_of_bad_entries_lists_twenty_errors_and_counts_the_rest(client):
    body = {"input": [[1]], "kernel": [[1]], **{f"junk{i}": 0 for i in range(5_000)}}
    response = client.post("/api/conv2d", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 21
    assert detail[-1] == {
        "type": "too_many_errors",
        "loc": ["body"],
        "msg": "4980 more errors not shown",
    }
    assert len(json.dumps(detail)) < 10_000
