"""The shipped subset (bytes, MD5, rebuild), stratified sampling and the synthetic tasks."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from app.experiments import data as D
from app.mnist.data import MnistDataError, parse_idx


def test_idx_bytes_round_trip_through_the_mnist_parser() -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(D.idx_bytes(images)), images)
    np.testing.assert_array_equal(parse_idx(D.idx_bytes(labels)), labels)
    assert D.idx_bytes(labels)[:12] == bytes.fromhex("00000801 00000002 0307".replace(" ", ""))


def test_subset_files_are_reproducible_bytes() -> None:
    arrays = {
        "train_images": np.ones((3, 28, 28), np.uint8),
        "train_labels": np.array([0, 1, 2], np.uint8),
        "test_images": np.zeros((1, 28, 28), np.uint8),
        "test_labels": np.array([5], np.uint8),
    }
    first, second = D.subset_file_bytes(arrays), D.subset_file_bytes(arrays)
    assert first == second
    blob = first["train_labels"]
    assert blob[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert gzip.decompress(blob) == D.idx_bytes(arrays["train_labels"])


def test_stratified_first_takes_the_first_of_each_class_in_file_order() -> None:
    labels = np.array([1, 0, 1, 0, 2, 1, 2, 0, 3, 4, 5, 6, 7, 8, 9] * 2)
    indices = D.stratified_first(labels, 2)
    assert indices.tolist() == sorted(indices.tolist())
    assert indices[:6].tolist() == [0, 1, 2, 3, 4, 6]
    assert np.bincount(labels[indices], minlength=10).tolist() == [2] * 10


def test_stratified_first_refuses_a_class_that_is_too_small() -> None:
    labels = np.array(list(range(10)) * 2 + [0])
    with pytest.raises(MnistDataError, match="only 2 examples of digit 1, need 3"):
        D.stratified_first(labels, 3)


def test_shipped_subset_matches_its_md5_and_is_stratified() -> None:
    for name, md5 in D.SUBSET_MD5.items():
        blob = (D.SUBSET_DIR / name).read_bytes()
        assert hashlib.md5(blob, usedforsecurity=False).hexdigest() == md5
    subset = D.load_subset()
    assert subset["train_images"].shape == (10_000, 28, 28)
    assert subset["test_images"].shape == (2_000, 28, 28)
    assert np.bincount(subset["train_labels"]).tolist() == [1000] * 10
    assert np.bincount(subset["test_labels"]).tolist() == [200] * 10


def test_a_corrupt_subset_file_is_refused_naming_the_command(tmp_path: Path) -> None:
    for name in D.SUBSET_FILES.values():
        (tmp_path / name).write_bytes((D.SUBSET_DIR / name).read_bytes())
    (tmp_path / D.SUBSET_FILES["test_labels"]).write_bytes(b"broken")
    with pytest.raises(MnistDataError, match="rebuild it with `convlab experiment subset`"):
        D.load_subset.__wrapped__(tmp_path)


@pytest.mark.mnist_data
def test_subset_rebuilt_from_the_idx_files_is_byte_identical(mnist_dir: Path) -> None:
    rebuilt = D.subset_file_bytes(D.build_subset(mnist_dir))
    for key, name in D.SUBSET_FILES.items():
        assert rebuilt[key] == (D.SUBSET_DIR / name).read_bytes(), name


def test_stratified_sample_has_n_over_10_of_each_digit_and_follows_the_seed() -> None:
    labels = np.repeat(np.arange(10), 50)
    a = D.stratified_sample(labels, 123, np.random.default_rng(0))
    b = D.stratified_sample(labels, 123, np.random.default_rng(0))
    c = D.stratified_sample(labels, 123, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert set(a.tolist()) != set(c.tolist())
    assert len(set(a.tolist())) == 123
    assert np.bincount(labels[a]).tolist() == [13, 13, 13, 12, 12, 12, 12, 12, 12, 12]


def test_stratified_sample_refuses_more_than_the_pool_holds() -> None:
    labels = np.repeat(np.arange(10), 5)
    with pytest.raises(ValueError, match="the pool has 5 digits 0, 6 requested"):
        D.stratified_sample(labels, 60, np.random.default_rng(0))


def test_pool_without_idx_files_is_the_shipped_subset(tmp_path: Path) -> None:
    pool = D.load_pool(tmp_path)
    assert pool.source == "subset"
    assert len(pool.train_labels) == 10_000
    assert "CC BY-SA 3.0" in pool.description


def test_corner_labels_say_whether_the_dot_is_in_the_top_left_corner() -> None:
    images, labels = D.corner_task(400, np.random.default_rng(3))
    assert labels.sum() == 200
    for image, label in zip(images, labels, strict=True):
        rows, cols = np.nonzero(image == 1.0)
        assert len(rows) == 9  # one 3×3 dot
        inside = rows.max() < D.CORNER and cols.max() < D.CORNER
        assert inside == bool(label)
        assert image[image < 1.0].max() < 0.2


def test_symmetry_labels_say_whether_the_image_is_its_mirror() -> None:
    images, labels = D.symmetry_task(200, np.random.default_rng(4))
    ink = images > 0.5  # the blobs, without the faint noise
    mirrored = (ink == ink[:, :, ::-1]).all(axis=(1, 2))
    np.testing.assert_array_equal(mirrored, labels == 1)
    assert labels.sum() == 100


def test_tasks_follow_the_seed() -> None:
    x1, y1 = D.make_task("corner", 50, np.random.default_rng(7))
    x2, y2 = D.make_task("corner", 50, np.random.default_rng(7))
    x3, _ = D.make_task("corner", 50, np.random.default_rng(8))
    assert x1.shape == (50, 1, 28, 28)
    assert bool((x1 == x2).all()) and bool((y1 == y2).all())
    assert not bool((x1 == x3).all())


def test_train_capacity_of_the_subset_is_its_10000_digits(tmp_path: Path) -> None:
    capacity, where = D.train_capacity(tmp_path)  # no IDX files there: the shipped subset
    assert capacity == 10_000
    assert where == (
        "the shipped subset's 10,000 training digits (the full MNIST training files in "
        "CONVLAB_DATA_DIR allow more)"
    )


def _largest_drawable(labels: np.ndarray) -> int:
    """The largest n stratified_sample accepts, found by trying (the independent check)."""
    n = 10
    while True:
        try:
            D.stratified_sample(labels, n + 1, np.random.default_rng(0))
        except ValueError:
            return n
        n += 1


@pytest.mark.mnist_data
def test_train_capacity_of_the_full_training_files_is_what_a_stratified_sample_can_draw(
    mnist_dir: Path,
) -> None:
    capacity, where = D.train_capacity(mnist_dir)
    labels = D.load_pool(mnist_dir).train_labels
    counts = np.bincount(labels)
    assert capacity == 10 * counts.min() + 5 == 54_215  # digit 5 is the rarest: 5,421
    assert where == "the 60,000 MNIST training digits in CONVLAB_DATA_DIR"
    D.stratified_sample(labels, capacity, np.random.default_rng(0))
    with pytest.raises(ValueError, match="the pool has 5421 digits 5, 5422 requested"):
        D.stratified_sample(labels, capacity + 1, np.random.default_rng(0))


def test_train_capacity_matches_trying_every_n_on_uneven_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    labels = np.repeat(np.arange(10), [9, 8, 7, 9, 7, 9, 9, 9, 9, 9]).astype(np.uint8)
    monkeypatch.setattr(D, "load_subset", lambda: {"train_labels": labels})
    assert D.train_capacity.__wrapped__(None)[0] == _largest_drawable(labels) == 72
