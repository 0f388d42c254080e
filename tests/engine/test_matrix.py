"""The matrix form: vec(conv2d(X)) = M · vec(X) + b, structure and figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given

from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput
from app.engine.matrix import conv_matrix
from tests.helpers.conv import TUTORIAL_K, TUTORIAL_X, TUTORIAL_Y, conv_cases, torch_conv

OPTIONS = ("stride", "padding", "padding_mode", "dilation", "flip_kernel")


def test_tutorial_matrix_times_vec_x_is_vec_y() -> None:
    m = conv_matrix(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_array_equal(m.matrix @ TUTORIAL_X.reshape(-1), TUTORIAL_Y.reshape(-1))
    assert m.check.max_abs_diff == 0.0


def test_tutorial_matrix_is_nine_by_sixteen_with_four_weights_per_row() -> None:
    m = conv_matrix(TUTORIAL_X, TUTORIAL_K)
    assert m.matrix.shape == (9, 16)
    assert m.figures.nonzeros_per_row == [4] * 9
    assert m.figures.nonzeros == 36
    assert m.distinct_parameters == 4


def test_tutorial_first_row_holds_the_kernel_on_the_top_left_patch() -> None:
    m = conv_matrix(TUTORIAL_X, TUTORIAL_K)
    assert m.matrix[0].tolist() == [1, -1, 0, 0, 0, 1, 0, 0] + [0] * 8
    assert m.weight_index[0].tolist() == [0, 1, -1, -1, 2, 3] + [-1] * 10
    assert m.weight_labels == ["K[0,0]", "K[0,1]", "K[1,0]", "K[1,1]"]


def test_zero_padding_matrix_is_doubly_block_toeplitz() -> None:
    """Entry ((i, j), (r, q)) holds K[r − i + p, q − j + p] when that index exists."""
    rng = np.random.default_rng(3)
    x, k, p = rng.standard_normal((5, 6)), rng.standard_normal((3, 2)), 1
    m = conv_matrix(x, k, options=ConvOptions(padding=p))
    ho, wo = m.geometry.output_size
    i, j, r, q = np.meshgrid(
        np.arange(ho), np.arange(wo), np.arange(5), np.arange(6), indexing="ij"
    )
    a, b = r - i + p, q - j + p
    inside = (a >= 0) & (a < 3) & (b >= 0) & (b < 2)
    expected = np.where(inside, a * 2 + b, -1).reshape(ho * wo, 30)
    np.testing.assert_array_equal(m.weight_index, expected)
    assert m.structure == "doubly block Toeplitz"
    assert m.merged == []


@given(conv_cases())
def test_matrix_reproduces_torch_conv(case: dict) -> None:
    try:
        expected = torch_conv(case)
    except (RuntimeError, ValueError):
        return
    m = conv_matrix(
        case["x"],
        case["kernel"],
        case["bias"],
        options=ConvOptions(**{n: case[n] for n in OPTIONS}),
    )
    via_matrix = m.matrix @ case["x"].reshape(-1)
    if m.bias_vector is not None:
        via_matrix = via_matrix + m.bias_vector
    np.testing.assert_allclose(via_matrix, expected.reshape(-1), rtol=0, atol=1e-9)
    assert m.check.max_abs_diff <= 1e-9


@given(conv_cases())
def test_every_entry_holds_the_weights_its_index_names(case: dict) -> None:
    try:
        m = conv_matrix(
            case["x"], case["kernel"], None, options=ConvOptions(**{n: case[n] for n in OPTIONS})
        )
    except InvalidInput:
        return
    flat = case["kernel"].reshape(-1)
    single = m.hits == 1
    np.testing.assert_array_equal(m.matrix[single], flat[m.weight_index[single]])
    assert (m.weight_index[m.hits == 0] == -1).all()
    for entry in m.merged:
        assert m.matrix[entry.row, entry.col] == pytest.approx(flat[entry.weight_indices].sum())
        assert len(entry.weight_indices) == m.hits[entry.row, entry.col]


def test_replicate_padding_adds_several_weights_into_corner_entries() -> None:
    m = conv_matrix(
        TUTORIAL_X,
        np.arange(1.0, 10.0).reshape(3, 3),
        options=ConvOptions(padding=1, padding_mode="replicate"),
    )
    corner = next(e for e in m.merged if (e.row, e.col) == (0, 0))
    assert corner.weight_indices == [0, 1, 3, 4]  # K00, K01, K10, K11 all read X[0, 0]
    assert m.matrix[0, 0] == 1 + 2 + 4 + 5
    assert "replicate padding" in m.structure


def test_multichannel_matrix_has_one_block_per_channel_pair() -> None:
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal((2, 4, 4)), rng.standard_normal((3, 2, 2, 2))
    m = conv_matrix(x, k, np.array([1.0, 2.0, 3.0]))
    assert m.matrix.shape == (3 * 9, 2 * 16)
    assert m.figures.nonzeros_per_row == [8] * 27
    assert m.distinct_parameters == 24
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(k),
        torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64),
    )
    np.testing.assert_allclose(
        m.matrix @ x.reshape(-1) + m.bias_vector, expected.reshape(-1).numpy(), atol=1e-12
    )


def test_strided_matrix_keeps_every_second_output_row() -> None:
    m = conv_matrix(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(stride=2))
    full = conv_matrix(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_array_equal(m.matrix, full.matrix[[0, 2, 6, 8]])
    assert m.structure == (
        "doubly block Toeplitz, keeping only the rows of every 2nd output row and every 2nd "
        "output column (the stride skips the other output positions)"
    )


def test_structure_names_a_stride_of_one_along_rows_as_every_output_row() -> None:
    m = conv_matrix(TUTORIAL_X, TUTORIAL_K, options=ConvOptions(stride=(1, 3)))
    assert "the rows of every output row and every 3rd output column" in m.structure
