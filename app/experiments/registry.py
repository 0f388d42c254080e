"""Every experiment, by id: adding one is one module (see spec.py) and one line here."""

from __future__ import annotations

from app.experiments import generalization, limits, weight_decay
from app.experiments.spec import Experiment

EXPERIMENTS: dict[str, Experiment] = {
    module.EXPERIMENT.id: module.EXPERIMENT for module in (generalization, limits, weight_decay)
}
