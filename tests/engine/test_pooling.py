"""Pooling against torch (max_pool2d with indices, avg_pool2d, adaptive_avg_pool2d)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from app.engine.errors import InvalidInput
from app.engine.pooling import (
    blurmax_geometry,
    global_avg_pool,
    max_blur_pool2d,
    pool2d,
    pool_geometry,
)
from tests.helpers.conv import TUTORIAL_X

small_pair = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


@st.composite
def pool_cases(draw: st.DrawFn, *, dilation: bool = True) -> dict:
    """A random pooling: input (2-D or C×H×W) and window settings."""
    shape = draw(st.sampled_from([2, 3]))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # integers make ties likely, so the first-maximum rule is exercised
    x = rng.integers(-3, 4, size=(h, w) if shape == 2 else (2, h, w)).astype(float)
    return {
        "x": x,
        "kernel_size": draw(
            st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))
        ),
        "stride": draw(st.one_of(st.none(), small_pair)),
        "padding": draw(
            st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)))
        ),
        "dilation": draw(small_pair) if dilation else 1,
        "ceil_mode": draw(st.booleans()),
    }


def _torch_input(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x if x.ndim == 3 else x[None])[None]  # (1, C, H, W)


def _settings(case: dict) -> dict:
    return {k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}


@given(pool_cases())
def test_max_pool_values_and_argmax_match_torch_or_both_refuse(case: dict) -> None:
    x = case["x"]
    try:
        values, indices = F.max_pool2d(_torch_input(x), return_indices=True, **_settings(case))
    except RuntimeError:
        with pytest.raises(InvalidInput):
            pool2d(x, mode="max", **_settings(case))
        return
    if torch.isinf(values).any():  # a window of padding only: torch answers −inf, we refuse
        with pytest.raises(InvalidInput, match="cover only padding"):
            pool2d(x, mode="max", **_settings(case))
        return
    result = pool2d(x, mode="max", **_settings(case))
    expected = values[0].numpy() if x.ndim == 3 else values[0, 0].numpy()
    np.testing.assert_array_equal(result.output, expected)
    flat = result.argmax[..., 0] * x.shape[-1] + result.argmax[..., 1]
    np.testing.assert_array_equal(flat, indices[0].numpy() if x.ndim == 3 else indices[0, 0])


@given(pool_cases(dilation=False), st.booleans())
def test_avg_pool_matches_torch_for_both_divisor_rules(case: dict, include_pad: bool) -> None:
    x = case["x"]
    settings = {k: v for k, v in _settings(case).items() if k != "dilation"}
    try:
        values = F.avg_pool2d(_torch_input(x), count_include_pad=include_pad, **settings)
    except RuntimeError:
        with pytest.raises(InvalidInput):
            pool2d(x, mode="avg", count_include_pad=include_pad, **settings)
        return
    result = pool2d(x, mode="avg", count_include_pad=include_pad, **settings)
    expected = values[0].numpy() if x.ndim == 3 else values[0, 0].numpy()
    np.testing.assert_allclose(result.output, expected, rtol=0, atol=1e-9)


@given(pool_cases(), st.booleans())
def test_dilated_avg_pool_is_a_ones_convolution_over_the_window_cells(
    case: dict, include_pad: bool
) -> None:
    """torch has no dilated avg_pool2d: reference = conv2d(pad(x), ones) / conv2d(pad(1), ones)."""
    case = {**case, "ceil_mode": False}
    x = case["x"]
    try:
        result = pool2d(x, mode="avg", count_include_pad=include_pad, **_settings(case))
    except InvalidInput:
        return
    g = result.geometry
    ph, pw = g.padding
    ones = torch.ones((1, 1, *g.kernel_size), dtype=torch.float64)
    x4 = _torch_input(x).transpose(0, 1)  # channels as batch: (C, 1, H, W)
    sums = F.conv2d(F.pad(x4, (pw, pw, ph, ph)), ones, stride=g.stride, dilation=g.dilation)
    # window cells that count: the padded input (include_pad) or the input alone
    inside = F.pad(torch.ones_like(x4[:1]), (pw, pw, ph, ph), value=1.0 if include_pad else 0.0)
    counts = F.conv2d(inside, ones, stride=g.stride, dilation=g.dilation)
    expected = (sums / counts)[:, 0].numpy()  # (C, H_out, W_out)
    np.testing.assert_allclose(result.output.reshape(expected.shape), expected, atol=1e-9)


@given(st.integers(1, 12), st.integers(1, 12))
def test_two_by_two_stride_two_pooling_halves_the_size(h: int, w: int) -> None:
    if h < 2 or w < 2:
        with pytest.raises(InvalidInput, match="pooling window 2×2 is larger than the padded"):
            pool_geometry((h, w), kernel_size=2)
        return
    assert pool_geometry((h, w), kernel_size=2).output_size == (h // 2, w // 2)


def test_tutorial_pooling_formula_reads_floor_h_over_two() -> None:
    _, text, _ = pool_geometry((4, 5), kernel_size=2).formula()
    assert text == "⌊4/2⌋ × ⌊5/2⌋ = 2 × 2"


def test_max_pool_of_the_tutorial_image_and_its_argmax() -> None:
    result = pool2d(TUTORIAL_X, kernel_size=2)
    assert result.output.tolist() == [[2, 3], [2, 2]]
    assert result.argmax.tolist() == [[[0, 1], [1, 2]], [[2, 0], [3, 2]]]


def test_avg_pool_of_the_tutorial_image() -> None:
    result = pool2d(TUTORIAL_X, kernel_size=2, mode="avg")
    assert result.output.tolist() == [[1.0, 1.25], [1.25, 1.25]]
    assert result.argmax is None


def test_stride_defaults_to_the_kernel_size() -> None:
    assert pool_geometry((6, 6), kernel_size=3).stride == (3, 3)


def test_global_average_pooling_matches_adaptive_avg_pool() -> None:
    x = np.random.default_rng(5).standard_normal((3, 5, 7))
    expected = F.adaptive_avg_pool2d(torch.from_numpy(x)[None], 1)[0].numpy()
    np.testing.assert_allclose(global_avg_pool(x).output, expected, atol=1e-12)
    assert global_avg_pool(TUTORIAL_X).output.tolist() == [[19 / 16]]


def test_padding_over_half_the_window_is_refused_like_torch() -> None:
    with pytest.raises(
        InvalidInput,
        match="^padding 2 along the height is more than half the window size 3 "
        r"\(at most 1, as in PyTorch\)$",
    ):
        pool2d(TUTORIAL_X, kernel_size=3, padding=2)


def test_window_larger_than_the_input_names_both_sizes() -> None:
    with pytest.raises(InvalidInput, match="^pooling window 5×5 is larger than the padded input"):
        pool2d(TUTORIAL_X, kernel_size=5)


def test_window_of_padding_only_is_refused_where_torch_returns_minus_infinity() -> None:
    x = np.arange(4.0).reshape(2, 2)
    values = F.max_pool2d(torch.from_numpy(x)[None, None], 2, stride=1, padding=1, dilation=3)
    assert torch.isinf(values).all()
    with pytest.raises(
        InvalidInput,
        match=r"^some pooling windows cover only padding \(the dilation skips over the whole "
        r"input\); use less padding or dilation$",
    ):
        pool2d(x, kernel_size=2, stride=1, padding=1, dilation=3)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="^mode must be one of max, avg, got 'min'$"):
        pool2d(TUTORIAL_X, kernel_size=2, mode="min")


def test_ceil_mode_formula_uses_ceiling_brackets() -> None:
    g = pool_geometry((5, 5), kernel_size=2, ceil_mode=True)
    assert g.output_size == (3, 3)
    assert g.formula()[2][0] == "⌈(5 + 2·0 − 1·(2 − 1) − 1)/2⌉ + 1"


# -- max-blur-pool (antialiased_cnns.MaxBlurPool: 2×2 max at stride 1, 3×3 binomial blur) ------


def _torch_max_blur_pool(x: np.ndarray) -> np.ndarray:
    """The reference, written independently: F.max_pool2d, F.pad reflect, depthwise F.conv2d."""
    t = _torch_input(x)  # (1, C, H, W)
    channels = t.shape[1]
    dense = F.max_pool2d(t, kernel_size=2, stride=1)
    padded = F.pad(dense, (1, 1, 1, 1), mode="reflect")
    a = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
    blur = (a[:, None] * a[None, :]) / (a.sum() ** 2)  # (3, 3), sums to 1
    out = F.conv2d(padded, blur.repeat(channels, 1, 1, 1), stride=2, groups=channels)
    return out[0].numpy() if x.ndim == 3 else out[0, 0].numpy()


@given(
    st.sampled_from([2, 3]),
    st.integers(3, 12),
    st.integers(3, 12),
    st.integers(0, 2**32 - 1),
)
def test_max_blur_pool_matches_torch_max_pad_reflect_depthwise_conv(
    ndim: int, h: int, w: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w) if ndim == 2 else (2, h, w))
    result = max_blur_pool2d(x)
    np.testing.assert_allclose(result.output, _torch_max_blur_pool(x), rtol=1e-12, atol=1e-12)


@given(st.integers(3, 40), st.integers(3, 40))
def test_max_blur_pool_output_is_floor_half_of_each_side(h: int, w: int) -> None:
    result = max_blur_pool2d(np.zeros((h, w)))
    assert result.output.shape == (h // 2, w // 2)
    assert blurmax_geometry((h, w)).output_size == (h // 2, w // 2)


def test_max_blur_pool_of_an_odd_input_keeps_floor_half() -> None:
    x = np.arange(49, dtype=float).reshape(7, 7)
    result = max_blur_pool2d(x)
    assert result.output.shape == (3, 3)
    np.testing.assert_allclose(result.output, _torch_max_blur_pool(x), rtol=1e-12)


def test_max_blur_pool_formula_reads_the_blur_stage_of_the_dense_max() -> None:
    general, text, _ = blurmax_geometry((28, 28)).formula()
    assert general == "⌊(H + 2p − d(k−1) − 1)/s⌋ + 1"
    assert (
        text
        == "(⌊(27 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1) × (⌊(27 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1) = 14 × 14"
    )


def test_max_blur_pool_blurs_a_single_peak_into_its_neighbours() -> None:
    x = np.zeros((8, 8))
    x[4, 4] = 16.0
    # the dense max spreads the peak over rows/cols 3..4; the [1, 2, 1]/4 blur at stride 2
    # weighs those cells 1, 2 | 1 and 2 + 1 | ... as its windows fall
    np.testing.assert_allclose(
        max_blur_pool2d(x).output,
        [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 3.0, 0.0], [0.0, 3.0, 9.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
    )


def test_max_blur_pool_moves_less_than_max_pool_under_a_one_pixel_shift() -> None:
    x = np.zeros((8, 8))
    x[3, 3] = 1.0
    moved = np.roll(x, 1, axis=1)
    max_change = np.abs(pool2d(moved, kernel_size=2).output - pool2d(x, kernel_size=2).output)
    blur_change = np.abs(max_blur_pool2d(moved).output - max_blur_pool2d(x).output)
    # the max-pooled peak jumps from one window to the next: one output drops 1 → 0, one rises
    assert max_change.max() == 1.0 and max_change.sum() == 2.0
    # blurred, no output changes by more than 3/8 of the peak
    assert blur_change.max() == 0.375 and blur_change.sum() == 1.0


def test_max_blur_pool_of_an_input_under_three_by_three_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"at least 3×3 .* got 2×5"):
        max_blur_pool2d(np.zeros((2, 5)))


def test_max_blur_pool_counts_the_cells_both_stages_read() -> None:
    geometry = blurmax_geometry((3, 28, 28))
    assert geometry.operations == 3 * 27 * 27 * 4 + 3 * 14 * 14 * 9
    assert geometry.output_shape == (3, 14, 14)
