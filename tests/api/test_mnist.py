"""The MNIST API on the shipped weights: values, drawn digits, kernel edits under concurrency."""

from __future__ import annotations

import base64
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings, get_settings
from app.main import create_app
from app.mnist import inference
from app.mnist.inference import LoadedModel
from app.mnist.preprocess import preprocess_png
from tests.mnist.helpers import data_url, draw, png_of

WEIGHTS = Path(__file__).resolve().parents[2] / "app" / "mnist" / "weights"


def _model(client: TestClient, name: str) -> LoadedModel:
    return client.app.state.models.get(name)


def _digit(digit: int = 7) -> list[list[float]]:
    return draw(digit).round(4).tolist()


def _canvas_png(digit: int, polarity: str = "dark_on_light", **kwargs: object) -> str:
    options = {"size": (480, 360), "box": (250, 40, 410, 260), "pen": 24.0} | kwargs
    return data_url(png_of(draw(digit, **options), polarity))


def _decode(layer: dict) -> np.ndarray:
    codes = np.frombuffer(base64.b64decode(layer["data"]), dtype=np.uint8)
    return (layer["min"] + codes * layer["scale"]).reshape(layer["shape"])


def _messages(response) -> str:  # type: ignore[no-untyped-def]
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(e["msg"] for e in detail)


# -- predict -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cnn", "fc", "cnn-aa"])
def test_predict_returns_the_models_softmax_and_the_image_it_saw(
    client: TestClient, name: str
) -> None:
    image = _digit(7)
    response = client.post("/api/mnist/predict", json={"image": image, "model": name})

    assert response.status_code == 200
    body = response.json()
    with torch.no_grad():
        expected = torch.softmax(_model(client, name).module(inference.to_tensor(image)), 1)[0]
    assert body["model"] == name
    np.testing.assert_allclose(body["probabilities"], expected.numpy(), atol=1e-6)
    assert body["label"] == int(expected.argmax()) == 7
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(body["input"], image, atol=1e-4)
    assert body["preprocessing"] is None


def test_predict_defaults_to_the_cnn(client: TestClient) -> None:
    assert client.post("/api/mnist/predict", json={"image": _digit(1)}).json()["model"] == "cnn"


def test_predict_png_returns_the_preprocessing_steps(client: TestClient) -> None:
    url = _canvas_png(0)
    response = client.post("/api/mnist/predict", json={"image_png": url})

    assert response.status_code == 200
    body = response.json()
    expected = preprocess_png(base64.b64decode(url.split(",")[1]), max_side=2048)
    np.testing.assert_allclose(body["input"], expected.image, atol=1e-4)
    steps = body["preprocessing"]
    assert steps["original_size"] == [480, 360]
    assert steps["polarity"] == "dark_on_light"
    assert steps["bbox"] == list(expected.bbox)
    assert [s["name"] for s in steps["steps"]] == ["grayscale", "crop", "scale", "center"]
    assert [(s["width"], s["height"]) for s in steps["steps"]][0] == (480, 360)
    assert steps["steps"][3]["width"] == steps["steps"][3]["height"] == 28
    last = Image.open(io.BytesIO(base64.b64decode(steps["steps"][3]["png"].split(",")[1])))
    np.testing.assert_allclose(np.asarray(last) / 255, expected.image, atol=1 / 255)
    assert body["label"] == 0


@pytest.mark.parametrize("digit", [1, 0, 7])
@pytest.mark.parametrize("name", ["cnn", "fc"])
def test_digits_drawn_mnist_style_are_read_correctly(
    client: TestClient, digit: int, name: str
) -> None:
    response = client.post("/api/mnist/predict", json={"image": _digit(digit), "model": name})
    assert response.json()["label"] == digit


CANVAS_VARIANTS = [
    {"polarity": "dark_on_light"},
    {"polarity": "light_on_dark"},
    {"polarity": "transparent"},
    {"polarity": "dark_on_light", "size": (300, 300), "box": (10, 10, 120, 160), "pen": 14.0},
    {"polarity": "dark_on_light", "size": (1200, 900), "box": (700, 400, 1000, 850), "pen": 50.0},
    {"polarity": "dark_on_light", "pen": 12.0},  # thin pen
    {"polarity": "dark_on_light", "pen": 40.0},  # thick marker
    {"polarity": "dark_on_light", "box": (150, 60, 350, 240)},  # wide, squat
    {"polarity": "dark_on_light", "box": (260, 20, 360, 340)},  # narrow, tall
]


@pytest.mark.parametrize("digit", [1, 0, 7])
def test_canvas_digits_are_read_correctly_under_every_variation(
    client: TestClient, digit: int
) -> None:
    labels = []
    for variant in CANVAS_VARIANTS:
        options = dict(variant)
        polarity = options.pop("polarity")
        url = _canvas_png(digit, polarity, **options)
        labels.append(client.post("/api/mnist/predict", json={"image_png": url}).json()["label"])
    assert labels == [digit] * len(CANVAS_VARIANTS)


@pytest.mark.parametrize("digit", [1, 0, 7])
def test_canvas_png_and_its_mnist_style_counterpart_predict_the_same(
    client: TestClient, digit: int
) -> None:
    # a large drawing, dark on light, off centre, vs the same strokes drawn MNIST-style
    canvas = client.post(
        "/api/mnist/predict",
        json={"image_png": _canvas_png(digit, box=(280, 120, 440, 340), pen=26.0)},
    ).json()
    mnist = client.post("/api/mnist/predict", json={"image": _digit(digit)}).json()

    assert canvas["label"] == mnist["label"] == digit
    assert canvas["probabilities"][digit] > 0.9 and mnist["probabilities"][digit] > 0.9


# -- activations ---------------------------------------------------------------------------------


def test_activations_decode_to_every_layers_output(client: TestClient) -> None:
    image = _digit(0)
    response = client.post("/api/mnist/activations", json={"image": image, "shift": [2, -3]})

    assert response.status_code == 200
    assert len(response.content) < 100_000
    body = response.json()
    x = inference.shift(inference.to_tensor(image), 2, -3)
    reference, probs = inference.activations(_model(client, "cnn"), x)
    assert [layer["name"] for layer in body["layers"]] == [a.name for a in reference]
    assert [layer["kind"] for layer in body["layers"]][:4] == ["input", "conv", "relu", "pool"]
    for layer, expected in zip(body["layers"], reference, strict=True):
        values = expected.values.numpy()
        assert layer["shape"] == list(values.shape)
        assert layer["min"] == pytest.approx(values.min()) and layer["max"] == pytest.approx(
            values.max()
        )
        np.testing.assert_allclose(_decode(layer), values, atol=layer["scale"] / 2 + 1e-5)
    np.testing.assert_allclose(body["input"], x[0, 0].numpy(), atol=1e-4)
    np.testing.assert_allclose(body["probabilities"], probs, atol=1e-6)
    assert body["shift"] == [2, -3] and body["overridden_channels"] == []


def test_activations_of_a_png_drawing_stay_under_100_kb(client: TestClient) -> None:
    response = client.post("/api/mnist/activations", json={"image_png": _canvas_png(7)})
    assert response.status_code == 200
    assert len(response.content) < 100_000
    assert response.json()["preprocessing"]["polarity"] == "dark_on_light"


def test_activations_without_previews_are_the_same_answer_without_the_stage_pngs(
    client: TestClient,
) -> None:
    body = {"image_png": _canvas_png(7), "model": "cnn"}
    full = client.post("/api/mnist/activations", json=body).json()
    light = client.post("/api/mnist/activations", json={**body, "previews": False}).json()
    assert light["preprocessing"] is None
    assert len(full["preprocessing"]["steps"]) == 4
    assert {k: v for k, v in light.items() if k != "preprocessing"} == {
        k: v for k, v in full.items() if k != "preprocessing"
    }


def test_fc_activations_are_flatten_linear_relu_linear(client: TestClient) -> None:
    body = client.post("/api/mnist/activations", json={"image": _digit(1), "model": "fc"}).json()
    assert [(layer["name"], layer["shape"]) for layer in body["layers"]] == [
        ("input", [1, 28, 28]),
        ("flatten", [784]),
        ("fc1", [100]),
        ("relu1", [100]),
        ("fc2", [10]),
    ]


def test_kernel_override_changes_that_channel_for_that_request_only(client: TestClient) -> None:
    image = _digit(7)
    kernel = [[1.0, 0.0, -1.0, 0.0, 1.0]] * 5
    edited = client.post(
        "/api/mnist/activations", json={"image": image, "kernel_overrides": {"5": kernel}}
    ).json()
    plain = client.post("/api/mnist/activations", json={"image": image}).json()

    conv = _model(client, "cnn").module.conv1
    x = inference.to_tensor(image)
    expected = torch.nn.functional.conv2d(
        x, torch.tensor(kernel)[None, None], conv.bias[5:6], padding=2
    )[0, 0].numpy()
    np.testing.assert_allclose(
        _decode(edited["layers"][1])[5], expected, atol=edited["layers"][1]["scale"] / 2 + 1e-5
    )
    assert edited["overridden_channels"] == [5]
    assert edited["layers"][1]["data"] != plain["layers"][1]["data"]
    np.testing.assert_allclose(
        _decode(plain["layers"][1])[5],
        torch.nn.functional.conv2d(x, conv.weight[5:6], conv.bias[5:6], padding=2)[0, 0].numpy(),
        atol=plain["layers"][1]["scale"] / 2 + 1e-5,
    )


def test_concurrent_kernel_edits_never_leak_into_other_requests(client: TestClient) -> None:
    image = _digit(0)
    rng = np.random.default_rng(0)
    kernels = [rng.normal(0, 1, (5, 5)).round(3).tolist() for _ in range(12)]
    model = _model(client, "cnn").module
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def call(index: int) -> tuple[int, str]:
        body: dict = {"image": image}
        if index % 2:
            body["kernel_overrides"] = {str(index % 16): kernels[index % 12]}
        response = client.post("/api/mnist/activations", json=body)
        return index, response.text

    reference_plain = call(0)[1]
    reference_edit = {i: call(i)[1] for i in range(1, 48, 2)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(96)))

    for index, text in results:
        if index % 2 == 0:
            assert text == reference_plain, f"plain request {index} saw an edited kernel"
        else:
            assert text == reference_edit[index % 48], f"edited request {index} mixed up"
    assert len({json.loads(t)["layers"][1]["data"] for _, t in results}) > 2
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


# -- saliency, shift scan -----------------------------------------------------------------------


def test_saliency_is_the_gradient_of_the_chosen_logit(client: TestClient) -> None:
    image = _digit(7)
    body = client.post("/api/mnist/saliency", json={"image": image, "target": 1}).json()

    gradient, _, _ = inference.saliency(_model(client, "cnn"), inference.to_tensor(image), 1)
    assert body["target"] == 1 and body["label"] == 7
    np.testing.assert_allclose(body["gradient"], gradient, rtol=1e-5, atol=1e-7)
    assert body["max_abs"] == pytest.approx(float(np.abs(gradient).max()))


def test_saliency_defaults_to_the_predicted_class(client: TestClient) -> None:
    body = client.post("/api/mnist/saliency", json={"image": _digit(0), "model": "fc"}).json()
    assert body["target"] == body["label"] == 0
    assert np.abs(np.array(body["gradient"])).max() == pytest.approx(body["max_abs"])


def test_shift_scan_matches_predict_on_shifted_inputs(client: TestClient) -> None:
    image = _digit(7)
    body = client.post(
        "/api/mnist/shift-scan", json={"image": image, "dx": [-3, 2], "dy": [-1, 1]}
    ).json()

    assert body["dx"] == [-3, -2, -1, 0, 1, 2] and body["dy"] == [-1, 0, 1]
    for name in ("cnn", "fc"):
        grid = body["models"][name]
        assert np.array(grid["probabilities"]).shape == (3, 6, 10)
        for row, dy in enumerate(body["dy"]):
            for col, dx in enumerate(body["dx"]):
                shifted = inference.shift(inference.to_tensor(image), dx, dy)[0, 0].numpy()
                single = client.post(
                    "/api/mnist/predict", json={"image": shifted.tolist(), "model": name}
                ).json()
                np.testing.assert_allclose(
                    grid["probabilities"][row][col], single["probabilities"], atol=2e-6
                )
                assert grid["labels"][row][col] == single["label"]


def test_shift_scan_accepts_the_largest_grids(client: TestClient) -> None:
    for dx, dy in (([-8, 8], [-8, 8]), ([-14, 14], [0, 0])):
        response = client.post(
            "/api/mnist/shift-scan", json={"image": _digit(1), "dx": dx, "dy": dy}
        )
        assert response.status_code == 200
        assert len(response.json()["models"]["fc"]["labels"][0]) == dx[1] - dx[0] + 1


def test_shift_scan_shows_the_fc_net_losing_a_shifted_digit_before_the_cnn(
    client: TestClient,
) -> None:
    body = client.post(
        "/api/mnist/shift-scan", json={"image": _digit(0), "dx": [-6, 6], "dy": [0, 0]}
    ).json()
    correct = {
        name: sum(p[0] for p in body["models"][name]["probabilities"][0]) for name in ("cnn", "fc")
    }
    assert correct["cnn"] > correct["fc"]


def test_shift_scan_runs_the_models_asked_for_in_their_order(client: TestClient) -> None:
    body = {"image": _digit(7), "dx": [-1, 1], "models": ["fc", "cnn", "cnn-aa"]}
    answer = client.post("/api/mnist/shift-scan", json=body).json()
    assert list(answer["models"]) == ["fc", "cnn", "cnn-aa"]
    x = inference.shift(inference.to_tensor(_digit(7)), 1, 0)
    expected = inference.probabilities(_model(client, "cnn-aa"), x)[0]
    np.testing.assert_allclose(
        answer["models"]["cnn-aa"]["probabilities"][0][2], expected, atol=2e-6
    )


def test_shift_scan_naming_a_model_twice_is_422(client: TestClient) -> None:
    body = {"image": _digit(7), "models": ["cnn", "cnn"]}
    response = client.post("/api/mnist/shift-scan", json=body)
    assert response.status_code == 422
    assert _messages(response) == "models must each be named once, got cnn, cnn"


# -- Grad-CAM ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cnn", "cnn-aa"])
def test_gradcam_answers_what_the_service_computes(client: TestClient, name: str) -> None:
    image = _digit(7)
    body = client.post(
        "/api/mnist/gradcam", json={"image": image, "model": name, "target": 7}
    ).json()
    expected = inference.gradcam(_model(client, name), inference.to_tensor(image), 7)
    assert body["model"] == name and body["target"] == 7 and body["label"] == 7
    assert body["layer"] == "relu3"
    np.testing.assert_allclose(body["cam"], expected.cam, atol=1e-6)
    np.testing.assert_allclose(body["cam_upsampled"], expected.upsampled, atol=1e-6)
    assert len(body["weights"]) == 32
    assert body["max"] == pytest.approx(float(expected.cam.max()))
    assert body["max"] > 0


def _column_centre(cam: list) -> float:
    columns = np.array(cam).sum(axis=0)  # (28,)
    return float((columns * np.arange(28)).sum() / columns.sum())


def test_gradcam_of_the_shifted_digit_moves_with_it(client: TestClient) -> None:
    image = _digit(1)
    plain = client.post("/api/mnist/gradcam", json={"image": image, "target": 1}).json()
    moved = client.post(
        "/api/mnist/gradcam", json={"image": image, "target": 1, "shift": [4, 0]}
    ).json()
    # a 4-pixel shift is about one cell of the 7×7 map: its weight moves right by over a pixel
    assert _column_centre(moved["cam_upsampled"]) > _column_centre(plain["cam_upsampled"]) + 1


def test_gradcam_of_the_fc_model_is_422(client: TestClient) -> None:
    response = client.post("/api/mnist/gradcam", json={"image": _digit(1), "model": "fc"})
    assert response.status_code == 422
    assert response.json() == {"detail": "the fc model has no conv layers for Grad-CAM"}


def test_gradcam_target_out_of_range_is_422(client: TestClient) -> None:
    response = client.post("/api/mnist/gradcam", json={"image": _digit(1), "target": 10})
    assert response.status_code == 422
    assert _messages(response) == "Input should be less than or equal to 9"


# -- models, filters -----------------------------------------------------------------------------


def test_models_lists_layers_and_cards_whose_counts_match_the_weights(client: TestClient) -> None:
    body = client.get("/api/mnist/models").json()
    assert [m["name"] for m in body["models"]] == ["cnn", "fc", "cnn-aa"]
    for info in body["models"]:
        module = _model(client, info["name"]).module
        card = info["card"]
        assert card == json.loads((WEIGHTS / f"{info['name']}.json").read_text())
        assert info["total_parameters"] == sum(p.numel() for p in module.parameters())
        assert card["total_parameters"] == info["total_parameters"]
        per_layer = {layer["name"]: layer["parameters"] for layer in info["layers"]}
        assert {k: v for k, v in per_layer.items() if v} == card["parameters"]
        assert card["dry_run"] is False
    cnn = body["models"][0]
    assert cnn["total_parameters"] < 100_000
    assert cnn["card"]["test_accuracy"] >= 0.995
    assert cnn["layers"][0] == {
        "name": "conv1",
        "kind": "conv",
        "output_shape": [16, 28, 28],
        "parameters": 416,
        "config": {
            "in_channels": 1, "out_channels": 16, "kernel_size": [5, 5], "stride": [1, 1],
            "padding": [2, 2],
        },
    }  # fmt: skip


def test_shipped_weights_are_small_state_dicts() -> None:
    total = 0
    for name in ("cnn", "fc", "cnn-aa"):
        path = WEIGHTS / f"{name}.pt"
        state = torch.load(path, weights_only=True)
        assert all(isinstance(v, torch.Tensor) for v in state.values())
        total += path.stat().st_size
    assert total < 800_000


def test_filters_are_the_cnns_conv_kernels(client: TestClient) -> None:
    body = client.get("/api/mnist/filters").json()
    module = _model(client, "cnn").module
    assert [layer["name"] for layer in body["layers"]] == ["conv1", "conv2", "conv3"]
    for layer in body["layers"]:
        conv = getattr(module, layer["name"])
        assert layer["shape"] == list(conv.weight.shape)
        np.testing.assert_allclose(layer["weight"], conv.weight.numpy(), atol=5e-6)
        np.testing.assert_allclose(layer["bias"], conv.bias.numpy(), atol=5e-6)
        assert layer["min"] == pytest.approx(float(conv.weight.min()))


def test_filters_of_the_anti_aliased_cnn_are_its_own_kernels(client: TestClient) -> None:
    body = client.get("/api/mnist/filters", params={"model": "cnn-aa"}).json()
    conv1 = _model(client, "cnn-aa").module.conv1
    assert body["model"] == "cnn-aa"
    np.testing.assert_allclose(body["layers"][0]["weight"], conv1.weight.numpy(), atol=5e-6)


def test_models_list_the_anti_aliased_cnns_blur_pools_and_the_consistency(
    client: TestClient,
) -> None:
    body = client.get("/api/mnist/models").json()
    aa = next(m for m in body["models"] if m["name"] == "cnn-aa")
    pools = [layer for layer in aa["layers"] if layer["kind"] == "pool"]
    assert [p["output_shape"] for p in pools] == [[16, 14, 14], [32, 7, 7], [32, 3, 3]]
    assert {p["config"]["mode"] for p in pools} == {"blurmax"}
    assert aa["total_parameters"] == 52_586  # the blur is fixed: the CNN's parameters exactly
    shipped = json.loads((WEIGHTS / "shift_consistency.json").read_text())
    assert body["shift_consistency"] == shipped
    assert set(shipped["models"]) == {"cnn", "fc", "cnn-aa"}
    assert shipped["test_digits"] == 10_000


def test_filters_of_the_fc_model_say_it_has_none(client: TestClient) -> None:
    response = client.get("/api/mnist/filters", params={"model": "fc"})
    assert response.status_code == 422
    assert response.json() == {"detail": "the fc model has no conv layers"}


# -- bad input ---------------------------------------------------------------------------------


def _png_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


WHITE = np.full((40, 40), 255, np.uint8)
BAD_PREDICT = [
    ({}, 'give exactly one of "image" (28×28 floats) or "image_png"'),
    ({"image": _digit(1), "image_png": data_url(_png_bytes(WHITE))}, "give exactly one of"),
    ({"image": _digit(1)[:27]}, "must have 28 rows, got 27"),
    ({"image": [row[:27] for row in _digit(1)]}, "must have 28 columns, got 27"),
    ({"image": [[1.5] * 28] * 28}, "entry [0][0] must be between 0 and 1, got 1.5"),
    ({"image": [[-0.1] * 28] * 28}, "entry [0][0] must be between 0 and 1, got -0.1"),
    ({"image": [["x"] * 28] * 28}, 'entry [0][0] must be a finite number, got "x"'),
    ({"image": _digit(1), "model": "resnet"}, "'cnn', 'fc' or 'cnn-aa'"),
    ({"image": _digit(1), "colour": "red"}, "Extra inputs are not permitted"),
    ({"image_png": "data:image/png;base64,@@@@"}, "is not valid base64"),
    ({"image_png": "data:image/jpeg;base64,AAAA"}, "must be a data:image/png;base64 URL"),
    ({"image_png": "data:image/png;base64,"}, "is empty"),
]


@pytest.mark.parametrize(("body", "message"), BAD_PREDICT)
def test_bad_predict_input_is_a_422_that_says_why(
    client: TestClient, body: dict, message: str
) -> None:
    response = client.post("/api/mnist/predict", json=body)
    assert response.status_code == 422
    assert message in _messages(response)


def test_nan_pixels_are_refused(client: TestClient) -> None:
    image = json.dumps(_digit(1)).replace("0.0", "NaN", 1)
    response = client.post(
        "/api/mnist/predict",
        content='{"image": ' + image + "}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "finite number" in _messages(response)


@pytest.mark.parametrize(
    ("png", "message"),
    [
        (_png_bytes(WHITE), "the drawing is empty"),
        (_png_bytes(np.zeros((30, 30, 4), np.uint8)), "the drawing is empty"),
        (_png_bytes(np.zeros((30, 30), np.uint8), "JPEG"), "image_png is not a PNG image"),
        (_png_bytes(np.zeros((30, 30), np.uint8), "GIF"), "image_png is not a PNG image"),
        (b"GIF89a not really", "image_png is not a PNG image"),
        (
            _png_bytes(np.zeros((60, 60), np.uint8))[:60],
            "image_png is a corrupt or unsupported PNG",
        ),
        (
            _png_bytes(np.zeros((10, 2100), np.uint8)),
            "image_png is 2100×10 pixels, over the limit of 2048 pixels per side",
        ),
    ],
)
def test_bad_pngs_are_a_422_that_says_why(client: TestClient, png: bytes, message: str) -> None:
    for route in ("predict", "activations", "saliency", "shift-scan"):
        response = client.post(f"/api/mnist/{route}", json={"image_png": data_url(png)})
        assert response.status_code == 422, route
        assert _messages(response).startswith(message), route


def test_a_png_over_the_byte_limit_is_refused_by_the_schema(client: TestClient) -> None:
    limit = get_settings().max_png_bytes
    rows = (limit + 20_000) // (3 * 600)  # random RGB pixels do not compress
    noise = np.random.default_rng(0).integers(0, 256, (rows, 600, 3), dtype=np.uint8)
    png = _png_bytes(noise)
    assert limit < len(png) < get_settings().max_body_bytes * 3 // 4
    response = client.post("/api/mnist/predict", json={"image_png": data_url(png)})
    assert response.status_code == 422
    assert f"PNG is larger than the limit of {limit} bytes" in _messages(response)


BAD_OPTIONS = [
    ("activations", {"shift": [15, 0]}, "less than or equal to 14"),
    ("activations", {"shift": [0]}, "Field required"),
    ("activations", {"kernel_overrides": {"16": [[0.0] * 5] * 5}}, "conv1 has channels 0..15"),
    ("activations", {"kernel_overrides": {"-1": [[0.0] * 5] * 5}}, "greater than or equal to 0"),
    ("activations", {"kernel_overrides": {"0": [[0.0] * 3] * 3}}, "conv1 kernels are 5×5"),
    ("activations", {"kernel_overrides": {"0": [[0.0] * 5, [0.0] * 4]}}, "ragged"),
    ("activations", {"kernel_overrides": {"0": [[1e400] * 5] * 5}}, "finite number"),
    ("activations", {"kernel_overrides": {"a": [[0.0] * 5] * 5}}, "valid integer"),
    (
        "activations",
        {"model": "fc", "kernel_overrides": {"0": [[0.0] * 5] * 5}},
        "the fc model has no convolution layer to edit",
    ),
    ("saliency", {"target": 10}, "less than or equal to 9"),
    ("saliency", {"shift": [0, -15]}, "greater than or equal to -14"),
    ("shift-scan", {"dx": [3, -3]}, "dx range [3, -3] is empty: the minimum is first"),
    ("shift-scan", {"dy": [-20, 0]}, "greater than or equal to -14"),
    ("shift-scan", {"model": "cnn"}, "Extra inputs are not permitted"),
    (
        "shift-scan",
        {"dx": [-9, 9], "dy": [-8, 8]},
        "the grid has 323 shifts, over the limit of 289",
    ),
]


@pytest.mark.parametrize(("route", "options", "message"), BAD_OPTIONS)
def test_bad_options_are_a_422_that_says_why(
    client: TestClient, route: str, options: dict, message: str
) -> None:
    body = {"image": _digit(1)} | options
    # json.dumps writes inf as Infinity; 1e400 is valid JSON that parses to inf
    response = client.post(
        f"/api/mnist/{route}",
        content=json.dumps(body).replace("Infinity", "1e400"),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert message in _messages(response)


def test_without_weights_the_routes_answer_503_and_health_is_degraded(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(weights_dir=tmp_path))) as bare:
        response = bare.post("/api/mnist/predict", json={"image": _digit(1)})
        assert response.status_code == 503
        assert response.json()["detail"].startswith(
            "model 'cnn' is not loaded: the server has no cnn.pt weights; train it"
        )
        assert bare.post("/api/mnist/shift-scan", json={"image": _digit(1)}).status_code == 503
        assert bare.get("/api/mnist/models").json() == {"models": [], "shift_consistency": None}
        health = bare.get("/api/health").json()
        assert health["status"] == "degraded"
        assert health["models"] == {"cnn": False, "fc": False, "cnn-aa": False}


def test_every_mnist_schema_has_an_example_that_validates(client: TestClient) -> None:
    """Request models carry their (typed) example; response models the one the loaded models
    compute for /openapi.json (app/api/examples.py)."""
    from pydantic import BaseModel

    from app.api.schemas import mnist as schemas

    shown = client.get("/openapi.json").json()["components"]["schemas"]
    models = [
        cls
        for cls in vars(schemas).values()
        if isinstance(cls, type)
        and issubclass(cls, BaseModel)
        and cls.__module__ == schemas.__name__
    ]
    assert len(models) >= 14
    for cls in models:
        # a base class of a request (DigitInput) is not in /openapi.json: its own example
        schema = shown.get(cls.__name__) or cls.model_config.get("json_schema_extra") or {}
        examples = schema.get("examples") or [schema.get("example")]
        assert examples[0] is not None, f"{cls.__name__} has no example for /docs"
        for example in examples:
            cls.model_validate_json(json.dumps(example), context={"settings": Settings()})


def test_openapi_documents_the_mnist_routes_with_their_response_models(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method, model in [
        ("/api/mnist/predict", "post", "PredictResponse"),
        ("/api/mnist/activations", "post", "ActivationsResponse"),
        ("/api/mnist/saliency", "post", "SaliencyResponse"),
        ("/api/mnist/gradcam", "post", "GradCamResponse"),
        ("/api/mnist/shift-scan", "post", "ShiftScanResponse"),
        ("/api/mnist/models", "get", "ModelsResponse"),
        ("/api/mnist/filters", "get", "FiltersResponse"),
    ]:
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}


def test_the_data_url_prefix_is_read_in_any_case(client: TestClient) -> None:
    png = base64.b64encode(_png_bytes(np.where(np.eye(40) > 0, 0, 255).astype(np.uint8)))
    lower = client.post(
        "/api/mnist/predict", json={"image_png": "data:image/png;base64," + png.decode()}
    )
    upper = client.post(
        "/api/mnist/predict", json={"image_png": "DATA:IMAGE/PNG;BASE64," + png.decode()}
    )
    assert upper.status_code == lower.status_code == 200
    assert upper.json()["probabilities"] == lower.json()["probabilities"]
