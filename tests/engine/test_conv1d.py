"""conv1d against torch.nn.Conv1d and numpy.convolve; messages in a signal's words."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from app.engine.conv import ConvOptions
from app.engine.conv1d import conv1d, conv1d_geometry
from app.engine.errors import InvalidInput

MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def conv1d_cases(draw: st.DrawFn) -> dict:
    multi = draw(st.booleans())
    c_in = draw(st.integers(1, 3)) if multi else 1
    c_out = draw(st.integers(1, 3)) if multi else 1
    length, k = draw(st.integers(1, 12)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {
        "x": rng.standard_normal((c_in, length) if multi else length),
        "kernel": rng.standard_normal((c_out, c_in, k) if multi else k),
        "bias": rng.standard_normal(c_out) if draw(st.booleans()) else None,
        "stride": draw(st.integers(1, 3)),
        "dilation": draw(st.integers(1, 3)),
        "padding": draw(st.one_of(st.integers(0, 4), st.sampled_from(["valid", "same"]))),
        "padding_mode": draw(st.sampled_from(MODES)),
        "flip_kernel": draw(st.booleans()),
    }


def torch_conv1d(case: dict) -> np.ndarray:
    x, kernel, bias = case["x"], case["kernel"], case["bias"]
    w3 = kernel if kernel.ndim == 3 else kernel[None, None]
    layer = torch.nn.Conv1d(
        w3.shape[1],
        w3.shape[0],
        w3.shape[2],
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        bias=bias is not None,
        padding_mode=case["padding_mode"],
        dtype=torch.float64,
    )
    weight = torch.from_numpy(np.ascontiguousarray(w3))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        layer.weight.copy_(weight.flip(-1) if case["flip_kernel"] else weight)
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
        out = layer(torch.from_numpy(x if x.ndim == 2 else x[None])[None])[0].numpy()
    return out[0] if x.ndim == 1 and kernel.ndim == 1 else out


def engine_conv1d(case: dict) -> np.ndarray:
    keys = ("stride", "padding", "padding_mode", "dilation", "flip_kernel")
    return conv1d(
        case["x"], case["kernel"], case["bias"], options=ConvOptions(**{k: case[k] for k in keys})
    )


def test_difference_kernel_gives_the_discrete_derivative() -> None:
    y = conv1d(np.array([0, 1, 2, 3, 2, 1, 0, 0.0]), np.array([1, 0, -1.0]))
    np.testing.assert_array_equal(y, [-2, -2, 0, 2, 2, 1])


@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=12),
    st.lists(st.integers(-5, 5), min_size=1, max_size=12),
)
def test_true_convolution_is_numpy_convolve(signal: list[int], kernel: list[int]) -> None:
    x, k = np.array(signal, dtype=float), np.array(kernel, dtype=float)
    if k.size > x.size:
        return
    np.testing.assert_array_equal(
        conv1d(x, k, options=ConvOptions(flip_kernel=True)), np.convolve(x, k, "valid")
    )


def test_full_padding_gives_numpy_full_convolution() -> None:
    x, k = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0])
    np.testing.assert_array_equal(
        conv1d(x, k, options=ConvOptions(padding=1, flip_kernel=True)), np.convolve(x, k, "full")
    )


@given(conv1d_cases())
def test_conv1d_matches_torch_or_both_refuse(case: dict) -> None:
    try:
        expected = torch_conv1d(case)
    except (RuntimeError, ValueError):
        with pytest.raises(InvalidInput):
            engine_conv1d(case)
        return
    actual = engine_conv1d(case)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


def test_formula_reads_in_signal_lengths() -> None:
    assert conv1d_geometry((8,), (3,)).formula() == ("L − k + 1", "8 − 3 + 1 = 6", "8 − 3 + 1")
    general, text, _ = conv1d_geometry(
        (8,), (3,), options=ConvOptions(stride=2, padding=1)
    ).formula()
    assert general == "⌊(L + 2p − d(k−1) − 1)/s⌋ + 1"
    assert text == "⌊(8 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 4"


@pytest.mark.parametrize(
    ("shapes", "kwargs", "message"),
    [
        (((4,), (5,)), {}, "kernel of length 5 is longer than the padded signal of length 4"),
        (
            ((4,), (3,)),
            {"dilation": 2},
            "kernel of length 3 with dilation 2 spans 5 and is longer than the padded signal of "
            "length 4",
        ),
        (
            ((4,), (3,)),
            {"padding": 4, "padding_mode": "reflect"},
            "reflect padding of 4 needs a signal of length at least 5, but its length is 4 "
            "(reflect padding must be smaller than the length, as in PyTorch)",
        ),
        (
            ((4,), (3,)),
            {"padding": 5, "padding_mode": "circular"},
            "circular padding of 5 is more than the signal length 4 (it would wrap around more "
            "than once; PyTorch refuses it too)",
        ),
        (
            ((2, 4), (3,)),
            {},
            "a 1-D kernel works on one channel, but the input has 2 channels; "
            "give a 3-D kernel C_out×2×k",
        ),
        (
            ((4,), (3,)),
            {"padding": "same", "stride": 2},
            'padding "same" needs stride 1 (PyTorch refuses it for strided convolutions), got '
            "stride 2",
        ),
        (
            ((4,), (3,)),
            {"stride": (1, 2)},
            "stride of a 1-D convolution is one integer, got [1, 2]",
        ),
        (((2, 2, 2), (3,)), {}, "input must be L or C×L, got 3 axes"),
        (((4,), (1, 3)), {}, "kernel must be k or C_out×C_in×k, got 2 axes"),
    ],
)
def test_refusals_speak_of_signals(shapes: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        conv1d_geometry(*shapes, options=ConvOptions(**kwargs))
    assert str(info.value) == message


def test_channel_mismatch_names_both_counts() -> None:
    with pytest.raises(InvalidInput, match="^the kernel expects 2 input channels, but the input"):
        conv1d(np.ones((3, 5)), np.ones((1, 2, 2)))
