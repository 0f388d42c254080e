"""The shipped reference sweep: every experiment over a few seeds, as mean ± std.

``convlab experiment reference`` recomputes it (``compute_reference``) and writes
``app/experiments/reference.json``, which ``GET /api/experiments`` serves. Each experiment's
module says what its sweep runs (``Experiment.sweep``); this module runs the jobs (serially,
or in a pool of fresh interpreters that resumes from a cache directory) and reads and writes
the JSON. ``prediction_questions`` poses each experiment's prediction question with the option
the shipped sweep supports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import as_completed
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.experiments.registry import EXPERIMENTS
from app.experiments.runner import run
from app.experiments.spec import Runs

REFERENCE_PATH = Path(__file__).resolve().parent / "reference.json"
SWEEPS = {experiment_id: e.sweep for experiment_id, e in EXPERIMENTS.items()}

Log = Callable[[str], None]


def serial_runner(log: Log) -> Runs:
    def run_all(jobs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        results = []
        for experiment_id, config in jobs:
            log(f"{experiment_id} N={config['train_size']} seed={config['seed']}")
            results.append(run(experiment_id, config))
        return results

    return run_all


def _run_one(job: tuple[str, dict[str, Any]], cache_dir: Path | None = None) -> dict[str, Any]:
    """One run, read from / written to ``cache_dir`` (by the hash of id and config) if given."""
    import torch

    torch.set_num_threads(1)
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:24]
        path = cache_dir / f"{job[0]}-{digest}.json"
        if path.exists():
            return json.loads(path.read_text())
    result = run(*job)
    if path is not None:
        path.write_text(json.dumps(result))
    return result


def parallel_runner(log: Log, processes: int, cache_dir: Path | None = None) -> Runs:
    """Each job in a pool of ``processes`` fresh interpreters (results are identical), the
    costliest first; finished runs are kept in ``cache_dir`` so an interrupted sweep resumes."""

    def run_all(jobs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
        context = multiprocessing.get_context("spawn")
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i][1]["train_size"])
        results: list[dict[str, Any]] = [{}] * len(jobs)
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            futures = {pool.submit(_run_one, jobs[i], cache_dir): i for i in order}
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                log(f"{jobs[i][0]} N={jobs[i][1]['train_size']} seed={jobs[i][1]['seed']} done")
        return results

    return run_all


def compute_reference(
    ids: tuple[str, ...] = tuple(SWEEPS),
    *,
    log: Log = print,
    processes: int = 1,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Run the sweeps of ``ids`` on the shipped subset (reproducible anywhere)."""
    if processes == 1 and cache_dir is None:
        run_all = serial_runner(log)
    else:
        run_all = parallel_runner(log, processes, cache_dir)
    return {experiment_id: SWEEPS[experiment_id](run_all) for experiment_id in ids}


def write_reference(reference: dict[str, Any], path: Path = REFERENCE_PATH) -> None:
    path.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
    load_reference.cache_clear()


@lru_cache(maxsize=1)
def load_reference(path: Path = REFERENCE_PATH) -> dict[str, Any]:
    """The shipped sweep ({} when it has not been computed)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def prediction_questions(reference: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each experiment's prediction question, for posing it to a class: ``experiment``,
    ``id``, ``prompt``, ``options`` ([{"value", "label"}]) and ``correct`` (the option's value
    the shipped reference sweep supports; None when the reference lacks that experiment).

    Pure: computed from ``reference`` (default: the shipped reference.json).
    """
    reference = load_reference() if reference is None else reference
    questions = []
    for experiment_id, experiment in EXPERIMENTS.items():
        prediction = experiment.prediction
        sweep = reference.get(experiment_id)
        questions.append(
            {
                "experiment": experiment_id,
                "id": prediction.id,
                "prompt": prediction.prompt,
                "options": [dict(option) for option in prediction.options],
                "correct": prediction.answer(sweep) if sweep else None,
            }
        )
    return questions
