"""Grad-CAM of the last conv block against an independent, hooks-based torch computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.engine.errors import InvalidInput
from app.mnist import inference
from app.mnist.inference import LoadedModel
from tests.mnist.helpers import draw, random_model


def _hooked_grad_cam(model: LoadedModel, x: torch.Tensor, target: int) -> dict:
    """Grad-CAM as the usual recipe writes it: a forward hook keeps relu3's output and a tensor
    hook its gradient; α = spatial mean of the gradient, cam = ReLU(Σ α A), bilinear to 28×28."""
    module = model.module
    saved: dict = {}

    def keep(_module, _inputs, output):  # type: ignore[no-untyped-def]
        saved["maps"] = output
        output.register_hook(lambda grad: saved.__setitem__("grad", grad))

    handle = module.relu3.register_forward_hook(keep)
    try:
        with torch.inference_mode(False), torch.enable_grad():
            inp = x.clone().requires_grad_(True)  # the parameters are frozen
            module(inp)[0, target].backward()
    finally:
        handle.remove()
    maps, grad = saved["maps"].detach()[0], saved["grad"][0]  # (C, 7, 7) each
    alpha = grad.mean(dim=(1, 2))
    cam = F.relu((alpha[:, None, None] * maps).sum(0))
    up = F.interpolate(cam[None, None], size=(28, 28), mode="bilinear", align_corners=False)
    return {"alpha": alpha.numpy(), "cam": cam.numpy(), "up": up[0, 0].numpy()}


@pytest.fixture(scope="module", params=["cnn", "cnn-aa"])
def model(request: pytest.FixtureRequest) -> LoadedModel:
    return random_model(request.param, seed=3)


@pytest.mark.parametrize(("digit", "target"), [(7, 7), (0, 3), (1, 1)])
def test_gradcam_matches_the_hooks_based_torch_computation(
    model: LoadedModel, digit: int, target: int
) -> None:
    x = inference.to_tensor(draw(digit))
    result = inference.gradcam(model, x, target)
    reference = _hooked_grad_cam(model, x, target)
    np.testing.assert_allclose(result.weights, reference["alpha"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.cam, reference["cam"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.upsampled, reference["up"], rtol=1e-5, atol=1e-7)
    assert result.target == target


def test_gradcam_reads_the_relu_after_the_last_conv_at_seven_by_seven(model: LoadedModel) -> None:
    result = inference.gradcam(model, inference.to_tensor(draw(7)), None)
    assert result.layer == "relu3"
    assert result.cam.shape == (7, 7) and result.upsampled.shape == (28, 28)
    assert result.weights.shape == (32,)
    assert (result.cam >= 0).all()


def test_gradcam_defaults_to_the_predicted_class(model: LoadedModel) -> None:
    x = inference.to_tensor(draw(0))
    result = inference.gradcam(model, x, None)
    assert result.target == int(inference.probabilities(model, x)[0].argmax())
    np.testing.assert_allclose(result.probabilities, inference.probabilities(model, x)[0])


def test_gradcam_leaves_no_gradient_on_the_parameters(model: LoadedModel) -> None:
    inference.gradcam(model, inference.to_tensor(draw(1)), 1)
    assert all(p.grad is None and not p.requires_grad for p in model.module.parameters())


def test_gradcam_of_the_fully_connected_net_is_refused() -> None:
    with pytest.raises(InvalidInput, match="the fc model has no conv layers for Grad-CAM"):
        inference.gradcam(random_model("fc"), inference.to_tensor(draw(1)), 1)
