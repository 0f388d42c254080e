"""The effective receptive field (Luo, Li, Urtasun & Zemel, NeurIPS 2016).

A stack of L single-channel k×k convolutions (stride 1, no padding) has the theoretical field
R_L = 1 + L(k − 1), but the pixels of that square do not count equally: the gradient
∂y_c/∂x of the centre output unit y_c with respect to the input is, for uniform weights and no
non-linearity, the box of side k convolved with itself L times. By the central limit theorem it
tends to a Gaussian of standard deviation √(L(k² − 1)/12) per axis: the field that matters grows
like √L while the theoretical one grows like L.

We measure it with torch autograd (the one engine module that imports torch): the inputs (and,
for random weights, the networks) of all samples run as one grouped convolution, y_c of every
sample is summed and differentiated once, and |∂y_c/∂x| is averaged over the samples. Without a
ReLU and with uniform weights the network is one fixed linear map, so its gradient is the same
for every input: one sample then stands for all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

from app.engine.errors import InvalidInput

WeightsKind = Literal["uniform", "random"]
MAX_MARGIN = 64


def theoretical_size(num_layers: int, kernel_size: int) -> int:
    """R_L = 1 + L(k − 1)."""
    return 1 + num_layers * (kernel_size - 1)


def gaussian_std(num_layers: int, kernel_size: int) -> float:
    """√(L(k² − 1)/12): the std of L boxes of side k convolved (variance (k² − 1)/12 each)."""
    return math.sqrt(num_layers * (kernel_size**2 - 1) / 12)


def forward_macs(num_layers: int, kernel_size: int, input_size: int, samples: int) -> int:
    """Multiply-adds of the forward pass on an n×n input: Σ_l (n − l(k − 1))²·k² per sample."""
    sides = (input_size - layer * (kernel_size - 1) for layer in range(1, num_layers + 1))
    return samples * kernel_size**2 * sum(side * side for side in sides)


@dataclass(frozen=True)
class EffectiveField:
    """The measured field: a normalised heatmap, its radius and spread, and the theory."""

    heatmap: np.ndarray  # (n, n), max 1
    centre: tuple[float, float]  # input coordinates (row, col) of the theoretical field's centre
    box: tuple[int, int]  # [first, last] rows (= cols) of the theoretical field
    theoretical_size: int
    theoretical_radius: float
    radius: float
    mass_fraction: float
    std: float
    gaussian_std: float
    num_layers: int
    kernel_size: int

    @property
    def size(self) -> tuple[int, int]:
        """(rows, cols) of the heat map."""
        return (self.heatmap.shape[0], self.heatmap.shape[1])

    @property
    def radius_ratio(self) -> float:
        """Measured radius over the theoretical one."""
        return self.radius / self.theoretical_radius


def _samples(count: int) -> str:
    return "1 sample" if count == 1 else f"{count} samples"


def _samples_needed(weights: WeightsKind, relu: bool, num_samples: int) -> int:
    """A linear network with fixed weights has one gradient for every input."""
    return 1 if weights == "uniform" and not relu else num_samples


def mass_radius(heat: np.ndarray, centre: float, fraction: float) -> float:
    """Smallest Chebyshev radius r about (centre, centre) whose square holds `fraction` of
    the mass of `heat` (distances between pixel centres, so r is an integer or a half)."""
    n_rows, n_cols = heat.shape
    rows = np.abs(np.arange(n_rows) - centre)[:, None]  # (n, 1)
    cols = np.abs(np.arange(n_cols) - centre)[None, :]  # (1, n)
    dist = np.maximum(rows, cols).ravel()  # (n·n,)
    order = np.argsort(dist, kind="stable")
    mass = np.cumsum(heat.ravel()[order])  # (n·n,)
    total = mass[-1]
    assert total > 0, "the heatmap has no mass"
    reached = np.flatnonzero(mass >= fraction * total * (1 - 1e-12))[0]
    return float(dist[order][reached])


def spread(heat: np.ndarray) -> float:
    """√((σ²_rows + σ²_cols)/2) of `heat` read as a distribution over pixel centres."""
    total = heat.sum()
    rows = heat.sum(axis=1) / total  # (n,)
    cols = heat.sum(axis=0) / total  # (n,)
    idx = np.arange(len(rows))
    variances = []
    for marginal in (rows, cols):
        mean = (marginal * idx).sum()
        variances.append((marginal * (idx - mean) ** 2).sum())
    return math.sqrt(sum(variances) / 2)


def gradient_map(
    num_layers: int,
    kernel_size: int,
    weights: WeightsKind,
    relu: bool,
    samples: int,
    seed: int,
    input_size: int,
) -> np.ndarray:
    """Mean over samples of |∂y_c/∂x| for the centre output unit y_c, shape (n, n).

    y_c depends only on the R_L×R_L window of its theoretical field, so the stack runs on that
    window alone; the gradient is exactly zero elsewhere (the margin of a larger input).
    """
    gen = torch.Generator().manual_seed(seed)
    k, n = kernel_size, input_size
    size = theoretical_size(num_layers, k)
    first = (n - size) // 2  # the centre unit of the (n − R_L + 1)-wide output sees first …
    # the samples ride in the channel axis of one grouped convolution: sample b has its own
    # input x[0, b] and (for random weights) its own filters w[b]
    # only the window is drawn, so the margin of a larger input changes no random number: the
    # same (L, k, seed) measures the same field whatever the input size (the page's table and
    # its depth series agree)
    window = torch.randn(1, samples, size, size, generator=gen, dtype=torch.float64)
    window.requires_grad_(True)  # (1, B, R_L, R_L)
    h = window
    for layer in range(num_layers):
        if weights == "uniform":
            w = torch.full((samples, 1, k, k), 1.0 / k**2, dtype=torch.float64)  # (B, 1, k, k)
        else:
            w = torch.randn(samples, 1, k, k, generator=gen, dtype=torch.float64) / k
        h = F.conv2d(h, w, groups=samples)  # (1, B, R_L − (l+1)(k−1), same)
        if relu and layer < num_layers - 1:
            h = F.relu(h)
    assert h.shape[-2:] == (1, 1), f"the stack should end in one unit, got {tuple(h.shape)}"
    (grad,) = torch.autograd.grad(h.sum(), window)  # (1, B, R_L, R_L)
    heat = np.zeros((n, n))
    heat[first : first + size, first : first + size] = grad[0].abs().mean(dim=0).numpy()
    return heat  # (n, n)


def effective_receptive_field(
    num_layers: int,
    kernel_size: int,
    weights: WeightsKind = "uniform",
    relu: bool = False,
    num_samples: int = 8,
    seed: int = 0,
    input_size: int | None = None,
    mass_fraction: float = 0.95,
    max_macs: int | None = None,
) -> EffectiveField:
    """Measure the effective receptive field of L conv layers of k×k (Luo et al. 2016).

    The input side defaults to R_L, the theoretical field; a larger side (up to R_L + 64)
    shows the zero gradient around it (and costs nothing: only the field is computed).
    Raises InvalidInput when the forward pass over the field would need more than `max_macs`
    multiply-adds, or when every sampled gradient is zero.
    """
    assert num_layers >= 1 and kernel_size >= 1 and num_samples >= 1
    assert 0 < mass_fraction <= 1, "mass_fraction must be in (0, 1]"
    size = theoretical_size(num_layers, kernel_size)
    n = size if input_size is None else input_size
    if not size <= n <= size + MAX_MARGIN:
        raise InvalidInput(
            f"input_size {n} must be between the theoretical field {size} = 1 + "
            f"{num_layers}·({kernel_size} − 1) and {size + MAX_MARGIN}"
        )
    samples = _samples_needed(weights, relu, num_samples)
    macs = forward_macs(num_layers, kernel_size, size, samples)
    if max_macs is not None and macs > max_macs:
        raise InvalidInput(
            f"{num_layers} layers of {kernel_size}×{kernel_size} over their {size}×{size} "
            f"field with {_samples(samples)} need {macs:,} multiply-adds, over the limit of "
            f"{max_macs:,}; use fewer samples, fewer layers or a smaller kernel"
        )
    heat = gradient_map(num_layers, kernel_size, weights, relu, samples, seed, n)
    peak = heat.max()
    if not peak > 0:
        raise InvalidInput(
            "the gradient of the centre unit is zero for every sample (every path through "
            "the ReLUs is dead); use more samples or another seed"
        )
    # the output is (n − R_L + 1) wide; its centre unit c = (n − R_L)//2 sees inputs c … c + R_L − 1
    first = (n - size) // 2
    centre = first + (size - 1) / 2
    return EffectiveField(
        heatmap=heat / peak,
        centre=(centre, centre),
        box=(first, first + size - 1),
        theoretical_size=size,
        theoretical_radius=(size - 1) / 2,
        radius=mass_radius(heat, centre, mass_fraction),
        mass_fraction=mass_fraction,
        std=spread(heat),
        gaussian_std=gaussian_std(num_layers, kernel_size),
        num_layers=num_layers,
        kernel_size=kernel_size,
    )


@dataclass(frozen=True)
class SeriesPoint:
    """One depth of the series."""

    num_layers: int
    """L."""
    theoretical_size: int
    """R_L = 1 + L(k − 1)."""
    theoretical_radius: float
    """L(k − 1)/2."""
    radius: float
    """Measured half-width holding mass_fraction of the mass."""
    std: float
    """Measured std of the gradient distribution."""
    gaussian_std: float
    """√(L(k² − 1)/12)."""
    radius_ratio: float
    """radius / theoretical_radius."""


def growth_exponent(depths: list[int], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(L); None with < 2 depths or a zero."""
    if len(depths) < 2 or min(values) <= 0:
        return None
    slope, _ = np.polyfit(np.log(depths), np.log(values), 1)
    return float(slope)


def effective_rf_series(
    depths: list[int],
    kernel_size: int,
    weights: WeightsKind = "uniform",
    relu: bool = False,
    num_samples: int = 4,
    seed: int = 0,
    mass_fraction: float = 0.95,
    max_macs: int | None = None,
) -> list[SeriesPoint]:
    """The effective field at several depths (each on an input of exactly R_L)."""
    unique = sorted(set(depths))
    samples = _samples_needed(weights, relu, num_samples)
    macs = sum(
        forward_macs(L, kernel_size, theoretical_size(L, kernel_size), samples) for L in unique
    )
    if max_macs is not None and macs > max_macs:
        raise InvalidInput(
            f"depths {unique} with {kernel_size}×{kernel_size} kernels and {_samples(samples)} "
            f"need {macs:,} multiply-adds, over the limit of {max_macs:,}; use fewer samples, "
            f"fewer or shallower depths, or a smaller kernel"
        )
    points = []
    for L in unique:
        field = effective_receptive_field(
            L, kernel_size, weights, relu, num_samples, seed, None, mass_fraction
        )
        points.append(
            SeriesPoint(
                L,
                field.theoretical_size,
                field.theoretical_radius,
                field.radius,
                field.std,
                field.gaussian_std,
                field.radius_ratio,
            )
        )
    return points


@dataclass(frozen=True)
class Growth:
    """A series of effective fields and how their std and radius grow with depth."""

    kernel_size: int
    points: list[SeriesPoint]
    std_exponent: float | None
    radius_exponent: float | None


def effective_rf_growth(depths: list[int], kernel_size: int, **options: Any) -> Growth:
    """``effective_rf_series`` (same ``options``: weights, relu, num_samples, seed,
    mass_fraction, max_macs) and the ``growth_exponent`` of its std and radius."""
    points = effective_rf_series(depths, kernel_size, **options)
    measured = [p.num_layers for p in points]
    return Growth(
        kernel_size,
        points,
        growth_exponent(measured, [p.std for p in points]),
        growth_exponent(measured, [p.radius for p in points]),
    )
