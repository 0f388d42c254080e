"""Data for the experiments: the shipped MNIST subset, stratified samples, synthetic tasks.

The subset (``app/experiments/mnist_subset/``, CC BY-SA 3.0, Yann LeCun, Corinna Cortes and
Christopher J. C. Burges) is the first 1,000 training digits of each class and the first 200
test digits of each class of the standard MNIST files, in file order, written as gzipped IDX
files (gzip header without name or time, so ``build_subset`` + ``write_subset`` rebuild it byte
for byte from the four IDX files: ``convlab experiment subset``). Its MD5s are below and are
checked on every load.

When ``CONVLAB_DATA_DIR`` holds the full IDX files, training digits are drawn from all 60,000;
the test digits are always the subset's 2,000 (the first 200 of each class of t10k), so results
on either source are measured on the same test digits.

The synthetic tasks of ``limits`` (Q6d) are generated from the seed: nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from app.mnist.data import FILES, MnistDataError, load_split, locate, parse_idx, read_idx

SUBSET_DIR = Path(__file__).resolve().parent / "mnist_subset"
TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200

SUBSET_FILES = {
    "train_images": "subset-train-images-idx3-ubyte.gz",
    "train_labels": "subset-train-labels-idx1-ubyte.gz",
    "test_images": "subset-t10k-images-idx3-ubyte.gz",
    "test_labels": "subset-t10k-labels-idx1-ubyte.gz",
}
SUBSET_MD5: dict[str, str] = {
    "subset-train-images-idx3-ubyte.gz": "098a1c4a7e752f507fd838bdd5ca3e75",
    "subset-train-labels-idx1-ubyte.gz": "1100135b993716e31025065b02dfa7bd",
    "subset-t10k-images-idx3-ubyte.gz": "fc1ba1fa53f109086b3b40f4086d547f",
    "subset-t10k-labels-idx1-ubyte.gz": "8bb9c13695edb031bfafc69718c702c6",
}
"""MD5 of each shipped .gz file, as ``convlab experiment subset`` writes it."""

CREDIT = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0 "
    "(http://yann.lecun.com/exdb/mnist/)"
)


# -- the shipped subset ---------------------------------------------------------------------


def stratified_first(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each digit, in file order."""
    chosen = [np.flatnonzero(labels == digit)[:per_class] for digit in range(10)]
    for digit, indices in enumerate(chosen):
        if len(indices) < per_class:
            raise MnistDataError(f"only {len(indices)} examples of digit {digit}, need {per_class}")
    return np.sort(np.concatenate(chosen))


def build_subset(mnist_dir: Path) -> dict[str, np.ndarray]:
    """The subset's four uint8 arrays, from the standard IDX files (MD5-checked)."""
    train = load_split(mnist_dir, "train")
    test = load_split(mnist_dir, "test")
    train_idx = stratified_first(train.labels, TRAIN_PER_CLASS)
    test_idx = stratified_first(test.labels, TEST_PER_CLASS)
    return {
        "train_images": train.images[train_idx],
        "train_labels": train.labels[train_idx],
        "test_images": test.images[test_idx],
        "test_labels": test.labels[test_idx],
    }


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8, 1-D labels or (N, 28, 28) images) as IDX bytes."""
    assert array.dtype == np.uint8, f"IDX here holds uint8, got {array.dtype}"
    magic = {1: 2049, 3: 2051}[array.ndim]
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def subset_file_bytes(arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    """The four .gz files' bytes: IDX, gzip level 9, no name and mtime 0 (reproducible)."""
    return {
        key: gzip.compress(idx_bytes(arrays[key]), compresslevel=9, mtime=0) for key in SUBSET_FILES
    }


def write_subset(arrays: dict[str, np.ndarray], out_dir: Path = SUBSET_DIR) -> dict[str, str]:
    """Write the subset's four files into ``out_dir``; return file name → MD5."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sums = {}
    for key, blob in subset_file_bytes(arrays).items():
        path = out_dir / SUBSET_FILES[key]
        path.write_bytes(blob)
        sums[path.name] = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return sums


@lru_cache(maxsize=2)
def load_subset(subset_dir: Path = SUBSET_DIR) -> dict[str, np.ndarray]:
    """The shipped subset's arrays, each file checked against ``SUBSET_MD5``."""
    arrays = {}
    for key, name in SUBSET_FILES.items():
        path = subset_dir / name
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise MnistDataError(
                f"{path} is missing: rebuild it with `convlab experiment subset`"
            ) from None
        actual = hashlib.md5(blob, usedforsecurity=False).hexdigest()
        expected = SUBSET_MD5.get(name)
        if expected is not None and actual != expected:
            raise MnistDataError(
                f"{path} has MD5 {actual}, expected {expected}: rebuild it with "
                "`convlab experiment subset`"
            )
        arrays[key] = parse_idx(gzip.decompress(blob), name=str(path))
    return arrays


# -- what a run trains and tests on -----------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """Training digits to sample from and the fixed test digits (uint8), and where from."""

    train_images: np.ndarray  # (P, 28, 28)
    train_labels: np.ndarray  # (P,)
    test_images: np.ndarray  # (2000, 28, 28)
    test_labels: np.ndarray  # (2000,)
    source: str  # "subset" or "idx"
    description: str


def has_idx_files(data_dir: Path) -> bool:
    """True when ``data_dir`` holds all four standard MNIST files (.gz or raw)."""
    try:
        for key in FILES:
            locate(Path(data_dir), key)
    except MnistDataError:
        return False
    return True


@lru_cache(maxsize=2)
def load_pool(data_dir: Path | None) -> Pool:
    """The full training files of ``data_dir`` if present there, else the shipped subset."""
    subset = load_subset()
    if data_dir is not None and has_idx_files(data_dir):
        train = load_split(Path(data_dir), "train")
        return Pool(
            train.images,
            train.labels,
            subset["test_images"],
            subset["test_labels"],
            "idx",
            f"the full MNIST training files ({len(train.labels):,} digits); test digits: the "
            f"first {TEST_PER_CLASS} of each digit of t10k. {CREDIT}",
        )
    return Pool(
        subset["train_images"],
        subset["train_labels"],
        subset["test_images"],
        subset["test_labels"],
        "subset",
        f"shipped stratified MNIST subset ({len(subset['train_labels']):,} training, "
        f"{len(subset['test_labels']):,} test digits). {CREDIT}",
    )


@lru_cache(maxsize=4)
def train_capacity(data_dir: Path | None) -> tuple[int, str]:
    """The largest N ``stratified_sample`` can draw from the training digits ``load_pool``
    would use, and what those digits are (for a 422 that says where the limit comes from).

    With counts c_d of each digit and m = min c_d, that is 10·m + r, where r counts the first
    digits 0, 1, … whose c_d exceeds m (they take the n mod 10 extra examples).
    """
    if data_dir is not None and has_idx_files(data_dir):
        labels = read_idx(locate(Path(data_dir), "train_labels"))
        where = f"the {len(labels):,} MNIST training digits in CONVLAB_DATA_DIR"
    else:
        labels = load_subset()["train_labels"]
        where = (
            f"the shipped subset's {len(labels):,} training digits (the full MNIST training "
            "files in CONVLAB_DATA_DIR allow more)"
        )
    counts = np.bincount(labels, minlength=10)
    m = int(counts.min())
    r = 0
    while r < 10 and counts[r] > m:
        r += 1
    return 10 * m + r, where


def stratified_sample(labels: np.ndarray, n: int, generator: np.random.Generator) -> np.ndarray:
    """``n`` indices, ⌊n/10⌋ of each digit (+1 for the first n mod 10 digits), seeded, shuffled."""
    chosen = []
    for digit in range(10):
        want = n // 10 + (1 if digit < n % 10 else 0)
        candidates = np.flatnonzero(labels == digit)
        if want > len(candidates):
            raise ValueError(f"the pool has {len(candidates)} digits {digit}, {want} requested")
        chosen.append(generator.choice(candidates, size=want, replace=False))
    indices = np.concatenate(chosen)
    return indices[generator.permutation(len(indices))]


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) → float32 (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


# -- synthetic tasks (limits, Q6d) ------------------------------------------------------------

TASKS = {
    "corner": (
        "Is the dot in the top-left corner?",
        "One 3×3 bright dot on faint noise; label 1 when the dot lies in the 9×9 top-left "
        "corner, 0 anywhere else. Half the images are each.",
    ),
    "symmetry": (
        "Is the image left-right symmetric?",
        "Random blobs; label 1 when the right half is the mirror image of the left half, 0 "
        "when both halves are drawn independently. Half the images are each.",
    ),
}
CORNER = 9
"""Side of the top-left corner region of the ``corner`` task."""


def corner_task(n: int, generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) float32 images with one 3×3 dot and labels: 1 iff the dot is top-left."""
    labels = (np.arange(n) % 2).astype(np.int64)
    generator.shuffle(labels)
    images = generator.uniform(0.0, 0.2, size=(n, 28, 28)).astype(np.float32)
    for i, label in enumerate(labels):
        while True:  # rejection: positives inside the corner, negatives anywhere else
            r, c = generator.integers(0, 26, size=2)  # top-left pixel of the dot
            inside = r + 3 <= CORNER and c + 3 <= CORNER
            overlaps = r < CORNER and c < CORNER
            if (label == 1 and inside) or (label == 0 and not overlaps):
                break
        images[i, r : r + 3, c : c + 3] = 1.0
    return images, labels


def symmetry_task(n: int, generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) float32 images of random blobs and labels: 1 iff left-right symmetric."""
    labels = (np.arange(n) % 2).astype(np.int64)
    generator.shuffle(labels)
    # blobs: 7×7 random cells upsampled to 4×4 pixels each, so a half is 7 rows × 3.5 cells
    cells = generator.random(size=(n, 7, 7)) < 0.35
    images = np.kron(cells, np.ones((4, 4), dtype=bool)).astype(np.float32)  # (n, 28, 28)
    other = np.kron(generator.random(size=(n, 7, 7)) < 0.35, np.ones((4, 4), dtype=bool))
    left = images[:, :, :14]
    right = np.where(labels[:, None, None] == 1, left[:, :, ::-1], other[:, :, 14:])
    images = np.concatenate([left, right], axis=2).astype(np.float32)
    images += generator.uniform(0.0, 0.1, size=images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0), labels


def make_task(
    task: str, n: int, generator: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Task ``task`` as (n, 1, 28, 28) float tensors in [0, 1] and int64 labels."""
    maker = {"corner": corner_task, "symmetry": symmetry_task}[task]
    images, labels = maker(n, generator)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)
