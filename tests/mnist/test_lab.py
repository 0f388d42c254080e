"""One call per MNIST request (app.mnist.lab), on randomly initialised models and drawn digits."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from app.engine.errors import InvalidInput
from app.mnist import inference, lab
from app.mnist.preprocess import preprocess_png
from tests.mnist.helpers import draw, png_of, random_model

PNG = png_of(draw(7, size=(140, 140), box=(30, 20, 110, 120), pen=9.0))


@pytest.fixture(scope="module")
def cnn() -> inference.LoadedModel:
    return random_model("cnn")


@pytest.fixture(scope="module")
def fc() -> inference.LoadedModel:
    return random_model("fc", seed=1)


def _png_digit() -> lab.Digit:
    return lab.Digit(png=PNG, max_png_side=2048)


def test_a_png_digit_is_the_preprocessed_image_with_previews_only_when_asked() -> None:
    plain = lab.prepare(_png_digit())
    shown = lab.prepare(_png_digit(), previews=True)

    expected = preprocess_png(PNG, max_side=2048)
    np.testing.assert_array_equal(plain.image, expected.image)
    assert plain.previews is None and plain.preprocessed is not None
    assert [p.name for p in shown.previews] == [s.name for s in expected.steps]
    for preview, step in zip(shown.previews, expected.steps, strict=True):
        assert (preview.height, preview.width) == step.image.shape
        png = base64.b64decode(preview.png.removeprefix("data:image/png;base64,"))
        assert Image.open(io.BytesIO(png)).format == "PNG"


def test_an_image_digit_is_used_as_it_is() -> None:
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    prepared = lab.prepare(lab.Digit(image=image, max_png_side=2048), previews=True)
    np.testing.assert_array_equal(prepared.image, image)
    assert prepared.preprocessed is None and prepared.previews is None


def test_a_png_over_the_side_limit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="^image_png is 140×140 pixels, over the limit of 100"):
        lab.prepare(lab.Digit(png=PNG, max_png_side=100))


def test_predict_is_the_model_on_the_preprocessed_digit(cnn) -> None:
    result = lab.predict(cnn, _png_digit())
    with torch.no_grad():
        logits = cnn.module(torch.from_numpy(result.digit.image)[None, None])
    np.testing.assert_allclose(result.probabilities, torch.softmax(logits, 1)[0], rtol=1e-6)
    assert result.digit.previews is not None  # the predict route shows the stages


def test_activations_run_the_shifted_digit_with_the_kernel_edit(cnn) -> None:
    kernel = [[0.1 * (i - j) for j in range(5)] for i in range(5)]
    result = lab.activations(cnn, _png_digit(), shift=(3, -2), overrides={4: kernel})

    x = inference.shift(lab.prepare(_png_digit()).x, 3, -2)
    np.testing.assert_array_equal(result.digit.image, x[0, 0].numpy())
    layers, probs = inference.encoded_activations(cnn, x, {4: kernel})
    assert result.layers == layers
    np.testing.assert_array_equal(result.probabilities, probs)
    assert result.digit.previews is None


def test_saliency_defaults_to_the_predicted_class_of_the_shifted_digit(cnn) -> None:
    result = lab.saliency(cnn, _png_digit(), shift=(-1, 2), target=None)
    x = inference.shift(lab.prepare(_png_digit()).x, -1, 2)
    gradient, probs, target = inference.saliency(cnn, x, None)
    assert result.target == target == int(probs.argmax())
    np.testing.assert_array_equal(result.gradient, gradient)


def test_shift_scan_gives_each_model_the_probabilities_of_every_shift(cnn, fc) -> None:
    scan = lab.shift_scan([cnn, fc], _png_digit(), dx=(-2, 3), dy=(1, 1))
    assert (scan.dxs, scan.dys) == ([-2, -1, 0, 1, 2, 3], [1])
    for model in (cnn, fc):
        probs = scan.probabilities[model.name]
        assert probs.shape == (1, 6, 10)
        shifted = inference.shift(scan.digit.x, 3, 1)  # the last column: dx = 3, dy = 1
        np.testing.assert_allclose(
            probs[0, 5], inference.probabilities(model, shifted)[0], rtol=1e-5, atol=1e-7
        )


def test_gradcam_of_a_shifted_digit_is_inference_gradcam_of_the_shifted_input(
    cnn: inference.LoadedModel,
) -> None:
    image = draw(7)
    result = lab.gradcam(cnn, lab.Digit(image=image, max_png_side=2048), shift=(2, -1), target=3)
    x = inference.shift(inference.to_tensor(image), 2, -1)
    expected = inference.gradcam(cnn, x, 3)
    np.testing.assert_array_equal(result.digit.image, x[0, 0].numpy())
    np.testing.assert_allclose(result.result.cam, expected.cam)
    assert result.max == pytest.approx(float(expected.cam.max()))


def test_gradcam_refuses_the_fc_net_before_reading_the_png(fc: inference.LoadedModel) -> None:
    digit = lab.Digit(png=b"not a png", max_png_side=2048)
    with pytest.raises(InvalidInput, match="the fc model has no conv layers for Grad-CAM"):
        lab.gradcam(fc, digit, target=None)


def test_filters_are_every_conv_layers_kernels_rounded(cnn: inference.LoadedModel) -> None:
    layers = lab.filters(cnn)
    assert [layer.name for layer in layers] == ["conv1", "conv2", "conv3"]
    conv2 = cnn.module.conv2.weight.numpy()
    assert layers[1].shape == [32, 16, 3, 3]
    np.testing.assert_allclose(layers[1].weight, conv2, atol=5e-6)
    assert layers[1].min == pytest.approx(float(conv2.min()))
