"""conv2d and padding against torch (nn.Conv2d, F.pad), the tutorial's numbers, the refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import ConvOptions, conv2d, conv_geometry
from app.engine.errors import InvalidInput
from app.engine.padding import index_map, pad
from tests.helpers.conv import (
    MODES,
    TUTORIAL_K,
    TUTORIAL_X,
    TUTORIAL_Y,
    conv_cases,
    engine_conv,
    torch_conv,
)

TORCH_PAD = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


# -- the tutorial ----------------------------------------------------------------------------


def test_tutorial_convolution_gives_hand_computed_map() -> None:
    np.testing.assert_array_equal(conv2d(TUTORIAL_X, TUTORIAL_K), TUTORIAL_Y)


def test_tutorial_output_size_formula_is_worked_out() -> None:
    general, text, axes = conv_geometry((4, 4), (2, 2)).formula()
    assert text == "(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3"
    assert general == "H − k + 1"
    assert axes == ["4 − 2 + 1", "4 − 2 + 1"]


def test_tutorial_counts_four_inputs_four_parameters_nine_outputs() -> None:
    geometry = conv_geometry((4, 4), (2, 2))
    assert geometry.inputs_per_output == 4
    assert geometry.kernel_parameters == 4
    assert geometry.outputs_sharing == 9
    assert geometry.macs == 36


def test_general_formula_fills_in_padding_dilation_and_stride() -> None:
    _, text, _ = conv_geometry(
        (5, 7), (3, 3), options=ConvOptions(stride=2, padding=1, dilation=2)
    ).formula()
    assert text == (
        "(⌊(5 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1) × (⌊(7 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1) = 2 × 3"
    )


def test_padded_formula_for_stride_one() -> None:
    _, text, _ = conv_geometry((4, 4), (3, 3), options=ConvOptions(padding=1)).formula()
    assert text == "(4 + 2·1 − 3 + 1) × (4 + 2·1 − 3 + 1) = 4 × 4"


def test_same_padding_with_even_kernel_puts_the_extra_cell_after() -> None:
    geometry = conv_geometry((5, 5), (2, 4), options=ConvOptions(padding="same"))
    assert geometry.pads == ((0, 1), (1, 2))
    assert geometry.output_size == (5, 5)


def test_true_convolution_flips_the_kernel() -> None:
    flipped = conv2d(TUTORIAL_X, TUTORIAL_K[::-1, ::-1])
    np.testing.assert_array_equal(
        conv2d(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(flip_kernel=True)), flipped
    )


# -- against torch -----------------------------------------------------------------------------


@given(conv_cases())
def test_conv2d_matches_torch_or_both_refuse(case: dict) -> None:
    try:
        expected = torch_conv(case)
    except (RuntimeError, ValueError):
        with pytest.raises(InvalidInput):
            engine_conv(case)
        return
    np.testing.assert_allclose(engine_conv(case), expected, rtol=0, atol=1e-9)


@given(conv_cases(multi=True))
def test_multichannel_conv2d_with_bias_matches_torch(case: dict) -> None:
    try:
        expected = torch_conv(case)
    except (RuntimeError, ValueError):
        return
    actual = engine_conv(case)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 7),
    st.integers(0, 7),
    st.integers(0, 7),
    st.integers(0, 7),
    st.sampled_from(MODES),
    st.integers(0, 2**32 - 1),
)
def test_padding_matches_torch_pad(
    h: int, w: int, top: int, bottom: int, left: int, right: int, mode: str, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((2, h, w))
    torch_mode = TORCH_PAD.get(mode, "constant")
    try:
        expected = F.pad(torch.from_numpy(x)[None], (left, right, top, bottom), mode=torch_mode)
    except (RuntimeError, ValueError):
        return
    np.testing.assert_array_equal(pad(x, ((top, bottom), (left, right)), mode), expected[0])


@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(0, 5),
    st.integers(0, 5),
    st.sampled_from(MODES),
)
def test_index_map_points_at_the_cell_each_padding_cell_copies(
    h: int, w: int, ph: int, pw: int, mode: str
) -> None:
    pads = ((ph, ph), (pw, pw))
    if mode == "reflect" and (ph >= h or pw >= w) or mode == "circular" and (ph > h or pw > w):
        return
    x = np.arange(1.0, h * w + 1).reshape(h, w)
    sources = index_map((h, w), pads, mode)
    rebuilt = np.where(sources >= 0, x.reshape(-1)[np.maximum(sources, 0)], 0.0)
    np.testing.assert_array_equal(rebuilt, pad(x, pads, mode))


# -- refusals ----------------------------------------------------------------------------------


def test_kernel_larger_than_padded_input_names_both_sizes() -> None:
    with pytest.raises(InvalidInput, match="^kernel 5×5 is larger than the padded input 4×4$"):
        conv2d(TUTORIAL_X, np.ones((5, 5)))


def test_dilated_kernel_too_large_names_its_span() -> None:
    with pytest.raises(
        InvalidInput,
        match="^kernel 3×3 with dilation 2×2 spans 5×5, larger than the padded input 4×4$",
    ):
        conv2d(TUTORIAL_X, np.ones((3, 3)), options=ConvOptions(dilation=2))


def test_channel_mismatch_names_both_counts() -> None:
    with pytest.raises(
        InvalidInput, match="^the kernel expects 2 input channels, but the input has 3$"
    ):
        conv2d(np.ones((3, 4, 4)), np.ones((1, 2, 2, 2)))


def test_2d_kernel_on_several_channels_asks_for_a_4d_kernel() -> None:
    with pytest.raises(InvalidInput, match="give a 4-D kernel C_out×3×kh×kw$"):
        conv2d(np.ones((3, 4, 4)), np.ones((2, 2)))


def test_same_padding_with_stride_two_is_refused_like_torch() -> None:
    with pytest.raises(InvalidInput, match='^padding "same" needs stride 1'):
        conv2d(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding="same", stride=2))


def test_reflect_padding_as_large_as_the_input_is_refused() -> None:
    with pytest.raises(
        InvalidInput,
        match="^reflect padding of 4 needs an input height of at least 5, but the input height "
        "is 4",
    ):
        conv2d(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding=4, padding_mode="reflect"))


def test_circular_padding_larger_than_the_input_is_refused() -> None:
    with pytest.raises(InvalidInput, match="^circular padding of 5 is more than the input height"):
        conv2d(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding=5, padding_mode="circular"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stride": 0}, "^stride must be at least 1, got 0$"),
        ({"dilation": (1, 0)}, "^dilation must be at least 1, got 0$"),
        ({"padding": -1}, "^padding must not be negative, got -1$"),
        ({"padding": "full"}, "^padding must be an integer, a pair"),
        ({"padding_mode": "mirror"}, "^padding_mode must be one of zeros, reflect"),
    ],
)
def test_bad_hyper_parameters_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        conv2d(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(**kwargs))


def test_bias_of_the_wrong_length_names_both_counts() -> None:
    with pytest.raises(InvalidInput, match="^bias has 2 values but the kernel has 1 output"):
        conv2d(TUTORIAL_X, TUTORIAL_K, np.array([1.0, 2.0]))


def test_overflowing_values_are_refused_not_returned_as_inf() -> None:
    with pytest.raises(InvalidInput, match="overflows float64"):
        conv2d(np.full((2, 2), 1e308), np.full((2, 2), 10.0))
