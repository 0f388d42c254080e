"""MNIST: reading the four IDX files (gzipped or not), verifying them, and downloading them.

The IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian header of a
magic number — two zero bytes, a type byte (0x08 = unsigned byte) and the number of dimensions
— then one 32-bit size per dimension, then the data in row-major order. Images have magic 2051
(3 dimensions: N, 28, 28), labels magic 2049 (1 dimension: N).

Every file is checked against the known MD5 of the standard distribution (the values
torchvision checks; the uncompressed ones are the MD5 of those files decompressed), so a
truncated, corrupt or foreign file is refused with a message naming the file, never read as
digits.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import struct
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm


class MnistDataError(Exception):
    """An MNIST file is missing, truncated, corrupt or not the expected one."""


@dataclass(frozen=True)
class IdxFile:
    """One of the four files of the standard MNIST distribution."""

    stem: str  # file name without ".gz"
    magic: int
    count: int
    md5_gz: str
    md5_raw: str


FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte",
        2051,
        60_000,
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "6bbc9ace898e44ae57da46a324031adb",
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte",
        2049,
        60_000,
        "d53e105ee54ea40749a09fcbcd1e9432",
        "a25bea736e30d166cdddb491f175f624",
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte",
        2051,
        10_000,
        "9fb629c4189551a2d022fa330f9573f3",
        "2646ac647ad5339dbf082846283269ea",
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte",
        2049,
        10_000,
        "ec29112dd5afa0611ce80d1b7f02629c",
        "27ae3e4e09519cfbb04c329615203637",
    ),
}

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Public mirrors of the gzipped files, tried in this order (torchvision's and TFDS's)."""

_IDX_DIMS = {2051: 3, 2049: 1}


def md5_of(path: Path) -> str:
    """Hex MD5 of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_idx(raw: bytes, *, name: str = "IDX data") -> np.ndarray:
    """The uint8 array stored in IDX bytes; MnistDataError on a bad magic or a wrong length."""
    if len(raw) < 8:
        raise MnistDataError(f"{name} is truncated: {len(raw)} bytes, not even a header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic not in _IDX_DIMS:
        raise MnistDataError(
            f"{name} has magic number {magic}, expected 2051 (images) or 2049 (labels)"
        )
    ndim = _IDX_DIMS[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistDataError(f"{name} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    have = len(raw) - header
    if have != expected:
        what = "truncated" if have < expected else "longer than its header says"
        raise MnistDataError(
            f"{name} is {what}: header says {'×'.join(map(str, shape))} = {expected} bytes "
            f"of data, the file has {have}"
        )
    # a writable copy: torch.from_numpy refuses (warns on) read-only buffers
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(shape).copy()


def read_idx(path: Path) -> np.ndarray:
    """The uint8 array in an IDX file, gzipped (``.gz``) or not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MnistDataError(f"{path} does not exist") from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise MnistDataError(f"{path} is not a valid gzip file ({error})") from None
    return parse_idx(raw, name=str(path))


def locate(data_dir: Path, key: str) -> Path:
    """The path of file ``key`` in ``data_dir``: the .gz if present, else the raw file."""
    spec = FILES[key]
    for candidate in (data_dir / f"{spec.stem}.gz", data_dir / spec.stem):
        if candidate.exists():
            return candidate
    raise MnistDataError(
        f"{spec.stem}(.gz) not found in {data_dir}: run `convlab data download` or set "
        "CONVLAB_DATA_DIR to the directory holding the MNIST files"
    )


def verify(path: Path, key: str, md5: str | None = None) -> str:
    """Check ``path`` against the known MD5 of file ``key`` (or ``md5``); return its MD5."""
    spec = FILES[key]
    expected = md5 or (spec.md5_gz if path.suffix == ".gz" else spec.md5_raw)
    actual = md5_of(path)
    if actual != expected:
        raise MnistDataError(
            f"{path} has MD5 {actual}, expected {expected}: the file is corrupt or not the "
            "standard MNIST file; delete it and run `convlab data download`"
        )
    return actual


@dataclass(frozen=True)
class Split:
    """Images (N, 28, 28) and labels (N,) as uint8, with the MD5 of the files read."""

    images: np.ndarray
    labels: np.ndarray
    checksums: dict[str, str]


def load_split(
    data_dir: Path,
    split: str,
    *,
    checksums: dict[str, str] | None = None,
    verify_checksums: bool = True,
) -> Split:
    """Read the train or test split from ``data_dir``.

    ``checksums`` maps file keys ("test_images", ...) to the expected MD5 (default: the
    standard MNIST values); ``verify_checksums=False`` reads any well-formed IDX files.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    arrays: dict[str, np.ndarray] = {}
    sums: dict[str, str] = {}
    for kind, magic in (("images", 2051), ("labels", 2049)):
        key = f"{split}_{kind}"
        path = locate(Path(data_dir), key)
        if verify_checksums:
            sums[path.name] = verify(path, key, (checksums or {}).get(key))
        else:
            sums[path.name] = md5_of(path)
        array = read_idx(path)
        if array.ndim != _IDX_DIMS[magic]:
            raise MnistDataError(f"{path} holds {kind[:-1]}s of the wrong kind (magic)")
        arrays[kind] = array
    images, labels = arrays["images"], arrays["labels"]
    if images.shape[1:] != (28, 28):
        raise MnistDataError(f"{split} images are {images.shape[1:]}, expected 28×28")
    if len(images) != len(labels):
        raise MnistDataError(f"{split}: {len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise MnistDataError(f"{split} labels hold {labels.max()}, expected digits 0..9")
    return Split(images, labels, sums)


def _fetch(url: str, target: Path, *, timeout: float, progress: bool) -> None:
    """Stream ``url`` into ``target`` with a tqdm bar."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http/https)
        total = int(response.headers.get("Content-Length") or 0) or None
        with (
            target.open("wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=target.name.removesuffix(".part"),
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                bar.update(len(chunk))


def download(
    data_dir: Path,
    *,
    mirrors: Sequence[str] = MIRRORS,
    files: dict[str, IdxFile] | None = None,
    timeout: float = 30.0,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Fetch the gzipped MNIST files into ``data_dir``, each verified against its MD5.

    Each file is tried on every mirror in turn until one delivers bytes with the right MD5;
    a file already present and correct is kept. Written to ``<name>.part`` and renamed, so an
    interrupted download never leaves a file that looks complete. Raises MnistDataError naming
    every failed attempt when no mirror works.
    """
    files = files or FILES
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    for key, spec in files.items():
        target = data_dir / f"{spec.stem}.gz"
        if target.exists() and md5_of(target) == spec.md5_gz:
            log(f"{target.name}: present, checksum ok")
            done[key] = target
            continue
        failures: list[str] = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + target.name
            part = target.with_name(target.name + ".part")
            try:
                _fetch(url, part, timeout=timeout, progress=progress)
            except urllib.error.HTTPError as error:
                failures.append(f"{url}: HTTP {error.code} {error.reason}")
                part.unlink(missing_ok=True)
                continue
            except (urllib.error.URLError, OSError, TimeoutError) as error:
                failures.append(f"{url}: {getattr(error, 'reason', error)}")
                part.unlink(missing_ok=True)
                continue
            actual = md5_of(part)
            if actual != spec.md5_gz:
                failures.append(f"{url}: MD5 {actual}, expected {spec.md5_gz}")
                part.unlink()
                continue
            os.replace(part, target)
            log(f"{target.name}: downloaded from {mirror}, checksum ok")
            done[key] = target
            break
        else:
            raise MnistDataError(
                f"could not download {target.name}; tried:\n  " + "\n  ".join(failures)
            )
    return done


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``convlab data download|verify`` (added to ``parser``)."""
    from app.config import get_settings

    settings = get_settings()
    actions = parser.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser(
        "download",
        help="fetch the four gzipped IDX files, trying each mirror in turn, MD5-checked",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    check = actions.add_parser(
        "verify",
        help="check the files in the data directory against the MNIST checksums",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for sub in (fetch, check):
        sub.add_argument(
            "--dir",
            dest="data_dir",
            type=Path,
            default=settings.data_dir,
            help="data directory (CONVLAB_DATA_DIR)",
        )
    fetch.add_argument(
        "--mirror",
        dest="mirrors",
        action="append",
        default=None,
        help=f"base URL to try (repeatable; default: {', '.join(MIRRORS)})",
    )
    fetch.add_argument("--timeout", type=float, default=30.0, help="seconds per connection")
    fetch.add_argument("--no-progress", dest="progress", action="store_false", help="no bars")
    fetch.set_defaults(func=_run_download)
    check.set_defaults(func=_run_verify)
    return parser


def _run_download(args: argparse.Namespace) -> int:
    try:
        download(
            args.data_dir,
            mirrors=args.mirrors or MIRRORS,
            timeout=args.timeout,
            progress=args.progress,
        )
    except MnistDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"MNIST is ready in {args.data_dir}")
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    failed = False
    for key in FILES:
        try:
            path = locate(args.data_dir, key)
            verify(path, key)
            print(f"{path.name}: ok")
        except MnistDataError as error:
            print(f"error: {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0
