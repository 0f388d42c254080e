"""POST /api/conv2d, /api/conv2d/explain, /api/conv2d/matrix: values and exact error texts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from tests.helpers.api import K, X, Y, error, post_raw

# -- /api/conv2d: values ---------------------------------------------------------------------


def test_conv2d_returns_the_tutorial_map(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": K})
    assert response.status_code == 200
    assert response.json()["output"] == Y
    assert response.json()["output_shape"] == [3, 3]


def test_conv2d_formula_reads_four_minus_two_plus_one(client: TestClient) -> None:
    formula = client.post("/api/conv2d", json={"input": X, "kernel": K}).json()["formula"]
    assert formula["text"] == "(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3"
    assert [axis["output"] for axis in formula["axes"]] == [3, 3]
    assert formula["axes"][0] == {
        "axis": "height",
        "size": 4,
        "pad_before": 0,
        "pad_after": 0,
        "kernel": 2,
        "dilation": 1,
        "stride": 1,
        "ceil_mode": False,
        "output": 3,
        "expression": "4 − 2 + 1",
    }


def test_conv2d_counts_answer_tutorial_q3b(client: TestClient) -> None:
    counts = client.post("/api/conv2d", json={"input": X, "kernel": K}).json()["counts"]
    assert counts == {
        "inputs_per_output": 4,
        "kernel_parameters": 4,
        "bias_parameters": 0,
        "outputs_sharing_parameters": 9,
        "multiply_adds": 36,
    }


def test_conv2d_multichannel_with_bias_matches_torch(client: TestClient) -> None:
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((3, 7, 6)), rng.standard_normal((2, 3, 3, 2)), [0.5, -1.0]
    body = {
        "input": x.tolist(),
        "kernel": w.tolist(),
        "bias": b,
        "stride": [2, 1],
        "padding": [1, 2],
        "dilation": [1, 2],
    }
    response = client.post("/api/conv2d", json=body)
    expected = F.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(w),
        torch.tensor(b, dtype=torch.float64),
        stride=(2, 1),
        padding=(1, 2),
        dilation=(1, 2),
    )[0]
    assert response.json()["output_shape"] == list(expected.shape)
    np.testing.assert_allclose(response.json()["output"], expected.numpy(), atol=1e-9)


def test_conv2d_same_padding_keeps_the_input_size(client: TestClient) -> None:
    body = {"input": X, "kernel": [[0, 0, 0], [0, 1, 0], [0, 0, 0]], "padding": "same"}
    response = client.post("/api/conv2d", json=body)
    assert response.json()["output"] == [[float(v) for v in row] for row in X]


def test_conv2d_reflect_padding_matches_torch(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "padding": 1, "padding_mode": "reflect"}
    expected = F.conv2d(
        F.pad(torch.tensor(X, dtype=torch.float64)[None, None], (1, 1, 1, 1), mode="reflect"),
        torch.tensor(K, dtype=torch.float64)[None, None],
    )
    assert client.post("/api/conv2d", json=body).json()["output"] == expected[0, 0].tolist()


def test_conv2d_flip_kernel_computes_true_convolution(client: TestClient) -> None:
    flipped = [row[::-1] for row in K[::-1]]
    plain = client.post("/api/conv2d", json={"input": X, "kernel": flipped}).json()["output"]
    body = {"input": X, "kernel": K, "flip_kernel": True}
    assert client.post("/api/conv2d", json=body).json()["output"] == plain


# -- /api/conv2d: bad input ------------------------------------------------------------------


def test_ragged_input_is_422_naming_the_row(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [[1, 2], [3]], "kernel": K})
    assert response.status_code == 422
    assert error(response) == "is ragged: row [1] has 1 entries, expected 2"
    assert response.json()["detail"][0]["loc"] == ["body", "input"]


def test_nan_entry_is_422_naming_the_entry(client: TestClient) -> None:
    response = post_raw(client, "/api/conv2d", '{"input": [[1, NaN]], "kernel": [[1]]}')
    assert response.status_code == 422
    assert error(response) == "entry [0][1] must be a finite number, got NaN"


def test_infinite_entry_is_422(client: TestClient) -> None:
    response = post_raw(client, "/api/conv2d", '{"input": [[1]], "kernel": [[-Infinity]]}')
    assert response.status_code == 422
    assert error(response) == "entry [0][0] must be a finite number, got -Infinity"


def test_number_overflowing_to_infinity_is_422(client: TestClient) -> None:
    response = post_raw(client, "/api/conv2d", '{"input": [[1e999]], "kernel": [[1]]}')
    assert error(response) == "entry [0][0] must be a finite number, got Infinity"


def test_text_entry_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [[1, "2"]], "kernel": K})
    assert error(response) == 'entry [0][1] must be a finite number, got "2"'


def test_empty_input_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [], "kernel": K})
    assert response.status_code == 422
    assert error(response) == "must not be empty"


def test_empty_row_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [[]], "kernel": K})
    assert error(response) == "must not be empty"


def test_flat_list_input_is_422_saying_what_shape_is_expected(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [1, 2, 3], "kernel": K})
    assert error(response) == ("must be a 2-D list (H×W) or a 3-D list (C×H×W), got a 1-D list")


def test_3d_kernel_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": [K]})
    assert error(response) == (
        "must be a 2-D list (kh×kw) or a 4-D list (C_out×C_in×kh×kw), got a 3-D list"
    )


def test_kernel_larger_than_padded_input_is_422_naming_both(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": [[1] * 5] * 5})
    assert response.status_code == 422
    assert response.json() == {"detail": "kernel 5×5 is larger than the padded input 4×4"}


def test_stride_zero_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": K, "stride": 0})
    assert response.status_code == 422
    assert error(response) == "must be at least 1, got 0"
    assert response.json()["detail"][0]["loc"] == ["body", "stride"]


def test_dilation_zero_in_a_pair_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": K, "dilation": [1, 0]})
    assert error(response) == "must be at least 1, got 0"


def test_negative_padding_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": K, "padding": -1})
    assert error(response) == "must not be negative, got -1"


def test_unknown_padding_word_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": K, "padding": "full"})
    assert error(response) == (
        'must be an integer or a pair [height, width] of integers or "valid" or "same", got "full"'
    )


def test_same_padding_with_stride_two_is_422_like_torch(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "padding": "same", "stride": 2}
    assert client.post("/api/conv2d", json=body).json() == {
        "detail": 'padding "same" needs stride 1 (PyTorch refuses it for strided convolutions), '
        "got stride 2×2"
    }


def test_reflect_padding_too_large_is_422_like_torch(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "padding": 4, "padding_mode": "reflect"}
    assert client.post("/api/conv2d", json=body).json() == {
        "detail": "reflect padding of 4 needs an input height of at least 5, but the input "
        "height is 4 (reflect padding must be smaller than the side, as in PyTorch)"
    }


def test_channel_mismatch_is_422_naming_both_counts(client: TestClient) -> None:
    body = {"input": [X, X, X], "kernel": [[K, K]]}
    assert client.post("/api/conv2d", json=body).json() == {
        "detail": "the kernel expects 2 input channels, but the input has 3"
    }


def test_bias_of_wrong_length_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "bias": [1, 2]}
    assert client.post("/api/conv2d", json=body).json() == {
        "detail": "bias has 2 values but the kernel has 1 output channel"
    }


def test_input_over_the_side_limit_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [[0] * 257], "kernel": [[1]]})
    assert error(response) == "has width 257, over the limit of 256"


def test_too_many_channels_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": [[[0]]] * 65, "kernel": [[1]]})
    assert error(response) == "has 65 channels, over the limit of 64"


def test_kernel_over_the_side_limit_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d", json={"input": X, "kernel": [[1] * 65]})
    assert error(response) == "has kernel width 65, over the limit of 64"


def test_too_many_multiply_adds_is_422_naming_count_and_limit(client: TestClient) -> None:
    body = {"input": [[0] * 200] * 200, "kernel": [[1] * 20] * 20}
    response = client.post("/api/conv2d", json=body)
    assert response.status_code == 422
    assert error(response) == (
        "this convolution needs 13,104,400 multiply-adds, over the limit of 10,000,000"
    )


def test_result_overflowing_float64_is_422(client: TestClient) -> None:
    body = {"input": [[1e308, 1e308]], "kernel": [[10, 10]]}
    assert client.post("/api/conv2d", json=body).json() == {
        "detail": "the convolution overflows float64 (some values are too large); use smaller "
        "numbers"
    }


def test_body_over_one_megabyte_is_413(client: TestClient) -> None:
    body = '{"input": [[' + ",".join(["1"] * 600_000) + ']], "kernel": [[1]]}'
    response = post_raw(client, "/api/conv2d", body)
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]


# -- /api/conv2d/explain ---------------------------------------------------------------------


def test_explain_output_cell_writes_y11_as_the_tutorial(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "output_cell": [0, 0]}
    explained = client.post("/api/conv2d/explain", json=body).json()
    assert explained["output_cell"]["expression"] == "1·1 + 2·(−1) + 0·0 + 1·1 = 0"
    assert [[t["row"], t["col"]] for t in explained["output_cell"]["window"]] == [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
    ]
    assert explained["input_cell"] is None
    assert explained["output"] == Y


def test_explain_marks_zero_padding_cells(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "padding": 1, "output_cell": [0, 0]}
    window = client.post("/api/conv2d/explain", json=body).json()["output_cell"]["window"]
    assert [t["padding"] for t in window] == [True, True, True, False]
    assert [t["source"] for t in window] == [None, None, None, [0, 0]]


def test_explain_input_cell_lists_the_outputs_it_feeds(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "input_cell": [1, 1]}
    influence = client.post("/api/conv2d/explain", json=body).json()["input_cell"]
    assert [o["cell"] for o in influence["outputs"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert influence["count"] == 4


def test_explain_multichannel_window_runs_over_every_input_channel(client: TestClient) -> None:
    body = {"input": [X, X], "kernel": [[K, K]], "output_cell": [0, 0]}
    explained = client.post("/api/conv2d/explain", json=body).json()["output_cell"]
    assert len(explained["window"]) == 8
    assert explained["window"][4]["kernel_index"] == [0, 1, 0, 0]
    assert explained["value"] == 0.0


def test_explain_without_a_cell_is_422(client: TestClient) -> None:
    response = client.post("/api/conv2d/explain", json={"input": X, "kernel": K})
    assert error(response) == "give exactly one of output_cell or input_cell"


def test_explain_with_both_cells_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "output_cell": [0, 0], "input_cell": [0, 0]}
    assert error(client.post("/api/conv2d/explain", json=body)) == (
        "give exactly one of output_cell or input_cell"
    )


def test_explain_output_cell_outside_the_output_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "output_cell": [3, 0]}
    assert client.post("/api/conv2d/explain", json=body).json() == {
        "detail": "output cell [3, 0] is outside the 3×3 output"
    }


def test_explain_negative_cell_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "input_cell": [-1, 0]}
    response = client.post("/api/conv2d/explain", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "input_cell"]


# -- /api/conv2d/matrix ----------------------------------------------------------------------


def test_matrix_reproduces_the_tutorial_convolution(client: TestClient) -> None:
    answer = client.post("/api/conv2d/matrix", json={"input": X, "kernel": K}).json()
    matrix = np.array(answer["matrix"])
    assert matrix.shape == (9, 16)
    assert (matrix @ np.array(X, dtype=float).reshape(-1)).tolist() == np.ravel(Y).tolist()
    assert answer["check"] == {"max_abs_diff": 0.0, "matches": True}


def test_matrix_figures_show_sparsity_and_sharing(client: TestClient) -> None:
    figures = client.post("/api/conv2d/matrix", json={"input": X, "kernel": K}).json()["figures"]
    assert figures == {
        "rows": 9,
        "cols": 16,
        "entries": 144,
        "nonzeros": 36,
        "nonzeros_per_row": [4] * 9,
        "max_nonzeros_per_row": 4,
        "sparsity": 0.75,
        "distinct_parameters": 4,
        "dense_parameters": 144,
        "sharing_factor": 9.0,
    }


def test_matrix_weight_index_names_the_kernel_weight_or_null(client: TestClient) -> None:
    answer = client.post("/api/conv2d/matrix", json={"input": X, "kernel": K}).json()
    assert answer["weight_index"][0] == [0, 1, None, None, 2, 3] + [None] * 10
    assert answer["weight_labels"] == ["K[0,0]", "K[0,1]", "K[1,0]", "K[1,1]"]
    assert answer["structure"] == "doubly block Toeplitz"


def test_matrix_circular_padding_lists_merged_entries(client: TestClient) -> None:
    body = {
        "input": [[1, 2], [3, 4]],
        "kernel": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        "padding": 1,
        "padding_mode": "circular",
    }
    answer = client.post("/api/conv2d/matrix", json=body).json()
    # output (0, 0) reads input rows (1, 0, 1) × cols (1, 0, 1): X[1][1] sits in all 4 corners
    assert answer["merged_entries"][:2] == [
        {"row": 0, "col": 1, "weight_indices": [3, 5]},
        {"row": 0, "col": 2, "weight_indices": [1, 7]},
    ]
    assert {"row": 0, "col": 3, "weight_indices": [0, 2, 6, 8]} in answer["merged_entries"]
    assert answer["matrix"][0] == [5.0, 4 + 6, 2 + 8, 1 + 3 + 7 + 9]
    assert answer["check"]["matches"] is True


def test_matrix_over_the_entry_limit_is_422(client: TestClient) -> None:
    body = {"input": [[0] * 40] * 40, "kernel": [[1]]}
    assert error(client.post("/api/conv2d/matrix", json=body)) == (
        "the matrix would have 1,600 × 1,600 = 2,560,000 entries, over the limit of 1,000,000"
    )


@pytest.mark.parametrize("path", ["/api/conv2d", "/api/conv2d/explain", "/api/conv2d/matrix"])
def test_every_conv_route_refuses_a_kernel_larger_than_the_input(
    client: TestClient, path: str
) -> None:
    body = {"input": X, "kernel": [[1] * 5] * 5}
    if path.endswith("explain"):
        body["output_cell"] = [0, 0]
    assert client.post(path, json=body).json() == {
        "detail": "kernel 5×5 is larger than the padded input 4×4"
    }


def test_matrix_placing_too_many_weights_is_422(client: TestClient) -> None:
    body = {"input": [[1]], "kernel": [[1] * 40] * 40, "padding": 39, "padding_mode": "replicate"}
    assert error(client.post("/api/conv2d/matrix", json=body)) == (
        "the matrix would place 2,560,000 kernel weights, over the limit of 1,000,000"
    )


@pytest.mark.parametrize("field", ["stride", "output_cell", "output_channel", "bias"])
def test_nan_in_any_field_is_a_422_with_a_json_echo(client: TestClient, field: str) -> None:
    value = {"stride": "NaN", "output_cell": "[NaN, 0]", "output_channel": "NaN", "bias": "[NaN]"}[
        field
    ]
    body = f'{{"input": [[1, 2], [3, 4]], "kernel": [[1]], "{field}": {value}}}'
    response = post_raw(client, "/api/conv2d/explain", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


MY_MODELS = [
    "Conv2dRequest",
    "Conv2dResponse",
    "Conv2dExplainRequest",
    "Conv2dExplainResponse",
    "Conv2dMatrixRequest",
    "Conv2dMatrixResponse",
    "PoolRequest",
    "PoolResponse",
    "ShiftRequest",
    "ShiftResponse",
    "EquivarianceRequest",
    "EquivarianceResponse",
    "PoolSettings",
    "PoolEquivariance",
    "Formula",
    "AxisFormula",
    "ConvCounts",
    "Term",
    "OutputCellExplanation",
    "Influence",
    "InputCellInfluence",
    "MergedEntry",
    "MatrixFigures",
    "MatrixCheck",
]


@pytest.mark.parametrize("name", MY_MODELS)
def test_openapi_documents_every_field_and_gives_an_example(client: TestClient, name: str) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"][name]
    assert "example" in schema
    undocumented = [p for p, s in schema["properties"].items() if not s.get("description")]
    assert undocumented == []


def test_openapi_examples_are_valid_requests(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for path, name in [
        ("/api/conv2d", "Conv2dRequest"),
        ("/api/conv2d/explain", "Conv2dExplainRequest"),
        ("/api/conv2d/matrix", "Conv2dMatrixRequest"),
        ("/api/pool", "PoolRequest"),
        ("/api/shift", "ShiftRequest"),
        ("/api/equivariance", "EquivarianceRequest"),
    ]:
        assert client.post(path, json=schemas[name]["example"]).status_code == 200, path


def test_documented_examples_are_what_the_routes_answer(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for path, request, response in [
        ("/api/conv2d", "Conv2dRequest", "Conv2dResponse"),
        ("/api/conv2d/explain", "Conv2dExplainRequest", "Conv2dExplainResponse"),
        ("/api/conv2d/matrix", "Conv2dMatrixRequest", "Conv2dMatrixResponse"),
    ]:
        answer = client.post(path, json=schemas[request]["example"]).json()
        shown = {k: v for k, v in answer.items() if v is not None}  # /openapi.json drops nulls
        assert shown == schemas[response]["example"], path
    body = {"input": X, "kernel": K, "input_cell": [1, 1]}
    answer = client.post("/api/conv2d/explain", json=body).json()
    assert answer["input_cell"] == schemas["InputCellInfluence"]["example"]
    assert [o["cell"] for o in answer["input_cell"]["outputs"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.parametrize(
    "body",
    [
        {"input": X, "kernel": K},
        {"input": X, "kernel": K, "output_cell": [0, 0]},
        {"input": X, "kernel": K, "input_cell": [1, 1]},
    ],
    ids=["conv2d", "explain-output", "explain-input"],
)
def test_a_conv_request_works_the_geometry_out_once_in_the_engine(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, body: dict
) -> None:
    """One engine call per request: the schema's limit check and the one engine function each
    work the geometry out once (before: the route's own geometry, conv2d and explain again)."""
    import app.engine.conv as conv

    calls = []
    real = conv.conv_geometry

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(conv, "conv_geometry", counting)
    path = "/api/conv2d" if len(body) == 2 else "/api/conv2d/explain"
    response = client.post(path, json=body)
    assert response.status_code == 200
    assert response.json()["output"] == Y
    assert len(calls) == 2
