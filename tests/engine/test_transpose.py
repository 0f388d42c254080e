"""conv_transpose2d against torch.nn.functional.conv_transpose2d: values, sizes, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from app.engine.backward import conv2d_backward
from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput
from app.engine.transpose import TransposeOptions, conv_transpose2d, transpose_geometry
from tests.helpers.transpose import OPTIONS, torch_transpose, transpose_cases


def engine_transpose(case: dict) -> np.ndarray:
    return conv_transpose2d(
        case["x"],
        case["kernel"],
        case["bias"],
        options=TransposeOptions(**{k: case[k] for k in OPTIONS}),
    )


# -- values --------------------------------------------------------------------------------------


def test_stride_two_three_by_three_stamps_overlap_on_the_middle_row_and_column() -> None:
    y = conv_transpose2d(
        np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((3, 3)), options=TransposeOptions(stride=2)
    )
    np.testing.assert_array_equal(
        y,
        [[1, 1, 3, 2, 2], [1, 1, 3, 2, 2], [4, 4, 10, 6, 6], [3, 3, 7, 4, 4], [3, 3, 7, 4, 4]],
    )


def test_overlap_counts_form_the_checkerboard() -> None:
    overlaps = transpose_geometry((2, 2), (3, 3), options=TransposeOptions(stride=2)).overlaps()
    np.testing.assert_array_equal(
        overlaps,
        [[1, 1, 2, 1, 1], [1, 1, 2, 1, 1], [2, 2, 4, 2, 2], [1, 1, 2, 1, 1], [1, 1, 2, 1, 1]],
    )


def test_stride_larger_than_the_kernel_leaves_gaps_with_no_overlap() -> None:
    overlaps = transpose_geometry((2, 2), (2, 2), options=TransposeOptions(stride=3)).overlaps()
    np.testing.assert_array_equal(
        overlaps,
        [[1, 1, 0, 1, 1], [1, 1, 0, 1, 1], [0, 0, 0, 0, 0], [1, 1, 0, 1, 1], [1, 1, 0, 1, 1]],
    )


def test_transposed_convolution_is_the_gradient_of_the_convolution() -> None:
    rng = np.random.default_rng(4)
    x, k, g = rng.standard_normal((7, 6)), rng.standard_normal((3, 2)), None
    grads = conv2d_backward(
        x, k, grad_output=g, options=ConvOptions(stride=2, padding=1, dilation=(1, 2))
    )
    g = rng.standard_normal(grads.output.shape)
    grads = conv2d_backward(
        x, k, grad_output=g, options=ConvOptions(stride=2, padding=1, dilation=(1, 2))
    )
    # (H_out − 1)·s − 2p + d(k − 1) + op + 1 = 7 and 6 need output_padding (0, 1)
    y = conv_transpose2d(
        g, k, options=TransposeOptions(stride=2, padding=1, dilation=(1, 2), output_padding=(0, 1))
    )
    np.testing.assert_allclose(y, grads.grad_input, atol=1e-12)


@given(transpose_cases())
def test_conv_transpose2d_matches_torch_or_both_refuse(case: dict) -> None:
    try:
        expected = torch_transpose(case)
    except RuntimeError:
        with pytest.raises(InvalidInput):
            engine_transpose(case)
        return
    actual = engine_transpose(case)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


@given(transpose_cases(valid_output_padding=True))
def test_usual_transposed_convolutions_match_torch(case: dict) -> None:
    try:
        expected = torch_transpose(case)
    except RuntimeError:  # the padding cropped everything
        with pytest.raises(InvalidInput, match="^the output (height|width) would be"):
            engine_transpose(case)
        return
    np.testing.assert_allclose(engine_transpose(case), expected, rtol=0, atol=1e-9)


@given(transpose_cases())
def test_output_size_formula_is_torchs(case: dict) -> None:
    try:
        expected = torch_transpose(case)
    except RuntimeError:
        return
    geometry = transpose_geometry(
        case["x"].shape,
        case["kernel"].shape,
        options=TransposeOptions(**{k: case[k] for k in OPTIONS}),
    )
    assert geometry.output_shape == expected.shape
    for axis in (geometry.height, geometry.width):
        n, s, p, d, k, op = (
            axis.size,
            axis.stride,
            axis.padding,
            axis.dilation,
            axis.kernel,
            axis.output_padding,
        )
        assert axis.output == (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def test_formula_is_worked_out_with_every_number() -> None:
    general, text, axes = transpose_geometry(
        (2, 3), (3, 2), options=TransposeOptions(stride=2, padding=(0, 1), output_padding=1)
    ).formula()
    assert general == "(H − 1)·s − 2p + d·(k − 1) + output_padding + 1"
    assert axes == ["(2 − 1)·2 − 2·0 + 1·(3 − 1) + 1 + 1", "(3 − 1)·2 − 2·1 + 1·(2 − 1) + 1 + 1"]
    assert text == f"({axes[0]}) × ({axes[1]}) = 6 × 5"


# -- refusals, as torch refuses ---------------------------------------------------------------


def test_output_padding_as_large_as_stride_and_dilation_is_refused() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"^output_padding must be smaller than the stride or the dilation \(PyTorch's "
        r"rule\), got output_padding 2 with stride 2 and dilation 1 along the height$",
    ):
        conv_transpose2d(
            np.ones((2, 2)), np.ones((3, 3)), options=TransposeOptions(stride=2, output_padding=2)
        )


def test_output_padding_below_the_dilation_is_allowed_as_in_torch() -> None:
    y = conv_transpose2d(
        np.ones((2, 2)), np.ones((2, 2)), options=TransposeOptions(dilation=3, output_padding=2)
    )
    expected = F.conv_transpose2d(
        torch.ones(1, 1, 2, 2, dtype=torch.float64),
        torch.ones(1, 1, 2, 2, dtype=torch.float64),
        dilation=3,
        output_padding=2,
    )
    np.testing.assert_array_equal(y, expected[0, 0].numpy())


def test_padding_that_crops_everything_names_the_formula() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"^the output height would be -1: \(H − 1\)·s − 2p \+ d·\(k − 1\) \+ "
        r"output_padding \+ 1 = \(2 − 1\)·1 − 2·2 \+ 1·\(2 − 1\) \+ 0 \+ 1 = -1, less than 1; "
        r"use less padding$",
    ):
        conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), options=TransposeOptions(padding=2))


def test_kernel_channels_are_input_first_as_torch_orders_them() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"^the kernel expects 2 input channels, but the input has 3 \(a "
        r"transposed-convolution kernel is C_in×C_out×kh×kw\)$",
    ):
        conv_transpose2d(np.ones((3, 4, 4)), np.ones((2, 3, 2, 2)))


def test_2d_kernel_on_several_channels_asks_for_a_4d_kernel() -> None:
    with pytest.raises(InvalidInput, match=r"give a 4-D kernel 3×C_out×kh×kw \(C_in first"):
        conv_transpose2d(np.ones((3, 4, 4)), np.ones((2, 2)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stride": 0}, "^stride must be at least 1, got 0$"),
        ({"dilation": (1, 0)}, "^dilation must be at least 1, got 0$"),
        ({"padding": -1}, "^padding must not be negative, got -1$"),
        ({"output_padding": (0, -1)}, "^output_padding must not be negative, got -1$"),
        ({"padding": "same"}, "^padding must be an integer or a pair for a transposed"),
    ],
)
def test_bad_hyper_parameters_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), options=TransposeOptions(**kwargs))


def test_bias_of_the_wrong_length_names_both_counts() -> None:
    with pytest.raises(InvalidInput, match="^bias has 2 values but the kernel has 1 output"):
        conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), np.ones(2))


def test_overflow_is_refused_not_returned_as_inf() -> None:
    with pytest.raises(InvalidInput, match="^the transposed convolution overflows float64"):
        conv_transpose2d(np.full((2, 2), 1e308), np.full((2, 2), 10.0))
