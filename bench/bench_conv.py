"""Benchmark: the engine's conv2d against torch.nn.functional.conv2d, one thread each.

Run:  .venv/bin/python bench/bench_conv.py [--repeats 30]

Prints a markdown table of median times and the ratio engine / torch (the two take turns in
every round, so load from other processes falls on both); then the backward pass
(conv2d_backward: Y, ∂L/∂X, ∂L/∂K against torch.autograd) and the transposed convolution
(conv_transpose2d against F.conv_transpose2d), timed in CPU time (time.process_time), which a
busy machine disturbs less than wall time. Both run on one thread:
torch.set_num_threads(1), and the OpenMP / OpenBLAS / MKL thread counts of NumPy's BLAS set to 1
before NumPy is imported. Inputs are float64 (the engine's dtype) for both.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from app.engine.backward import conv2d_backward  # noqa: E402
from app.engine.conv import ConvOptions, conv2d  # noqa: E402
from app.engine.transpose import TransposeOptions, conv_transpose2d  # noqa: E402

CASES = [
    ("1×256×256, 3×3", (1, 256, 256), (1, 1, 3, 3)),
    ("1×256×256, 5×5", (1, 256, 256), (1, 1, 5, 5)),
    ("1×256×256, 7×7", (1, 256, 256), (1, 1, 7, 7)),
    ("3→16, 64×64, 3×3", (3, 64, 64), (16, 3, 3, 3)),
]
BACKWARD_CASES = [
    ("1×256×256, 3×3", (1, 256, 256), (1, 1, 3, 3), 1),
    ("1×256×256, 5×5, stride 2", (1, 256, 256), (1, 1, 5, 5), 2),
    ("3→16, 64×64, 3×3", (3, 64, 64), (16, 3, 3, 3), 1),
]
TRANSPOSE_CASES = [
    ("1×128×128, 3×3, stride 2", (1, 128, 128), (1, 1, 3, 3), 2),
    ("1×128×128, 4×4, stride 2", (1, 128, 128), (1, 1, 4, 4), 2),
    ("16→3, 32×32, 3×3, stride 2", (16, 32, 32), (16, 3, 3, 3), 2),
]


def median_seconds(
    fns: list[Callable[[], object]], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Median time (wall, or ``clock``) of each function over ``repeats`` rounds, after two
    warm-up rounds.

    The functions take turns within each round, so a busy machine slows them alike.
    """
    for fn in fns:
        fn()
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, samples in zip(fns, times, strict=True):
            start = clock()
            fn()
            samples.append(clock() - start)
    return [statistics.median(samples) for samples in times]


def main() -> None:
    """Time every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per case (30)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)

    print("| case | engine (ms) | torch (ms) | engine / torch |")
    print("|---|---:|---:|---:|")
    for name, x_shape, w_shape in CASES:
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)
        single = x_shape[0] == 1 and w_shape[0] == 1
        x_in = x[0] if single else x
        w_in = w[0, 0] if single else w
        np.testing.assert_allclose(
            conv2d(x_in, w_in).reshape(-1), F.conv2d(xt, wt).numpy().reshape(-1), atol=1e-9
        )
        with torch.no_grad():
            engine, ref = median_seconds(
                [
                    lambda x_in=x_in, w_in=w_in: conv2d(x_in, w_in),
                    lambda xt=xt, wt=wt: F.conv2d(xt, wt),
                ],
                args.repeats,
            )
        print(f"| {name} | {engine * 1e3:.3f} | {ref * 1e3:.3f} | {engine / ref:.2f}× |")
    backward_table(rng, args.repeats)
    transpose_table(rng, args.repeats)


def backward_table(rng: np.random.Generator, repeats: int) -> None:
    """conv2d_backward (forward, ∂L/∂X, ∂L/∂K) against torch's forward + autograd.grad."""
    print("\n| backward: Y, ∂L/∂X, ∂L/∂K | engine CPU (ms) | torch CPU (ms) | engine / torch |")
    print("|---|---:|---:|---:|")
    for name, x_shape, w_shape, stride in BACKWARD_CASES:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        xt = torch.from_numpy(x)[None].requires_grad_(True)
        wt = torch.from_numpy(w).requires_grad_(True)
        g = rng.standard_normal(F.conv2d(xt, wt, stride=stride).shape[1:])
        gt = torch.from_numpy(g)[None]

        def engine(x=x, w=w, g=g, stride=stride):
            return conv2d_backward(x, w, grad_output=g, options=ConvOptions(stride=stride))

        def ref(xt=xt, wt=wt, gt=gt, stride=stride):
            return torch.autograd.grad(F.conv2d(xt, wt, stride=stride), (xt, wt), gt)

        ours, theirs = engine(), ref()
        np.testing.assert_allclose(ours.grad_input, theirs[0][0].numpy(), atol=1e-9)
        np.testing.assert_allclose(ours.grad_kernel, theirs[1].numpy(), atol=1e-9)
        e, t = median_seconds([engine, ref], repeats, time.process_time)
        print(f"| {name} | {e * 1e3:.3f} | {t * 1e3:.3f} | {e / t:.2f}× |")


def transpose_table(rng: np.random.Generator, repeats: int) -> None:
    """conv_transpose2d against F.conv_transpose2d."""
    print("\n| transposed convolution | engine CPU (ms) | torch CPU (ms) | engine / torch |")
    print("|---|---:|---:|---:|")
    for name, x_shape, w_shape, stride in TRANSPOSE_CASES:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)

        def engine(x=x, w=w, stride=stride):
            return conv_transpose2d(x, w, options=TransposeOptions(stride=stride))

        def ref(xt=xt, wt=wt, stride=stride):
            with torch.no_grad():
                return F.conv_transpose2d(xt, wt, stride=stride)

        np.testing.assert_allclose(engine(), ref()[0].numpy(), atol=1e-9)
        e, t = median_seconds([engine, ref], repeats, time.process_time)
        print(f"| {name} | {e * 1e3:.3f} | {t * 1e3:.3f} | {e / t:.2f}× |")


if __name__ == "__main__":
    main()
