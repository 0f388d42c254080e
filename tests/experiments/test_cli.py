"""`convlab experiment run|subset`: --set parsing, validation as in the API, printed result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.experiments.cli import parse_assignments


def test_set_values_are_json_or_words() -> None:
    assert parse_assignments(["train_size=300", "lambdas=[0,0.01]", "models=fc,cnn", "x=y"]) == {
        "train_size": 300,
        "lambdas": [0, 0.01],
        "models": ["fc", "cnn"],
        "x": "y",
    }


def test_set_without_equals_is_refused() -> None:
    with pytest.raises(ValueError, match="--set takes key=value, got 'epochs'"):
        parse_assignments(["epochs"])


def test_bad_config_is_refused_with_the_apis_messages(capsys: pytest.CaptureFixture) -> None:
    assert main(["experiment", "run", "limits", "--set", "epochs=0", "--set", "color=1"]) == 2
    assert capsys.readouterr().err == (
        "error: bad config:\n"
        "  epochs: Input should be greater than or equal to 1\n"
        "  color: Extra inputs are not permitted\n"
    )


def test_run_prints_the_table_and_summary_and_writes_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "result.json"
    code = main(
        [
            "experiment",
            "run",
            "weight-decay",
            "--set",
            "train_size=50",
            "--set",
            "test_size=100",
            "--set",
            "epochs=1",
            "--set",
            "lambdas=[0,0.1]",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert result["summary"] in printed
    for model in result["models"]:
        assert f"{model['label']:<28} {model['parameters']:>9,}" in printed


def test_subset_without_idx_files_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["experiment", "subset", "--dir", str(tmp_path), "--out", str(tmp_path)]) == 1
    assert "train-images-idx3-ubyte(.gz) not found in" in capsys.readouterr().err


@pytest.mark.mnist_data
def test_subset_command_rebuilds_the_shipped_files(
    mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["experiment", "subset", "--dir", str(mnist_dir), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.count(" ok\n") == 4
    assert "CC BY-SA 3.0" in printed


def test_reference_command_writes_the_sweeps_it_was_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tiny sweep: two seeds, small configs (the shipped one takes an hour on two cores)
    from app.experiments import limits as L
    from app.experiments import weight_decay as W

    small = {"train_size": 60, "test_size": 100, "epochs": 1}
    for module in (L, W):
        monkeypatch.setattr(module, "SEEDS", (0, 1))
    monkeypatch.setattr(L, "DEFAULTS", {**L.DEFAULTS, **small})
    monkeypatch.setattr(W, "DEFAULTS", {**W.DEFAULTS, **small, "lambdas": [0.0, 0.1]})
    out = tmp_path / "reference.json"
    argv = ["experiment", "reference", "--only", "weight-decay", "--only", "limits"]
    assert main([*argv, "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert set(written) == {"weight-decay", "limits"}
    sweep = written["weight-decay"]
    assert sweep["seeds"] == [0, 1] and sweep["lambdas"] == [0.0, 0.1]
    assert sweep["shrink"]["expected"] == [1.0, 1 - 2 * W.DEFAULTS["learning_rate"] * 0.1]
    assert sweep["shrink"]["measured_mean"] == pytest.approx(sweep["shrink"]["expected"])
    assert sweep["claim_holds"] is True
    assert set(written["limits"]["tasks"]) == {"corner", "symmetry"}
    printed = capsys.readouterr().out
    assert f"weight-decay: {sweep['summary']}\n" in printed
    assert sweep["summary"].startswith("Over 2 seeds every SGD step shrank the weights")
    assert written["limits"]["summary"].startswith("Mean test accuracy over 2 seeds on corner: ")
    assert f"written to {out}\n" in printed
