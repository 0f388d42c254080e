"""Shift (zero fill) against torch, and the equivariance report (tutorial Q3c, Q5b)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput
from app.engine.shift import equivariance, shift
from tests.helpers.conv import MODES


@given(
    st.integers(1, 8),
    st.integers(1, 8),
    st.integers(-9, 9),
    st.integers(-9, 9),
    st.integers(0, 2**32 - 1),
)
def test_shift_matches_torch_pad_and_crop(h: int, w: int, dx: int, dy: int, seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((2, h, w))
    if abs(dx) >= w or abs(dy) >= h:
        assert not shift(x, dx, dy).any()
        return
    # F.pad with a negative amount crops: pad dx on the left, crop dx on the right, …
    expected = F.pad(torch.from_numpy(x), (dx, -dx, dy, -dy))
    np.testing.assert_array_equal(shift(x, dx, dy), expected.numpy())


def test_shift_right_brings_zeros_in_on_the_left() -> None:
    x = np.arange(1.0, 10.0).reshape(3, 3)
    assert shift(x, 1, 0).tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]
    assert shift(x, 0, -1).tolist() == [[4, 5, 6], [7, 8, 9], [0, 0, 0]]


@st.composite
def equivariance_cases(draw: st.DrawFn) -> dict:
    """A 2-D image, kernel, conv options and a shift that is a whole number of strides."""
    h, w = draw(st.integers(3, 10)), draw(st.integers(3, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    stride = draw(st.integers(1, 2))
    return {
        "image": rng.standard_normal((h, w)),
        "kernel": rng.standard_normal((draw(st.integers(1, 3)), draw(st.integers(1, 3)))),
        "stride": stride,
        "padding": draw(st.integers(0, 2)),
        "padding_mode": draw(st.sampled_from(MODES)),
        "dilation": draw(st.integers(1, 2)),
        "dx": stride * draw(st.integers(-2, 2)),
        "dy": stride * draw(st.integers(-2, 2)),
    }


@given(equivariance_cases())
def test_conv_commutes_with_shift_inside_the_interior(case: dict) -> None:
    try:
        options = ConvOptions(
            case["stride"], case["padding"], case["padding_mode"], case["dilation"]
        )
        report = equivariance(
            case["image"], case["kernel"], options, dx=case["dx"], dy=case["dy"], pool_mode=None
        )
    except InvalidInput:
        return
    if report.max_abs_diff_interior is not None:
        assert report.max_abs_diff_interior <= 1e-12
    np.testing.assert_array_equal(report.difference, report.conv_of_shifted - report.shifted_conv)
    assert report.max_abs_diff_total == np.abs(report.difference).max()


def test_interior_is_the_valid_region_minus_the_shift() -> None:
    """No padding, stride 1: the (H − k + 1 − |dy|) × (W − k + 1 − |dx|) cells far from zeros."""
    rng = np.random.default_rng(7)
    report = equivariance(
        rng.standard_normal((9, 10)), rng.standard_normal((3, 3)), dx=2, dy=-1, pool_mode=None
    )
    assert report.interior_mask.shape == (7, 8)
    assert report.interior_mask.sum() == (7 - 1) * (8 - 2)
    assert report.interior_mask[:6, 2:].all()
    assert report.max_abs_diff_interior == 0.0
    assert report.max_abs_diff_total > 0.0  # the border does differ for random data


def test_max_pool_output_is_unchanged_when_the_peak_stays_in_its_window() -> None:
    image = np.zeros((4, 4))
    image[0, 0] = 1.0
    report = equivariance(image, np.ones((1, 1)), dx=1, dy=0)
    assert report.pool is not None
    assert report.pool.unchanged.all()
    assert report.pool.before.argmax[0, 0].tolist() == [0, 0]
    assert report.pool.after.argmax[0, 0].tolist() == [0, 1]


def test_max_pool_output_changes_when_the_peak_crosses_a_window_border() -> None:
    image = np.zeros((4, 4))
    image[0, 1] = 1.0
    report = equivariance(image, np.ones((1, 1)), dx=1, dy=0)
    assert report.pool.unchanged.tolist() == [[False, False], [True, True]]
    assert report.pool.before.output.tolist() == [[1, 0], [0, 0]]
    assert report.pool.after.output.tolist() == [[0, 1], [0, 0]]


def test_vertical_edge_detector_is_equivariant_to_a_one_pixel_shift() -> None:
    image = np.zeros((8, 8))
    image[1:6, 3] = 1.0
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    report = equivariance(image, sobel, dx=1, dy=0, pool_mode="max", pool_kernel=2)
    np.testing.assert_array_equal(report.conv_of_shifted[:, 1:], report.conv_output[:, :-1])
    assert report.max_abs_diff_interior == 0.0


def test_shift_that_is_not_a_whole_number_of_strides_is_refused() -> None:
    with pytest.raises(
        InvalidInput,
        match="^with stride 2×2 the shift must be a whole number of strides .*got dx = 1, dy = 0$",
    ):
        equivariance(np.ones((6, 6)), np.ones((2, 2)), dx=1, dy=0, options=ConvOptions(stride=2))


def test_strided_conv_shift_moves_the_output_by_shift_over_stride() -> None:
    rng = np.random.default_rng(8)
    report = equivariance(
        rng.standard_normal((9, 9)),
        rng.standard_normal((3, 3)),
        dx=2,
        dy=4,
        pool_mode=None,
        options=ConvOptions(stride=2),
    )
    assert report.output_shift == (1, 2)
    assert report.max_abs_diff_interior == 0.0


def test_equivariance_needs_a_2d_image_and_kernel() -> None:
    with pytest.raises(InvalidInput, match="^the equivariance report takes a 2-D image and a 2-D"):
        equivariance(np.ones((1, 4, 4)), np.ones((2, 2)), dx=1, dy=0)
