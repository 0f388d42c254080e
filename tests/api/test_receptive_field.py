"""POST /api/receptive-field (+ /presets, /effective, /effective/series): values and 422s."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

CONV3 = {"type": "conv", "kernel_size": 3}


def _field_errors(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["msg"] for error in response.json()["detail"]]


# -- theoretical field ----------------------------------------------------------------------


def test_three_conv3_layers_give_the_tutorial_field_of_seven(client: TestClient) -> None:
    body = {"layers": [CONV3] * 3, "input_size": 9, "unit": {"layer": 2, "position": [1, 1]}}
    data = client.post("/api/receptive-field", json=body).json()
    assert [layer["receptive_field"] for layer in data["layers"]] == [[3, 3], [5, 5], [7, 7]]
    assert [layer["output_size"] for layer in data["layers"]] == [[7, 7], [5, 5], [3, 3]]
    assert [layer["start"] for layer in data["layers"]] == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    assert [layer["name"] for layer in data["layers"]] == ["conv1", "conv2", "conv3"]
    assert data["receptive_field"] == [7, 7]
    assert data["jump"] == [1, 1]
    assert data["formula"] == "1 + 3·(3 − 1) = 7"
    assert data["region"] == {
        "layer": 2,
        "position": [1, 1],
        "rows": [1, 7],
        "cols": [1, 7],
        "clipped_rows": [1, 7],
        "clipped_cols": [1, 7],
    }


def test_without_input_size_there_are_no_output_sizes_or_clipping(client: TestClient) -> None:
    body = {
        "layers": [{"type": "conv", "kernel_size": 3, "padding": 1}],
        "unit": {"layer": 0, "position": [0, 4]},
    }
    data = client.post("/api/receptive-field", json=body).json()
    assert data["layers"][0]["output_size"] is None
    assert data["region"]["rows"] == [-1, 1]
    assert data["region"]["cols"] == [3, 5]
    assert data["region"]["clipped_rows"] is None


def test_pool_defaults_its_stride_to_the_kernel_and_no_formula(client: TestClient) -> None:
    body = {"layers": [CONV3, {"type": "pool", "kernel_size": 2}], "input_size": [8, 6]}
    data = client.post("/api/receptive-field", json=body).json()
    pool = data["layers"][1]
    assert pool["stride"] == [2, 2]
    assert pool["receptive_field"] == [4, 4]
    assert pool["jump"] == [2, 2]
    assert pool["output_size"] == [3, 2]
    assert data["formula"] is None


def test_presets_list_the_four_stacks(client: TestClient) -> None:
    presets = client.get("/api/receptive-field/presets").json()["presets"]
    assert [p["id"] for p in presets] == ["stack", "lenet5", "alexnet_v2", "vgg16"]
    assert presets[0]["generator"] == {"num_layers": 3, "kernel_size": 3}


@pytest.mark.parametrize(
    ("preset_id", "field", "jump"), [("vgg16", 212, 32), ("alexnet_v2", 195, 32), ("lenet5", 32, 4)]
)
def test_presets_posted_back_give_the_published_fields(
    client: TestClient, preset_id: str, field: int, jump: int
) -> None:
    presets = client.get("/api/receptive-field/presets").json()["presets"]
    preset = next(p for p in presets if p["id"] == preset_id)
    body = {"layers": preset["layers"], "input_size": preset["input_size"]}
    data = client.post("/api/receptive-field", json=body).json()
    assert data["receptive_field"] == [field, field]
    assert data["jump"] == [jump, jump]


def test_kernel_larger_than_padded_input_is_a_422_naming_both_sizes(client: TestClient) -> None:
    body = {"layers": [CONV3, {"type": "conv", "kernel_size": 5, "name": "wide"}], "input_size": 5}
    response = client.post("/api/receptive-field", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "wide (layer 1): kernel 5×5 is larger than its padded input 3×3 "
        "(input 3×3, padding 0)"
    }


def test_unit_outside_its_layer_is_a_422(client: TestClient) -> None:
    body = {"layers": [CONV3], "input_size": 4, "unit": {"layer": 0, "position": [0, 2]}}
    response = client.post("/api/receptive-field", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "unit (0, 2) is outside conv1 (layer 0), whose output is 2×2"
    }


def test_unit_of_a_missing_layer_is_a_422(client: TestClient) -> None:
    body = {"layers": [CONV3], "unit": {"layer": 1, "position": [0, 0]}}
    response = client.post("/api/receptive-field", json=body)
    assert response.json() == {
        "detail": "unit layer 1 does not exist: the stack has 1 layers (0 … 0)"
    }


def test_too_many_layers_is_a_422(client: TestClient) -> None:
    errors = _field_errors(client.post("/api/receptive-field", json={"layers": [CONV3] * 65}))
    assert errors == ["has 65 layers, over the limit of 64"]


def test_kernel_over_the_limit_is_a_422(client: TestClient) -> None:
    body = {"layers": [{"type": "conv", "kernel_size": [3, 65]}]}
    errors = _field_errors(client.post("/api/receptive-field", json=body))
    assert errors == ["kernel_size (3, 65) is over the limit of 64"]


def test_zero_stride_and_negative_padding_are_422s(client: TestClient) -> None:
    body = {"layers": [{"type": "conv", "kernel_size": 3, "stride": 0, "padding": -1}]}
    errors = _field_errors(client.post("/api/receptive-field", json=body))
    assert errors == ["must be at least 1, got 0", "must not be negative, got -1"]


def test_unknown_layer_type_and_empty_stack_are_422s(client: TestClient) -> None:
    bad_type = {"layers": [{"type": "dense", "kernel_size": 3}]}
    assert _field_errors(client.post("/api/receptive-field", json=bad_type)) == [
        "Input should be 'conv' or 'pool'"
    ]
    assert _field_errors(client.post("/api/receptive-field", json={"layers": []})) == [
        "List should have at least 1 item after validation, not 0"
    ]


def test_nan_in_the_body_is_a_422_not_a_500(client: TestClient) -> None:
    body = '{"layers": [{"type": "conv", "kernel_size": NaN}]}'
    response = client.post(
        "/api/receptive-field", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "NaN"


# -- effective field ------------------------------------------------------------------------


def test_effective_field_of_uniform_layers_is_the_repeated_box(client: TestClient) -> None:
    data = client.post(
        "/api/receptive-field/effective", json={"num_layers": 3, "kernel_size": 3, "input_size": 9}
    ).json()
    profile = np.convolve(np.convolve(np.ones(3), np.ones(3)), np.ones(3))  # (7,)
    expected = np.zeros((9, 9))
    expected[1:8, 1:8] = np.outer(profile, profile) / profile.max() ** 2
    np.testing.assert_allclose(np.array(data["heatmap"]), expected, atol=1e-12)
    assert data["size"] == [9, 9]
    assert data["theoretical_box"] == [1, 7]
    assert data["centre"] == [4.0, 4.0]
    assert data["theoretical_size"] == 7
    assert data["theoretical_radius"] == 3.0
    assert data["std"] == pytest.approx(2**0.5, rel=1e-12)  # √(3·(9 − 1)/12)
    assert data["gaussian_std"] == pytest.approx(2**0.5, rel=1e-12)


def test_effective_radius_grows_like_the_root_of_depth(client: TestClient) -> None:
    def measure(depth: int) -> dict:
        body = {
            "num_layers": depth,
            "kernel_size": 3,
            "weights": "random",
            "relu": True,
            "num_samples": 16,
            "seed": 0,
        }
        return client.post("/api/receptive-field/effective", json=body).json()

    shallow, deep = measure(4), measure(16)
    assert deep["theoretical_radius"] / shallow["theoretical_radius"] == 4.0
    assert deep["radius"] / shallow["radius"] < 3.0
    assert deep["radius_ratio"] < shallow["radius_ratio"]


def test_effective_series_fits_exponent_one_half(client: TestClient) -> None:
    data = client.post(
        "/api/receptive-field/effective/series",
        json={"depths": [2, 4, 8, 16, 32], "kernel_size": 3},
    ).json()
    assert [p["num_layers"] for p in data["points"]] == [2, 4, 8, 16, 32]
    assert [p["theoretical_size"] for p in data["points"]] == [5, 9, 17, 33, 65]
    assert data["std_exponent"] == pytest.approx(0.5, abs=1e-9)
    assert 0.3 < data["radius_exponent"] < 0.7


def test_effective_series_with_one_depth_has_no_exponent(client: TestClient) -> None:
    data = client.post("/api/receptive-field/effective/series", json={"depths": [5]}).json()
    assert data["std_exponent"] is None and data["radius_exponent"] is None


def test_effective_field_over_the_compute_limit_is_a_422(client: TestClient) -> None:
    body = {"num_layers": 32, "kernel_size": 9, "weights": "random", "num_samples": 1}
    response = client.post("/api/receptive-field/effective", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "32 layers of 9×9 over their 257×257 field with 1 sample need 54,641,952 "
        "multiply-adds, over the limit of 50,000,000; use fewer samples, fewer layers or a "
        "smaller kernel"
    }


def test_effective_margin_costs_nothing_and_holds_no_gradient(client: TestClient) -> None:
    body = {
        "num_layers": 32,
        "kernel_size": 5,
        "weights": "random",
        "relu": True,
        "num_samples": 8,
        "input_size": 129 + 64,
    }
    data = client.post("/api/receptive-field/effective", json=body).json()
    heat = np.array(data["heatmap"])
    assert heat.shape == (193, 193)
    assert data["theoretical_box"] == [32, 160]
    inside = np.zeros_like(heat, dtype=bool)
    inside[32:161, 32:161] = True
    assert np.all(heat[~inside] == 0) and heat[inside].max() == 1.0


def test_effective_input_smaller_than_the_field_is_a_422(client: TestClient) -> None:
    body = {"num_layers": 2, "kernel_size": 5, "input_size": 8}
    response = client.post("/api/receptive-field/effective", json=body)
    assert response.json() == {
        "detail": "input_size 8 must be between the theoretical field 9 = 1 + 2·(5 − 1) and 73"
    }


def test_effective_depth_over_the_cap_is_a_422(client: TestClient) -> None:
    errors = _field_errors(client.post("/api/receptive-field/effective", json={"num_layers": 33}))
    assert errors == ["Input should be less than or equal to 32"]


# -- hostile payloads -----------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_layer = st.fixed_dictionaries(
    {"type": st.sampled_from(["conv", "pool", "x"]), "kernel_size": _json | st.integers(0, 70)},
    optional={
        "stride": _json | st.integers(0, 5),
        "padding": _json | st.integers(-1, 5),
        "dilation": _json | st.integers(0, 3),
    },
)


@settings(max_examples=40)
@given(
    route=st.sampled_from(
        [
            "/api/receptive-field",
            "/api/receptive-field/effective",
            "/api/receptive-field/effective/series",
        ]
    ),
    body=st.fixed_dictionaries(
        {},
        optional={
            "layers": st.lists(_layer, max_size=4) | _json,
            "input_size": _json,
            "unit": _json,
            "num_layers": _json | st.integers(0, 40),
            "kernel_size": _json | st.integers(0, 12),
            "weights": _json,
            "num_samples": _json | st.integers(0, 70),
            "depths": _json,
        },
    ),
)
def test_random_payloads_never_get_a_5xx(client: TestClient, route: str, body: dict) -> None:
    content = json.dumps(body)  # allow_nan: Python's parser on the server accepts NaN too
    response = client.post(route, content=content, headers={"content-type": "application/json"})
    assert response.status_code < 500, (route, content, response.text)
