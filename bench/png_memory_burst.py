"""Memory under a burst of the largest PNGs the MNIST routes accept.

A 2048×2048 RGB PNG of one colour compresses to about 12 KB but decodes to about 100 MB.
Starts ``convlab serve`` on a free loopback port, sends ``--burst`` of them at once to
``POST /api/mnist/activations`` and prints the peak resident memory of the workers, so the
effect of ``CONVLAB_THREADPOOL_SIZE`` (how many decode at once per worker) can be seen:

    python bench/png_memory_burst.py                        # the configured thread pool
    python bench/png_memory_burst.py --threadpool-size 40   # anyio's default

Bounded: at most 256 requests, 60 s per request; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import struct
import threading
import time
import zlib
from collections import Counter
from pathlib import Path

from overload_burst import _one, serving

ROOT = Path(__file__).resolve().parent.parent


def flat_png(side: int) -> bytes:
    """A valid ``side``×``side`` 8-bit RGB PNG, all black: tiny compressed, huge decoded."""
    row = b"\x00" + b"\x00" * (3 * side)  # filter byte + pixels

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * side, 9))
        + chunk(b"IEND", b"")
    )


def _rss_mb(parent: int) -> float:
    """Resident memory of the server's worker processes, in MB."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    total = 0
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=64, help="simultaneous requests (≤ 256)")
    parser.add_argument("--side", type=int, default=2048, help="PNG width and height")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threadpool-size",
        type=int,
        default=None,
        help="CONVLAB_THREADPOOL_SIZE for the server (default: settings)",
    )
    args = parser.parse_args()
    size = min(args.burst, 256)

    overrides = {}
    if args.threadpool_size is not None:
        overrides["CONVLAB_THREADPOOL_SIZE"] = str(args.threadpool_size)
    with serving(args.workers, overrides) as server:
        port = server.port
        body = json.dumps(
            {"image_png": "data:image/png;base64," + base64.b64encode(flat_png(args.side)).decode()}
        ).encode()
        request = (
            "POST /api/mnist/activations HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        idle = _rss_mb(server.pid)
        peak = idle
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _rss_mb(server.pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.perf_counter()

        async def burst() -> list[tuple[int, float, str]]:
            return await asyncio.gather(*(_one(port, request) for _ in range(size)))

        answers = asyncio.run(burst())
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
        pool = overrides.get("CONVLAB_THREADPOOL_SIZE", "default (settings)")
        print(
            f"{size} × {args.side}×{args.side} PNG ({len(body) // 1024} KB requests), "
            f"{args.workers} workers, CONVLAB_THREADPOOL_SIZE={pool}"
        )
        print(f"answers: {dict(Counter(status for status, _, _ in answers))} in {elapsed:.1f} s")
        print(f"worker RSS: {idle:.0f} MB idle, {peak:.0f} MB peak")


if __name__ == "__main__":
    main()
