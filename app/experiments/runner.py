"""Run one experiment: a full config and a seed in, the result as plain JSON data out.

Each experiment's training is in its own module (``app.experiments.registry``); this module
loads the digits, sets one torch thread and wraps the experiment's body in the fields every
result has (``id``, ``config``, ``data``). No HTTP here: progress goes to a callback and the run
stops when ``should_stop`` says so (``RunCancelled``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from app.engine.errors import InvalidInput
from app.experiments import data as D
from app.experiments.registry import EXPERIMENTS
from app.experiments.training import Progress, RunCancelled

__all__ = ["EXPERIMENTS", "RunCancelled", "run"]


def run(
    experiment_id: str,
    config: dict[str, Any],
    *,
    data_dir: Path | None = None,
    report: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Run experiment ``experiment_id`` with the full ``config``; the result as plain JSON data.

    The caller fills every field of ``config`` (the experiment's ``defaults``).
    """
    experiment = EXPERIMENTS.get(experiment_id)
    if experiment is None:
        raise InvalidInput(f"no experiment called {experiment_id!r}")
    torch.set_num_threads(1)
    pool = D.load_pool(data_dir) if experiment.config.uses_mnist else None
    body = experiment.body(
        config, pool, report or (lambda event: None), should_stop or (lambda: False)
    )
    if pool is None:
        data = {
            "source": "generated",
            "description": "synthetic images generated from the seed",
            "train_pool": None,
        }
    else:
        data = {
            "source": pool.source,
            "description": f"{pool.description} This run tested on the first "
            f"{config['test_size']:,} of its {len(pool.test_labels):,} test digits.",
            "train_pool": len(pool.train_labels),
        }
    return {
        "id": experiment_id,
        "config": config,
        "data": {**data, "test_size": config["test_size"]},
        **body,
    }
