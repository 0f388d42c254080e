"""conv2d_backward against torch.autograd, the tutorial's gradients, the full-convolution view."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.backward import conv2d_backward
from app.engine.conv import ConvOptions, conv2d
from app.engine.errors import InvalidInput
from tests.helpers.conv import (
    OPTIONS,
    TUTORIAL_K,
    TUTORIAL_X,
    TUTORIAL_Y,
    conv_cases,
    output_shape,
    torch_backward,
)

# -- the tutorial ----------------------------------------------------------------------------


def test_tutorial_gradients_for_loss_sum_of_y() -> None:
    g = conv2d_backward(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_array_equal(g.output, TUTORIAL_Y)
    np.testing.assert_array_equal(g.grad_output, np.ones((3, 3)))
    np.testing.assert_array_equal(
        g.grad_input, [[1, 0, 0, -1], [1, 1, 1, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    )
    # ∂L/∂K[a, b] is the sum of the 3×3 patch of X that K[a, b] meets
    np.testing.assert_array_equal(g.grad_kernel, [[12, 11], [12, 12]])
    assert g.grad_bias is None


def test_one_hot_upstream_gradient_gives_back_the_kernel_on_its_window() -> None:
    grad = np.zeros((3, 3))
    grad[1, 2] = 1.0
    g = conv2d_backward(TUTORIAL_X, TUTORIAL_K, grad_output=grad)
    expected = np.zeros((4, 4))
    expected[1:3, 2:4] = TUTORIAL_K
    np.testing.assert_array_equal(g.grad_input, expected)
    np.testing.assert_array_equal(g.grad_kernel, TUTORIAL_X[1:3, 2:4])


def test_bias_gradient_sums_each_output_channel() -> None:
    grad = np.arange(18.0).reshape(2, 3, 3)
    g = conv2d_backward(TUTORIAL_X[None], np.ones((2, 1, 2, 2)), np.zeros(2), grad)
    np.testing.assert_array_equal(g.grad_bias, [36.0, 117.0])


# -- against torch -----------------------------------------------------------------------------


@given(conv_cases(), st.integers(0, 2**32 - 1))
def test_gradients_match_torch_autograd(case: dict, seed: int) -> None:
    shape = output_shape(case)
    if shape is None:
        return
    grad = np.random.default_rng(seed).standard_normal(shape)
    y, grad_x, grad_w, grad_b = torch_backward(case, grad)
    g = conv2d_backward(
        case["x"],
        case["kernel"],
        case["bias"],
        grad,
        options=ConvOptions(**{k: case[k] for k in OPTIONS}),
    )
    np.testing.assert_allclose(g.output.reshape(-1), y, rtol=0, atol=1e-9)
    np.testing.assert_allclose(g.grad_input, grad_x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(g.grad_kernel, grad_w, rtol=0, atol=1e-9)
    if grad_b is None:
        assert g.grad_bias is None
    else:
        np.testing.assert_allclose(g.grad_bias, grad_b, rtol=0, atol=1e-9)


@given(conv_cases(multi=True), st.integers(0, 2**32 - 1))
def test_multichannel_gradients_match_torch_autograd(case: dict, seed: int) -> None:
    shape = output_shape(case)
    if shape is None:
        return
    grad = np.random.default_rng(seed).standard_normal(shape)
    _, grad_x, grad_w, _ = torch_backward(case, grad)
    g = conv2d_backward(
        case["x"],
        case["kernel"],
        case["bias"],
        grad,
        options=ConvOptions(**{k: case[k] for k in OPTIONS}),
    )
    assert g.grad_input.shape == case["x"].shape
    assert g.grad_kernel.shape == case["kernel"].shape
    np.testing.assert_allclose(g.grad_input, grad_x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(g.grad_kernel, grad_w, rtol=0, atol=1e-9)


# -- ∂L/∂X as a full convolution with the rotated kernel ----------------------------------------


def test_tutorial_full_convolution_pads_g_by_one_and_rotates_k() -> None:
    view = conv2d_backward(TUTORIAL_X, TUTORIAL_K).full_convolution()
    assert view is not None
    expected = np.zeros((1, 5, 5))
    expected[0, 1:4, 1:4] = 1.0
    np.testing.assert_array_equal(view.padded_grad, expected)
    np.testing.assert_array_equal(view.rotated_kernel[0, 0], [[1, 0], [-1, 1]])
    assert view.pads == ((1, 1), (1, 1))
    assert view.inserted_zeros == (0, 0)


def test_stride_two_inserts_one_zero_between_gradient_entries() -> None:
    x = np.arange(25.0).reshape(5, 5)
    grad = np.array([[1.0, 2.0], [3.0, 4.0]])
    view = conv2d_backward(
        x, np.ones((3, 3)), grad_output=grad, options=ConvOptions(stride=2)
    ).full_convolution()
    assert view is not None
    assert view.inserted_zeros == (1, 1)
    assert view.pads == ((2, 2), (2, 2))
    np.testing.assert_array_equal(view.padded_grad[0, 2:5, 2:5], [[1, 0, 2], [0, 0, 0], [3, 0, 4]])


def test_rows_no_window_reaches_are_padded_after_and_get_zero_gradient() -> None:
    # 6 rows, k = 2, s = 2: windows start at rows 0, 2, 4 and the last row 5 is still read;
    # with 7 rows row 6 is never read: r = (7 − 2) mod 2 = 1 extra row of padding below
    x = np.ones((7, 7))
    g = conv2d_backward(x, np.ones((2, 2)), options=ConvOptions(stride=2))
    view = g.full_convolution()
    assert view is not None
    assert view.pads == ((1, 2), (1, 2))
    np.testing.assert_array_equal(g.grad_input[6], np.zeros(7))


def test_padding_larger_than_the_kernel_span_crops_g() -> None:
    view = conv2d_backward(
        TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding=2)
    ).full_convolution()
    assert view is not None
    assert view.pads == ((-1, -1), (-1, -1))
    assert view.padded_grad.shape == (1, 5, 5)  # the 7×7 G without its border


@given(conv_cases(), st.integers(0, 2**32 - 1))
def test_full_convolution_of_rotated_kernel_is_the_input_gradient(case: dict, seed: int) -> None:
    shape = output_shape(case)
    if shape is None:
        return
    grad = np.random.default_rng(seed).standard_normal(shape)
    g = conv2d_backward(
        case["x"],
        case["kernel"],
        case["bias"],
        grad,
        options=ConvOptions(**{k: case[k] for k in OPTIONS}),
    )
    view = g.full_convolution()
    if case["padding_mode"] != "zeros":
        assert view is None
        return
    assert view is not None
    assert view.padded_grad.size == g.full_convolution_values()
    via_view = conv2d(
        view.padded_grad, view.rotated_kernel, options=ConvOptions(dilation=view.dilation)
    )
    np.testing.assert_allclose(via_view.reshape(case["x"].shape), g.grad_input, atol=1e-9)


# -- refusals ----------------------------------------------------------------------------------


def test_upstream_gradient_of_the_wrong_shape_names_both_shapes() -> None:
    with pytest.raises(
        InvalidInput, match="^grad_output must be shaped like the output, 3×3, got 2×2$"
    ):
        conv2d_backward(TUTORIAL_X, TUTORIAL_K, grad_output=np.ones((2, 2)))


def test_multichannel_upstream_gradient_needs_the_channel_axis() -> None:
    with pytest.raises(
        InvalidInput, match="^grad_output must be shaped like the output, 2×3×3, got 3×3$"
    ):
        conv2d_backward(TUTORIAL_X[None], np.ones((2, 1, 2, 2)), grad_output=np.ones((3, 3)))


def test_overflowing_gradient_is_refused_not_returned_as_inf() -> None:
    with pytest.raises(InvalidInput, match="^the input gradient overflows float64"):
        # the forward Σ 1e-10·1e308 is finite; ∂L/∂X = Σ 10·1e308 is not
        conv2d_backward(
            np.full((3, 3), 1e-10), np.full((2, 2), 1e308), grad_output=np.full((2, 2), 10.0)
        )
