"""docs/experiments-api.md says what the API returns: its ```json examples are checked against
the code (defaults, the data block, a ModelResult, a progress event, the error event) and its
fixed texts (filters, 503) are the code's own."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from app.experiments import runner as R
from app.experiments.manager import MAX_WAITING, Busy
from app.experiments.models import FILTERS_WHAT
from app.experiments.registry import EXPERIMENTS
from app.experiments.worker import TIME_LIMIT_STATUS, time_limit_detail

DOCS = Path(__file__).resolve().parents[2] / "docs" / "experiments-api.md"
TEXT = DOCS.read_text()
DEFAULTS = EXPERIMENTS["generalization"].defaults


def _json_blocks() -> list[Any]:
    blocks = re.findall(r"^( *)```json\n(.*?)^\1```", TEXT, flags=re.S | re.M)
    return [json.loads(body) for _, body in blocks]


BLOCKS = _json_blocks()


def _block(**keys: Any) -> dict:
    """The one example holding every key of ``keys`` with that value (None: any value)."""
    found = [
        b
        for b in BLOCKS
        if isinstance(b, dict) and all(k in b and (v is None or b[k] == v) for k, v in keys.items())
    ]
    assert len(found) == 1, f"{len(found)} examples with {keys}"
    return found[0]


@pytest.fixture(scope="module")
def run() -> tuple[dict, list[dict]]:
    """A small generalization run with the default test_size, and its progress events."""
    events: list[dict] = []
    config = dict(DEFAULTS, train_size=100, epochs=1, models=["fc", "cnn"])
    return R.run("generalization", config, report=events.append), events


def test_every_json_example_parses() -> None:
    assert len(BLOCKS) >= 5


def test_the_listed_defaults_are_the_defaults() -> None:
    entry = _block(id="generalization", question=None)
    assert entry["question"] == EXPERIMENTS["generalization"].question
    assert entry["title"] == EXPERIMENTS["generalization"].title
    assert entry["defaults"] == DEFAULTS


def test_the_result_example_has_the_results_keys_config_and_data_block(run) -> None:
    result, _ = run
    example = _block(id="generalization", config=None)
    assert set(example) == set(result) | {"cached"}
    assert example["config"] == DEFAULTS
    assert example["data"] == result["data"]  # the default test_size, the subset, no MD5


def test_the_model_result_example_is_fc_as_the_code_describes_it(run) -> None:
    result, _ = run
    fc = result["models"][0]
    example = _block(name="fc")
    assert set(example) <= set(fc)
    assert (example["label"], example["description"], example["parameters"]) == (
        fc["label"],
        fc["description"],
        fc["parameters"],
    )


def test_the_progress_example_is_a_cnn_epoch_end_as_the_code_sends_it(run) -> None:
    _, events = run
    real = next(e for e in events if e["model"] == "cnn" and e["epoch_end"])
    example = _block(model="cnn", epoch_end=True)
    assert set(example) == set(real) - {"filters"}
    assert set(example["metrics"]) == set(real["metrics"])
    assert example["weight_decay"] == real["weight_decay"] == 0.0
    steps = DEFAULTS["epochs"] * math.ceil(DEFAULTS["train_size"] / DEFAULTS["batch_size"])
    assert example["steps"] == steps and example["epochs"] == DEFAULTS["epochs"]


def test_the_error_event_example_is_the_time_limit_as_the_worker_words_it() -> None:
    example = _block(status=TIME_LIMIT_STATUS)
    assert example == {"status": 504, "detail": time_limit_detail(300)}


def test_the_filter_descriptions_and_the_503_text_are_the_codes() -> None:
    for what in FILTERS_WHAT.values():
        assert f'`"{what}"`' in TEXT
    assert json.dumps({"detail": str(Busy(MAX_WAITING, 5))}) in TEXT
    assert "md5" not in TEXT.lower()


def test_the_reference_sketch_names_the_shipped_keys() -> None:
    from app.experiments.reference import load_reference

    reference = load_reference()
    sketch = TEXT[TEXT.index("## reference") :]
    for sweep in reference.values():
        for key in sweep:
            assert f'"{key}"' in sketch, key
    for key in reference["generalization"]["models"]["fc"]:
        assert f'"{key}"' in sketch, key


# -- the README's reference table and what it says about it ------------------------------------

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
ROWS = {"cnn": "| CNN (", "lc": "| LC (", "fc": "| FC + L2 ("}


def _reference_models() -> dict:
    from app.experiments.reference import load_reference

    return load_reference()["generalization"]["models"]


def test_the_readme_reference_table_is_the_shipped_sweep() -> None:
    for name, model in _reference_models().items():
        row = next(line for line in README.splitlines() if line.startswith(ROWS[name]))
        cells = [cell.strip().strip("*") for cell in row.strip("|").split("|")]
        accuracy = model["test_accuracy"]
        expected = [
            f"{100 * m:.1f} ± {100 * s:.1f}"
            for m, s in zip(accuracy["mean"], accuracy["std"], strict=True)
        ]
        assert cells[1] == f"{model['parameters']:,}"
        assert cells[2:] == expected, name


def test_the_readme_says_where_lc_lands_between_cnn_and_fc() -> None:
    from app.experiments.generalization import TRAIN_SIZES

    models = _reference_models()
    means = {name: m["test_accuracy"]["mean"] for name, m in models.items()}
    between = [
        n for i, n in enumerate(TRAIN_SIZES) if means["fc"][i] < means["lc"][i] < means["cnn"][i]
    ]
    assert between == list(TRAIN_SIZES)
    words = " ".join(README.split())  # the README wraps its lines
    assert "keeps locality but not sharing, lands in between at every N" in words
