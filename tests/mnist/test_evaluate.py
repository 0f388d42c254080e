"""`convlab evaluate`: accuracy, confusion matrix, the shift table; and the shipped cards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli import main as cli_main
from app.mnist.data import load_split
from app.mnist.evaluate import (
    flip_examples,
    markdown_grid,
    markdown_profile,
    predict_all,
    shift_consistency,
    shift_table,
)
from app.mnist.inference import load_models, shift
from app.mnist.train import to_float
from tests.mnist.helpers import write_split

WEIGHTS = Path(__file__).resolve().parents[2] / "app" / "mnist" / "weights"


@pytest.fixture(scope="module")
def models():  # type: ignore[no-untyped-def]
    return load_models(WEIGHTS)


def _bars(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n images of a vertical bar ("1") in the middle, labelled 1."""
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    images[:, 5:23, 13:15] = 255
    return images, np.ones(n, dtype=np.uint8)


def test_predict_all_equals_the_model_on_each_shifted_image(models) -> None:  # type: ignore[no-untyped-def]
    images, _ = _bars(5)
    images[2, 5:23, 13:15] = 0
    images[2, 6:10, 8:20] = 255  # a different digit-ish shape
    tensor = torch.from_numpy(images)
    predicted = predict_all(models.get("cnn"), tensor, dx=3, dy=-2, batch_size=2)
    with torch.no_grad():
        expected = models.get("cnn").module(shift(to_float(tensor), 3, -2)).argmax(1).numpy()
    np.testing.assert_array_equal(predicted, expected)


def test_shift_table_is_accuracy_per_shift(models) -> None:  # type: ignore[no-untyped-def]
    images, labels = _bars(4)
    table = shift_table(
        models.get("fc"), torch.from_numpy(images), labels, [-2, 0, 3], progress=False
    )
    assert table.shape == (3, 3)
    for i, dy in enumerate([-2, 0, 3]):
        for j, dx in enumerate([-2, 0, 3]):
            predicted = predict_all(models.get("fc"), torch.from_numpy(images), dx=dx, dy=dy)
            assert table[i, j] == (predicted == labels).mean()


def test_markdown_tables_have_a_row_per_model_and_shift() -> None:
    shifts = [-1, 0, 1]
    table = np.array([[0.5, 0.9, 0.5], [0.8, 0.995, 0.7], [0.4, 0.9, 0.3]])
    profile = markdown_profile({"cnn": table, "fc": table / 2}, shifts).splitlines()
    assert profile[0] == "| shift (px) | -1 | +0 | +1 |"
    assert profile[2] == "| cnn, dx (dy = 0) | 80.0 | 99.5 | 70.0 |"
    assert profile[3] == "| fc, dx (dy = 0) | 40.0 | 49.8 | 35.0 |"
    assert profile[4] == "| cnn, dx = dy | 50.0 | 99.5 | 30.0 |"
    grid = markdown_grid(table, shifts, "cnn").splitlines()
    assert grid[3] == "| **+0** | 80.0 | 99.5 | 70.0 |"


def test_cli_evaluate_prints_accuracy_confusion_and_shift_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images, labels = _bars(6)
    labels[:2] = 7  # two "wrong" labels: the bars are ones
    write_split(tmp_path, "t10k", images, labels, gz=True)
    out = tmp_path / "results.json"

    code = cli_main(
        ["evaluate", "--data-dir", str(tmp_path), "--weights-dir", str(WEIGHTS), "--no-verify",
         "--max-shift", "1", "--json", str(out), "--no-progress"]
    )  # fmt: skip

    assert code == 0
    text = capsys.readouterr().out
    results = json.loads(out.read_text())
    for name in ("cnn", "fc"):
        result = results[name]
        assert result["accuracy"] == pytest.approx(4 / 6)
        assert result["confusion_matrix"][7][1] == 2 and result["confusion_matrix"][1][1] == 4
        assert np.array(result["shift_accuracy"]["table"]).shape == (3, 3)
        assert f"## {name}: test accuracy 66.67 % (2 errors of 6)" in text
    assert "| shift (px) | -1 | +0 | +1 |" in text
    assert "| cnn, dx (dy = 0) | 66.7 | 66.7 | 66.7 |" in text


@pytest.mark.mnist_data
@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnn", "fc", "cnn-aa"])
def test_shipped_model_accuracy_on_the_real_test_set_equals_its_card(
    mnist_dir: Path,
    models,
    name: str,  # type: ignore[no-untyped-def]
) -> None:
    split = load_split(mnist_dir, "test")
    card = json.loads((WEIGHTS / f"{name}.json").read_text())
    predicted = predict_all(models.get(name), torch.from_numpy(split.images))
    accuracy = float((predicted == split.labels).mean())
    assert accuracy == card["test_accuracy"]
    assert int((predicted != split.labels).sum()) == card["test_errors"]
    matrix = np.zeros((10, 10), dtype=np.int64)
    np.add.at(matrix, (split.labels.astype(int), predicted), 1)
    assert matrix.tolist() == card["confusion_matrix"]
    assert card["data_checksums"]["t10k-images-idx3-ubyte.gz"] == (
        "9fb629c4189551a2d022fa330f9573f3"
    )
    if name == "cnn":
        assert accuracy >= 0.995
    if name == "cnn-aa":
        assert accuracy >= 0.99 and card["epochs"] == 6


def test_shift_consistency_compares_each_pair_of_neighbouring_one_pixel_shifts(models) -> None:  # type: ignore[no-untyped-def]
    images, labels = _bars(3)
    images[1, 5:23, 13:15] = 0
    images[1, 6:10, 8:20] = 255
    labels = labels.astype(np.int64)
    tensor = torch.from_numpy(images)
    model = models.get("cnn")
    result = shift_consistency(model, tensor, labels, max_shift=2)

    same, delta = [], []
    for offsets in ([(s, 0) for s in range(-2, 3)], [(0, s) for s in range(-2, 3)]):
        with torch.no_grad():
            probs = [
                torch.softmax(model.module(shift(to_float(tensor), dx, dy)), 1).numpy()
                for dx, dy in offsets
            ]
        for a, b in zip(probs, probs[1:], strict=False):
            same.extend(a.argmax(1) == b.argmax(1))
            delta.extend(np.abs(b[np.arange(3), labels] - a[np.arange(3), labels]))
    assert result["pairs"] == 3 * 2 * 4
    assert result["same_prediction"] == round(float(np.mean(same)), 5)
    assert result["changed_pairs"] == int(len(same) - np.sum(same))
    assert result["mean_abs_delta_p_true"] == pytest.approx(float(np.mean(delta)), abs=1e-5)
    assert result["by_axis"]["dx"]["shifts"] == [-2, -1, 0, 1, 2]


def test_flip_examples_start_with_test_digit_zero_and_hold_uint8_images(models) -> None:  # type: ignore[no-untyped-def]
    images, labels = _bars(4)
    examples = flip_examples(models.get("cnn"), torch.from_numpy(images), labels.astype(np.int64))
    assert examples[0]["index"] == 0 and examples[0]["label"] == 1
    assert np.array(examples[0]["image"]).shape == (28, 28)
    assert np.array(examples[0]["image"]).max() == 255
