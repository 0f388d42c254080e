"""Shared field types: finite numbers, rectangular matrices, int-or-pair hyper-parameters.

The size limits come from the settings (``CONVLAB_MAX_SIDE`` …), so a 422 names the limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.config import get_settings
from app.engine.padding import AxisGeometry, formula_text

MAX_BODY_DEPTH = 12
"""No request needs deeper nesting than a 4-D kernel inside a body (5); deeper is refused."""


def json_safe(value: object, _depth: int = 0) -> object:
    """``value`` with NaN / ±inf replaced by the strings "NaN" / "Infinity" / "-Infinity".

    A 422 echoes the rejected input, and a float NaN there would make the error response
    itself invalid JSON (a 500). Used as a BeforeValidator so validators downstream see (and
    echo) the strings. Cheap when nothing is wrong: a row whose sum is finite is kept as is.
    Nesting deeper than MAX_BODY_DEPTH is refused (ValueError -> 422), never recursed into.
    """
    if isinstance(value, float):
        if value - value == 0:
            return value
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if not isinstance(value, dict | list):
        return value
    if _depth >= MAX_BODY_DEPTH:
        raise ValueError(f"is nested more than {MAX_BODY_DEPTH} levels deep")
    if isinstance(value, dict):
        return {key: json_safe(item, _depth + 1) for key, item in value.items()}
    try:
        total = sum(value)
        if total - total == 0:
            return value
    except (TypeError, OverflowError):
        pass
    return [json_safe(v, _depth + 1) for v in value]


def check_output_values(shape: tuple[int, ...]) -> None:
    """422 when an output of ``shape`` would hold more than settings.max_output_values."""
    limit = get_settings().max_output_values
    values = int(np.prod(shape))
    if values > limit:
        raise PydanticCustomError(
            "too_many_outputs",
            "the output would hold {values} values, over the limit of {limit}",
            {"values": f"{values:,}", "limit": f"{limit:,}"},
        )


FiniteFloat = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(json_safe)]
"""A finite number; a NaN / inf is refused with a JSON-safe echo."""


class RequestModel(BaseModel):
    """Base of request bodies: NaN / ±inf anywhere in the body become the strings "NaN",
    "Infinity", "-Infinity" before validation, so every field refuses them with a 422 whose
    echo of the input is valid JSON (a float NaN there would turn the 422 into a 500)."""

    @model_validator(mode="before")
    @classmethod
    def _json_safe_body(cls, data: object) -> object:
        return json_safe(data)


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
                raise ValueError(f"has side {shape[axis]}, over the limit of {settings.max_side}")
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
_PAIR_MAX = 1024


def int_or_pair(minimum: int, *, words: tuple[str, ...] = (), description: str = "") -> object:
    """An ``Annotated`` type: an int, a [height, width] pair of ints (→ tuple), or one of
    ``words``, each int in [minimum, 1024], with one readable error instead of one per branch.
    """
    shown_words = "".join(f' or "{w}"' for w in words)

    def check(v: int) -> int:
        if v < minimum:
            if minimum == 0:
                raise PydanticCustomError("too_small", "must not be negative, got {v}", {"v": v})
            raise PydanticCustomError(
                "too_small", "must be at least {m}, got {v}", {"m": minimum, "v": v}
            )
        if v > _PAIR_MAX:
            raise PydanticCustomError(
                "too_large", "must be at most {m}, got {v}", {"m": _PAIR_MAX, "v": v}
            )
        return v

    def is_int(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    def validate(value: object) -> int | tuple[int, int] | str:
        if isinstance(value, str) and value in words:
            return value
        if is_int(value):
            return check(value)  # type: ignore[arg-type]
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(is_int, value)):
            return (check(value[0]), check(value[1]))
        raise PydanticCustomError(
            "int_or_pair",
            "must be an integer or a pair [height, width] of integers{words}, got {got}",
            {"words": shown_words, "got": json.dumps(json_safe(value))[:40]},
        )

    integer = {"type": "integer", "minimum": minimum, "maximum": _PAIR_MAX}
    variants: list[dict] = [
        integer,
        {"type": "array", "items": integer, "minItems": 2, "maxItems": 2},
    ]
    if words:
        variants.append({"type": "string", "enum": list(words)})
    schema: dict = {"anyOf": variants}
    if description:
        schema["description"] = description
    return Annotated[Any, PlainValidator(validate), WithJsonSchema(schema)]


PositiveIntOrPair = int_or_pair(1)
"""An int ≥ 1 or a [height, width] pair of them (validated to int or tuple)."""
NonNegativeIntOrPair = int_or_pair(0)
"""An int ≥ 0 or a [height, width] pair of them (validated to int or tuple)."""
Cell = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


def as_array(value: list) -> np.ndarray:
    """A validated nested list as a float64 array."""
    return np.asarray(value, dtype=np.float64)


# -- numeric arrays of a chosen depth ---------------------------------------------------------
#
# ``input`` of /api/conv2d may be H×W or C×H×W, ``kernel`` kh×kw or C_out×C_in×kh×kw. A plain
# ``Matrix | Tensor3`` union reports the errors of every branch with type names in the location;
# the types below find the depth first, then report one readable error, e.g.
# "entry [1][0] must be a finite number, got nan". They validate into float64 numpy arrays.

StrictFiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A JSON number (int or float, not a bool or string) that is finite."""

_DEPTH_WORDS = {
    0: "a single number",
    1: "a 1-D list",
    2: "a 2-D list",
    3: "a 3-D list",
    4: "a 4-D list",
}


def _nested_list_type(depth: int) -> object:
    leaf: object = StrictFiniteFloat
    for _ in range(depth):
        leaf = list[leaf]  # type: ignore[valid-type]
    return leaf


_LEAF_ADAPTERS = {depth: TypeAdapter(_nested_list_type(depth)) for depth in (1, 2, 3, 4)}


def _depth_of(value: object) -> int:
    """Nesting depth found by following first elements; error on an empty list."""
    depth = 0
    node = value
    while isinstance(node, list):
        if len(node) == 0:
            raise PydanticCustomError("empty_array", "must not be empty")
        node = node[0]
        depth += 1
    if depth == 0 and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return -1
    return depth


def _json_kind(value: object) -> str:
    """How a JSON value that is not a list reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    return "a number"


def _rectangular_shape(value: list, depth: int) -> tuple[int, ...]:
    """Shape of a nested list; error naming the first row whose length differs."""
    shape: list[int] = []
    node: object = value
    for _ in range(depth):
        assert isinstance(node, list)
        shape.append(len(node))
        node = node[0]

    def check(node: object, level: int, path: str) -> None:
        if not isinstance(node, list):
            raise PydanticCustomError(
                "ragged_array",
                "is ragged: entry {path} is a number where a list of {n} was expected",
                {"path": path, "n": shape[level]},
            )
        if len(node) != shape[level]:
            raise PydanticCustomError(
                "ragged_array",
                "is ragged: row {path} has {got} entries, expected {n}",
                {"path": path or "[]", "got": len(node), "n": shape[level]},
            )
        if level + 1 < depth:
            for i, child in enumerate(node):
                check(child, level + 1, f"{path}[{i}]")

    check(value, 0, "")
    return tuple(shape)


def numeric_array(
    *,
    axes: dict[int, tuple[tuple[str, str], ...]],
    description: str,
) -> object:
    """An ``Annotated`` type for a nested list of finite numbers, validated to a float64 array.

    ``axes`` maps each accepted depth to its axes, each a (phrase, settings limit) pair: the
    phrase reads "height {n}" or "{n} channels" in the error message, the limit names the
    Settings field that caps that axis (``max_side``, ``max_channels``, ``max_kernel_side``).
    """

    def reading(depth: int) -> str:
        return "×".join(_AXIS_SYMBOLS[phrase] for phrase, _ in axes[depth])

    expected = " or ".join(f"{_DEPTH_WORDS[d]} ({reading(d)})" for d in axes)

    def validate(value: object) -> np.ndarray:
        depth = _depth_of(value)
        if depth not in axes:
            got = _DEPTH_WORDS.get(depth, f"a {depth}-D list") if depth >= 0 else _json_kind(value)
            raise PydanticCustomError(
                "array_depth", "must be {expected}, got {got}", {"expected": expected, "got": got}
            )
        assert isinstance(value, list)
        shape = _rectangular_shape(value, depth)
        try:
            _LEAF_ADAPTERS[depth].validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "".join(f"[{i}]" for i in first["loc"])
            raise PydanticCustomError(
                "not_finite_number",
                "entry {where} must be a finite number, got {got}",
                {"where": where, "got": _shown(first.get("input"))},
            ) from None
        settings = get_settings()
        for (phrase, limit_name), size in zip(axes[depth], shape, strict=True):
            limit = getattr(settings, limit_name)
            if size > limit:
                raise PydanticCustomError(
                    "too_large",
                    "has {what}, over the limit of {limit}",
                    {"what": phrase.format(n=size), "limit": limit},
                )
        return np.asarray(value, dtype=np.float64)

    def nested_schema(depth: int) -> dict:
        schema: dict = {"type": "number"}
        for _ in range(depth):
            schema = {"type": "array", "items": schema}
        return schema

    variants = [{**nested_schema(depth), "title": reading(depth)} for depth in axes]
    json_schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
    json_schema = {**json_schema, "description": description}
    return Annotated[
        Any, PlainValidator(validate), BeforeValidator(json_safe), WithJsonSchema(json_schema)
    ]


def _shown(value: object) -> str:
    """A rejected leaf as the student typed it (JSON), shortened."""
    if value in ("NaN", "Infinity", "-Infinity"):
        return str(value)
    return json.dumps(value)[:40]


_AXIS_SYMBOLS = {
    "height {n}": "H",
    "width {n}": "W",
    "{n} channels": "C",
    "kernel height {n}": "kh",
    "kernel width {n}": "kw",
    "{n} output channels": "C_out",
    "{n} input channels": "C_in",
    "{n} values": "C_out",
    "length {n}": "L",
    "kernel length {n}": "k",
}
_H = ("height {n}", "max_side")
_W = ("width {n}", "max_side")
_C = ("{n} channels", "max_channels")
_KH = ("kernel height {n}", "max_kernel_side")
_KW = ("kernel width {n}", "max_kernel_side")

Image = numeric_array(
    axes={2: (_H, _W), 3: (_C, _H, _W)},
    description="An H×W image or a C×H×W stack of channels, finite numbers, "
    "each side at most CONVLAB_MAX_SIDE (256), at most CONVLAB_MAX_CHANNELS (64) channels.",
)
"""H×W or C×H×W input, validated to a float64 array."""

Image2D = numeric_array(
    axes={2: (_H, _W)},
    description="An H×W image of finite numbers, each side at most CONVLAB_MAX_SIDE (256).",
)
"""H×W input, validated to a float64 array."""

Kernel = numeric_array(
    axes={
        2: (_KH, _KW),
        4: (
            ("{n} output channels", "max_channels"),
            ("{n} input channels", "max_channels"),
            _KH,
            _KW,
        ),
    },
    description="A kh×kw kernel, or C_out×C_in×kh×kw weights; each side at most "
    "CONVLAB_MAX_KERNEL_SIDE (64), channels at most CONVLAB_MAX_CHANNELS (64).",
)
"""kh×kw or C_out×C_in×kh×kw kernel, validated to a float64 array."""

Kernel2D = numeric_array(
    axes={2: (_KH, _KW)},
    description="A kh×kw kernel of finite numbers, each side at most CONVLAB_MAX_KERNEL_SIDE.",
)
"""kh×kw kernel, validated to a float64 array."""

Bias = numeric_array(
    axes={1: (("{n} values", "max_channels"),)},
    description="One bias per output channel (finite numbers).",
)
"""C_out bias values, validated to a float64 vector."""

Padding = int_or_pair(0, words=("valid", "same"))
"""Padding: an int, a (height, width) pair, "valid" (none) or "same" (output size = input size)."""
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
"""How padding cells are filled, as torch.nn.Conv2d's ``padding_mode``."""
ShiftAmount = Annotated[int, Field(ge=-4096, le=4096)]
"""A translation in pixels (positive: right for dx, down for dy)."""


# -- the output-size formula, worked out ------------------------------------------------------


class AxisFormula(BaseModel):
    """The output-size formula along one axis with every number filled in."""

    axis: Literal["height", "width"] = Field(description="Which axis.")
    size: int = Field(description="Input size H (or W).")
    pad_before: int = Field(description="Padding added before (top or left).")
    pad_after: int = Field(description="Padding added after (bottom or right).")
    kernel: int = Field(description="Kernel size k.")
    dilation: int = Field(description="Dilation d (1: contiguous window).")
    stride: int = Field(description="Stride s.")
    ceil_mode: bool = Field(False, description="⌈⌉ instead of ⌊⌋ (pooling only).")
    output: int = Field(description="Output size along this axis.")
    expression: str = Field(
        description="The formula with numbers, e.g. '4 − 2 + 1' or "
        "'⌊(5 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1'."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "axis": "height",
                "size": 4,
                "pad_before": 0,
                "pad_after": 0,
                "kernel": 2,
                "dilation": 1,
                "stride": 1,
                "ceil_mode": False,
                "output": 3,
                "expression": "4 − 2 + 1",
            }
        }
    )


class Formula(BaseModel):
    """Output size ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 per axis, symbolic and worked out."""

    general: str = Field(description="The symbolic formula used.")
    text: str = Field(description="Both axes worked out, e.g. '(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3'.")
    axes: list[AxisFormula] = Field(description="Height then width, as structured numbers.")

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "general": "H − k + 1",
                "text": "(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3",
                "axes": [
                    {
                        "axis": "height",
                        "size": 4,
                        "pad_before": 0,
                        "pad_after": 0,
                        "kernel": 2,
                        "dilation": 1,
                        "stride": 1,
                        "ceil_mode": False,
                        "output": 3,
                        "expression": "4 − 2 + 1",
                    },
                    {
                        "axis": "width",
                        "size": 4,
                        "pad_before": 0,
                        "pad_after": 0,
                        "kernel": 2,
                        "dilation": 1,
                        "stride": 1,
                        "ceil_mode": False,
                        "output": 3,
                        "expression": "4 − 2 + 1",
                    },
                ],
            }
        }
    )


def formula_of(height: AxisGeometry, width: AxisGeometry) -> Formula:
    """The response model of an engine window geometry (conv or pool)."""
    general, text, expressions = formula_text((height, width))
    axes = [
        AxisFormula(
            axis=axis.axis,
            size=axis.size,
            pad_before=axis.pad_before,
            pad_after=axis.pad_after,
            kernel=axis.kernel,
            dilation=axis.dilation,
            stride=axis.stride,
            ceil_mode=axis.ceil_mode,
            output=axis.output,
            expression=expression,
        )
        for axis, expression in zip((height, width), expressions, strict=True)
    ]
    return Formula(general=general, text=text, axes=axes)
