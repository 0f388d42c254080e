"""Effective receptive field figures: radius against depth, and the time one request takes.

Prints (not a test):
  1. for k = 3, per depth L: theoretical radius L(k − 1)/2, the measured 95 %-mass radius and
     std for uniform weights (linear) and random weights + ReLU, and the fitted exponents;
  2. the median wall time of one /api/receptive-field/effective computation (engine call,
     one torch thread) for a few settings, including the largest the default limits allow.

Run:  .venv/bin/python bench/bench_erf.py
"""

from __future__ import annotations

import statistics
import time

import torch

from app.config import get_settings
from app.engine.effective_rf import effective_receptive_field, growth_exponent

DEPTHS = [1, 2, 4, 8, 16, 32]


def radius_table(kernel_size: int = 3, samples: int = 16) -> None:
    """Theoretical vs measured radius per depth, uniform-linear and random-ReLU."""
    print(f"k = {kernel_size}; random + ReLU averaged over {samples} samples (seed 0)\n")
    print(
        "|  L | R_L | theoretical radius | radius (uniform) | std (uniform) "
        "| radius (random+ReLU) | std (random+ReLU) |"
    )
    print("|---:|----:|---:|---:|---:|---:|---:|")
    uniform, random = [], []
    for depth in DEPTHS:
        u = effective_receptive_field(depth, kernel_size)
        r = effective_receptive_field(depth, kernel_size, "random", True, samples, 0)
        uniform.append(u)
        random.append(r)
        print(
            f"| {depth:2d} | {u.theoretical_size:3d} | {u.theoretical_radius:.1f} "
            f"| {u.radius:.1f} | {u.std:.2f} | {r.radius:.1f} | {r.std:.2f} |"
        )
    print()
    for label, fields in (("uniform", uniform), ("random+ReLU", random)):
        radius = growth_exponent(DEPTHS, [f.radius for f in fields])
        std = growth_exponent(DEPTHS, [f.std for f in fields])
        print(
            f"growth exponent ({label}): radius L^{radius:.2f}, std L^{std:.2f} "
            f"(theoretical radius: L^1)"
        )


def timings(repeats: int = 7) -> None:
    """Median time per engine call (what one request computes)."""
    limit = get_settings().max_erf_macs
    cases = [
        (8, 3, "uniform", False, 8),
        (16, 3, "random", True, 8),
        (32, 3, "random", True, 16),
        (32, 5, "random", True, 8),
        (32, 7, "random", True, 2),
        (16, 9, "random", True, 4),
    ]
    print(f"\nmedian of {repeats} runs, 1 torch thread, limit {limit:,} multiply-adds\n")
    print("| L | k | weights | ReLU | samples | median ms |")
    print("|--:|--:|---|---|--:|--:|")
    for depth, k, weights, relu, samples in cases:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            effective_receptive_field(depth, k, weights, relu, samples, 0, max_macs=limit)
            times.append(time.perf_counter() - start)
        print(
            f"| {depth} | {k} | {weights} | {relu} | {samples} "
            f"| {1000 * statistics.median(times):.1f} |"
        )


def main() -> None:
    torch.set_num_threads(1)
    radius_table()
    timings()


if __name__ == "__main__":
    main()
