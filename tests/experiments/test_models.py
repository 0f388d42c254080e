"""The experiments' networks: lc is the CNN without sharing, the invariant CNN is invariant."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from app.experiments import models as M


def test_lc_parameter_count_equals_the_unshared_convolution_formula() -> None:
    # conv1: 24·24 positions × 8 outputs × (1·5·5 + 1); conv2: 8·8 × 16 × (8·5·5 + 1); 256 → 10
    by_hand = 24 * 24 * 8 * (1 * 25 + 1) + 8 * 8 * 16 * (8 * 25 + 1) + 16 * 4 * 4 * 10 + 10
    assert M.locally_connected_parameters(28) == by_hand == 328_202
    assert M.count_parameters(M.build_lc()) == by_hand


def test_cnn_parameter_count_is_the_shared_kernels_only() -> None:
    by_hand = 8 * (25 + 1) + 16 * (8 * 25 + 1) + 16 * 4 * 4 * 10 + 10
    assert M.count_parameters(M.build_cnn()) == by_hand == 5_994


def per_position_lc(x: torch.Tensor, lc: torch.nn.Sequential) -> torch.Tensor:
    """``lc`` written out the straightforward way, (B, C, H, W) throughout: at every output
    position, that position's kernel times the patch under it, plus its bias."""

    def layer(v: torch.Tensor, local: M.LocallyConnected2d) -> torch.Tensor:
        k, n = local.kernel, local.out_size
        out = torch.empty(v.shape[0], local.out_channels, n, n)
        for i in range(n):
            for j in range(n):
                patch = v[:, :, i : i + k, j : j + k]  # (B, C_in, k, k)
                kernel = local.kernels_at(i, j)  # (C_out, C_in, k, k)
                bias = local.bias[i * n + j, :, 0]  # (C_out,)
                out[:, :, i, j] = torch.einsum("bchw,ochw->bo", patch, kernel) + bias
        return out

    h = F.max_pool2d(F.relu(layer(x, lc.conv1)), 2)
    h = F.max_pool2d(F.relu(layer(h, lc.conv2)), 2)
    return lc.fc(h.flatten(1))


def test_lc_equals_the_per_position_reference_implementation() -> None:
    torch.manual_seed(3)
    lc = M.build_lc()
    x = torch.rand(6, 1, 28, 28)
    with torch.no_grad():
        expected = per_position_lc(x, lc)
    torch.testing.assert_close(lc(x), expected, rtol=1e-5, atol=1e-5)


def test_lc_gradients_equal_the_per_position_reference_implementations() -> None:
    torch.manual_seed(4)
    lc = M.build_lc()
    x = torch.rand(4, 1, 28, 28)
    fast = torch.autograd.grad(lc(x).square().sum(), list(lc.parameters()))
    slow = torch.autograd.grad(per_position_lc(x, lc).square().sum(), list(lc.parameters()))
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_lc_with_every_position_holding_the_cnn_kernel_computes_the_cnn() -> None:
    torch.manual_seed(0)
    cnn, lc = M.build_cnn(), M.build_lc()
    with torch.no_grad():
        for name in ("conv1", "conv2"):
            conv, local = getattr(cnn, name), getattr(lc, name)
            # (C_out, C_in, k, k) → (C_out, C_in·k·k) at each of the L positions
            flat = conv.weight.reshape(conv.out_channels, -1)
            local.weight.copy_(flat.expand_as(local.weight))
            local.bias.copy_(conv.bias.view(-1, 1).expand_as(local.bias))
        lc.fc.load_state_dict(cnn.fc.state_dict())
    x = torch.rand(5, 1, 28, 28)
    torch.testing.assert_close(lc(x), cnn(x), rtol=1e-5, atol=1e-5)


def test_lc_output_at_one_position_uses_only_that_positions_kernel() -> None:
    torch.manual_seed(1)
    layer = M.LocallyConnected2d(2, 3, in_size=9, kernel=3)
    x = torch.rand(4, 2, 9, 9)
    out = layer(x.permute(2, 3, 1, 0).contiguous())  # (7, 7, 3, 4), positions first
    i, j = 5, 2
    kernel = layer.kernels_at(i, j)  # (3, 2, 3, 3)
    patch = x[:, :, i : i + 3, j : j + 3]  # (4, 2, 3, 3)
    expected = torch.einsum("bchw,ochw->bo", patch, kernel) + layer.bias[i * 7 + j, :, 0]
    torch.testing.assert_close(out[i, j].t(), expected)


@pytest.mark.parametrize("grad", [False, True])
def test_max_pools_give_max_pool2d_values(grad: bool) -> None:
    torch.manual_seed(5)
    x = torch.randn(3, 4, 8, 6, requires_grad=grad)
    expected = F.max_pool2d(x.detach(), 2)
    with torch.set_grad_enabled(grad):
        pooled = M.MaxPool2x2()(x)
        positions = M.PositionMaxPool2x2()(x.permute(2, 3, 1, 0))
    torch.testing.assert_close(pooled, expected, rtol=0, atol=0)
    torch.testing.assert_close(positions.permute(3, 2, 0, 1), expected, rtol=0, atol=0)


def test_position_max_pool_sends_each_windows_gradient_to_its_maximum() -> None:
    torch.manual_seed(6)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    M.PositionMaxPool2x2()(x.permute(2, 3, 1, 0)).sum().backward()
    expected = torch.autograd.grad(F.max_pool2d(x, 2).sum(), x)[0]
    torch.testing.assert_close(x.grad, expected, rtol=0, atol=0)


def test_invariant_cnn_gives_the_same_output_for_every_circular_shift() -> None:
    torch.manual_seed(2)
    model = M.build_invariant_cnn().eval()
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        reference = model(x)
        for dy, dx in ((0, 5), (7, 0), (-11, 13)):
            shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            torch.testing.assert_close(model(shifted), reference, rtol=1e-5, atol=1e-5)


def test_cnn_is_not_invariant_to_the_same_shifts() -> None:
    torch.manual_seed(2)
    model = M.build_cnn().eval()
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        moved = model(torch.roll(x, shifts=(0, 5), dims=(2, 3)))
    assert (moved - model(x)).abs().max() > 1e-3


@pytest.mark.parametrize(
    ("name", "shape"), [("cnn", (8, 5, 5)), ("lc", (8, 5, 5)), ("fc", (8, 28, 28))]
)
def test_first_layer_filters_have_the_documented_shape(name: str, shape: tuple) -> None:
    model = {"cnn": M.build_cnn, "lc": M.build_lc, "fc": M.build_fc}[name]()
    assert tuple(M.first_layer_filters(name, model).shape) == shape


def test_lc_filters_are_the_centre_positions_kernels() -> None:
    model = M.build_lc()
    centre = 24 // 2
    expected = model.conv1.weight[centre * 24 + centre].reshape(8, 5, 5)
    torch.testing.assert_close(M.first_layer_filters("lc", model), expected.detach())


def relu_then_pool_cnn(x: torch.Tensor, cnn: torch.nn.Sequential) -> torch.Tensor:
    """``cnn`` in the textbook order, ReLU before each pooling, with torch's own layers."""
    h = F.max_pool2d(F.relu(F.conv2d(x, cnn.conv1.weight, cnn.conv1.bias)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, cnn.conv2.weight, cnn.conv2.bias)), 2)
    return cnn.fc(h.flatten(1))


def test_cnn_pooling_before_relu_gives_the_textbook_orders_outputs_and_gradients() -> None:
    torch.manual_seed(9)
    cnn = M.build_cnn()
    x = torch.rand(5, 1, 28, 28)
    x[:, :, :6] = 0  # blank rows: every window there holds one value four times (ties)
    fast = cnn(x)
    slow = relu_then_pool_cnn(x, cnn)
    torch.testing.assert_close(fast, slow, rtol=1e-6, atol=1e-6)
    fast_grads = torch.autograd.grad(fast.square().sum(), list(cnn.parameters()))
    slow_grads = torch.autograd.grad(slow.square().sum(), list(cnn.parameters()))
    for a, b in zip(fast_grads, slow_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
