"""POST /api/conv2d/backward(/explain), /api/conv-transpose2d(/explain),
/api/conv2d/matrix/transpose, /api/conv1d: values against torch, exact error texts, limits."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from hypothesis import assume, given
from hypothesis import strategies as st

from app.api import answer_size
from app.api.schemas import conv_layer as schemas
from app.config import Settings
from app.main import create_app
from tests.helpers.api import K, X, Y, error
from tests.helpers.conv import conv_cases
from tests.helpers.response_limit import (
    TIGHT,
    WORST,
    check_largest_admitted_fits,
    too_large,
)
from tests.helpers.response_limit import ones as _ones
from tests.helpers.response_limit import worst as _worst
from tests.helpers.transpose import transpose_cases

STRIDE_2 = {"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]] * 3, "stride": 2}


def example(model: type) -> dict:
    """A request model's (typed) example."""
    return model.model_config["json_schema_extra"]["example"]


def shown(client: TestClient, model: type) -> dict:
    """The example /openapi.json shows for a model (response examples are computed)."""
    return client.get("/openapi.json").json()["components"]["schemas"][model.__name__]["example"]


def without_nulls(answer: dict) -> dict:
    """An answer as /openapi.json shows it (FastAPI drops the null members there)."""
    return {k: v for k, v in answer.items() if v is not None}


# -- /api/conv2d/backward --------------------------------------------------------------------


def test_backward_of_the_tutorial_returns_forward_and_gradients(client: TestClient) -> None:
    answer = client.post("/api/conv2d/backward", json={"input": X, "kernel": K}).json()
    assert answer["output"] == Y
    assert answer["grad_output"] == [[1.0] * 3] * 3
    assert answer["grad_input"] == [[1, 0, 0, -1], [1, 1, 1, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    assert answer["grad_kernel"] == [[12, 11], [12, 12]]
    assert answer["grad_bias"] is None
    assert answer["backward_multiply_adds"] == 72


def test_backward_multichannel_with_bias_matches_torch_autograd(client: TestClient) -> None:
    rng = np.random.default_rng(12)
    x, w, b = rng.standard_normal((3, 7, 6)), rng.standard_normal((2, 3, 3, 2)), [0.5, -1.0]
    options = {"stride": [2, 1], "padding": [1, 2], "dilation": [1, 2]}
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(xt, wt, bt, **options)
    g = rng.standard_normal(y.shape[1:])
    y.backward(torch.from_numpy(g[None]))
    body = {
        "input": x.tolist(),
        "kernel": w.tolist(),
        "bias": b,
        "grad_output": g.tolist(),
        **options,
    }
    answer = client.post("/api/conv2d/backward", json=body).json()
    np.testing.assert_allclose(answer["grad_input"], xt.grad[0].numpy(), atol=1e-9)
    np.testing.assert_allclose(answer["grad_kernel"], wt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(answer["grad_bias"], bt.grad.numpy(), atol=1e-9)
    full = answer["full_convolution"]
    assert full["applicable"] is True
    assert np.array(full["rotated_kernel"]).shape == (3, 2, 3, 2)
    assert full["inserted_zeros"] == [1, 0]


def test_full_convolution_view_draws_the_padded_g(client: TestClient) -> None:
    full = client.post("/api/conv2d/backward", json={"input": X, "kernel": K}).json()[
        "full_convolution"
    ]
    assert full["applicable"] is True
    assert full["padded_grad"] == np.pad(np.ones((3, 3)), 1).tolist()
    assert full["pads"] == [[1, 1], [1, 1]] and full["inserted_zeros"] == [0, 0]
    assert full["rotated_kernel"] == [[1.0, 0.0], [-1.0, 1.0]]
    assert full["note"] == (
        "∂L/∂X is the cross-correlation of padded_grad with rotated_kernel (dilation 1×1, "
        "stride 1): G padded by d(k − 1) − p = 1 above, 1 below, 1 left, 1 right (a full "
        "convolution)"
    )
    # the full convolution gives torch's gradient
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    F.conv2d(x[None, None], torch.tensor(K, dtype=torch.float64)[None, None]).sum().backward()
    again = F.conv2d(
        torch.tensor(full["padded_grad"])[None, None],
        torch.tensor(full["rotated_kernel"])[None, None],
    )
    assert again[0, 0].tolist() == x.grad.tolist()


def test_full_convolution_view_with_reflect_padding_says_why_not(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "padding": 1, "padding_mode": "reflect"}
    full = client.post("/api/conv2d/backward", json=body).json()["full_convolution"]
    assert full["applicable"] is False
    assert full["padded_grad"] is None
    assert full["note"].startswith("reflect padding copies input cells into the padding")


def test_full_convolution_view_too_large_to_draw_is_left_out(client: TestClient) -> None:
    # span 1·(3 − 1)·100 + 1 = 201 with padding 100: G is 64×64, the padded G 264×264; the
    # limit is a quarter of the response limit (5,000,000 bytes / 4 / 25 bytes per number)
    body = {"input": [[1] * 64] * 64, "kernel": [[1] * 3] * 3, "dilation": 100, "padding": 100}
    answer = client.post("/api/conv2d/backward", json=body).json()
    assert answer["full_convolution"]["applicable"] is False
    assert answer["full_convolution"]["note"] == (
        "the padded G would hold 69,696 values, over the limit of 50,000 (a large "
        "dilation or padding); grad_input is computed all the same"
    )
    assert np.array(answer["grad_input"]).shape == (64, 64)


def test_backward_grad_output_of_the_wrong_shape_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "grad_output": [[1, 2], [3, 4]]}
    assert client.post("/api/conv2d/backward", json=body).json() == {
        "detail": "grad_output must be shaped like the output, 3×3, got 2×2"
    }


def test_backward_grad_output_with_nan_is_422(client: TestClient) -> None:
    body = '{"input": [[1, 2], [3, 4]], "kernel": [[1]], "grad_output": [[1, NaN], [1, 1]]}'
    response = client.post(
        "/api/conv2d/backward", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert error(response) == "entry [0][1] must be a finite number, got NaN"


def test_backward_counts_three_passes_against_the_compute_limit(client: TestClient) -> None:
    body = {"input": [[0] * 150] * 150, "kernel": [[1] * 15] * 15}
    assert client.post("/api/conv2d", json=body).status_code == 200  # 4,161,600 forward
    response = client.post("/api/conv2d/backward", json=body)
    assert error(response) == (
        "the forward and backward passes need 12,484,800 multiply-adds, over the limit of "
        "10,000,000"
    )


def test_backward_keeps_the_forward_refusals(client: TestClient) -> None:
    body = {"input": X, "kernel": [[1] * 5] * 5}
    assert client.post("/api/conv2d/backward", json=body).json() == {
        "detail": "kernel 5×5 is larger than the padded input 4×4"
    }


# -- /api/conv2d/backward/explain ------------------------------------------------------------


def test_backward_explain_input_cell_lists_g_times_k(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "input_cell": [1, 1]}
    answer = client.post("/api/conv2d/backward/explain", json=body).json()
    cell = answer["input_cell"]
    assert cell["expression"] == "1·1 + 1·0 + 1·(−1) + 1·1 = 1"
    assert [(t["output_cell"], t["window_position"], t["weight"]) for t in cell["terms"]] == [
        ([0, 0], [1, 1], 1.0),
        ([0, 1], [1, 0], 0.0),
        ([1, 0], [0, 1], -1.0),
        ([1, 1], [0, 0], 1.0),
    ]
    assert cell["value"] == answer["grad_input"][1][1] == 1.0
    assert answer["kernel_cell"] is None
    assert answer["output_cell"] is None


def test_backward_explain_kernel_cell_sums_to_the_kernel_gradient(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "kernel_cell": [0, 1]}
    cell = client.post("/api/conv2d/backward/explain", json=body).json()["kernel_cell"]
    assert cell["kernel_index"] == [0, 1]
    assert cell["value"] == 11.0
    assert cell["expression"] == "1·2 + 1·0 + 1·1 + 1·1 + 1·3 + 1·1 + 1·2 + 1·1 + 1·0 = 11"
    assert cell["terms"][0] == {
        "output_cell": [0, 0],
        "row": 0,
        "col": 1,
        "padding": False,
        "source": [0, 1],
        "grad": 1.0,
        "value": 2.0,
        "product": 2.0,
    }


def test_backward_explain_output_cell_says_which_entries_g_touches(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "output_cell": [0, 0]}
    cell = client.post("/api/conv2d/backward/explain", json=body).json()["output_cell"]
    assert [t["cell"] for t in cell["touches"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert [t["product"] for t in cell["touches"]] == [1.0, -1.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "give exactly one of input_cell, kernel_cell or output_cell"),
        (
            {"input_cell": [0, 0], "kernel_cell": [0, 0]},
            "give exactly one of input_cell, kernel_cell or output_cell",
        ),
    ],
)
def test_backward_explain_needs_exactly_one_cell(
    client: TestClient, extra: dict, message: str
) -> None:
    response = client.post("/api/conv2d/backward/explain", json={"input": X, "kernel": K, **extra})
    assert response.status_code == 422
    assert error(response) == message


def test_backward_explain_cell_outside_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel": K, "kernel_cell": [2, 0]}
    assert client.post("/api/conv2d/backward/explain", json=body).json() == {
        "detail": "kernel cell [2, 0] is outside the 2×2 kernel"
    }


def test_backward_explain_refuses_a_kernel_cell_of_too_many_terms(client: TestClient) -> None:
    body = {"input": [[0] * 100] * 100, "kernel": [[1]], "kernel_cell": [0, 0]}
    response = client.post("/api/conv2d/backward/explain", json=body)
    assert error(response) == (
        "this weight of ∂L/∂K sums 10,000 terms, too many to explain (at most 4,096)"
    )


# -- /api/conv-transpose2d -------------------------------------------------------------------


def test_transpose_example_shows_overlaps_and_the_formula(client: TestClient) -> None:
    answer = client.post("/api/conv-transpose2d", json=STRIDE_2).json()
    x = torch.tensor(STRIDE_2["input"], dtype=torch.float64)[None, None]
    k = torch.tensor(STRIDE_2["kernel"], dtype=torch.float64)[None, None]
    assert answer["output"] == F.conv_transpose2d(x, k, stride=2)[0, 0].tolist()
    assert answer["overlaps"] == [
        [1, 1, 2, 1, 1],
        [1, 1, 2, 1, 1],
        [2, 2, 4, 2, 2],
        [1, 1, 2, 1, 1],
        [1, 1, 2, 1, 1],
    ]
    assert answer["formula"]["text"] == (
        "((2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1) × ((2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1) = 5 × 5"
    )
    assert answer["counts"] == {"kernel_parameters": 9, "bias_parameters": 0, "multiply_adds": 36}


def test_transpose_multichannel_matches_torch(client: TestClient) -> None:
    rng = np.random.default_rng(13)
    x, w, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3, 3, 2)), [1.0, 0, -1]
    options = {"stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2], "dilation": [1, 2]}
    expected = F.conv_transpose2d(
        torch.tensor(x[None]), torch.tensor(w), torch.tensor(b, dtype=torch.float64), **options
    )[0]
    body = {"input": x.tolist(), "kernel": w.tolist(), "bias": b, **options}
    answer = client.post("/api/conv-transpose2d", json=body).json()
    assert answer["output_shape"] == list(expected.shape)
    np.testing.assert_allclose(answer["output"], expected.numpy(), atol=1e-9)
    assert answer["counts"] == {"kernel_parameters": 36, "bias_parameters": 3, "multiply_adds": 432}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"output_padding": 2},
            "output_padding must be smaller than the stride or the dilation (PyTorch's rule), got "
            "output_padding 2 with stride 2 and dilation 1 along the height",
        ),
        (
            {"padding": 3},
            "the output height would be -1: (H − 1)·s − 2p + d·(k − 1) + output_padding + 1 = "
            "(2 − 1)·2 − 2·3 + 1·(3 − 1) + 0 + 1 = -1, less than 1; use less padding",
        ),
        ({"bias": [1, 2]}, "bias has 2 values but the kernel has 1 output channel"),
    ],
)
def test_transpose_refusals_are_torchs_in_words(
    client: TestClient, extra: dict, message: str
) -> None:
    assert client.post("/api/conv-transpose2d", json={**STRIDE_2, **extra}).json() == {
        "detail": message
    }


def test_transpose_refuses_string_padding(client: TestClient) -> None:
    response = client.post("/api/conv-transpose2d", json={**STRIDE_2, "padding": "same"})
    assert response.status_code == 422
    assert error(response) == 'must be an integer or a pair [height, width] of integers, got "same"'


def test_transpose_output_over_the_value_limit_is_422(client: TestClient) -> None:
    body = {"input": [[0] * 256] * 256, "kernel": [[1]], "stride": 1024}
    assert error(client.post("/api/conv-transpose2d", json=body)) == (
        "the output would hold 68,184,176,641 values, over the limit of 1,048,576"
    )


def test_transpose_over_the_compute_limit_is_422(client: TestClient) -> None:
    body = {"input": [[0] * 100] * 100, "kernel": [[1] * 40] * 40}
    assert error(client.post("/api/conv-transpose2d", json=body)) == (
        "this transposed convolution needs 16,000,000 multiply-adds, over the limit of 10,000,000"
    )


# -- /api/conv-transpose2d/explain -----------------------------------------------------------


def test_transpose_explain_output_cell_lists_the_overlapping_stamps(client: TestClient) -> None:
    answer = client.post(
        "/api/conv-transpose2d/explain", json={**STRIDE_2, "output_cell": [2, 2]}
    ).json()
    cell = answer["output_cell"]
    assert [(t["input_cell"], t["kernel_index"]) for t in cell["terms"]] == [
        ([0, 0], [2, 2]),
        ([0, 1], [2, 0]),
        ([1, 0], [0, 2]),
        ([1, 1], [0, 0]),
    ]
    assert cell["expression"] == "1·1 + 2·1 + 3·1 + 4·1 = 10"
    assert cell["value"] == answer["output"][2][2] == 10.0
    assert answer["input_cell"] is None


def test_transpose_explain_input_cell_lists_its_stamp(client: TestClient) -> None:
    answer = client.post(
        "/api/conv-transpose2d/explain", json={**STRIDE_2, "input_cell": [1, 1]}
    ).json()
    cells = [s["cell"] for s in answer["input_cell"]["outputs"]]
    assert cells == [[r, q] for r in (2, 3, 4) for q in (2, 3, 4)]
    assert answer["input_cell"]["cropped"] == 0


def test_transpose_explain_cell_outside_is_422(client: TestClient) -> None:
    body = {**STRIDE_2, "output_cell": [5, 0]}
    assert client.post("/api/conv-transpose2d/explain", json=body).json() == {
        "detail": "output cell [5, 0] is outside the 5×5 output"
    }


def test_transpose_explain_needs_exactly_one_cell(client: TestClient) -> None:
    response = client.post("/api/conv-transpose2d/explain", json=STRIDE_2)
    assert error(response) == "give exactly one of output_cell or input_cell"


# -- every other refusal of the layer routes, word for word ------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/api/conv2d/backward/explain",
            {"input": X, "kernel": K, "input_cell": [4, 0]},
            "input cell [4, 0] is outside the 4×4 input",
        ),
        (
            "/api/conv2d/backward/explain",
            {"input": X, "kernel": K, "output_cell": [0, 3]},
            "output cell [0, 3] is outside the 3×3 output",
        ),
        (
            "/api/conv2d/backward/explain",
            {"input": X, "kernel": K, "output_cell": [0, 0], "output_channel": 1},
            "output channel 1 does not exist; the kernel has 1 output channel",
        ),
        (
            "/api/conv2d/backward/explain",
            {"input": X, "kernel": K, "input_cell": [0, 0], "input_channel": 1},
            "input channel 1 does not exist; the input has 1 input channel",
        ),
        (
            "/api/conv2d/backward/explain",
            {"input": _ones(64, 9, 9), "kernel": _ones(1, 64, 9, 9), "output_cell": [0, 0]},
            "this window sums 5,184 terms, too many to explain (at most 4,096)",
        ),
        (
            "/api/conv-transpose2d",
            {"input": _ones(3, 1, 1), "kernel": _ones(2, 1, 1, 1)},
            "the kernel expects 2 input channels, but the input has 3 (a transposed-convolution "
            "kernel is C_in×C_out×kh×kw)",
        ),
        (
            "/api/conv-transpose2d/explain",
            # 9 inputs reach output row 8 through the 9 taps, and as many columns: 64·9·9
            {"input": _ones(64, 9, 9), "kernel": _ones(64, 1, 9, 9), "output_cell": [8, 8]},
            "this output cell sums 5,184 terms, too many to explain (at most 4,096)",
        ),
        (
            "/api/conv-transpose2d/explain",
            {**STRIDE_2, "output_cell": [0, 0], "output_channel": 1},
            "output channel 1 does not exist; the kernel has 1 output channel",
        ),
        (
            "/api/conv-transpose2d/explain",
            {**STRIDE_2, "input_cell": [0, 0], "input_channel": 1},
            "input channel 1 does not exist; the input has 1 input channel",
        ),
        (
            "/api/conv-transpose2d/explain",
            {**STRIDE_2, "input_cell": [2, 0]},
            "input cell [2, 0] is outside the 2×2 input",
        ),
        (
            "/api/conv1d",
            {"input": _ones(64, 256), "kernel": _ones(64, 64, 16)},
            "this convolution needs 15,794,176 multiply-adds, over the limit of 10,000,000",
        ),
        (
            "/api/conv1d",
            {"input": [1, 2, 3], "kernel": [1], "padding": "same", "stride": 2},
            'padding "same" needs stride 1 (PyTorch refuses it for strided convolutions), got '
            "stride 2",
        ),
        (
            "/api/conv1d",
            {"input": [1, 2, 3], "kernel": [1], "padding": 3, "padding_mode": "reflect"},
            "reflect padding of 3 needs a signal of length at least 4, but its length is 3 "
            "(reflect padding must be smaller than the length, as in PyTorch)",
        ),
    ],
)
def test_layer_route_refusals_are_sentences(
    client: TestClient, path: str, body: dict, message: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert error(response) == message


def test_an_output_cell_few_stamps_reach_is_explained_whatever_the_channels(
    client: TestClient,
) -> None:
    # output [0, 0] of 64 channels with 9×9 kernels: only input [0, 0] through tap [0, 0]
    # reaches it, 64 terms (refused as "sums 5,184 terms" when C_in·kh·kw was counted)
    body = {"input": _ones(64, 9, 9), "kernel": _ones(64, 1, 9, 9), "output_cell": [0, 0]}
    cell = client.post("/api/conv-transpose2d/explain", json=body).json()["output_cell"]
    assert len(cell["terms"]) == 64
    assert {tuple(t["input_cell"]) for t in cell["terms"]} == {(0, 0)}
    assert cell["value"] == 64.0


# -- /api/conv2d/matrix/transpose ------------------------------------------------------------


def test_matrix_transpose_is_m_transposed_with_both_checks(client: TestClient) -> None:
    body = {"input": [[1, 2, 0], [0, 1, 3]], "kernel": K}
    forward = client.post("/api/conv2d/matrix", json=body).json()
    answer = client.post("/api/conv2d/matrix/transpose", json=body).json()
    assert answer["matrix"] == np.array(forward["matrix"]).T.tolist()
    x = torch.tensor(body["input"], dtype=torch.float64, requires_grad=True)
    F.conv2d(x[None, None], torch.tensor(K, dtype=torch.float64)[None, None]).sum().backward()
    assert answer["grad_input"] == x.grad.tolist()
    assert answer["gradient_check"] == {"max_abs_diff": 0.0, "matches": True}
    assert answer["transpose_check"]["matches"] is True
    assert answer["row_shape"] == [2, 3] and answer["col_shape"] == [1, 2]


def test_matrix_transpose_with_stride_uses_the_remainder_as_output_padding(
    client: TestClient,
) -> None:
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((2, 6, 5)), rng.standard_normal((3, 2, 2, 2))
    g = rng.standard_normal((3, 3, 2))
    body = {"input": x.tolist(), "kernel": w.tolist(), "stride": 2, "grad_output": g.tolist()}
    answer = client.post("/api/conv2d/matrix/transpose", json=body).json()
    assert answer["transpose_check"]["output_padding"] == [0, 1]
    assert answer["transpose_check"]["matches"] is True
    assert answer["gradient_check"]["matches"] is True
    np.testing.assert_allclose(
        np.array(answer["matrix"]) @ g.reshape(-1),
        np.array(answer["grad_input"]).reshape(-1),
        atol=1e-12,
    )
    assert answer["row_shape"] == [2, 6, 5]
    assert answer["col_shape"] == [3, 3, 2]


def test_matrix_transpose_keeps_the_matrix_limit(client: TestClient) -> None:
    body = {"input": [[0] * 40] * 40, "kernel": [[1]]}
    assert error(client.post("/api/conv2d/matrix/transpose", json=body)) == (
        "the matrix would have 1,600 × 1,600 = 2,560,000 entries, over the limit of 1,000,000"
    )


# -- /api/conv1d -----------------------------------------------------------------------------


def test_conv1d_example_is_the_discrete_derivative(client: TestClient) -> None:
    request = example(schemas.Conv1dRequest)
    answer = client.post("/api/conv1d", json=request).json()
    expected = F.conv1d(
        torch.tensor(request["input"], dtype=torch.float64)[None, None],
        torch.tensor(request["kernel"], dtype=torch.float64)[None, None],
    )[0, 0]
    assert answer["output"] == expected.tolist() == [-2.0, -2.0, 0.0, 2.0, 2.0, 1.0]
    assert answer["formula"]["text"] == "8 − 3 + 1 = 6"


def test_conv1d_flip_kernel_is_numpy_convolve(client: TestClient) -> None:
    x, k = [3, 1, 4, 1, 5, 9, 2, 6], [1, 2, 3]
    body = {"input": x, "kernel": k, "flip_kernel": True, "padding": 2}
    answer = client.post("/api/conv1d", json=body).json()
    assert answer["output"] == np.convolve(x, k, "full").astype(float).tolist()
    assert answer["formula"]["text"] == "8 + 2·2 − 3 + 1 = 10"


def test_conv1d_multichannel_matches_torch(client: TestClient) -> None:
    rng = np.random.default_rng(15)
    x, w, b = rng.standard_normal((2, 11)), rng.standard_normal((3, 2, 3)), [0.0, 1.0, -1.0]
    expected = F.conv1d(
        torch.tensor(x[None]),
        torch.tensor(w),
        torch.tensor(b, dtype=torch.float64),
        stride=2,
        dilation=2,
    )[0]
    body = {"input": x.tolist(), "kernel": w.tolist(), "bias": b, "stride": 2, "dilation": 2}
    answer = client.post("/api/conv1d", json=body).json()
    np.testing.assert_allclose(answer["output"], expected.numpy(), atol=1e-9)
    assert answer["output_shape"] == [3, 4]


def test_conv1d_kernel_longer_than_the_signal_is_422(client: TestClient) -> None:
    assert client.post("/api/conv1d", json={"input": [1, 2], "kernel": [1, 2, 3]}).json() == {
        "detail": "kernel of length 3 is longer than the padded signal of length 2"
    }


def test_conv1d_signal_over_the_length_limit_is_422(client: TestClient) -> None:
    response = client.post("/api/conv1d", json={"input": [0] * 257, "kernel": [1]})
    assert error(response) == "has length 257, over the limit of 256"


def test_conv1d_2d_input_with_1d_kernel_is_422(client: TestClient) -> None:
    assert client.post("/api/conv1d", json={"input": [[1, 2], [3, 4]], "kernel": [1]}).json() == {
        "detail": "a 1-D kernel works on one channel, but the input has 2 channels; give a 3-D "
        "kernel C_out×2×k"
    }


# -- /docs ---------------------------------------------------------------------------------------

ROUTES = [
    ("/api/conv2d/backward", schemas.Conv2dBackwardRequest, schemas.Conv2dBackwardResponse),
    (
        "/api/conv2d/backward/explain",
        schemas.Conv2dBackwardExplainRequest,
        schemas.Conv2dBackwardExplainResponse,
    ),
    ("/api/conv-transpose2d", schemas.ConvTranspose2dRequest, schemas.ConvTranspose2dResponse),
    (
        "/api/conv-transpose2d/explain",
        schemas.ConvTranspose2dExplainRequest,
        schemas.ConvTranspose2dExplainResponse,
    ),
    (
        "/api/conv2d/matrix/transpose",
        schemas.Conv2dMatrixTransposeRequest,
        schemas.Conv2dMatrixTransposeResponse,
    ),
    ("/api/conv1d", schemas.Conv1dRequest, schemas.Conv1dResponse),
]


@pytest.mark.parametrize(("path", "request_model", "response_model"), ROUTES)
def test_documented_examples_are_what_the_routes_answer(
    client: TestClient, path: str, request_model: type, response_model: type
) -> None:
    # a consistency test: /docs shows what the route computes (app/api/examples.py). The numbers
    # themselves are checked against torch by test_every_listed_example_matches_torch below
    # (every listed request example) and by tests/api/test_examples.py (the shown examples)
    answer = client.post(path, json=example(request_model)).json()
    assert without_nulls(answer) == shown(client, response_model)


@pytest.mark.parametrize(("path", "request_model", "response_model"), ROUTES)
def test_openapi_documents_every_field(
    client: TestClient, path: str, request_model: type, response_model: type
) -> None:
    schemas_ = client.get("/openapi.json").json()["components"]["schemas"]
    for model in (request_model, response_model):
        schema = schemas_[model.__name__]
        assert "example" in schema
        assert [p for p, s in schema["properties"].items() if not s.get("description")] == []


def _tensor(value: list) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


def _torch_backward(body: dict, grad: torch.Tensor | None = None) -> dict[str, np.ndarray]:
    """Y, G, ∂L/∂X and ∂L/∂K of a 2-D example by torch.autograd (G default all ones)."""
    x = _tensor(body["input"]).requires_grad_(True)
    k = _tensor(body["kernel"]).requires_grad_(True)
    y = F.conv2d(x[None, None], k[None, None])[0, 0]
    if grad is None:
        grad = _tensor(body["grad_output"]) if "grad_output" in body else torch.ones_like(y)
    y.backward(grad)
    return {"y": y.detach().numpy(), "g": grad.numpy(), "gx": x.grad.numpy(), "gk": k.grad.numpy()}


def _check_backward(body: dict, answer: dict) -> None:
    expected = _torch_backward(body)
    np.testing.assert_array_equal(answer["output"], expected["y"])
    np.testing.assert_array_equal(answer["grad_output"], expected["g"])
    np.testing.assert_array_equal(answer["grad_input"], expected["gx"])
    np.testing.assert_array_equal(answer["grad_kernel"], expected["gk"])
    if "input_cell" in body:
        r, q = body["input_cell"]
        assert answer["input_cell"]["value"] == expected["gx"][r, q]
        assert sum(t["product"] for t in answer["input_cell"]["terms"]) == expected["gx"][r, q]
    if "kernel_cell" in body:
        a, b = body["kernel_cell"]
        assert answer["kernel_cell"]["value"] == expected["gk"][a, b]
    if "output_cell" in body:
        # what G[i, j] alone sends back: torch's ∂/∂X for G that is G[i, j] at (i, j), else 0
        i, j = body["output_cell"]
        alone = torch.zeros(expected["g"].shape, dtype=torch.float64)
        alone[i, j] = float(expected["g"][i, j])
        touched = np.zeros(expected["gx"].shape)
        for touch in answer["output_cell"]["touches"]:
            touched[tuple(touch["cell"])] += touch["product"]
        np.testing.assert_array_equal(touched, _torch_backward(body, alone)["gx"])


def _check_transpose(body: dict, answer: dict) -> None:
    options = {k: body[k] for k in ("stride", "padding", "output_padding", "dilation") if k in body}
    x, k = _tensor(body["input"])[None, None], _tensor(body["kernel"])[None, None]
    y = F.conv_transpose2d(x, k, **options)[0, 0].numpy()
    np.testing.assert_array_equal(answer["output"], y)
    ones = F.conv_transpose2d(torch.ones_like(x), torch.ones_like(k), **options)[0, 0]
    assert answer["overlaps"] == ones.int().tolist()
    if "output_cell" in body:
        r, q = body["output_cell"]
        assert answer["output_cell"]["value"] == y[r, q]
    if "input_cell" in body:
        # the stamp of input cell (i, j): where a transposed convolution of it alone lands
        alone = torch.zeros_like(x)
        alone[0, 0, body["input_cell"][0], body["input_cell"][1]] = 1.0
        landed = F.conv_transpose2d(alone, torch.ones_like(k), **options)[0, 0]
        stamped = [s["cell"] for s in answer["input_cell"]["outputs"]]
        assert stamped == torch.nonzero(landed).tolist()


def _check_matrix_transpose(body: dict, answer: dict) -> None:
    expected = _torch_backward(body)
    np.testing.assert_array_equal(answer["grad_input"], expected["gx"])
    mt_g = np.array(answer["matrix"]) @ expected["g"].reshape(-1)
    np.testing.assert_array_equal(mt_g, expected["gx"].reshape(-1))


def _check_conv1d(body: dict, answer: dict) -> None:
    y = F.conv1d(_tensor(body["input"])[None, None], _tensor(body["kernel"])[None, None])
    np.testing.assert_array_equal(answer["output"], y[0, 0].numpy())


TORCH_CHECKS = {
    "/api/conv2d/backward": _check_backward,
    "/api/conv2d/backward/explain": _check_backward,
    "/api/conv-transpose2d": _check_transpose,
    "/api/conv-transpose2d/explain": _check_transpose,
    "/api/conv2d/matrix/transpose": _check_matrix_transpose,
    "/api/conv1d": _check_conv1d,
}


@pytest.mark.parametrize(("path", "request_model", "response_model"), ROUTES)
def test_every_listed_example_matches_torch(
    client: TestClient, path: str, request_model: type, response_model: type
) -> None:
    extra = request_model.model_config["json_schema_extra"]
    for body in extra.get("examples", [extra["example"]]):
        response = client.post(path, json=body)
        assert response.status_code == 200, body
        TORCH_CHECKS[path](body, response.json())


# -- the limits follow the settings of the app serving the request ----------------------------

SMALL = Settings(max_side=16, max_macs=1_000, max_output_values=1_000, max_response_bytes=20_000)


@pytest.fixture(scope="module")
def small() -> Iterator[TestClient]:
    with TestClient(create_app(SMALL)) as test_client:
        yield test_client


def test_small_app_counts_three_passes_against_its_compute_limit(small: TestClient) -> None:
    body = {"input": [[0] * 10] * 10, "kernel": [[1] * 3] * 3}  # 576 forward multiply-adds
    assert small.post("/api/conv2d", json=body).status_code == 200
    assert error(small.post("/api/conv2d/backward", json=body)) == (
        "the forward and backward passes need 1,728 multiply-adds, over the limit of 1,000"
    )


def test_small_app_leaves_out_a_full_convolution_view_over_its_limit(
    small: TestClient, client: TestClient
) -> None:
    # span 20·(2 − 1) + 1 = 21: the padded G is (16 + 20) × (16 + 20) = 1,296 values
    body = {"input": [[1] * 16] * 16, "kernel": [[1] * 2] * 2, "dilation": 20, "padding": 3}
    default = client.post("/api/conv2d/backward", json=body).json()["full_convolution"]
    assert default["applicable"] is True
    full = small.post("/api/conv2d/backward", json=body).json()["full_convolution"]
    assert full["applicable"] is False
    assert full["note"] == (
        # min(max_output_values, max_response_bytes / 100) = min(1,000, 200)
        "the padded G would hold 1,296 values, over the limit of 200 (a large dilation or "
        "padding); grad_input is computed all the same"
    )


def test_small_app_refuses_a_transposed_output_over_its_value_limit(small: TestClient) -> None:
    body = {"input": [[1] * 16] * 16, "kernel": [[1]], "stride": 3}
    assert error(small.post("/api/conv-transpose2d", json=body)) == (
        "the output would hold 2,116 values, over the limit of 1,000"
    )


def test_small_app_refuses_a_signal_over_its_side_limit(small: TestClient) -> None:
    response = small.post("/api/conv1d", json={"input": [0] * 17, "kernel": [1]})
    assert error(response) == "has length 17, over the limit of 16"


def test_small_app_refuses_a_matrix_transpose_answer_over_its_byte_limit(
    small: TestClient,
) -> None:
    body = {"input": [[0] * 8] * 4, "kernel": [[1]]}
    response = small.post("/api/conv2d/matrix/transpose", json=body)
    assert response.status_code == 422
    # Mᵀ 32×32: 32·32·25 + 3·33 = 25,699; its weight index ("null," 5 bytes) 5,219; one label
    # '"K[0,0]",' (9 bytes, counted as 10); the non-zeros of 32 rows (≤ 32, 4 bytes) 131; G and
    # ∂L/∂X (4×8) 815 each; the fixed part 4,000
    assert error(response) == too_large(36_689, 20_000)


def test_small_app_counts_four_passes_for_m_transposed(small: TestClient) -> None:
    # 4 output cells, 4 input channels, one 4×4 window each: 256 multiply-adds, within 1,000;
    # Mᵀ also runs ∂L/∂X, ∂L/∂K and the transposed convolution of its check
    body = {"input": _ones(4, 4, 4), "kernel": _ones(4, 4, 4, 4)}
    assert small.post("/api/conv2d/matrix", json=body).status_code == 200
    assert error(small.post("/api/conv2d/matrix/transpose", json=body)) == (
        "Mᵀ with its checks needs 1,024 multiply-adds, over the limit of 1,000"
    )


# -- the size of an answer: every admitted answer fits max_response_bytes ---------------------


@pytest.fixture(scope="module")
def tight() -> Iterator[TestClient]:
    with TestClient(create_app(TIGHT)) as test_client:
        yield test_client


# each family grows with n until its answer no longer fits; numbers are WORST wherever they
# reach the answer (outputs, gradients, matrix entries, listed terms)
GROWING = {
    "transpose": (
        "/api/conv-transpose2d",
        lambda n: {"input": _ones(n, n), "kernel": _worst(2, 2), "stride": 2},
    ),
    "transpose-tall": (
        "/api/conv-transpose2d",
        lambda n: {  # an H×1 map: brackets count
            "input": _ones(n, 1),
            "kernel": _worst(64, 1),
            "stride": 64,
        },
    ),
    "transpose-explain-output": (
        "/api/conv-transpose2d/explain",
        lambda n: {"input": _ones(n, 4, 4), "kernel": _worst(n, 1, 4, 4), "output_cell": [3, 3]},
    ),
    "transpose-explain-input": (
        "/api/conv-transpose2d/explain",
        lambda n: {"input": _ones(1, 1), "kernel": _worst(n, n), "input_cell": [0, 0]},
    ),
    "backward": (
        "/api/conv2d/backward",
        lambda n: {
            "input": _worst(n, n),
            "kernel": _ones(3, 3),
            "padding": 2,
            "grad_output": _worst(n + 2, n + 2),
        },
    ),
    "backward-channels": (
        "/api/conv2d/backward",
        lambda n: {
            "input": _worst(2, n, n),
            "kernel": _ones(3, 2, 2, 2),
            "bias": [WORST] * 3,
            "stride": 2,
            "padding": 3,
            "dilation": 2,
            "grad_output": _worst(3, (n + 3) // 2 + 1, (n + 3) // 2 + 1),
        },
    ),
    "backward-explain-input": (
        "/api/conv2d/backward/explain",
        lambda n: {
            # a replicated corner: every window position of every window reads it, n⁴ terms
            "input": _ones(1, 1),
            "kernel": _worst(n, n),
            "padding": n - 1,
            "padding_mode": "replicate",
            "input_cell": [0, 0],
        },
    ),
    "backward-explain-kernel": (
        "/api/conv2d/backward/explain",
        lambda n: {
            "input": _worst(n, n),
            "kernel": _ones(1, 1),
            "kernel_cell": [0, 0],
            "grad_output": _worst(n, n),
        },
    ),
    "backward-explain-output": (
        "/api/conv2d/backward/explain",
        lambda n: {"input": _ones(n, n), "kernel": _worst(n, n), "output_cell": [0, 0]},
    ),
    "matrix-transpose": (
        "/api/conv2d/matrix/transpose",
        lambda n: {"input": _ones(n, n), "kernel": _worst(2, 2)},
    ),
    "matrix-transpose-replicate": (
        "/api/conv2d/matrix/transpose",
        lambda n: {
            # every entry merges all 16 weights
            "input": _ones(1, 1),
            "kernel": _worst(4, 4),
            "padding": n,
            "padding_mode": "replicate",
        },
    ),
    "conv1d": (
        "/api/conv1d",
        lambda n: {"input": [1.0] * n, "kernel": _worst(64, 1, 1), "padding": n},
    ),
}


@pytest.mark.parametrize("family", sorted(GROWING))
def test_the_largest_admitted_answer_fits_the_response_limit_and_the_next_is_refused(
    tight: TestClient, family: str
) -> None:
    path, body = GROWING[family]
    # a 2×2 / 4×4 kernel needs room
    check_largest_admitted_fits(tight, path, body, 2 if family.startswith("matrix") else 1)


def test_the_audited_transposed_convolution_of_5_4_mb_is_refused_before_the_work(
    client: TestClient,
) -> None:
    # answered 200 with 5,373,193 bytes before the overlaps map was counted: 446×446 floats
    # (25 bytes each, 3 a row) = 4,974,241, 446×446 overlaps of 1 ("1," counted as 3 bytes)
    # = 598,089, and 4,000 for the formula, counts and member names
    body = {"input": [[1] * 223] * 223, "kernel": [[WORST] * 2] * 2, "stride": 2}
    response = client.post("/api/conv-transpose2d", json=body)
    assert response.status_code == 422
    assert error(response) == too_large(5_576_330, 5_000_000)


def test_a_transposed_convolution_just_under_the_default_limit_fits_it(client: TestClient) -> None:
    body = {"input": [[1] * 210] * 210, "kernel": [[WORST] * 2] * 2, "stride": 2}
    response = client.post("/api/conv-transpose2d", json=body)
    assert response.status_code == 200
    assert 4_500_000 < len(response.content) <= 5_000_000


def test_explaining_a_replicated_corner_in_every_window_is_refused_by_its_terms(
    client: TestClient,
) -> None:
    # padding 33 of a 1×1 input: 4×4 windows of 64×64, all of them reading the corner cell at
    # every position, (4·64)² = 65,536 terms (answered with 14 MB in 5 s of CPU before)
    body = {
        "input": [[1]],
        "kernel": [[WORST] * 64] * 64,
        "padding": 33,
        "padding_mode": "replicate",
        "input_cell": [0, 0],
    }
    started = time.process_time()
    response = client.post("/api/conv2d/backward/explain", json=body)
    assert error(response) == (
        "this cell of ∂L/∂X sums 65,536 terms, too many to explain (at most 4,096)"
    )
    assert time.process_time() - started < 0.5


def test_explaining_an_input_cell_of_a_64_channel_transposed_convolution_is_answered(
    client: TestClient,
) -> None:
    # an input cell is stamped onto kh·kw = 81 cells; its 64 channels (64·81 = 5,184 terms an
    # output cell would sum) were refused as "this output cell sums 5,184 terms" before
    body = {"input": _ones(64, 2, 2), "kernel": _ones(64, 1, 9, 9), "input_cell": [1, 1]}
    answer = client.post("/api/conv-transpose2d/explain", json=body).json()
    assert len(answer["input_cell"]["outputs"]) == 81
    assert answer["input_cell"]["cropped"] == 0


# -- the estimate is an upper bound of every answer, over random requests ---------------------

SMALL_CASE = st.integers(0, 2**32 - 1)


def estimate(model: type, body: dict) -> int:
    """The answer size the request model bounds (what it compares with max_response_bytes)."""
    settings = Settings()
    request = model.model_validate_json(json.dumps(body), context={"settings": settings})
    return type(request).answer(request, request.geometry(), settings).bytes


def _near_worst(rng: np.random.Generator, shape: tuple[int, ...]) -> list:
    """Numbers of 22–24 JSON characters, as long as WORST or nearly (products stay finite)."""
    return (rng.standard_normal(shape) * 1e-100).tolist()


@given(
    conv_cases(), st.sampled_from(["backward", "input", "kernel", "output", "matrix"]), SMALL_CASE
)
def test_every_backward_and_m_transposed_answer_fits_its_estimate(
    client: TestClient, case: dict, route: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x, kernel = case["x"], case["kernel"]
    body = {
        "input": _near_worst(rng, x.shape),
        "kernel": _near_worst(rng, kernel.shape),
        **{k: case[k] for k in ("stride", "padding", "padding_mode", "dilation", "flip_kernel")},
    }
    if case["bias"] is not None:
        body["bias"] = _near_worst(rng, case["bias"].shape)
    path, model = {
        "backward": ("/api/conv2d/backward", schemas.Conv2dBackwardRequest),
        "input": ("/api/conv2d/backward/explain", schemas.Conv2dBackwardExplainRequest),
        "kernel": ("/api/conv2d/backward/explain", schemas.Conv2dBackwardExplainRequest),
        "output": ("/api/conv2d/backward/explain", schemas.Conv2dBackwardExplainRequest),
        "matrix": ("/api/conv2d/matrix/transpose", schemas.Conv2dMatrixTransposeRequest),
    }[route]
    if route in ("input", "kernel", "output"):
        body[f"{route}_cell"] = [0, 0]
    response = client.post(path, json=body)
    assume(response.status_code == 200)  # the engine refused the geometry, as torch would
    assert len(response.content) <= estimate(model, body)


@given(
    transpose_cases(valid_output_padding=True), st.sampled_from(["", "output", "input"]), SMALL_CASE
)
def test_every_transposed_answer_fits_its_estimate(
    client: TestClient, case: dict, route: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    body = {
        "input": _near_worst(rng, case["x"].shape),
        "kernel": _near_worst(rng, case["kernel"].shape),
        **{k: case[k] for k in ("stride", "padding", "output_padding", "dilation")},
    }
    if case["bias"] is not None:
        body["bias"] = _near_worst(rng, case["bias"].shape)
    path, model = "/api/conv-transpose2d", schemas.ConvTranspose2dRequest
    if route:
        path, model = path + "/explain", schemas.ConvTranspose2dExplainRequest
        body[f"{route}_cell"] = [0, 0]
    response = client.post(path, json=body)
    assume(response.status_code == 200)  # torch refuses these too (tests/engine)
    assert len(response.content) <= estimate(model, body)
    request = model.model_validate_json(json.dumps(body), context={"settings": Settings()})
    most = max(max(row) for row in response.json()["overlaps"])
    assert most <= answer_size.max_overlap(request.geometry())


@given(st.integers(1, 64), st.integers(1, 8), st.integers(0, 1024), SMALL_CASE)
def test_every_1d_answer_fits_its_estimate(
    client: TestClient, length: int, kernel: int, padding: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    body = {
        "input": _near_worst(rng, (2, length)),
        "kernel": _near_worst(rng, (3, 2, kernel)),
        "padding": padding,
    }
    response = client.post("/api/conv1d", json=body)
    assume(response.status_code == 200)
    assert len(response.content) <= estimate(schemas.Conv1dRequest, body)
