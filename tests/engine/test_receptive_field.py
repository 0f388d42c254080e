"""Receptive fields: the tutorial's R_L, published values of classic nets, torch brute force."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from app.engine.errors import InvalidInput
from app.engine.receptive_field import (
    PRESETS,
    make_layers,
    receptive_fields,
    stack_preset,
    stride_one_formula,
    unit_region,
)


def _preset(preset_id: str) -> dict:
    return next(p for p in PRESETS if p["id"] == preset_id)


# -- the tutorial and published values ------------------------------------------------------


@given(num_layers=st.integers(1, 30), k=st.integers(1, 11))
def test_stride_one_stack_has_field_one_plus_l_times_k_minus_one(num_layers: int, k: int) -> None:
    layers = make_layers(stack_preset(num_layers, k))
    fields = receptive_fields(layers)
    expected = 1 + num_layers * (k - 1)
    assert fields[-1].receptive_field == (expected, expected)
    assert [f.receptive_field[0] for f in fields] == [
        1 + n * (k - 1) for n in range(1, num_layers + 1)
    ]
    assert fields[-1].jump == (1, 1)
    assert stride_one_formula(layers) == f"1 + {num_layers}·({k} − 1) = {expected}"


def test_tutorial_two_layers_of_three_give_five() -> None:
    layers = make_layers(stack_preset(2, 3))
    assert receptive_fields(layers)[-1].receptive_field == (5, 5)
    assert stride_one_formula(layers) == "1 + 2·(3 − 1) = 5"


def test_vgg16_pool5_has_field_212_jump_32_and_padding_90() -> None:
    preset = _preset("vgg16")
    fields = receptive_fields(make_layers(preset["layers"]), (224, 224))
    pool5 = fields[-1]
    assert pool5.layer.name == "pool5"
    assert pool5.receptive_field == (212, 212)
    assert pool5.jump == (32, 32)
    assert pool5.output_size == (7, 7)
    # Araujo et al. 2019 list the effective padding of vgg_16 as 90: unit 0 starts at −90
    region = unit_region(fields, len(fields) - 1, (0, 0), (224, 224))
    assert region.rows == (-90, 121)
    assert region.clipped_rows == (0, 121)


def test_alexnet_v2_pool5_has_field_195_jump_32_and_padding_64() -> None:
    preset = _preset("alexnet_v2")
    fields = receptive_fields(make_layers(preset["layers"]), (224, 224))
    assert fields[-1].layer.name == "pool5"
    assert fields[-1].receptive_field == (195, 195)
    assert fields[-1].jump == (32, 32)
    assert fields[-1].output_size == (5, 5)
    assert unit_region(fields, len(fields) - 1, (0, 0)).rows == (-64, 130)


def test_lenet5_c5_sees_the_whole_32_by_32_input() -> None:
    fields = receptive_fields(make_layers(_preset("lenet5")["layers"]), (32, 32))
    assert [f.output_size for f in fields] == [(28, 28), (14, 14), (10, 10), (5, 5), (1, 1)]
    assert fields[-1].receptive_field == (32, 32)
    assert fields[-1].start == (15.5, 15.5)


def test_formula_is_none_when_a_layer_has_stride_two() -> None:
    layers = make_layers([{"type": "conv", "kernel_size": 3}, {"type": "pool", "kernel_size": 3}])
    assert stride_one_formula(layers) is None


def test_formula_is_none_for_mixed_kernels_or_dilation() -> None:
    mixed = make_layers([{"type": "conv", "kernel_size": 3}, {"type": "conv", "kernel_size": 5}])
    dilated = make_layers([{"type": "conv", "kernel_size": 3, "dilation": 2}])
    assert stride_one_formula(mixed) is None
    assert stride_one_formula(dilated) is None


def test_pool_stride_defaults_to_kernel_and_conv_stride_to_one() -> None:
    layers = make_layers(
        [{"type": "pool", "kernel_size": [2, 3]}, {"type": "conv", "kernel_size": 3}]
    )
    assert layers[0].stride == (2, 3)
    assert layers[1].stride == (1, 1)
    assert [layer.name for layer in layers] == ["pool1", "conv1"]


def test_dilation_uses_the_effective_kernel() -> None:
    fields = receptive_fields(make_layers([{"type": "conv", "kernel_size": 3, "dilation": 2}] * 2))
    assert fields[0].layer.effective_kernel == (5, 5)
    assert fields[-1].receptive_field == (9, 9)


# -- brute force with torch -----------------------------------------------------------------

LayerDict = dict


@st.composite
def stacks(draw: st.DrawFn) -> tuple[list[LayerDict], tuple[int, int]]:
    """Random conv / pool stacks with an input size on which they all fit."""
    count = draw(st.integers(1, 4))
    layers = []
    for _ in range(count):
        kind = draw(st.sampled_from(["conv", "pool"]))
        k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        layer = {
            "type": kind,
            "kernel_size": k,
            "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            # torch's max_pool2d wants padding ≤ kernel/2
            "padding": (
                draw(st.integers(0, k[0] // 2 if kind == "pool" else 2)),
                draw(st.integers(0, k[1] // 2 if kind == "pool" else 2)),
            ),
            "dilation": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        }
        layers.append(layer)
    size = (draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    return layers, size


def _torch_shapes(layers: list[LayerDict], size: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Output sizes torch produces for the stack (None when torch refuses a layer)."""
    x = torch.zeros(1, 1, *size, dtype=torch.float64)
    shapes = []
    for spec in layers:
        args = {"stride": spec["stride"], "padding": spec["padding"], "dilation": spec["dilation"]}
        try:
            if spec["type"] == "conv":
                w = torch.ones(1, 1, *spec["kernel_size"], dtype=torch.float64)
                x = F.conv2d(x, w, **args)
            else:
                x = F.max_pool2d(x, spec["kernel_size"], **args)
        except RuntimeError:
            return None
        if min(x.shape[-2:]) < 1:
            return None
        shapes.append(tuple(x.shape[-2:]))
    return shapes


def _linear_stack_gradient(
    layers: list[LayerDict], size: tuple[int, int], layer: int, unit: tuple[int, int]
) -> np.ndarray:
    """∂(unit)/∂x for the stack with every layer a conv of ones (a pool's window, linear)."""
    x = torch.ones(1, 1, *size, dtype=torch.float64, requires_grad=True)
    h = x
    for spec in layers[: layer + 1]:
        w = torch.ones(1, 1, *spec["kernel_size"], dtype=torch.float64)
        h = F.conv2d(
            h, w, stride=spec["stride"], padding=spec["padding"], dilation=spec["dilation"]
        )
    (grad,) = torch.autograd.grad(h[0, 0, unit[0], unit[1]], x)
    return grad[0, 0].numpy()


@given(stacks())
def test_output_sizes_equal_the_shapes_torch_produces(stack: tuple) -> None:
    layers, size = stack
    expected = _torch_shapes(layers, size)
    if expected is None:
        with pytest.raises(InvalidInput, match="is larger than its padded input"):
            receptive_fields(make_layers(layers), size)
        return
    fields = receptive_fields(make_layers(layers), size)
    assert [f.output_size for f in fields] == expected


@given(stacks(), st.data())
def test_region_of_a_unit_equals_the_support_of_its_gradient(
    stack: tuple, data: st.DataObject
) -> None:
    layers, size = stack
    assume(_torch_shapes(layers, size) is not None)
    fields = receptive_fields(make_layers(layers), size)
    index = data.draw(st.integers(0, len(layers) - 1))
    out = fields[index].output_size
    unit = (data.draw(st.integers(0, out[0] - 1)), data.draw(st.integers(0, out[1] - 1)))
    region = unit_region(fields, index, unit, size)

    grad = _linear_stack_gradient(layers, size, index, unit)
    rows, cols = np.nonzero(grad)
    if rows.size == 0:
        assert region.clipped_rows is None and region.clipped_cols is None
        return
    assert region.clipped_rows == (rows.min(), rows.max())
    assert region.clipped_cols == (cols.min(), cols.max())
    # the formula's range holds the real pixels and has the size of the receptive field
    assert region.rows[0] <= rows.min() and rows.max() <= region.rows[1]
    assert region.cols[0] <= cols.min() and cols.max() <= region.cols[1]
    assert region.rows[1] - region.rows[0] + 1 == fields[index].receptive_field[0]
    assert region.cols[1] - region.cols[0] + 1 == fields[index].receptive_field[1]
    # start is the centre of unit (0, 0)'s field
    assert (
        fields[index].start[0]
        == (
            region.rows[0]
            - unit[0] * fields[index].jump[0]
            + region.rows[1]
            - unit[0] * fields[index].jump[0]
        )
        / 2
    )
    gapless = all(
        s["dilation"] == (1, 1)
        and s["stride"][0] <= s["kernel_size"][0]
        and s["stride"][1] <= s["kernel_size"][1]
        for s in layers[: index + 1]
    )
    if gapless:  # then every pixel of the clipped rectangle reaches the unit
        r0, r1 = region.clipped_rows
        c0, c1 = region.clipped_cols
        assert np.all(grad[r0 : r1 + 1, c0 : c1 + 1] > 0)
        assert np.count_nonzero(grad) == (r1 - r0 + 1) * (c1 - c0 + 1)
    if all(s["padding"] == (0, 0) for s in layers[: index + 1]):
        assert (region.rows, region.cols) == (region.clipped_rows, region.clipped_cols)


@given(stacks())
def test_start_moves_by_the_jump_from_unit_to_unit(stack: tuple) -> None:
    layers, size = stack
    assume(_torch_shapes(layers, size) is not None)
    fields = receptive_fields(make_layers(layers), size)
    for index, field in enumerate(fields):
        first = unit_region(fields, index, (0, 0))
        last_unit = (field.output_size[0] - 1, field.output_size[1] - 1)
        last = unit_region(fields, index, last_unit)
        assert (first.rows[0] + first.rows[1]) / 2 == field.start[0]
        assert last.rows[0] - first.rows[0] == last_unit[0] * field.jump[0]
        assert last.cols[0] - first.cols[0] == last_unit[1] * field.jump[1]


# -- bad input ------------------------------------------------------------------------------


def test_kernel_larger_than_padded_input_names_the_layer_and_both_sizes() -> None:
    layers = make_layers(
        [{"type": "conv", "kernel_size": 3}, {"type": "conv", "kernel_size": 5, "name": "big"}]
    )
    with pytest.raises(InvalidInput) as err:
        receptive_fields(layers, (6, 6))
    assert str(err.value) == (
        "big (layer 1): kernel 5×5 is larger than its padded input 4×4 (input 4×4, padding 0)"
    )


def test_dilated_kernel_too_large_reports_the_effective_kernel() -> None:
    layers = make_layers([{"type": "conv", "kernel_size": 3, "dilation": 3, "padding": [1, 0]}])
    with pytest.raises(InvalidInput) as err:
        receptive_fields(layers, (4, 9))
    assert str(err.value) == (
        "conv1 (layer 0): kernel 3×3 with dilation 3×3 (effective 7×7) is larger than its "
        "padded input 6×9 (input 4×9, padding 1 rows, 0 cols)"
    )


def test_unit_outside_its_layer_is_rejected() -> None:
    fields = receptive_fields(make_layers(stack_preset(2, 3)), (6, 6))
    with pytest.raises(InvalidInput) as err:
        unit_region(fields, 1, (2, 0), (6, 6))
    assert str(err.value) == "unit (2, 0) is outside conv2 (layer 1), whose output is 2×2"


def test_unit_of_a_missing_layer_is_rejected() -> None:
    fields = receptive_fields(make_layers(stack_preset(2, 3)))
    with pytest.raises(InvalidInput) as err:
        unit_region(fields, 2, (0, 0))
    assert str(err.value) == "unit layer 2 does not exist: the stack has 2 layers (0 … 1)"


def test_unit_seeing_only_padding_has_no_clipped_region() -> None:
    fields = receptive_fields(
        make_layers([{"type": "conv", "kernel_size": 2, "padding": 3}]), (4, 4)
    )
    region = unit_region(fields, 0, (0, 0), (4, 4))
    assert region.rows == (-3, -2)
    assert region.clipped_rows is None and region.clipped_cols is None
