"""Backward and transposed-convolution cells explained: the terms add up to torch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput
from app.engine.explain_layer import (
    explain_backward,
    explain_transpose,
    grad_input_terms,
    overlap_terms,
)
from app.engine.transpose import TransposeOptions
from tests.helpers.conv import (
    OPTIONS,
    TUTORIAL_K,
    TUTORIAL_X,
    conv_cases,
    output_shape,
    torch_backward,
)
from tests.helpers.transpose import torch_transpose, transpose_cases

# -- the tutorial ----------------------------------------------------------------------------


def test_tutorial_input_cell_gradient_lists_the_four_windows_that_read_it() -> None:
    e = explain_backward(TUTORIAL_X, TUTORIAL_K, input_cell=(1, 1)).input_cell
    assert e is not None
    assert [(t.output_cell, t.window_position, t.weight) for t in e.terms] == [
        ((0, 0), (1, 1), 1.0),
        ((0, 1), (1, 0), 0.0),
        ((1, 0), (0, 1), -1.0),
        ((1, 1), (0, 0), 1.0),
    ]
    assert e.expression == "1·1 + 1·0 + 1·(−1) + 1·1 = 1"
    assert e.value == 1.0


def test_tutorial_kernel_gradient_sums_the_patch_the_weight_meets() -> None:
    e = explain_backward(TUTORIAL_X, TUTORIAL_K, kernel_cell=(0, 1)).kernel_cell
    assert e is not None
    assert [t.value for t in e.terms] == [2, 0, 1, 1, 3, 1, 2, 1, 0]
    assert e.expression == "1·2 + 1·0 + 1·1 + 1·1 + 1·3 + 1·1 + 1·2 + 1·1 + 1·0 = 11"


def test_upstream_gradient_g11_touches_its_window() -> None:
    grad = np.arange(1.0, 10.0).reshape(3, 3)
    e = explain_backward(TUTORIAL_X, TUTORIAL_K, grad_output=grad, output_cell=(1, 1)).output_cell
    assert e is not None
    assert e.grad == 5.0
    assert [(t.cell, t.product) for t in e.touches] == [
        ((1, 1), 5.0),
        ((1, 2), -5.0),
        ((2, 1), 0.0),
        ((2, 2), 5.0),
    ]


def test_zero_padding_positions_touch_nothing() -> None:
    e = explain_backward(
        TUTORIAL_X, TUTORIAL_K, output_cell=(0, 0), options=ConvOptions(padding=1)
    ).output_cell
    assert e is not None
    assert [t.cell for t in e.touches] == [(0, 0)]  # three of the four taps are padding


def test_reflect_padding_copy_is_marked_via_padding() -> None:
    e = explain_backward(
        TUTORIAL_X,
        TUTORIAL_K,
        input_cell=(1, 1),
        options=ConvOptions(padding=1, padding_mode="reflect"),
    ).input_cell
    assert e is not None
    assert any(t.via_padding for t in e.terms)
    assert not all(t.via_padding for t in e.terms)


def test_cell_no_window_reads_says_so() -> None:
    e = explain_backward(
        np.ones((3, 3)), np.ones((1, 1)), input_cell=(1, 1), options=ConvOptions(stride=2)
    )
    assert e.input_cell is not None
    assert e.input_cell.terms == []
    assert e.input_cell.expression == "no window reads this cell: 0"


def test_transposed_output_cell_sums_the_four_overlapping_stamps() -> None:
    e = explain_transpose(
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        np.ones((3, 3)),
        output_cell=(2, 2),
        options=TransposeOptions(stride=2),
    ).output_cell
    assert e is not None
    assert [(t.input_cell, t.kernel_index) for t in e.terms] == [
        ((0, 0), (2, 2)),
        ((0, 1), (2, 0)),
        ((1, 0), (0, 2)),
        ((1, 1), (0, 0)),
    ]
    assert e.expression == "1·1 + 2·1 + 3·1 + 4·1 = 10"


def test_transposed_output_cell_with_bias_adds_it_last() -> None:
    e = explain_transpose(
        np.array([[1.0, 2.0]]), np.array([[1.0, -1.0]]), np.array([0.5]), output_cell=(0, 1)
    ).output_cell
    assert e is not None
    assert e.expression == "1·(−1) + 2·1 + 0.5 = 1.5"


def test_transposed_input_cell_lists_its_stamp_and_counts_the_cropped_taps() -> None:
    e = explain_transpose(
        np.ones((2, 2)),
        np.ones((3, 3)),
        input_cell=(0, 0),
        options=TransposeOptions(stride=2, padding=1),
    ).input_cell
    assert e is not None
    assert [s.cell for s in e.outputs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert e.cropped == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_cell": (4, 0)}, "input cell [4, 0] is outside the 4×4 input"),
        ({"kernel_cell": (0, 2)}, "kernel cell [0, 2] is outside the 2×2 kernel"),
        ({"output_cell": (3, 0)}, "output cell [3, 0] is outside the 3×3 output"),
        (
            {"output_cell": (0, 0), "output_channel": 1},
            "output channel 1 does not exist; the kernel has 1 output channel",
        ),
        (
            {"input_cell": (0, 0), "input_channel": 2},
            "input channel 2 does not exist; the input has 1 input channel",
        ),
        ({}, "give exactly one of input_cell, kernel_cell or output_cell"),
        (
            {"input_cell": (0, 0), "output_cell": (0, 0)},
            "give exactly one of input_cell, kernel_cell or output_cell",
        ),
    ],
)
def test_backward_cell_refusals(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        explain_backward(TUTORIAL_X, TUTORIAL_K, **kwargs)
    assert str(info.value) == message


# -- every cell adds up to torch's numbers ----------------------------------------------------


@given(conv_cases(), st.integers(0, 2**32 - 1))
def test_explained_gradient_cells_add_up_to_torch(case: dict, seed: int) -> None:
    shape = output_shape(case)
    if shape is None:
        return
    grad = np.random.default_rng(seed).standard_normal(shape)
    _, grad_x, grad_w, _ = torch_backward(case, grad)
    options = {k: case[k] for k in OPTIONS}
    x, kernel = case["x"], case["kernel"]
    x3 = x.reshape(-1, *x.shape[-2:])
    w4 = kernel.reshape(-1, x3.shape[0], *kernel.shape[-2:])
    gx, gw = grad_x.reshape(x3.shape), grad_w.reshape(w4.shape)
    touched = np.zeros(x3.shape)
    for c in range(x3.shape[0]):
        for r in range(x3.shape[1]):
            for q in range(x3.shape[2]):
                e = explain_backward(
                    x,
                    kernel,
                    case["bias"],
                    grad,
                    input_cell=(r, q),
                    input_channel=c,
                    options=ConvOptions(**options),
                ).input_cell
                assert e is not None
                assert e.value == pytest.approx(gx[c, r, q], abs=1e-9)
    for o in range(w4.shape[0]):
        for c in range(w4.shape[1]):
            for a in range(w4.shape[2]):
                for b in range(w4.shape[3]):
                    k = explain_backward(
                        x,
                        kernel,
                        case["bias"],
                        grad,
                        kernel_cell=(a, b),
                        output_channel=o,
                        input_channel=c,
                        options=ConvOptions(**options),
                    ).kernel_cell
                    assert k is not None
                    assert k.value == pytest.approx(gw[o, c, a, b], abs=1e-9)
        g3 = grad.reshape(w4.shape[0], *grad.shape[-2:])
        for i in range(g3.shape[1]):
            for j in range(g3.shape[2]):
                t = explain_backward(
                    x,
                    kernel,
                    case["bias"],
                    grad,
                    output_cell=(i, j),
                    output_channel=o,
                    options=ConvOptions(**options),
                ).output_cell
                assert t is not None
                for touch in t.touches:
                    touched[touch.input_channel][touch.cell] += touch.product
    np.testing.assert_allclose(touched, gx, atol=1e-9)


@given(transpose_cases(valid_output_padding=True))
def test_explained_transposed_cells_add_up_to_torch(case: dict) -> None:
    x, kernel, bias = case["x"], case["kernel"], case["bias"]
    options = {k: case[k] for k in ("stride", "padding", "output_padding", "dilation")}
    try:
        expected = torch_transpose(case)
    except RuntimeError:  # torch refuses (the padding crops everything): so does the engine
        with pytest.raises(InvalidInput):
            explain_transpose(
                x, kernel, bias, output_cell=(0, 0), options=TransposeOptions(**options)
            )
        return
    expected = expected.reshape(-1, *expected.shape[-2:])  # (C_out, H_out, W_out)
    for o in range(expected.shape[0]):
        for r in range(expected.shape[1]):
            for q in range(expected.shape[2]):
                explained = explain_transpose(
                    x,
                    kernel,
                    bias,
                    output_cell=(r, q),
                    output_channel=o,
                    options=TransposeOptions(**options),
                )
                e = explained.output_cell
                assert e is not None
                assert e.value == pytest.approx(expected[o, r, q], abs=1e-9)
                assert overlap_terms(explained.geometry, (r, q)) == len(e.terms)
    # every input cell's stamps, counted per output cell, are torch's transposed convolution of
    # ones with ones: how many (input cell, tap) pairs land on each output cell
    x3 = x.reshape(-1, *x.shape[-2:])
    ones = F.conv_transpose2d(
        torch.ones(1, 1, *x3.shape[1:], dtype=torch.float64),
        torch.ones(1, 1, *kernel.shape[-2:], dtype=torch.float64),
        **options,
    )[0, 0].numpy()
    stamps = np.zeros(expected.shape[1:], dtype=int)
    for i in range(x3.shape[1]):
        for j in range(x3.shape[2]):
            s = explain_transpose(
                x, kernel, bias, input_cell=(i, j), options=TransposeOptions(**options)
            ).input_cell
            assert s is not None
            assert len(s.outputs) + s.cropped == kernel.shape[-2] * kernel.shape[-1]
            for stamp in s.outputs:
                stamps[stamp.cell] += 1
    np.testing.assert_array_equal(stamps, ones)
    geometry = explain_transpose(
        x, kernel, bias, input_cell=(0, 0), options=TransposeOptions(**options)
    ).geometry
    np.testing.assert_array_equal(geometry.overlaps(), ones)


@given(conv_cases())
def test_the_counted_terms_of_a_gradient_cell_are_the_terms_listed(case: dict) -> None:
    """``grad_input_terms`` (shapes only, what the API checks before the work) counts exactly
    the terms ``explain_backward`` lists, for every cell, padding mode and channel count."""
    options = {k: case[k] for k in OPTIONS}
    x, kernel = case["x"], case["kernel"]
    try:
        geometry = ConvOptions(
            case["stride"], case["padding"], case["padding_mode"], case["dilation"]
        ).geometry(x.shape, kernel.shape)
    except InvalidInput:
        return
    h, w = geometry.input_size
    for r in range(h):
        for q in range(w):
            e = explain_backward(
                x, kernel, case["bias"], input_cell=(r, q), options=ConvOptions(**options)
            )
            assert e.input_cell is not None
            assert grad_input_terms(geometry, (r, q)) == len(e.input_cell.terms)
    assert grad_input_terms(geometry, (h, 0)) == grad_input_terms(geometry, (0, w)) == 0


def test_a_replicated_corner_is_read_at_every_window_position() -> None:
    geometry = ConvOptions(padding=3, padding_mode="replicate").geometry((1, 1), (4, 4))
    # 4×4 windows (1 + 6 − 4 + 1 per axis), each reading the corner at all 16 positions
    assert grad_input_terms(geometry, (0, 0)) == 4 * 4 * 16
    e = explain_backward(
        np.ones((1, 1)),
        np.ones((4, 4)),
        input_cell=(0, 0),
        options=ConvOptions(padding=3, padding_mode="replicate"),
    )
    assert e.input_cell is not None and len(e.input_cell.terms) == 256
