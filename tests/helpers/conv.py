"""Random convolutions and torch's answers to them, and the tutorial's X, K and Y: shared by the
engine and API tests of the convolution, its matrix, its backward pass and its explanations."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from hypothesis import strategies as st

from app.engine.conv import ConvOptions, conv2d
from app.engine.errors import InvalidInput

TUTORIAL_X = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 2, 1, 0], [1, 0, 2, 2]], dtype=float)
TUTORIAL_K = np.array([[1, -1], [0, 1]], dtype=float)
TUTORIAL_Y = np.array([[0, 5, 0], [1, -1, 2], [0, 3, 3]], dtype=float)
MODES = ("zeros", "reflect", "replicate", "circular")
int_or_pair = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


@st.composite
def conv_cases(draw: st.DrawFn, *, multi: bool | None = None) -> dict:
    """A random convolution: shapes, hyper-parameters and data (2-D or multi-channel)."""
    multi = draw(st.booleans()) if multi is None else multi
    c_in = draw(st.integers(1, 3)) if multi else 1
    c_out = draw(st.integers(1, 3)) if multi else 1
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((c_in, h, w) if multi else (h, w))
    kernel = rng.standard_normal((c_out, c_in, kh, kw) if multi else (kh, kw))
    bias = rng.standard_normal(c_out) if multi and draw(st.booleans()) else None
    return {
        "x": x,
        "kernel": kernel,
        "bias": bias,
        "stride": draw(int_or_pair),
        "dilation": draw(int_or_pair),
        "padding": draw(
            st.one_of(
                st.integers(0, 3),
                st.tuples(st.integers(0, 3), st.integers(0, 3)),
                st.sampled_from(["valid", "same"]),
            )
        ),
        "padding_mode": draw(st.sampled_from(MODES)),
        "flip_kernel": draw(st.booleans()),
    }


def torch_conv(case: dict) -> np.ndarray:
    """The same convolution by torch.nn.Conv2d (float64); raises what torch raises."""
    x, kernel, bias = case["x"], case["kernel"], case["bias"]
    w4 = kernel if kernel.ndim == 4 else kernel[None, None]
    x4 = torch.from_numpy(x if x.ndim == 3 else x[None])[None]  # (1, C_in, H, W)
    weight = torch.from_numpy(np.ascontiguousarray(w4))
    if case["flip_kernel"]:
        weight = weight.flip(-1, -2)
    padding = case["padding"]
    layer = torch.nn.Conv2d(
        weight.shape[1],
        weight.shape[0],
        tuple(weight.shape[2:]),
        stride=case["stride"],
        padding=padding if isinstance(padding, str) else padding,
        dilation=case["dilation"],
        bias=bias is not None,
        padding_mode=case["padding_mode"],
        dtype=torch.float64,
    )
    with torch.no_grad(), warnings.catch_warnings():
        # torch warns that "same" with an even kernel copies the input; not our concern
        warnings.simplefilter("ignore", UserWarning)
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
        out = layer(x4)[0].numpy()  # (C_out, H_out, W_out)
    return out[0] if x.ndim == 2 and kernel.ndim == 2 else out


OPTIONS = ("stride", "padding", "padding_mode", "dilation", "flip_kernel")


def torch_backward(case: dict, grad: np.ndarray) -> tuple[np.ndarray, ...]:
    """(Y, ∂L/∂X, ∂L/∂K, ∂L/∂b or None) by torch.nn.Conv2d and autograd, for ∂L/∂Y = grad."""
    x, kernel, bias = case["x"], case["kernel"], case["bias"]
    w4 = kernel if kernel.ndim == 4 else kernel[None, None]
    layer = torch.nn.Conv2d(
        w4.shape[1],
        w4.shape[0],
        tuple(w4.shape[2:]),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        bias=bias is not None,
        padding_mode=case["padding_mode"],
        dtype=torch.float64,
    )
    weight = torch.from_numpy(np.ascontiguousarray(w4))
    with torch.no_grad():
        layer.weight.copy_(weight.flip(-1, -2) if case["flip_kernel"] else weight)
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
    x4 = torch.from_numpy(x if x.ndim == 3 else x[None])[None].requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "same" with an even kernel copies
        y = layer(x4)
    y.backward(torch.from_numpy(grad.reshape(y.shape)))
    grad_w = layer.weight.grad.numpy()
    if case["flip_kernel"]:
        grad_w = grad_w[..., ::-1, ::-1]  # torch saw the flipped kernel
    grad_b = None if bias is None else layer.bias.grad.numpy()
    return (
        y.detach().numpy().reshape(-1),
        x4.grad.numpy().reshape(x.shape),
        grad_w.reshape(kernel.shape),
        grad_b,
    )


def output_shape(case: dict) -> tuple[int, ...] | None:
    """The forward output's shape, or None when the convolution is refused."""
    try:
        return conv2d(
            case["x"],
            case["kernel"],
            case["bias"],
            options=ConvOptions(**{k: case[k] for k in OPTIONS}),
        ).shape
    except InvalidInput:
        return None


def engine_conv(case: dict) -> np.ndarray:
    """conv2d of a case."""
    return conv2d(
        case["x"],
        case["kernel"],
        case["bias"],
        options=ConvOptions(
            stride=case["stride"],
            padding=case["padding"],
            padding_mode=case["padding_mode"],
            dilation=case["dilation"],
            flip_kernel=case["flip_kernel"],
        ),
    )
