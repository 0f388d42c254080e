"""The experiments' networks: lc is the CNN without sharing, the invariant CNN is invariant."""

from __future__ import annotations

import pytest
import torch

from app.experiments import models as M


def test_lc_parameter_count_equals_the_unshared_convolution_formula() -> None:
    # conv1: 24·24 positions × 8 outputs × (1·5·5 + 1); conv2: 8·8 × 16 × (8·5·5 + 1); 256 → 10
    by_hand = 24 * 24 * 8 * (1 * 25 + 1) + 8 * 8 * 16 * (8 * 25 + 1) + 16 * 4 * 4 * 10 + 10
    assert M.locally_connected_parameters(28) == by_hand == 328_202
    assert M.count_parameters(M.build_lc()) == by_hand


def test_cnn_parameter_count_is_the_shared_kernels_only() -> None:
    by_hand = 8 * (25 + 1) + 16 * (8 * 25 + 1) + 16 * 4 * 4 * 10 + 10
    assert M.count_parameters(M.build_cnn()) == by_hand == 5_994


def test_lc_with_every_position_holding_the_cnn_kernel_computes_the_cnn() -> None:
    torch.manual_seed(0)
    cnn, lc = M.build_cnn(), M.build_lc()
    with torch.no_grad():
        for name in ("conv1", "conv2"):
            conv, local = getattr(cnn, name), getattr(lc, name)
            # (C_out, C_in, k, k) → (C_in·k·k, C_out) at each of the L positions
            flat = conv.weight.reshape(conv.out_channels, -1).t()
            local.weight.copy_(flat.expand_as(local.weight))
            local.bias.copy_(conv.bias.expand_as(local.bias))
        lc.fc.load_state_dict(cnn.fc.state_dict())
    x = torch.rand(5, 1, 28, 28)
    torch.testing.assert_close(lc(x), cnn(x), rtol=1e-5, atol=1e-5)


def test_lc_output_at_one_position_uses_only_that_positions_kernel() -> None:
    torch.manual_seed(1)
    layer = M.LocallyConnected2d(2, 3, in_size=9, kernel=3)
    x = torch.rand(4, 2, 9, 9)
    out = layer(x)  # (4, 3, 7, 7)
    i, j = 5, 2
    kernel = layer.kernels_at(i, j)  # (3, 2, 3, 3)
    patch = x[:, :, i : i + 3, j : j + 3]  # (4, 2, 3, 3)
    expected = torch.einsum("bchw,ochw->bo", patch, kernel) + layer.bias[i * 7 + j]
    torch.testing.assert_close(out[:, :, i, j], expected)


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
    expected = model.conv1.weight[centre * 24 + centre].t().reshape(8, 5, 5)
    torch.testing.assert_close(M.first_layer_filters("lc", model), expected.detach())
