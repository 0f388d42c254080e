"""Max, average and global average pooling in NumPy, float64 (Goodfellow et al. §9.3).

    max:  Y[c, i, j] = max_{a,b} X_pad[c, i·s + a·d, j·s + b·d]
    avg:  Y[c, i, j] = (1/n) Σ_{a,b} X_pad[c, i·s + a·d, j·s + b·d]

Semantics follow torch.nn.functional.max_pool2d / avg_pool2d: padding at most ⌊k/2⌋; max
pooling pads with −∞ so padding never wins and reports the first maximum in row-major window
order (``return_indices``); average pooling pads with zeros and divides by the number n of
window cells inside the padded input (``count_include_pad=True``, PyTorch's default) or inside
the input itself (``False``). ``ceil_mode`` may add a last window that runs past the padded
input; its cells out there count for nothing, as in PyTorch. Dilation is also offered for
average pooling (PyTorch has none there): the same window, averaged. One deliberate difference:
where a dilated window holds padding only, PyTorch's max pooling answers −∞ (with a bogus
index); here that is refused with a readable InvalidInput.

Output sizes follow Dumoulin & Visin (2016), see ``padding.py``. The 2×2 stride-2 pooling of
the tutorial gives ⌊H/2⌋ × ⌊W/2⌋. Vectorised: one pass per window tap, no loop over pixels.

Max-blur-pool (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again"), the
anti-aliased replacement of 2×2 max pooling, as ``antialiased_cnns``' ``MaxBlurPool``:

    M = max_pool(X, k=2, s=1)                     (C, H − 1, W − 1): dense max, no subsampling
    Y = B ⋆ reflect_pad(M, 1)  at stride 2        (C, ⌊H/2⌋, ⌊W/2⌋)
    B = [1, 2, 1]ᵀ [1, 2, 1] / 16                 a low-pass (binomial) filter before subsampling

Subsampling a signal keeps frequencies it cannot represent as aliases, which is why a
one-pixel shift can change a max-pooled map completely; blurring first removes most of them.
The blur stage's size is ⌊((H − 1) + 2 − 3)/2⌋ + 1 = ⌊H/2⌋, the size 2×2 max pooling gives;
reflect padding needs H − 1 ≥ 2, so the input must be at least 3×3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import check_finite, tap_view
from app.engine.errors import InvalidInput
from app.engine.padding import (
    AxisGeometry,
    IntOrPair,
    PlaneGeometry,
    WorkedOut,
    as_pair,
    times,
    window_axes,
)

POOL_MODES = ("max", "avg")

BINOMIAL_3 = np.array([1.0, 2.0, 1.0])
BLUR_KERNEL = np.outer(BINOMIAL_3, BINOMIAL_3) / 16.0
"""The 3×3 binomial low-pass filter of max-blur-pool; its weights sum to 1."""


@dataclass(frozen=True)
class PoolGeometry(PlaneGeometry):
    """Sizes of a pooling, from shapes and hyper-parameters alone."""

    channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int]
    height: AxisGeometry
    width: AxisGeometry
    squeeze: bool
    """True for a 2-D input: the output is H_out×W_out."""

    @property
    def out_channels(self) -> int:
        """Pooling keeps the channels: C."""
        return self.channels

    @property
    def operations(self) -> int:
        """Window cells read: C·H_out·W_out·kh·kw."""
        kh, kw = self.kernel_size
        return self.channels * self.height.output * self.width.output * kh * kw


def _split_channels(shape: tuple[int, ...]) -> tuple[int, tuple[int, int], bool]:
    if len(shape) == 2:
        return 1, (shape[0], shape[1]), True
    if len(shape) == 3:
        return shape[0], (shape[1], shape[2]), False
    raise InvalidInput(f"input must be H×W or C×H×W, got {len(shape)} axes")


def pool_geometry(
    input_shape: tuple[int, ...],
    *,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> PoolGeometry:
    """Check the settings as PyTorch does and work out the output size."""
    channels, size, squeeze = _split_channels(tuple(input_shape))
    if min(size) < 1 or channels < 1:
        raise InvalidInput("input must not be empty")
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride_hw = kernel if stride is None else as_pair(stride, "stride", minimum=1)
    pad_hw = as_pair(padding, "padding", minimum=0)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    for axis, p, k in zip(("height", "width"), pad_hw, kernel, strict=True):
        if p > k // 2:
            raise InvalidInput(
                f"padding {p} along the {axis} is more than half the window size {k} "
                f"(at most {k // 2}, as in PyTorch)"
            )
    height, width = window_axes(
        size,
        kernel,
        stride=stride_hw,
        dilation=dilation_hw,
        pads=((pad_hw[0], pad_hw[0]), (pad_hw[1], pad_hw[1])),
        ceil_mode=ceil_mode,
        what="pooling window",
    )
    return PoolGeometry(channels, kernel, stride_hw, dilation_hw, pad_hw, height, width, squeeze)


@dataclass(frozen=True)
class PoolResult(WorkedOut):
    """A pooled map with, for max pooling, the input cell every output came from."""

    mode: str
    """max, avg, blurmax or global_avg."""
    output: np.ndarray
    """(H_out, W_out) or (C, H_out, W_out)."""
    argmax: np.ndarray | None
    """Max pooling: (…, H_out, W_out, 2) input [row, col] of each maximum; else None."""
    geometry: PoolGeometry | BlurMaxGeometry | None
    """None for global average pooling."""

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(H_out, W_out) or (C, H_out, W_out)."""
        return self.output.shape


def _overhang(geometry: PoolGeometry) -> list[int]:
    """Cells the last window (ceil_mode) runs past the padded input, per axis."""
    return [
        max(0, (axis.output - 1) * axis.stride + axis.span - axis.padded)
        for axis in (geometry.height, geometry.width)
    ]


def _extended(x: np.ndarray, geometry: PoolGeometry, fill: float) -> np.ndarray:
    """x (C, H, W) padded by p, and at the end by the ceil_mode overhang: (C, H_ext, W_ext)."""
    (ph, pw), (eh, ew) = geometry.padding, _overhang(geometry)
    widths = [(0, 0), (ph, ph + eh), (pw, pw + ew)]
    return np.pad(x, widths, mode="constant", constant_values=fill)


def _taps(xe: np.ndarray, geometry: PoolGeometry):
    """Yield (a, b, view) for every window tap; view is (C, H_out, W_out) of xe."""
    kh, kw = geometry.kernel_size
    for a in range(kh):
        for b in range(kw):
            yield a, b, tap_view(xe, geometry, a, b)


def _window_counts(geometry: PoolGeometry, include_pad: bool) -> np.ndarray:
    """Window cells inside the padded input (include_pad) or the input: (1, H_out, W_out)."""
    h, w = geometry.input_size
    if include_pad:
        (ph, pw), (eh, ew) = geometry.padding, _overhang(geometry)
        inside = np.ones((1, h + 2 * ph, w + 2 * pw))  # (1, Hp, Wp): input and its padding
        ext = np.pad(inside, [(0, 0), (0, eh), (0, ew)])  # (1, H_ext, W_ext)
    else:
        ext = _extended(np.ones((1, h, w)), geometry, 0.0)  # (1, H_ext, W_ext)
    counts = np.zeros((1, *geometry.output_size))
    for _, _, view in _taps(ext, geometry):
        counts += view
    return counts


def pool2d(
    x: np.ndarray,
    *,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    mode: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> PoolResult:
    """Max or average pooling of x (H, W) or (C, H, W), each channel on its own."""
    if mode not in POOL_MODES:
        raise InvalidInput(f"mode must be one of {', '.join(POOL_MODES)}, got {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    geometry = pool_geometry(
        x.shape,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    x3 = x.reshape(geometry.channels, *geometry.input_size)  # (C, H, W)
    real = _window_counts(geometry, include_pad=False)  # (1, H_out, W_out)
    if (real == 0).any():
        raise InvalidInput(
            "some pooling windows cover only padding (the dilation skips over the whole input); "
            "use less padding or dilation"
        )
    ho, wo = geometry.output_size
    argmax = None
    if mode == "max":
        xe = _extended(x3, geometry, -np.inf)
        out = np.full((geometry.channels, ho, wo), -np.inf)  # (C, H_out, W_out)
        best_a = np.zeros(out.shape, dtype=np.int64)
        best_b = np.zeros(out.shape, dtype=np.int64)
        for a, b, view in _taps(xe, geometry):
            better = view > out  # strict: the first maximum in window order wins
            np.copyto(out, view, where=better)
            best_a[better] = a
            best_b[better] = b
        (sh, sw), (dh, dw), (ph, pw) = geometry.stride, geometry.dilation, geometry.padding
        rows = np.arange(ho)[:, None] * sh + best_a * dh - ph  # (C, H_out, W_out)
        cols = np.arange(wo)[None, :] * sw + best_b * dw - pw  # (C, H_out, W_out)
        argmax = np.stack([rows, cols], axis=-1)  # (C, H_out, W_out, 2)
    else:
        xe = _extended(x3, geometry, 0.0)
        total = np.zeros((geometry.channels, ho, wo))  # (C, H_out, W_out)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            for _, _, view in _taps(xe, geometry):
                total += view
        divisor = _window_counts(geometry, include_pad=True) if count_include_pad else real
        out = total / divisor
    check_finite(out, "pooling")
    if geometry.squeeze:
        return PoolResult(mode, out[0], None if argmax is None else argmax[0], geometry)
    return PoolResult(mode, out, argmax, geometry)


def global_avg_pool(x: np.ndarray) -> PoolResult:
    """Mean of every channel: (H, W) → (1, 1), (C, H, W) → (C, 1, 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3) or x.size == 0:
        raise InvalidInput("input must be a non-empty H×W or C×H×W array")
    with np.errstate(over="ignore", invalid="ignore"):
        out = check_finite(x.mean(axis=(-2, -1), keepdims=True), "pooling")
    return PoolResult("global_avg", out, None, None)


@dataclass(frozen=True)
class BlurMaxGeometry(PlaneGeometry):
    """Sizes of max-blur-pool: the dense 2×2 max (``max_stage``), then the 3×3 blur at stride 2
    with reflect padding 1, whose axes (``height``, ``width``) read from the max's output, so
    ``input_size`` is (H − 1, W − 1); the request's input is ``max_stage.input_size``."""

    channels: int
    max_stage: PoolGeometry
    height: AxisGeometry
    width: AxisGeometry
    squeeze: bool

    @property
    def out_channels(self) -> int:
        """Pooling keeps the channels: C."""
        return self.channels

    @property
    def operations(self) -> int:
        """Cells read: the max's C·(H−1)·(W−1)·4, then the blur's C·H_out·W_out·9."""
        ho, wo = self.output_size
        return self.max_stage.operations + self.channels * ho * wo * BLUR_KERNEL.size


def blurmax_geometry(input_shape: tuple[int, ...]) -> BlurMaxGeometry:
    """The sizes of max-blur-pool of an H×W or C×H×W input (H, W ≥ 3)."""
    channels, (h, w), squeeze = _split_channels(tuple(input_shape))
    if min(h, w) < 3 or channels < 1:
        raise InvalidInput(
            f"max-blur-pool needs an input of at least 3×3 (the 2×2 max leaves "
            f"{times(max(h - 1, 0), max(w - 1, 0))}, and reflect padding by 1 needs 2 cells), "
            f"got {times(h, w)}"
        )
    max_stage = pool_geometry(input_shape, kernel_size=2, stride=1)
    height, width = window_axes(
        max_stage.output_size,
        BLUR_KERNEL.shape,
        stride=(2, 2),
        dilation=(1, 1),
        pads=((1, 1), (1, 1)),
        what="blur kernel",
    )
    return BlurMaxGeometry(channels, max_stage, height, width, squeeze)


def max_blur_pool2d(x: np.ndarray) -> PoolResult:
    """Max-blur-pool of x (H, W) or (C, H, W), each channel on its own: ⌊H/2⌋ × ⌊W/2⌋."""
    x = np.asarray(x, dtype=np.float64)
    geometry = blurmax_geometry(x.shape)
    x3 = x.reshape(geometry.channels, *geometry.max_stage.input_size)  # (C, H, W)
    dense = pool2d(x3, kernel_size=2, stride=1, mode="max").output  # (C, H − 1, W − 1)
    padded = np.pad(dense, [(0, 0), (1, 1), (1, 1)], mode="reflect")  # (C, H + 1, W + 1)
    ho, wo = geometry.output_size
    out = np.zeros((geometry.channels, ho, wo))  # (C, H_out, W_out)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        for a in range(3):
            for b in range(3):
                out += (
                    BLUR_KERNEL[a, b]
                    * padded[:, a : a + 2 * (ho - 1) + 1 : 2, b : b + 2 * (wo - 1) + 1 : 2]
                )
    check_finite(out, "pooling")
    return PoolResult("blurmax", out[0] if geometry.squeeze else out, None, geometry)
