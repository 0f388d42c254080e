"""Random transposed convolutions and torch's answers to them (engine and API tests)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

small_pair = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
small_pad = st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)))


@st.composite
def transpose_cases(draw: st.DrawFn, *, valid_output_padding: bool = False) -> dict:
    """A random transposed convolution, possibly one torch refuses (unless
    ``valid_output_padding``: then output_padding < stride, the usual case)."""
    multi = draw(st.booleans())
    c_in = draw(st.integers(1, 3)) if multi else 1
    c_out = draw(st.integers(1, 3)) if multi else 1
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    stride = draw(small_pair)
    output_padding = draw(small_pad)
    if valid_output_padding:
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        output_padding = (draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1)))
    return {
        "x": rng.standard_normal((c_in, h, w) if multi else (h, w)),
        "kernel": rng.standard_normal((c_in, c_out, kh, kw) if multi else (kh, kw)),
        "bias": rng.standard_normal(c_out) if draw(st.booleans()) else None,
        "stride": stride,
        "padding": draw(small_pad),
        "output_padding": output_padding,
        "dilation": draw(small_pair),
    }


OPTIONS = ("stride", "padding", "output_padding", "dilation")


def torch_transpose(case: dict) -> np.ndarray:
    """torch's answer (float64), shaped as the engine shapes it; raises what torch raises."""
    x, kernel, bias = case["x"], case["kernel"], case["bias"]
    x4 = torch.from_numpy(x if x.ndim == 3 else x[None])[None]
    w4 = torch.from_numpy(kernel if kernel.ndim == 4 else kernel[None, None])
    out = F.conv_transpose2d(
        x4,
        w4,
        None if bias is None else torch.from_numpy(bias),
        **{k: case[k] for k in OPTIONS},
    )[0].numpy()
    return out[0] if x.ndim == 2 and kernel.ndim == 2 else out
