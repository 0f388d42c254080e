"""Parameter counts: the tutorial's 78,500 vs 2,600, and torch's own layers as the reference."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from app.engine.parameters import conv_parameters, dense_parameters


def _numel(module: torch.nn.Module) -> tuple[int, int]:
    weights = module.weight.numel()
    biases = 0 if module.bias is None else module.bias.numel()
    return weights, biases


def test_tutorial_dense_784_to_100_has_78500_parameters() -> None:
    count = dense_parameters(784, 100)
    assert (count.weights, count.biases, count.total) == (78_400, 100, 78_500)
    assert count.formula == "784·100 + 100 = 78,500"


def test_tutorial_100_filters_of_5_by_5_have_2600_parameters() -> None:
    count = conv_parameters(1, 100, (5, 5))
    assert (count.weights, count.biases, count.total) == (2_500, 100, 2_600)
    assert count.formula == "100·(1·5·5 + 1) = 2,600"


def test_counts_without_bias_have_no_bias_term() -> None:
    assert dense_parameters(3, 2, bias=False).formula == "3·2 = 6"
    assert conv_parameters(2, 4, (3, 1), bias=False).formula == "4·2·3·1 = 24"


@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300), bias=st.booleans())
def test_dense_count_equals_torch_linear(n_in: int, n_out: int, bias: bool) -> None:
    count = dense_parameters(n_in, n_out, bias)
    assert (count.weights, count.biases) == _numel(torch.nn.Linear(n_in, n_out, bias=bias))
    assert count.total == count.weights + count.biases


@given(
    c=st.integers(1, 16),
    f=st.integers(1, 32),
    kh=st.integers(1, 7),
    kw=st.integers(1, 7),
    bias=st.booleans(),
)
def test_conv_count_equals_torch_conv2d(c: int, f: int, kh: int, kw: int, bias: bool) -> None:
    count = conv_parameters(c, f, (kh, kw), bias)
    assert (count.weights, count.biases) == _numel(torch.nn.Conv2d(c, f, (kh, kw), bias=bias))


def test_zero_sized_layer_is_refused() -> None:
    with pytest.raises(AssertionError):
        dense_parameters(0, 10)


def test_compare_layers_gives_the_tutorials_q6a_counts_and_ratio() -> None:
    from app.engine.parameters import compare_layers

    c = compare_layers(
        in_features=784,
        out_features=100,
        fc_bias=True,
        in_channels=1,
        filters=100,
        kernel_size=5,
        conv_bias=True,
    )
    assert (c.fc.total, c.conv.total) == (78_500, 2_600)
    assert c.ratio == 78_500 / 2_600
    assert c.conv.formula == "100·(1·5·5 + 1) = 2,600"
