"""Explain: an output cell term by term (the tutorial's Y₁₁), an input cell's influence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import DEFAULT_OPTIONS, ConvOptions, conv2d
from app.engine.errors import InvalidInput
from app.engine.explain import (
    InputInfluence,
    OutputExplanation,
    explain_conv2d,
    format_number,
)
from tests.helpers.conv import (
    TUTORIAL_K,
    TUTORIAL_X,
    TUTORIAL_Y,
    conv_cases,
    engine_conv,
    torch_conv,
)

OPTIONS = ("stride", "padding", "padding_mode", "dilation", "flip_kernel")


def options(case: dict) -> dict:
    """The hyper-parameters of a case as keyword arguments."""
    return {name: case[name] for name in OPTIONS}


def explain_output(
    x, kernel, bias=None, options=DEFAULT_OPTIONS, *, cell, channel=0
) -> OutputExplanation:
    """The output cell of ``explain_conv2d``."""
    explained = explain_conv2d(x, kernel, bias, options, output_cell=cell, output_channel=channel)
    assert explained.output_cell is not None
    return explained.output_cell


def explain_input(x, kernel, options=DEFAULT_OPTIONS, *, cell, channel=0) -> InputInfluence:
    """The input cell of ``explain_conv2d``."""
    explained = explain_conv2d(x, kernel, None, options, input_cell=cell, input_channel=channel)
    assert explained.input_cell is not None
    return explained.input_cell


def test_tutorial_y11_is_written_out_as_in_the_tutorial() -> None:
    explanation = explain_output(TUTORIAL_X, TUTORIAL_K, cell=(0, 0))
    assert explanation.expression == "1·1 + 2·(−1) + 0·0 + 1·1 = 0"
    assert explanation.value == 0.0


def test_tutorial_y12_is_written_out_as_in_the_tutorial() -> None:
    explanation = explain_output(TUTORIAL_X, TUTORIAL_K, cell=(0, 1))
    assert explanation.expression == "2·1 + 0·(−1) + 1·0 + 3·1 = 5"


def test_tutorial_y11_window_holds_the_top_left_two_by_two_patch() -> None:
    terms = explain_output(TUTORIAL_X, TUTORIAL_K, cell=(0, 0)).terms
    assert [(t.row, t.col) for t in terms] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [t.value for t in terms] == [1.0, 2.0, 0.0, 1.0]
    assert [t.weight for t in terms] == [1.0, -1.0, 0.0, 1.0]
    assert not any(t.padding for t in terms)


def test_every_tutorial_cell_explains_to_its_output_value() -> None:
    for i in range(3):
        for j in range(3):
            assert explain_output(TUTORIAL_X, TUTORIAL_K, cell=(i, j)).value == TUTORIAL_Y[i, j]


def test_zero_padding_cells_are_marked_and_have_no_source() -> None:
    terms = explain_output(
        TUTORIAL_X, TUTORIAL_K, cell=(0, 0), options=ConvOptions(padding=1)
    ).terms
    assert [(t.row, t.col, t.padding, t.source) for t in terms] == [
        (-1, -1, True, None),
        (-1, 0, True, None),
        (0, -1, True, None),
        (0, 0, False, (0, 0)),
    ]


def test_reflect_padding_cells_name_the_cell_they_mirror() -> None:
    terms = explain_output(
        TUTORIAL_X, TUTORIAL_K, cell=(0, 0), options=ConvOptions(padding=1, padding_mode="reflect")
    )
    assert [t.source for t in terms.terms] == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert [t.value for t in terms.terms] == [1.0, 0.0, 2.0, 1.0]


def test_flipped_kernel_uses_the_mirrored_weight_index() -> None:
    terms = explain_output(
        TUTORIAL_X, TUTORIAL_K, cell=(0, 0), options=ConvOptions(flip_kernel=True)
    ).terms
    assert [t.kernel_index for t in terms] == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert [t.weight for t in terms] == [1.0, 0.0, -1.0, 1.0]


def test_bias_joins_the_expression() -> None:
    explanation = explain_output(TUTORIAL_X, TUTORIAL_K, np.array([-0.5]), cell=(0, 1))
    assert explanation.expression == "2·1 + 0·(−1) + 1·0 + 3·1 + (−0.5) = 4.5"


def test_numbers_are_written_like_the_tutorial() -> None:
    assert [format_number(v) for v in (2.0, -1.0, 0.0, -0.0, 0.25, 1e-7)] == [
        "2",
        "−1",
        "0",
        "0",
        "0.25",
        "1e−07",
    ]


@given(conv_cases(), st.data())
def test_explained_value_equals_the_conv_output(case: dict, data: st.DataObject) -> None:
    try:
        output = engine_conv(case)
    except InvalidInput:
        return
    out3 = output if output.ndim == 3 else output[None]
    o = data.draw(st.integers(0, out3.shape[0] - 1))
    i = data.draw(st.integers(0, out3.shape[1] - 1))
    j = data.draw(st.integers(0, out3.shape[2] - 1))
    explanation = explain_output(
        case["x"],
        case["kernel"],
        case["bias"],
        cell=(i, j),
        channel=o,
        options=ConvOptions(**options(case)),
    )
    assert explanation.value == pytest.approx(out3[o, i, j], abs=1e-9)
    assert sum(t.product for t in explanation.terms) == pytest.approx(explanation.sum, abs=1e-9)
    c_in = case["x"].shape[0] if case["x"].ndim == 3 else 1
    assert len(explanation.terms) == c_in * case["kernel"].shape[-2] * case["kernel"].shape[-1]


@given(conv_cases(multi=False), st.data())
def test_input_influence_matches_torch_on_a_one_hot_input(case: dict, data: st.DataObject) -> None:
    """With an all-ones kernel, conv(one-hot at (r, q)) counts how often each output's window
    holds that cell; the influence lists exactly those outputs with that many positions."""
    h, w = case["x"].shape
    r, q = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    one_hot = np.zeros((h, w))
    one_hot[r, q] = 1.0
    ones = np.ones_like(case["kernel"])
    try:
        counts = torch_conv({**case, "x": one_hot, "kernel": ones, "bias": None})
    except (RuntimeError, ValueError):
        return
    influence = explain_input(
        case["x"], case["kernel"], cell=(r, q), options=ConvOptions(**options(case))
    )
    found = np.zeros_like(counts)
    for output in influence.outputs:
        found[output.cell] = len(output.window_positions)
    np.testing.assert_allclose(found, counts, atol=1e-12)


def test_tutorial_centre_cell_feeds_four_outputs() -> None:
    influence = explain_input(TUTORIAL_X, TUTORIAL_K, cell=(1, 1))
    assert [o.cell for o in influence.outputs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [o.window_positions for o in influence.outputs] == [
        [(1, 1)],
        [(1, 0)],
        [(0, 1)],
        [(0, 0)],
    ]


def test_corner_cell_feeds_one_output() -> None:
    influence = explain_input(TUTORIAL_X, TUTORIAL_K, cell=(0, 0))
    assert [o.cell for o in influence.outputs] == [(0, 0)]


def test_multichannel_influence_is_the_same_for_every_output_channel() -> None:
    x = np.ones((2, 4, 4))
    influence = explain_input(x, np.ones((3, 2, 2, 2)), cell=(1, 1), channel=1)
    assert influence.channel == 1
    assert len(influence.outputs) == 4


def test_output_cell_outside_the_output_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^output cell \[3, 0\] is outside the 3×3 output$"):
        explain_output(TUTORIAL_X, TUTORIAL_K, cell=(3, 0))


def test_input_cell_outside_the_input_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^input cell \[0, 4\] is outside the 4×4 input$"):
        explain_input(TUTORIAL_X, TUTORIAL_K, cell=(0, 4))


def test_missing_output_channel_is_refused() -> None:
    with pytest.raises(InvalidInput, match="^output channel 1 does not exist; the kernel has 1"):
        explain_output(TUTORIAL_X, TUTORIAL_K, cell=(0, 0), channel=1)


def test_missing_input_channel_is_refused() -> None:
    with pytest.raises(InvalidInput, match="^input channel 2 does not exist; the input has 1"):
        explain_input(TUTORIAL_X, TUTORIAL_K, cell=(0, 0), channel=2)


def test_torch_agrees_with_the_tutorial_map() -> None:
    """The reference itself reproduces the tutorial (so the helpers above are trustworthy)."""
    case = {
        "x": TUTORIAL_X,
        "kernel": TUTORIAL_K,
        "bias": None,
        "stride": 1,
        "padding": 0,
        "padding_mode": "zeros",
        "dilation": 1,
        "flip_kernel": False,
    }
    np.testing.assert_array_equal(torch_conv(case), TUTORIAL_Y)
    assert conv2d(TUTORIAL_X, TUTORIAL_K).tolist() == torch.tensor(TUTORIAL_Y).tolist()


@given(conv_cases(), st.data())
def test_explain_conv2d_returns_the_torch_output_and_the_cell_explained(
    case: dict, data: st.DataObject
) -> None:
    try:
        expected = torch_conv(case)
    except (RuntimeError, ValueError):
        return
    options = ConvOptions(**{name: case[name] for name in OPTIONS})
    out_channels = 1 if expected.ndim == 2 else expected.shape[0]
    cell = (
        data.draw(st.integers(0, expected.shape[-2] - 1)),
        data.draw(st.integers(0, expected.shape[-1] - 1)),
    )
    channel = data.draw(st.integers(0, out_channels - 1))
    e = explain_conv2d(
        case["x"], case["kernel"], case["bias"], options, output_cell=cell, output_channel=channel
    )
    np.testing.assert_allclose(e.output, expected, rtol=0, atol=1e-9)
    assert e.input_cell is None and e.output_cell is not None
    value = expected[cell] if expected.ndim == 2 else expected[(channel, *cell)]
    assert e.output_cell.value == pytest.approx(value, abs=1e-9)
    assert e.geometry.output_shape == expected.shape


def test_explain_conv2d_of_an_input_cell_has_the_output_and_no_output_cell() -> None:
    e = explain_conv2d(TUTORIAL_X, TUTORIAL_K, input_cell=(1, 1))
    np.testing.assert_array_equal(e.output, TUTORIAL_Y)
    assert e.output_cell is None
    assert [o.cell for o in e.input_cell.outputs] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_explain_conv2d_needs_exactly_one_cell() -> None:
    with pytest.raises(InvalidInput, match="^give exactly one of output_cell or input_cell$"):
        explain_conv2d(TUTORIAL_X, TUTORIAL_K)
