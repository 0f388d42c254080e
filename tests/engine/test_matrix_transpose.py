"""Mᵀ: Mᵀ·vec(G) = vec(∂L/∂X) (torch.autograd) and Mᵀ·vec(Y) = conv_transpose2d(Y)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import ConvOptions
from app.engine.matrix_transpose import conv_matrix_transpose
from tests.helpers.conv import (
    OPTIONS,
    TUTORIAL_K,
    TUTORIAL_X,
    conv_cases,
    output_shape,
    torch_backward,
    torch_conv,
)


def test_tutorial_transpose_is_sixteen_by_nine_and_reproduces_the_gradient() -> None:
    t = conv_matrix_transpose(TUTORIAL_X, TUTORIAL_K)
    assert t.matrix.shape == (16, 9)
    np.testing.assert_array_equal(t.matrix, t.forward.matrix.T)
    np.testing.assert_array_equal(
        t.matrix @ np.ones(9), [1, 0, 0, -1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1]
    )
    assert t.gradient_check.max_abs_diff == 0.0
    assert t.transpose.applicable
    assert t.transpose.output_padding == (0, 0)
    assert t.transpose.max_abs_diff == 0.0


def test_transposed_weight_index_is_the_forward_one_transposed() -> None:
    t = conv_matrix_transpose(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_array_equal(t.weight_index, t.forward.weight_index.T)
    # input cell (0, 0) is read only by output (0, 0), through K[0, 0]
    assert t.weight_index[0].tolist() == [0] + [-1] * 8


def test_merged_entries_swap_row_and_column() -> None:
    t = conv_matrix_transpose(
        np.arange(9.0).reshape(3, 3),
        np.ones((3, 3)),
        options=ConvOptions(padding=1, padding_mode="replicate"),
    )
    forward = {(e.row, e.col): e.weight_indices for e in t.forward.merged}
    assert forward
    assert {(e.col, e.row): e.weight_indices for e in t.merged} == forward


def test_stride_remainder_becomes_the_output_padding_of_the_transposed_check() -> None:
    t = conv_matrix_transpose(np.ones((6, 5)), np.ones((2, 2)), options=ConvOptions(stride=2))
    assert t.transpose.output_padding == (0, 1)  # (6 − 2) mod 2, (5 − 2) mod 2
    assert t.transpose.max_abs_diff is not None and t.transpose.max_abs_diff < 1e-12


def test_transposed_check_does_not_apply_to_reflect_padding() -> None:
    t = conv_matrix_transpose(
        TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding=1, padding_mode="reflect")
    )
    assert not t.transpose.applicable
    assert t.transpose.max_abs_diff is None
    assert t.transpose.note.startswith("reflect padding copies input cells into the padding")
    assert t.gradient_check.max_abs_diff < 1e-12  # Mᵀ is still ∂L/∂X


def test_transposed_check_does_not_apply_to_uneven_same_padding() -> None:
    t = conv_matrix_transpose(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(padding="same"))
    assert not t.transpose.applicable
    assert t.transpose.note == (
        "the padding is uneven (0 above, 1 below, 0 left, 1 right); a transposed convolution "
        "crops the same number of cells from both sides"
    )


@given(conv_cases(), st.integers(0, 2**32 - 1))
def test_transpose_times_g_is_torchs_input_gradient(case: dict, seed: int) -> None:
    shape = output_shape(case)
    if shape is None:  # the engine refuses the convolution: only where torch refuses it too
        with pytest.raises((RuntimeError, ValueError)):
            torch_conv(case)
        return
    grad = np.random.default_rng(seed).standard_normal(shape)
    _, grad_x, _, _ = torch_backward(case, grad)
    # torch accepted the case: Mᵀ must be built (an InvalidInput here fails the test)
    t = conv_matrix_transpose(
        case["x"],
        case["kernel"],
        case["bias"],
        grad,
        options=ConvOptions(**{k: case[k] for k in OPTIONS}),
    )
    np.testing.assert_allclose(t.matrix @ grad.reshape(-1), grad_x.reshape(-1), atol=1e-9)
    assert t.gradient_check.max_abs_diff < 1e-9


@given(conv_cases())
def test_transpose_times_y_is_torchs_conv_transpose2d(case: dict) -> None:
    if output_shape(case) is None:
        return
    t = conv_matrix_transpose(
        case["x"],
        case["kernel"],
        case["bias"],
        options=ConvOptions(**{k: case[k] for k in OPTIONS}),
    )
    if not t.transpose.applicable:
        return
    geometry = t.forward.geometry
    y = t.forward.matrix @ case["x"].reshape(-1)  # (C_out·H_out·W_out,), no bias
    # a copy: a flipped 1×1 kernel keeps its negative strides through ascontiguousarray
    weight = torch.from_numpy(t.gradients.applied_kernel.copy())
    expected = F.conv_transpose2d(
        torch.from_numpy(y.reshape(1, geometry.out_channels, *geometry.output_size)),
        weight,
        stride=geometry.stride,
        padding=(geometry.pads[0][0], geometry.pads[1][0]),
        output_padding=t.transpose.output_padding,
        dilation=geometry.dilation,
    )
    np.testing.assert_allclose(t.matrix @ y, expected.numpy().reshape(-1), atol=1e-9)
    assert t.transpose.max_abs_diff is not None and t.transpose.max_abs_diff < 1e-9
