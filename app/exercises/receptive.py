"""Receptive-field exercises (tutorial Q4): R_L = 1 + L(k − 1), and a stack with pooling.

With strides, R = 1 + Σ_l (k_l − 1)·J_l where J_l is the product of the strides of the layers
before l (Araujo et al. 2019, "Computing receptive fields of CNNs"). The expected sizes come
from ``app.engine.receptive_field``.
"""

from __future__ import annotations

import numpy as np

from app.engine.receptive_field import make_layers, receptive_fields, stack_preset
from app.exercises.answers import Size
from app.exercises.base import Mistake, Problem, pick, square


def make_receptive_field(rng: np.random.Generator) -> Problem:
    """R_L of L conv layers of k×k, stride 1, no padding."""
    layers, k = int(rng.integers(1, 9)), pick(rng, (2, 3, 3, 5, 7))
    field = receptive_fields(make_layers(stack_preset(layers, k)))[-1].receptive_field
    explanation = (
        f"Each layer of stride 1 widens the field by k − 1 = {k - 1} pixels: "
        f"R_L = 1 + L(k − 1) = 1 + {layers}·({k} − 1) = {field[0]}, a {field[0]}×{field[1]} "
        "patch of the input."
    )
    mistakes = (
        Mistake(
            "used-k-not-k-minus-1",
            f"Each layer adds k − 1 = {k - 1} pixels, not k: the new window overlaps the old "
            "one by all but one pixel. Start from 1 and add k − 1 per layer.",
            value=square(layers * k),
        ),
        Mistake(
            "used-k-not-k-minus-1",
            f"Each layer adds k − 1 = {k - 1} pixels, not k: R_L = 1 + L(k − 1).",
            value=square(1 + layers * k),
        ),
        Mistake(
            "forgot-the-1",
            "You forgot the 1: before any layer a unit sees one pixel, R_0 = 1, and each layer "
            "adds k − 1.",
            value=square(layers * (k - 1)),
        ),
        Mistake(
            "multiplied",
            "Receptive fields grow additively with stride 1, not multiplicatively: each layer "
            "adds k − 1 pixels.",
            value=square(k**layers) if k**layers < 10**9 else None,
        ),
    )
    prompt = (
        f"A stack of {layers} convolutional layer{'s' if layers > 1 else ''} of {k}×{k}, "
        "stride 1, no padding. How many input pixels wide is the receptive field of one unit "
        "of the last layer?"
    )
    return Problem(
        prompt=prompt,
        inputs={"layers": layers, "kernel": k},
        answer=Size(square=True),
        expected=field,
        explanation=explanation,
        general_hint="Start from R_0 = 1 (one pixel) and add k − 1 for each layer.",
        mistakes=tuple(m for m in mistakes if m.value is not None),
    )


def _stack(rng: np.random.Generator) -> list[dict]:
    """conv…, pool 2/2, conv… (, pool, conv…): 1–2 pooling layers between conv blocks."""
    specs: list[dict] = []
    for block in range(pick(rng, (1, 1, 2)) + 1):
        if block:
            specs.append({"type": "pool", "kernel": 2, "stride": 2})
        for _ in range(pick(rng, (1, 1, 2))):
            specs.append({"type": "conv", "kernel": pick(rng, (3, 3, 5)), "stride": 1})
    return specs


def make_receptive_field_pooling(rng: np.random.Generator) -> Problem:
    """The receptive field of a conv / max-pool stack: pooling multiplies later growth."""
    specs = _stack(rng)
    layers = make_layers(
        [{"type": s["type"], "kernel_size": s["kernel"], "stride": s["stride"]} for s in specs]
    )
    fields = receptive_fields(layers)
    side = fields[-1].receptive_field[0]
    jumps = [1] + [f.jump[0] for f in fields[:-1]]  # J_l: product of the strides before l
    terms = " + ".join(f"({s['kernel']} − 1)·{j}" for s, j in zip(specs, jumps, strict=True))
    described = ", ".join(
        f"{'conv' if s['type'] == 'conv' else 'max-pool'} {s['kernel']}×{s['kernel']}"
        + (f" stride {s['stride']}" if s["type"] == "pool" else "")
        for s in specs
    )
    explanation = (
        "R = 1 + Σ (k_l − 1)·J_l, where J_l is the product of the strides before layer l "
        f"(every pooling of stride 2 doubles the step between neighbouring units): 1 + {terms} "
        f"= {side}."
    )
    no_jump = 1 + sum(s["kernel"] - 1 for s in specs)
    no_pool = 1 + sum(
        (s["kernel"] - 1) * j for s, j in zip(specs, jumps, strict=True) if s["type"] == "conv"
    )
    mistakes = (
        Mistake(
            "ignored-stride",
            "You added k − 1 for every layer as if all had stride 1. After a pooling of "
            "stride 2, neighbouring units are 2 input pixels apart, so every later layer adds "
            "(k − 1)·2 (and ·4 after two poolings).",
            value=square(no_jump),
        ),
        Mistake(
            "skipped-pooling",
            "The pooling window counts too: a 2×2 pool adds (2 − 1)·J pixels, like any window.",
            value=square(no_pool),
        ),
        Mistake(
            "forgot-the-1",
            "You forgot the 1: start from a single pixel, R_0 = 1.",
            value=square(side - 1),
        ),
    )
    prompt = (
        f"A network applies, in order: {described} (convolutions stride 1, no padding). How "
        "many input pixels wide is the receptive field of one unit of the last layer?"
    )
    return Problem(
        prompt=prompt,
        inputs={"layers": specs},
        answer=Size(square=True),
        expected=(side, side),
        explanation=explanation,
        general_hint="Walk through the layers keeping the step J between neighbouring units "
        "(the product of the strides so far): each layer adds (k − 1)·J.",
        mistakes=mistakes,
    )
