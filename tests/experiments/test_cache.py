"""The result cache on disk: shared between processes, atomic files, bounded, keyed by code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.experiments import manager as M
from app.experiments.cache import ResultCache

KEYS = [f"{i:064x}" for i in range(4)]


def test_a_result_written_by_one_cache_is_read_by_another_on_the_same_directory(
    tmp_path: Path,
) -> None:
    ResultCache(tmp_path, 8).put(KEYS[0], {"summary": "λ ‖W‖", "models": [1.5, None]})
    assert ResultCache(tmp_path, 8).get(KEYS[0]) == {"summary": "λ ‖W‖", "models": [1.5, None]}
    assert ResultCache(tmp_path, 8).get(KEYS[1]) is None


def test_writes_leave_only_whole_json_files(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, 8)
    cache.put(KEYS[0], {"a": 1})
    cache.put(KEYS[0], {"a": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{KEYS[0]}.json"]  # no .part left
    assert ResultCache(tmp_path, 8).get(KEYS[0]) == {"a": 2}


def test_the_directory_keeps_the_most_recently_used_results(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, 2)
    for age, key in enumerate(KEYS[:2]):
        cache.put(key, {"i": age})
        os.utime(tmp_path / f"{key}.json", ns=(age * 10**9, age * 10**9))  # key 0 oldest
    assert ResultCache(tmp_path, 2).get(KEYS[0]) == {"i": 0}  # a hit makes it recent
    cache.put(KEYS[2], {"i": 2})
    assert cache.files() == sorted([KEYS[0], KEYS[2]])


def test_a_corrupt_file_is_a_miss(tmp_path: Path) -> None:
    (tmp_path / f"{KEYS[0]}.json").write_text('{"cut": ')
    assert ResultCache(tmp_path, 8).get(KEYS[0]) is None


def test_size_zero_keeps_nothing(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "off", 0)
    cache.put(KEYS[0], {"a": 1})
    assert cache.get(KEYS[0]) is None
    assert not (tmp_path / "off").exists()


def test_the_run_key_changes_with_the_training_code(monkeypatch) -> None:
    config = {"seed": 0}
    before = M.run_key("limits", config, "subset")
    assert before == M.run_key("limits", dict(config), "subset")
    assert before != M.run_key("limits", config, "idx:/data")
    monkeypatch.setattr(M, "code_digest", lambda: "other code")
    assert M.run_key("limits", config, "subset") != before


def test_a_directory_that_cannot_be_created_is_refused_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RuntimeError) as refused:
        ResultCache(blocker / "cache", 8)
    assert str(refused.value) == (
        f"the experiment result cache directory {blocker / 'cache'} cannot be created (Not a "
        "directory): set CONVLAB_EXPERIMENT_CACHE_DIR to a writable directory, or "
        "CONVLAB_EXPERIMENT_CACHE_SIZE=0"
    )
