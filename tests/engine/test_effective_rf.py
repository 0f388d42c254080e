"""Effective receptive field (Luo et al. 2016): autograd against repeated box convolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.effective_rf import (
    effective_receptive_field,
    effective_rf_series,
    forward_macs,
    gradient_map,
    growth_exponent,
    mass_radius,
)
from app.engine.errors import InvalidInput


def _box_power(num_layers: int, k: int) -> np.ndarray:
    """The 1-D box of side k convolved with itself L times (numpy, no torch)."""
    profile = np.ones(1)
    for _ in range(num_layers):
        profile = np.convolve(profile, np.ones(k))
    return profile


@settings(max_examples=25)
@given(num_layers=st.integers(1, 10), k=st.integers(2, 5), margin=st.integers(0, 6))
def test_uniform_linear_field_is_the_box_convolved_l_times(
    num_layers: int, k: int, margin: int
) -> None:
    size = 1 + num_layers * (k - 1)
    field = effective_receptive_field(num_layers, k, input_size=size + margin)
    profile = _box_power(num_layers, k)  # (R_L,)
    expected = np.zeros((size + margin, size + margin))
    first, last = field.box
    expected[first : last + 1, first : last + 1] = np.outer(profile, profile)
    np.testing.assert_allclose(field.heatmap, expected / expected.max(), rtol=0, atol=1e-12)
    assert field.heatmap.max() == 1.0
    assert last - first + 1 == size == field.theoretical_size


@pytest.mark.parametrize(("num_layers", "k"), [(1, 3), (4, 3), (16, 3), (8, 5), (6, 2)])
def test_uniform_linear_std_equals_the_gaussian_prediction(num_layers: int, k: int) -> None:
    field = effective_receptive_field(num_layers, k)
    assert field.std == pytest.approx(math.sqrt(num_layers * (k * k - 1) / 12), rel=1e-12)
    assert field.gaussian_std == pytest.approx(field.std, rel=1e-12)


def test_measured_radius_grows_sublinearly_with_depth() -> None:
    shallow, deep = effective_receptive_field(4, 3), effective_receptive_field(16, 3)
    assert deep.theoretical_radius / shallow.theoretical_radius == 4.0
    assert (shallow.radius, deep.radius) == (3.0, 7.0)  # 95 % of the mass
    assert 1.5 < deep.radius / shallow.radius < 2.5
    assert deep.std / shallow.std == pytest.approx(2.0, rel=1e-12)  # √(16/4)


def test_random_weights_with_relu_also_grow_sublinearly() -> None:
    shallow = effective_receptive_field(4, 3, "random", True, num_samples=32, seed=1)
    deep = effective_receptive_field(16, 3, "random", True, num_samples=32, seed=1)
    assert deep.radius / shallow.radius < 3.0
    assert 1.5 < deep.std / shallow.std < 2.6


def test_gradient_matches_an_independent_torch_stack_per_sample() -> None:
    """The grouped, batched computation equals one plain conv stack per sample."""
    L, k, n, samples, seed = 3, 3, 9, 3, 7
    heat = gradient_map(L, k, "random", True, samples, seed, n)
    gen = torch.Generator().manual_seed(seed)
    size = 1 + L * (k - 1)  # R_L = 7: the random input is drawn on the field, zero around it
    x_all = torch.zeros(1, samples, n, n, dtype=torch.float64)
    x_all[:, :, 1 : 1 + size, 1 : 1 + size] = torch.randn(
        1, samples, size, size, generator=gen, dtype=torch.float64
    )
    weights = [
        torch.randn(samples, 1, k, k, generator=gen, dtype=torch.float64) / k for _ in range(L)
    ]
    grads = []
    for b in range(samples):
        x = x_all[:, b : b + 1].clone().requires_grad_(True)  # (1, 1, n, n)
        h = x
        for layer in range(L):
            h = F.conv2d(h, weights[layer][b : b + 1])
            if layer < L - 1:
                h = torch.relu(h)
        (g,) = torch.autograd.grad(h[0, 0, 1, 1], x)
        grads.append(g[0, 0].abs().numpy())
    np.testing.assert_allclose(heat, np.mean(grads, axis=0), rtol=1e-12, atol=0)


def test_a_margin_around_the_field_does_not_change_what_is_measured() -> None:
    bare = effective_receptive_field(32, 3, "random", True, 4, seed=0)
    framed = effective_receptive_field(32, 3, "random", True, 4, seed=0, input_size=75)
    assert framed.radius == bare.radius == 13.0
    np.testing.assert_array_equal(framed.heatmap[5:70, 5:70], bare.heatmap)


def test_relu_changes_the_random_field() -> None:
    linear = gradient_map(4, 3, "random", False, 8, 0, 9)
    gated = gradient_map(4, 3, "random", True, 8, 0, 9)
    assert not np.allclose(linear, gated)


def test_same_seed_gives_the_same_field() -> None:
    a = effective_receptive_field(6, 3, "random", True, 4, seed=3)
    b = effective_receptive_field(6, 3, "random", True, 4, seed=3)
    np.testing.assert_array_equal(a.heatmap, b.heatmap)


def test_mass_radius_of_a_point_is_zero_and_of_a_flat_square_its_half_width() -> None:
    point = np.zeros((5, 5))
    point[2, 2] = 1
    assert mass_radius(point, 2.0, 0.95) == 0.0
    assert mass_radius(np.ones((5, 5)), 2.0, 0.95) == 2.0
    assert mass_radius(np.ones((5, 5)), 2.0, 9 / 25) == 1.0
    assert mass_radius(np.ones((4, 4)), 1.5, 0.25) == 0.5


def test_series_reports_one_half_for_the_std_exponent() -> None:
    points = effective_rf_series([16, 4, 8, 4], 3)
    assert [p.num_layers for p in points] == [4, 8, 16]
    exponent = growth_exponent([p.num_layers for p in points], [p.std for p in points])
    assert exponent == pytest.approx(0.5, abs=1e-12)
    theory = growth_exponent([p.num_layers for p in points], [p.theoretical_radius for p in points])
    assert theory == pytest.approx(1.0, abs=1e-12)


def test_forward_macs_counts_every_layer() -> None:
    # 2 layers of 3×3 on 5×5: outputs 3×3 then 1×1 → (9 + 1)·9 per sample
    assert forward_macs(2, 3, 5, 4) == 4 * 9 * 10


def test_input_smaller_than_the_theoretical_field_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        effective_receptive_field(4, 3, input_size=8)
    assert str(err.value) == (
        "input_size 8 must be between the theoretical field 9 = 1 + 4·(3 − 1) and 73"
    )


def test_request_over_the_compute_limit_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        effective_receptive_field(32, 9, "random", False, 2, max_macs=10_000_000)
    assert str(err.value) == (
        "32 layers of 9×9 over their 257×257 field with 2 samples need 109,283,904 multiply-adds, "
        "over the limit of 10,000,000; use fewer samples, fewer layers or a smaller kernel"
    )


def test_growth_is_the_series_with_the_exponents_of_its_std_and_radius() -> None:
    from app.engine.effective_rf import effective_rf_growth

    growth = effective_rf_growth([4, 8, 16], 3)
    points = effective_rf_series([4, 8, 16], 3)
    assert growth.points == points
    depths = [p.num_layers for p in points]
    assert growth.std_exponent == growth_exponent(depths, [p.std for p in points])
    assert growth.radius_exponent == growth_exponent(depths, [p.radius for p in points])
    assert growth.std_exponent == pytest.approx(0.5, abs=1e-12)  # √L growth (Luo et al. 2016)
