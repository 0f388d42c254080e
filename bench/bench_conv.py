"""Benchmark: the engine's conv2d against torch.nn.functional.conv2d, one thread each.

Run:  .venv/bin/python bench/bench_conv.py [--repeats 30]

Prints a markdown table of median times and the ratio engine / torch (the two take turns in
every round, so load from other processes falls on both). Both run on one thread:
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

from app.engine.conv import conv2d  # noqa: E402

CASES = [
    ("1×256×256, 3×3", (1, 256, 256), (1, 1, 3, 3)),
    ("1×256×256, 5×5", (1, 256, 256), (1, 1, 5, 5)),
    ("1×256×256, 7×7", (1, 256, 256), (1, 1, 7, 7)),
    ("3→16, 64×64, 3×3", (3, 64, 64), (16, 3, 3, 3)),
]


def median_seconds(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median wall time of each function over ``repeats`` rounds, after two warm-up rounds.

    The functions take turns within each round, so a busy machine slows them alike.
    """
    for fn in fns:
        fn()
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, samples in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
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


if __name__ == "__main__":
    main()
