"""The IDX loader and the downloader, on files the tests write themselves."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.cli import main as cli_main
from app.mnist.data import (
    FILES,
    IdxFile,
    MnistDataError,
    download,
    load_split,
    parse_idx,
    read_idx,
)
from tests.mnist.helpers import idx_bytes, write_dataset, write_split


def test_parse_idx_returns_the_stored_images_and_labels() -> None:
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(np.uint8)
    labels = np.array([3, 9], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(idx_bytes(images)), images)
    np.testing.assert_array_equal(parse_idx(idx_bytes(labels)), labels)
    assert parse_idx(idx_bytes(images)).flags.writeable


@pytest.mark.parametrize("gz", [True, False])
def test_load_split_reads_gzipped_and_raw_files_with_their_checksums(
    tmp_path: Path, gz: bool
) -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 8, 9], dtype=np.uint8)
    sums = write_split(tmp_path, "t10k", images, labels, gz=gz)

    split = load_split(tmp_path, "test", checksums=sums)

    np.testing.assert_array_equal(split.images, images)
    np.testing.assert_array_equal(split.labels, labels)
    suffix = ".gz" if gz else ""
    assert split.checksums == {
        f"t10k-images-idx3-ubyte{suffix}": sums["test_images"],
        f"t10k-labels-idx1-ubyte{suffix}": sums["test_labels"],
    }


def test_missing_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(
        MnistDataError,
        match=r"t10k-images-idx3-ubyte\(\.gz\) not found in .*"
        r"convlab data download",
    ):
        load_split(tmp_path, "test")


def test_self_made_file_fails_the_standard_checksum(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    with pytest.raises(
        MnistDataError,
        match=r"t10k-images-idx3-ubyte\.gz has MD5 [0-9a-f]{32}, "
        r"expected 9fb629c4189551a2d022fa330f9573f3",
    ):
        load_split(tmp_path, "test")


def test_truncated_file_is_refused_with_the_byte_counts(tmp_path: Path) -> None:
    raw = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(raw[:-100])
    with pytest.raises(
        MnistDataError,
        match=r"is truncated: header says 3×28×28 = 2352 bytes of "
        r"data, the file has 2252",
    ):
        read_idx(path)


def test_file_longer_than_its_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.zeros(4, dtype=np.uint8)) + b"\x00")
    with pytest.raises(MnistDataError, match="longer than its header says"):
        read_idx(path)


def test_wrong_magic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((1, 28, 28), dtype=np.uint8), magic=2052))
    with pytest.raises(MnistDataError, match="has magic number 2052, expected 2051"):
        read_idx(path)


def test_header_shorter_than_eight_bytes_is_refused() -> None:
    with pytest.raises(MnistDataError, match="not even a header"):
        parse_idx(b"\x00\x00\x08")


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((1, 28, 28), dtype=np.uint8)))[:-8])
    with pytest.raises(MnistDataError, match="is not a valid gzip file"):
        read_idx(path)


def test_labels_in_the_images_slot_are_refused(tmp_path: Path) -> None:
    labels = np.zeros(2, dtype=np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(labels))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(MnistDataError, match="wrong kind"):
        load_split(tmp_path, "test", verify_checksums=False)


def test_image_and_label_counts_must_agree(tmp_path: Path) -> None:
    write_split(tmp_path, "t10k", np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), gz=False)
    with pytest.raises(MnistDataError, match="3 images but 2 labels"):
        load_split(tmp_path, "test", verify_checksums=False)


def test_labels_above_nine_are_refused(tmp_path: Path) -> None:
    write_split(
        tmp_path, "t10k", np.zeros((1, 28, 28), np.uint8), np.array([10], np.uint8), gz=False
    )
    with pytest.raises(MnistDataError, match="labels hold 10"):
        load_split(tmp_path, "test", verify_checksums=False)


# -- download, against a local HTTP server ---------------------------------------------------


@pytest.fixture
def mirror_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server on 127.0.0.1 serving the directory it returns, and its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        _QuietHandler.requests.append(self.path)


def _self_made_files(root: Path) -> dict[str, IdxFile]:
    """Gzipped self-made IDX files under root/good/, and their specs with real MD5s."""
    good = root / "good"
    good.mkdir()
    write_dataset(good, n_train=6, n_test=4, gz=True)
    files = {}
    for key, spec in FILES.items():
        data = (good / f"{spec.stem}.gz").read_bytes()
        files[key] = IdxFile(spec.stem, spec.magic, 0, hashlib.md5(data).hexdigest(), "")
    return files


def test_download_falls_back_to_the_next_mirror_after_a_404(
    mirror_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = mirror_root
    files = _self_made_files(root)
    (root / "empty").mkdir()
    messages: list[str] = []

    done = download(
        tmp_path / "data",
        mirrors=[f"{base}/empty/", f"{base}/good/"],
        files=files,
        progress=False,
        log=messages.append,
    )

    assert sorted(done) == sorted(FILES)
    for spec in files.values():
        assert (tmp_path / "data" / f"{spec.stem}.gz").read_bytes() == (
            root / "good" / f"{spec.stem}.gz"
        ).read_bytes()
        assert f"{spec.stem}.gz: downloaded from {base}/good/, checksum ok" in messages
    assert not list((tmp_path / "data").glob("*.part"))
    split = load_split(tmp_path / "data", "test", verify_checksums=False)
    assert split.images.shape == (4, 28, 28)


def test_download_rejects_a_corrupt_file_and_takes_the_good_mirror(
    mirror_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = mirror_root
    files = _self_made_files(root)
    bad = root / "bad"
    bad.mkdir()
    for spec in files.values():
        corrupt = bytearray((root / "good" / f"{spec.stem}.gz").read_bytes())
        corrupt[-1] ^= 0xFF
        (bad / f"{spec.stem}.gz").write_bytes(bytes(corrupt))

    download(
        tmp_path / "data",
        mirrors=[f"{base}/bad/", f"{base}/good/"],
        files=files,
        progress=False,
        log=lambda _: None,
    )

    for spec in files.values():
        assert hashlib.md5((tmp_path / "data" / f"{spec.stem}.gz").read_bytes()).hexdigest() == (
            spec.md5_gz
        )


def test_download_fails_with_every_attempt_when_no_mirror_has_a_good_file(
    mirror_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = mirror_root
    files = _self_made_files(root)
    (root / "empty").mkdir()
    wrong = {k: IdxFile(s.stem, s.magic, 0, "0" * 32, "") for k, s in files.items()}

    with pytest.raises(MnistDataError) as caught:
        download(
            tmp_path / "data",
            mirrors=[f"{base}/empty/", f"{base}/good/"],
            files=wrong,
            progress=False,
            log=lambda _: None,
        )

    message = str(caught.value)
    assert message.startswith("could not download train-images-idx3-ubyte.gz; tried:")
    assert f"{base}/empty/train-images-idx3-ubyte.gz: HTTP 404 " in message
    assert f"expected {'0' * 32}" in message
    assert not (tmp_path / "data" / "train-images-idx3-ubyte.gz").exists()
    assert not list((tmp_path / "data").glob("*.part"))


def test_download_keeps_a_file_that_is_already_correct(
    mirror_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = mirror_root
    files = _self_made_files(root)
    target = tmp_path / "data"
    target.mkdir()
    for spec in files.values():
        (target / f"{spec.stem}.gz").write_bytes((root / "good" / f"{spec.stem}.gz").read_bytes())
    _QuietHandler.requests.clear()
    messages: list[str] = []

    download(target, mirrors=[f"{base}/good/"], files=files, progress=False, log=messages.append)

    assert _QuietHandler.requests == []
    assert messages == [f"{spec.stem}.gz: present, checksum ok" for spec in files.values()]


def test_cli_data_download_refuses_files_that_are_not_mnist(
    mirror_root: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, root = mirror_root
    _self_made_files(root)

    code = cli_main(
        [
            "data",
            "download",
            "--dir",
            str(tmp_path / "d"),
            "--mirror",
            f"{base}/good/",
            "--no-progress",
        ]
    )

    assert code == 1
    error = capsys.readouterr().err
    assert "could not download train-images-idx3-ubyte.gz" in error
    assert "expected f68b3c2dcbeaaa9fbdd348bbdeb94873" in error


def test_cli_data_verify_reports_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dataset(tmp_path)

    assert cli_main(["data", "verify", "--dir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.count("has MD5") == 4


@pytest.mark.mnist_data
def test_cli_data_verify_accepts_the_real_files(
    mnist_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["data", "verify", "--dir", str(mnist_dir)]) == 0
    assert capsys.readouterr().out.count(": ok") == 4
