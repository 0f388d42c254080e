"""The experiments' prediction questions, as multiple-choice problems a teacher can ask.

A class is asked exactly the question the experiments page asks before a run
(``app.experiments.reference.prediction_questions``: the same prompt and options), and the
right option is the one the shipped reference sweep supports (three seeds), so the reveal on
the projector agrees with what the experiments page shows. The explanation is the sweep's own
summary sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.exercises.answers import Choice
from app.exercises.base import Option, Problem
from app.experiments.reference import load_reference
from app.experiments.reference import prediction_questions as experiment_predictions
from app.experiments.registry import EXPERIMENTS

KEYS = "ABCDEFGH"


@dataclass(frozen=True)
class Prediction:
    """One prediction question: an id like an exercise id, its tutorial question and page."""

    id: str
    question: str
    title: str
    page: str
    problem: Problem


def _problem(asked: dict[str, Any], summary: str) -> Problem:
    """The experiment's question as a choice among lettered options; ``asked["correct"]`` is
    the value of the option the reference supports."""
    values = [option["value"] for option in asked["options"]]
    assert asked["correct"] in values, f"{asked['id']}: {asked['correct']!r} is not an option"
    keys = KEYS[: len(values)]
    options = tuple(
        Option(
            key=key,
            text=option["label"],
            correct=option["value"] == asked["correct"],
            explanation=f"Measured by the shipped sweep: {summary}",
        )
        for key, option in zip(keys, asked["options"], strict=True)
    )
    return Problem(
        prompt=asked["prompt"],
        inputs={"options": [{"key": o.key, "text": o.text} for o in options]},
        answer=Choice(keys=tuple(keys)),
        expected=keys[values.index(asked["correct"])],
        explanation=summary,
        general_hint="Think about what each network can and cannot share across positions.",
        options=options,
    )


def prediction_questions() -> tuple[Prediction, ...]:
    """Every experiment's prediction question that the shipped reference answers."""
    reference = load_reference()
    found = []
    for asked in experiment_predictions(reference):
        if asked["correct"] is None:
            continue  # no reference sweep for this experiment: nothing to reveal
        experiment = EXPERIMENTS[asked["experiment"]]
        found.append(
            Prediction(
                id=f"experiment-{experiment.id}",
                question=experiment.question.split(",")[0].strip(),
                title=f"Prediction: {experiment.title}",
                page=f"/experiments?exp={experiment.id}",
                problem=_problem(asked, reference[experiment.id]["summary"]),
            )
        )
    return tuple(found)
