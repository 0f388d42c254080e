"""Inference helpers on randomly initialised models: shifts, layers, kernel edits, saliency."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app.config import Settings
from app.engine.errors import InvalidInput
from app.mnist import inference
from app.mnist.inference import LoadedModel, ModelUnavailable, load_models
from app.mnist.models import build
from tests.mnist.helpers import random_model


@pytest.fixture(scope="module")
def cnn() -> LoadedModel:
    return random_model("cnn")


@pytest.fixture(scope="module")
def fc() -> LoadedModel:
    return random_model("fc", seed=1)


def _numpy_shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(image)
    h, w = image.shape
    for y in range(h):
        for x in range(w):
            if 0 <= y - dy < h and 0 <= x - dx < w:
                out[y, x] = image[y - dy, x - dx]
    return out


@settings(max_examples=40)
@given(dx=st.integers(-30, 30), dy=st.integers(-30, 30), seed=st.integers(0, 1000))
def test_shift_moves_content_right_and_down_with_zero_fill(dx: int, dy: int, seed: int) -> None:
    image = np.random.default_rng(seed).random((28, 28)).astype(np.float32)
    shifted = inference.shift(inference.to_tensor(image), dx, dy)[0, 0].numpy()
    np.testing.assert_array_equal(shifted, _numpy_shift(image, dx, dy))


def test_shifted_grid_orders_rows_by_dy_then_columns_by_dx() -> None:
    x = torch.rand(1, 1, 28, 28)
    grid = inference.shifted_grid(x, [-1, 0, 2], [3, -2])
    assert grid.shape == (6, 1, 28, 28)
    torch.testing.assert_close(grid[4], inference.shift(x, 0, -2)[0])


@settings(max_examples=30)
@given(
    values=arrays(
        np.float32,
        st.sampled_from([(1,), (4, 5), (3, 7, 7)]),
        elements=st.floats(-50, 50, width=32),
    )
)
def test_quantise_round_trip_is_within_half_a_step(values: np.ndarray) -> None:
    q = inference.quantise(values)
    codes = np.frombuffer(base64.b64decode(q.data), dtype=np.uint8).reshape(values.shape)
    decoded = q.min + codes.astype(np.float64) * q.scale
    assert q.min == values.min() and q.max == values.max()
    np.testing.assert_allclose(decoded, values, atol=q.scale / 2 + 1e-5 * max(1, abs(q.max)))
    if values.size > 1 and values.max() > values.min():
        assert codes.min() == 0 and codes.max() == 255


def test_quantise_of_a_constant_layer_has_zero_scale() -> None:
    q = inference.quantise(np.full((2, 3), 0.25, dtype=np.float32))
    assert (q.min, q.max, q.scale) == (0.25, 0.25, 0.0)
    assert base64.b64decode(q.data) == bytes(6)


def test_activations_walk_every_layer_and_end_in_the_model_output(cnn: LoadedModel) -> None:
    x = torch.rand(1, 1, 28, 28)
    layers, probs = inference.activations(cnn, x)

    assert [layer.name for layer in layers] == ["input"] + [
        n for n, _ in cnn.module.named_children()
    ]
    assert [tuple(layer.values.shape) for layer in layers[1:]] == [
        s.output_shape for s in cnn.layers
    ]
    with torch.no_grad():
        reference = cnn.module(x)
        conv1 = F.conv2d(x, cnn.module.conv1.weight, cnn.module.conv1.bias, padding=2)
    torch.testing.assert_close(layers[1].values, conv1[0])
    torch.testing.assert_close(layers[-1].values, reference[0])
    np.testing.assert_allclose(probs, torch.softmax(reference, 1)[0].numpy(), rtol=1e-6)
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)


def test_kernel_override_changes_only_that_channel_and_not_the_model(cnn: LoadedModel) -> None:
    x = torch.rand(1, 1, 28, 28)
    before = {k: v.clone() for k, v in cnn.module.state_dict().items()}
    kernel = np.arange(25, dtype=np.float32).reshape(5, 5) / 25 - 0.5

    layers, _ = inference.activations(cnn, x, {3: kernel.tolist()})

    conv1 = layers[1].values
    expected = F.conv2d(
        x, torch.from_numpy(kernel)[None, None], cnn.module.conv1.bias[3:4], padding=2
    )
    torch.testing.assert_close(conv1[3], expected[0, 0])
    plain, _ = inference.activations(cnn, x)
    torch.testing.assert_close(conv1[:3], plain[1].values[:3])
    torch.testing.assert_close(conv1[4:], plain[1].values[4:])
    assert not torch.equal(layers[-1].values, plain[-1].values)  # the edit reaches the output
    for key, value in cnn.module.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_kernel_override_checks_channel_and_shape(cnn: LoadedModel, fc: LoadedModel) -> None:
    x = torch.rand(1, 1, 28, 28)
    with pytest.raises(
        InvalidInput, match="^kernel override for channel 16: conv1 has channels 0..15$"
    ):
        inference.activations(cnn, x, {16: [[0.0] * 5] * 5})
    with pytest.raises(
        InvalidInput, match="^kernel override for channel 0 is 3×5, conv1 kernels are 5×5$"
    ):
        inference.activations(cnn, x, {0: [[0.0] * 5] * 3})
    with pytest.raises(InvalidInput, match="^the fc model has no convolution layer to edit$"):
        inference.activations(fc, x, {0: [[0.0] * 5] * 5})


def test_fc_saliency_equals_the_analytic_gradient(fc: LoadedModel) -> None:
    x = torch.rand(1, 1, 28, 28)
    gradient, probs, target = inference.saliency(fc, x, 4)

    # logit_4 = w2[4] · relu(W1 x + b1) + b2[4]  ⇒  ∂/∂x = (w2[4] ⊙ 1[h > 0]) W1
    w1, b1 = fc.module.fc1.weight, fc.module.fc1.bias
    w2 = fc.module.fc2.weight
    active = (w1 @ x.flatten() + b1 > 0).float()
    expected = ((w2[4] * active) @ w1).reshape(28, 28)
    assert target == 4
    np.testing.assert_allclose(gradient, expected.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(probs, inference.probabilities(fc, x)[0], rtol=1e-6)


def test_cnn_saliency_matches_finite_differences(cnn: LoadedModel) -> None:
    torch.manual_seed(5)
    x = torch.rand(1, 1, 28, 28)
    gradient, probs, target = inference.saliency(cnn, x, None)
    assert target == int(probs.argmax())

    double = build("cnn").double().eval()
    double.load_state_dict(cnn.module.state_dict())
    eps = 1e-6
    for y, xx in [(14, 14), (10, 17), (20, 8)]:
        up, down = x.double().clone(), x.double().clone()
        up[0, 0, y, xx] += eps
        down[0, 0, y, xx] -= eps
        with torch.no_grad():
            numeric = (double(up)[0, target] - double(down)[0, target]) / (2 * eps)
        assert gradient[y, xx] == pytest.approx(float(numeric), rel=1e-3, abs=1e-5)


def test_saliency_leaves_no_gradient_on_the_parameters(cnn: LoadedModel) -> None:
    inference.saliency(cnn, torch.rand(1, 1, 28, 28), 2)
    assert all(p.grad is None and not p.requires_grad for p in cnn.module.parameters())


def test_layer_table_lists_shapes_parameters_and_config(cnn: LoadedModel) -> None:
    table = {spec.name: spec for spec in cnn.layers}
    assert table["conv1"].output_shape == (16, 28, 28)
    assert table["pool1"].output_shape == (16, 14, 14)
    assert table["pool3"].output_shape == (32, 3, 3)
    assert table["flatten"].output_shape == (288,)
    assert table["conv2"].config == {
        "in_channels": 16, "out_channels": 32, "kernel_size": [3, 3], "stride": [1, 1],
        "padding": [1, 1],
    }  # fmt: skip
    assert table["pool2"].config == {"kernel_size": 2, "stride": 2, "mode": "max"}
    assert table["fc2"].parameters == 10 * 129
    assert cnn.total_parameters == sum(p.numel() for p in cnn.module.parameters())


def test_load_models_reads_what_is_there_and_reports_what_is_missing(tmp_path: Path) -> None:
    torch.manual_seed(0)
    fc = build("fc")
    torch.save(fc.state_dict(), tmp_path / "fc.pt")

    registry = load_models(tmp_path)

    assert registry.loaded() == {"cnn": False, "fc": True, "cnn-aa": False}
    loaded = registry.get("fc")
    assert loaded.card is None
    assert not any(p.requires_grad for p in loaded.module.parameters())
    torch.testing.assert_close(loaded.module.fc1.weight, fc.fc1.weight)
    with pytest.raises(
        ModelUnavailable,
        match="model 'cnn' is not loaded: the server has no cnn.pt weights; train it",
    ):
        registry.get("cnn")


def test_a_corrupt_weights_file_stops_loading_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "cnn.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match=r"cannot load MNIST weights .*cnn\.pt"):
        load_models(tmp_path)


def test_weights_of_the_wrong_architecture_are_refused(tmp_path: Path) -> None:
    torch.save(build("fc").state_dict(), tmp_path / "cnn.pt")
    with pytest.raises(RuntimeError, match="cannot load MNIST weights"):
        load_models(tmp_path)


def test_a_model_card_with_a_wrong_field_stops_the_load_naming_the_file(tmp_path: Path) -> None:
    fc = build("fc")
    torch.save(fc.state_dict(), tmp_path / "fc.pt")
    (tmp_path / "fc.json").write_text('{"model": "fc", "test_accuracy": "high"}')
    with pytest.raises(RuntimeError, match=r"invalid model card .*fc\.json: architecture: Field"):
        load_models(tmp_path)


def test_the_shipped_cards_are_validated_once_at_load() -> None:
    registry = load_models(Settings().weights_dir)
    card = registry.get("cnn").card
    assert card is not None and card.model == "cnn"
    assert card.total_parameters == registry.get("cnn").total_parameters


def test_encoded_activations_are_the_activations_quantised(cnn: LoadedModel) -> None:
    x = torch.rand(1, 1, 28, 28)
    kernel = (np.arange(25, dtype=np.float32).reshape(5, 5) / 25 - 0.5).tolist()
    plain, probs = inference.activations(cnn, x, {2: kernel})
    encoded, encoded_probs = inference.encoded_activations(cnn, x, {2: kernel})
    np.testing.assert_array_equal(encoded_probs, probs)
    assert [(e.name, e.kind, e.shape) for e in encoded] == [
        (a.name, a.kind, tuple(a.values.shape)) for a in plain
    ]
    for e, a in zip(encoded, plain, strict=True):
        q = inference.quantise(a.values)
        assert (e.min, e.max, e.scale, e.data) == (q.min, q.max, q.scale, q.data)


@pytest.mark.parametrize("encoded", [False, True], ids=["activations", "encoded"])
def test_kernels_that_overflow_the_activations_are_refused(cnn: LoadedModel, encoded) -> None:
    forward = inference.encoded_activations if encoded else inference.activations
    with pytest.raises(InvalidInput, match="^the edited kernels make the activations overflow"):
        forward(cnn, torch.ones(1, 1, 28, 28), {0: [[3e38] * 5] * 5})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_quantise_refuses_values_that_are_not_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="^cannot quantise values in"):
        inference.quantise(np.array([0.0, bad, 1.0], dtype=np.float32))
