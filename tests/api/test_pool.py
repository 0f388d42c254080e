"""POST /api/pool: values, arg-max positions, global average, and exact error texts."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from tests.helpers.api import X, error, post_raw


def test_max_pool_two_by_two_of_the_tutorial_image(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": X, "kernel_size": 2}).json()
    assert answer["output"] == [[2.0, 3.0], [2.0, 2.0]]
    assert answer["output_shape"] == [2, 2]
    assert answer["mode"] == "max"


def test_max_pool_argmax_gives_input_coordinates(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": X, "kernel_size": 2}).json()
    assert answer["argmax"] == [[[0, 1], [1, 2]], [[2, 0], [3, 2]]]


def test_pool_formula_reads_floor_h_over_two(client: TestClient) -> None:
    body = {"input": [[0] * 5] * 4, "kernel_size": 2}
    formula = client.post("/api/pool", json=body).json()["formula"]
    assert formula["text"] == "⌊4/2⌋ × ⌊5/2⌋ = 2 × 2"


def test_avg_pool_returns_means_and_no_argmax(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": X, "mode": "avg"}).json()
    assert answer["output"] == [[1.0, 1.25], [1.25, 1.25]]
    assert answer["argmax"] is None


def test_stride_defaults_to_the_kernel_size(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": [[0] * 6] * 6, "kernel_size": 3}).json()
    assert answer["output_shape"] == [2, 2]
    assert answer["formula"]["axes"][0]["stride"] == 3


def test_pool_with_padding_and_ceil_mode_matches_torch(client: TestClient) -> None:
    x = np.random.default_rng(12).standard_normal((2, 7, 5))
    body = {
        "input": x.tolist(),
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "ceil_mode": True,
        "mode": "avg",
        "count_include_pad": False,
    }
    expected = F.avg_pool2d(
        torch.from_numpy(x)[None], 3, 2, 1, ceil_mode=True, count_include_pad=False
    )[0]
    answer = client.post("/api/pool", json=body).json()
    assert answer["output_shape"] == [2, 4, 3]
    np.testing.assert_allclose(answer["output"], expected.numpy(), atol=1e-9)


def test_dilated_max_pool_matches_torch(client: TestClient) -> None:
    x = np.random.default_rng(13).standard_normal((6, 6))
    body = {"input": x.tolist(), "kernel_size": 2, "stride": 1, "dilation": 2}
    values, indices = F.max_pool2d(
        torch.from_numpy(x)[None, None], 2, 1, dilation=2, return_indices=True
    )
    answer = client.post("/api/pool", json=body).json()
    np.testing.assert_array_equal(answer["output"], values[0, 0].numpy())
    argmax = np.array(answer["argmax"])
    np.testing.assert_array_equal(argmax[..., 0] * 6 + argmax[..., 1], indices[0, 0].numpy())


def test_global_average_pooling_gives_one_mean_per_channel(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": [X, X], "mode": "global_avg"}).json()
    assert answer["output"] == [[[1.1875]], [[1.1875]]]
    assert answer["output_shape"] == [2, 1, 1]
    assert answer["formula"] is None


def test_padding_over_half_the_window_is_422(client: TestClient) -> None:
    body = {"input": X, "kernel_size": 2, "padding": 2}
    assert client.post("/api/pool", json=body).json() == {
        "detail": "padding 2 along the height is more than half the window size 2 "
        "(at most 1, as in PyTorch)"
    }


def test_window_larger_than_the_input_is_422(client: TestClient) -> None:
    assert client.post("/api/pool", json={"input": X, "kernel_size": 5}).json() == {
        "detail": "pooling window 5×5 is larger than the padded input 4×4"
    }


def test_unknown_mode_is_422(client: TestClient) -> None:
    response = client.post("/api/pool", json={"input": X, "mode": "min"})
    assert response.status_code == 422
    assert error(response) == "Input should be 'max', 'avg', 'blurmax' or 'global_avg'"


def test_kernel_size_zero_is_422(client: TestClient) -> None:
    response = client.post("/api/pool", json={"input": X, "kernel_size": 0})
    assert error(response) == "must be at least 1, got 0"


def test_ragged_pool_input_is_422(client: TestClient) -> None:
    response = client.post("/api/pool", json={"input": [[1, 2], [3]]})
    assert error(response) == "is ragged: row [1] has 1 entries, expected 2"


def test_nan_pool_input_is_422(client: TestClient) -> None:
    response = post_raw(client, "/api/pool", '{"input": [[NaN, 1], [1, 1]]}')
    assert error(response) == "entry [0][0] must be a finite number, got NaN"


def test_pool_window_of_padding_only_is_422(client: TestClient) -> None:
    body = {"input": [[1, 2], [3, 4]], "kernel_size": 2, "stride": 1, "padding": 1, "dilation": 3}
    assert client.post("/api/pool", json=body).json() == {
        "detail": "some pooling windows cover only padding (the dilation skips over the whole "
        "input); use less padding or dilation"
    }


def test_documented_example_is_what_the_route_answers(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    answer = client.post("/api/pool", json=schemas["PoolRequest"]["example"]).json()
    assert answer == schemas["PoolResponse"]["example"]
    assert answer["output"] == [[2.0, 3.0], [2.0, 2.0]]


# -- blurmax: anti-aliased max pooling ------------------------------------------------------------


def _torch_blurmax(x: np.ndarray) -> np.ndarray:
    """Independent reference: F.max_pool2d (2, stride 1), F.pad reflect 1, depthwise F.conv2d."""
    t = torch.from_numpy(x if x.ndim == 3 else x[None])[None]  # (1, C, H, W)
    c = t.shape[1]
    blur = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]], dtype=torch.float64)
    padded = F.pad(F.max_pool2d(t, 2, stride=1), (1, 1, 1, 1), mode="reflect")
    out = F.conv2d(padded, (blur / 16).repeat(c, 1, 1, 1), stride=2, groups=c)[0]
    return out.numpy() if x.ndim == 3 else out[0].numpy()


def test_blurmax_of_the_tutorial_image_is_max_then_reflect_padded_blur(client: TestClient) -> None:
    answer = client.post("/api/pool", json={"input": X, "mode": "blurmax"}).json()
    assert answer["output"] == [[2.5, 3.0], [2.25, 2.5]]
    assert answer["mode"] == "blurmax"
    assert answer["argmax"] is None


def test_blurmax_of_an_odd_multichannel_input_matches_torch(client: TestClient) -> None:
    x = np.random.default_rng(14).standard_normal((3, 9, 7))
    answer = client.post("/api/pool", json={"input": x.tolist(), "mode": "blurmax"}).json()
    assert answer["output_shape"] == [3, 4, 3]
    np.testing.assert_allclose(answer["output"], _torch_blurmax(x), rtol=1e-12, atol=1e-12)


def test_blurmax_formula_works_out_the_blur_stage_from_h_minus_one(client: TestClient) -> None:
    body = {"input": [[0] * 7] * 6, "mode": "blurmax"}
    formula = client.post("/api/pool", json=body).json()["formula"]
    assert formula["text"] == (
        "(⌊(5 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1) × (⌊(6 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1) = 3 × 3"
    )


def test_blurmax_of_a_two_by_two_input_is_422(client: TestClient) -> None:
    response = client.post("/api/pool", json={"input": [[1, 2], [3, 4]], "mode": "blurmax"})
    assert response.status_code == 422
    assert error(response) == (
        "max-blur-pool needs an input of at least 3×3 (the 2×2 max leaves 1×1, and reflect "
        "padding by 1 needs 2 cells), got 2×2"
    )


def test_blurmax_with_a_window_setting_is_422(client: TestClient) -> None:
    body = {"input": X, "mode": "blurmax", "kernel_size": 3, "padding": 1}
    response = client.post("/api/pool", json=body)
    assert response.status_code == 422
    assert error(response) == (
        "blurmax has a fixed window (2×2 max at stride 1, 3×3 blur at stride 2, reflect "
        "padding 1); leave out kernel_size, padding"
    )


def test_blurmax_accepts_its_own_window_spelled_out(client: TestClient) -> None:
    body = {"input": X, "mode": "blurmax", "kernel_size": [2, 2], "stride": 2, "padding": 0}
    assert client.post("/api/pool", json=body).json()["output"] == [[2.5, 3.0], [2.25, 2.5]]
