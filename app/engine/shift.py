"""Translation, and the equivariance report of convolution and pooling (Goodfellow et al.
§9.2 "equivariant representations", §9.3 "invariance to local translation").

A function f is equivariant to a translation T when f(T x) = T f(x). Convolution is, because the
same weights are applied at every position:

    conv(shift(x, dx, dy)) = shift(conv(x), dx / s, dy / s)

exactly at every output whose window sees only shifted image values, i.e. away from the
borders, where the shift pushes pixels out, zeros in, and padding changes what the window reads.
Max pooling after it is (approximately) invariant: a pooled output keeps its value while the
maximum moves inside its window, and changes when it crosses a window border. Max-blur-pool
(``pool_mode="blurmax"``, Zhang 2019) trades that all-or-nothing jump for a smooth change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.conv import (
    DEFAULT_OPTIONS,
    ConvGeometry,
    ConvOptions,
    check_finite,
    correlate,
    tap_view,
)
from app.engine.errors import InvalidInput
from app.engine.padding import IntOrPair, WorkedOut, pad, times
from app.engine.pooling import PoolResult, max_blur_pool2d, pool2d


def shift(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Translate the last two axes by dx columns right and dy rows down, filling with 0:
    out[…, i, j] = x[…, i − dy, j − dx] where that index exists, else 0. Same shape as x."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.size == 0:
        raise InvalidInput("image must be a non-empty H×W or C×H×W array")
    h, w = x.shape[-2:]
    out = np.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        ..., max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


@dataclass(frozen=True)
class PoolReport:
    """Pooling conv(x) and conv(shift(x)): what stayed the same (invariance)."""

    mode: str
    before: PoolResult
    after: PoolResult
    unchanged: np.ndarray
    """(H_pool, W_pool) bool: the pooled output kept its value."""

    @property
    def unchanged_count(self) -> int:
        """Pooled outputs that kept their value."""
        return int(self.unchanged.sum())

    @property
    def changed_count(self) -> int:
        """Pooled outputs whose value changed."""
        return int(self.unchanged.size) - self.unchanged_count


@dataclass(frozen=True)
class EquivarianceReport(WorkedOut):
    """conv(shift(x)) against shift(conv(x)), and the same after pooling."""

    geometry: ConvGeometry
    shifted_image: np.ndarray
    conv_output: np.ndarray
    conv_of_shifted: np.ndarray
    shifted_conv: np.ndarray
    difference: np.ndarray
    interior_mask: np.ndarray
    max_abs_diff_interior: float | None
    max_abs_diff_total: float
    output_shift: tuple[int, int]
    """(dx_out, dy_out) = (dx / s_w, dy / s_h)."""
    pool: PoolReport | None

    @property
    def interior_cells(self) -> int:
        """How many output cells the interior mask holds."""
        return int(self.interior_mask.sum())


def interior_mask(geometry: ConvGeometry, dx: int, dy: int) -> np.ndarray:
    """(H_out, W_out) bool: outputs of conv(shift(x)) whose whole window reads shifted image
    values (no padding, no zero fill). There conv(shift(x)) = shift(conv(x)) exactly."""
    carries = shift(np.ones(geometry.input_size), dx, dy)  # (H, W): 1 where x landed
    carries = pad(carries, geometry.pads, "zeros")  # (Hp, Wp): padding never counts
    mask = np.ones(geometry.output_size, dtype=bool)  # (H_out, W_out)
    kh, kw = geometry.kernel_size
    for a in range(kh):
        for b in range(kw):
            mask &= tap_view(carries, geometry, a, b) > 0.5
    return mask


def equivariance(
    image: np.ndarray,
    kernel: np.ndarray,
    options: ConvOptions = DEFAULT_OPTIONS,
    *,
    dx: int,
    dy: int,
    pool_mode: str | None = "max",
    pool_kernel: IntOrPair = 2,
    pool_stride: IntOrPair | None = None,
) -> EquivarianceReport:
    """The equivariance report for a 2-D image and kernel; ``pool_mode=None`` skips pooling,
    ``"blurmax"`` applies max-blur-pool (its window is fixed: ``pool_kernel``/``pool_stride``
    are not used)."""
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise InvalidInput("the equivariance report takes a 2-D image and a 2-D kernel")
    geometry = options.geometry(image.shape, kernel.shape)
    sh, sw = geometry.stride
    if dx % sw or dy % sh:
        raise InvalidInput(
            f"with stride {times(sh, sw)} the shift must be a whole number of strides "
            f"(a strided convolution is equivariant only to such shifts), got dx = {dx}, dy = {dy}"
        )
    out_dx, out_dy = dx // sw, dy // sh
    shifted_image = shift(image, dx, dy)
    y = correlate(image, kernel, None, geometry, options.flip_kernel)  # (H_out, W_out)
    y_of_shifted = correlate(shifted_image, kernel, None, geometry, options.flip_kernel)
    shifted_y = shift(y, out_dx, out_dy)
    with np.errstate(over="ignore", invalid="ignore"):
        difference = check_finite(y_of_shifted - shifted_y, "difference")
    mask = interior_mask(geometry, dx, dy)
    inside = float(np.abs(difference[mask]).max()) if mask.any() else None

    report = None
    if pool_mode is not None:
        settings = dict(kernel_size=pool_kernel, stride=pool_stride, mode=pool_mode)
        if pool_mode == "blurmax":
            before, after = max_blur_pool2d(y), max_blur_pool2d(y_of_shifted)
        else:
            before, after = pool2d(y, **settings), pool2d(y_of_shifted, **settings)
        tolerance = 1e-9 * max(1.0, float(np.abs(before.output).max()))
        unchanged = np.abs(after.output - before.output) <= tolerance
        report = PoolReport(pool_mode, before, after, unchanged)

    return EquivarianceReport(
        geometry=geometry,
        shifted_image=shifted_image,
        conv_output=y,
        conv_of_shifted=y_of_shifted,
        shifted_conv=shifted_y,
        difference=difference,
        interior_mask=mask,
        max_abs_diff_interior=inside,
        max_abs_diff_total=float(np.abs(difference).max()),
        output_shift=(out_dx, out_dy),
        pool=report,
    )
