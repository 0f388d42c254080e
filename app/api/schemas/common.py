"""Shared field types: finite numbers, rectangular matrices, int-or-pair hyper-parameters.

The size limits come from the settings (``CONVLAB_MAX_SIDE`` …), so a 422 names the limit.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, Field

from app.config import get_settings

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _shape_of(value: object, depth: int) -> tuple[int, ...]:
    """Shape of a nested list of the given depth; ValueError if empty or ragged."""
    shape: list[int] = []
    level = value
    for _ in range(depth):
        assert isinstance(level, list)
        if len(level) == 0:
            raise ValueError("must not be empty")
        shape.append(len(level))
        level = level[0]

    def check(node: object, d: int, path: str) -> None:
        assert isinstance(node, list)
        if len(node) != shape[d]:
            raise ValueError(
                f"is ragged: row {path or '0'} has {len(node)} entries, expected {shape[d]}"
            )
        if d + 1 < depth:
            for i, child in enumerate(node):
                check(child, d + 1, f"{path}[{i}]" if path else str(i))

    check(value, 0, "")
    return tuple(shape)


def _limited(depth: int, spatial_axes: tuple[int, ...], channel_axes: tuple[int, ...]):
    def validate(value: list) -> list:
        shape = _shape_of(value, depth)
        settings = get_settings()
        for axis in spatial_axes:
            if shape[axis] > settings.max_side:
                raise ValueError(
                    f"has side {shape[axis]}, over the limit of {settings.max_side}"
                )
        for axis in channel_axes:
            if shape[axis] > settings.max_channels:
                raise ValueError(
                    f"has {shape[axis]} channels, over the limit of {settings.max_channels}"
                )
        return value

    return AfterValidator(validate)


Matrix = Annotated[list[list[FiniteFloat]], _limited(2, (0, 1), ())]
"""A non-empty rectangular H×W matrix of finite numbers."""
Tensor3 = Annotated[list[list[list[FiniteFloat]]], _limited(3, (1, 2), (0,))]
"""A non-empty C×H×W tensor of finite numbers."""
Tensor4 = Annotated[list[list[list[list[FiniteFloat]]]], _limited(4, (2, 3), (0, 1))]
"""A non-empty C_out×C_in×kh×kw weight tensor of finite numbers."""

PositiveInt = Annotated[int, Field(ge=1, le=1024)]
NonNegativeInt = Annotated[int, Field(ge=0, le=1024)]
PositiveIntOrPair = PositiveInt | tuple[PositiveInt, PositiveInt]
NonNegativeIntOrPair = NonNegativeInt | tuple[NonNegativeInt, NonNegativeInt]
Cell = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


def as_array(value: list) -> np.ndarray:
    """A validated nested list as a float64 array."""
    return np.asarray(value, dtype=np.float64)
