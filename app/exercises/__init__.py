"""Exercises for every question of tutorial 3A: generated from a seed, checked by the engine.

Pure Python/NumPy, no HTTP. ``KINDS`` lists the kinds in the tutorial's order; ``exercise``
draws one from a seed, ``check_answer`` judges a typed answer. The same id and seed give the
same exercise everywhere (``numpy.random.default_rng(seed)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.exercises import (
    aliasing,
    backward,
    concepts,
    convolution,
    equivariance,
    parameters,
    receptive,
)
from app.exercises.answers import MalformedAnswer
from app.exercises.base import MAX_SEED, Kind, Verdict, check

__all__ = [
    "KINDS",
    "MAX_SEED",
    "Exercise",
    "Kind",
    "MalformedAnswer",
    "UnknownExercise",
    "Verdict",
    "check_answer",
    "exercise",
    "kind",
]

KINDS: tuple[Kind, ...] = (
    Kind(
        "weight-decay-step",
        ("Q1",),
        "/parameters",
        "One gradient step with L2 regularisation",
        parameters.make_weight_decay_step,
    ),
    Kind(
        "concept-local-patterns",
        ("Q2a",),
        "/mnist",
        "Local patterns in digits",
        concepts.from_bank(concepts.LOCAL_PATTERNS),
    ),
    Kind(
        "concept-fully-connected",
        ("Q2b",),
        "/mnist",
        "What a fully connected layer ignores",
        concepts.from_bank(concepts.FULLY_CONNECTED),
    ),
    Kind(
        "conv-output-value",
        ("Q3a",),
        "/convolution",
        "One output value of a convolution",
        convolution.make_conv_output_value,
    ),
    Kind(
        "output-size",
        ("Q3a",),
        "/convolution",
        "The output size of a convolution",
        convolution.make_output_size,
    ),
    Kind(
        "weight-sharing",
        ("Q3b",),
        "/matrix",
        "Sparse interactions and parameter sharing in numbers",
        convolution.make_weight_sharing,
    ),
    Kind(
        "feature-shift",
        ("Q3c",),
        "/equivariance",
        "Where a feature's response moves when the input shifts",
        equivariance.make_feature_shift,
    ),
    Kind(
        "concept-hypothesis-space",
        ("Q3d",),
        "/matrix",
        "Hypothesis space and inductive bias",
        concepts.from_bank(concepts.HYPOTHESIS_SPACE),
    ),
    Kind(
        "receptive-field",
        ("Q4",),
        "/receptive-fields",
        "The receptive field of a stack of layers",
        receptive.make_receptive_field,
    ),
    Kind(
        "receptive-field-pooling",
        ("Q4",),
        "/receptive-fields",
        "The receptive field with pooling in between",
        receptive.make_receptive_field_pooling,
    ),
    Kind(
        "max-pool-value",
        ("Q5a",),
        "/equivariance",
        "One output of max pooling",
        equivariance.make_max_pool_value,
    ),
    Kind(
        "pooled-size",
        ("Q5a",),
        "/equivariance",
        "The size of a pooled map",
        equivariance.make_pooled_size,
    ),
    Kind(
        "concept-pooling",
        ("Q5a", "Q5b"),
        "/equivariance",
        "Pooling against convolution; equivariance against invariance",
        concepts.from_bank(concepts.POOLING),
    ),
    Kind(
        "pool-shift",
        ("Q5b",),
        "/equivariance",
        "Which pooled values change when the input shifts",
        equivariance.make_pool_shift,
    ),
    Kind(
        "blurmax-shift",
        ("Q5b",),
        "/aliasing",
        "How much a blurred pooled value changes when the input shifts",
        aliasing.make_blurmax_shift,
    ),
    Kind(
        "blurmax-size",
        ("Q5a",),
        "/aliasing",
        "The size of a max-blur-pooled map",
        aliasing.make_blurmax_size,
    ),
    Kind(
        "concept-aliasing",
        ("Q5b",),
        "/aliasing",
        "Why a one-pixel shift can change a CNN's answer",
        concepts.from_bank(concepts.ALIASING),
    ),
    Kind(
        "parameter-count",
        ("Q6a", "Q2b"),
        "/parameters",
        "Parameters of a dense layer and of a bank of filters",
        parameters.make_parameter_count,
    ),
    Kind(
        "concept-regularization",
        ("Q6b", "Q1b"),
        "/parameters",
        "Structural against explicit regularisation",
        concepts.from_bank(concepts.REGULARIZATION),
    ),
    Kind(
        "concept-generalization",
        ("Q6c",),
        "/experiments",
        "Which network generalizes better on images",
        concepts.from_bank(concepts.GENERALIZATION),
    ),
    Kind(
        "concept-limits",
        ("Q6d",),
        "/experiments",
        "Where convolution is the wrong inductive bias",
        concepts.from_bank(concepts.LIMITS),
    ),
    Kind(
        "grad-input-entries",
        ("Q3b",),
        "/backward",
        "Which input gradients one output gradient reaches",
        backward.make_grad_input_entries,
    ),
    Kind(
        "transposed-output-size",
        ("Q3a",),
        "/backward",
        "The output size of a transposed convolution",
        backward.make_transposed_output_size,
    ),
)
_BY_ID = {k.id: k for k in KINDS}
assert len(_BY_ID) == len(KINDS), "exercise ids must be unique"


class UnknownExercise(LookupError):
    """No exercise kind has this id (the API answers 404)."""

    def __init__(self, exercise_id: str) -> None:
        shown = exercise_id if len(exercise_id) <= 40 else exercise_id[:39] + "…"
        super().__init__(f"no exercise called {shown!r}; GET /api/exercises lists them")


@dataclass(frozen=True)
class Exercise:
    """What the student sees: the prompt, the numbers, how to write the answer."""

    id: str
    seed: int
    prompt: str
    inputs: dict
    answer_format: dict


def kind(exercise_id: str) -> Kind:
    """The kind of this id, or UnknownExercise."""
    try:
        return _BY_ID[exercise_id]
    except KeyError:
        raise UnknownExercise(exercise_id) from None


def exercise(exercise_id: str, seed: int) -> Exercise:
    """The exercise ``exercise_id`` drawn from ``seed``."""
    problem = kind(exercise_id).problem(seed)
    return Exercise(
        id=exercise_id,
        seed=seed,
        prompt=problem.prompt,
        inputs=problem.inputs,
        answer_format=problem.answer.format(),
    )


def check_answer(exercise_id: str, seed: int, answer: str) -> Verdict:
    """Judge ``answer`` for the exercise of this id and seed (MalformedAnswer if unreadable)."""
    return check(kind(exercise_id).problem(seed), answer)
