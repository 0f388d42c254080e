"""Shared request types: the one array validator, int-or-pair hyper-parameters, the limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
    with_config,
)
from pydantic_core import PydanticCustomError

from app.api import answer_size
from app.config import Settings
from app.engine.conv import ConvOptions
from app.engine.errors import InvalidInput


def settings_of(info: ValidationInfo) -> Settings:
    """The settings of the app validating this request (``context={"settings": ...}``)."""
    context = info.context
    if not isinstance(context, Mapping) or not isinstance(context.get("settings"), Settings):
        raise AssertionError(
            "request models are validated with context={'settings': app settings}; "
            "use JsonBody[...] in the route (app.api.deps)"
        )
    return context["settings"]


EXAMPLES = json.loads(
    Path(__file__).parents[1].joinpath("request_examples.json").read_text("utf-8")
)
"""/docs request examples, kept as data: {model name: {"example": …, "examples": […]}}."""


class Examples:
    """Gives a model its entry of ``EXAMPLES`` as ``json_schema_extra`` (subclasses inherit it)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)  # type: ignore[misc]
        if cls.__name__ in EXAMPLES:
            cls.model_config["json_schema_extra"] = EXAMPLES[cls.__name__]  # type: ignore[attr-defined]


class RequestModel(Examples, BaseModel):
    """Base of every request body (and its nested objects): strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class ResultModel(Examples, BaseModel):
    """Base of a response (or a part of one) read from an engine result: each field is the
    result's attribute of the same name (``from_attributes``; tuples become lists), so a route
    passes the engine's dataclass instead of copying it field by field. A field may also be an
    engine dataclass itself: its attribute docstrings describe its fields in /docs."""

    model_config = ConfigDict(from_attributes=True, use_attribute_docstrings=True)


def documented(dataclass: type[T]) -> type[T]:
    """An engine dataclass answered as a whole response: pydantic reads its attribute docstrings
    as the fields' descriptions in /docs, as it does for one inside a ResultModel."""
    return with_config(ConfigDict(use_attribute_docstrings=True))(dataclass)


class ShapedRequest(RequestModel):
    """A request whose work follows from its shapes: ``geometry()`` works the sizes out (no
    computing; an impossible geometry raises ``InvalidInput``, left to the engine, which answers
    with the readable reason), then ``check_limits`` refuses too much work and the size of the
    ``answer`` (declared in ``app.api.answer_size``) too large an answer, with a 422, before
    any work."""

    answer = answer_size.undeclared
    """The size of this request's answer: a function of (request, geometry, settings) in
    ``app.api.answer_size``; each request model names its own."""

    def geometry(self) -> Any:
        """The engine's geometry of this request (raises InvalidInput on impossible shapes)."""
        raise NotImplementedError

    def check_limits(self, geometry: Any, settings: Settings) -> None:
        """422 when the work or the answer of ``geometry`` is over the app's limits."""
        raise NotImplementedError

    def needs_geometry(self) -> bool:
        """False when the request's work does not follow a window geometry (global pooling)."""
        return True

    @model_validator(mode="after")
    def _within_compute_limits(self, info: ValidationInfo) -> Self:
        if not self.needs_geometry():
            return self
        settings = settings_of(info)
        try:
            geometry = self.geometry()
            self.check_limits(geometry, settings)
            size = type(self).answer(self, geometry, settings).bytes
        except InvalidInput:
            return self  # the engine answers with the readable reason
        check_response_bytes(size, settings)
        return self


class OneCell(RequestModel):
    """A request that explains exactly one of the cells named in ``cells`` (list it first among
    the bases: the check runs after the work limits)."""

    cells: ClassVar[tuple[str, ...]]

    @model_validator(mode="after")
    def _exactly_one_cell(self) -> Self:
        if sum(getattr(self, name) is not None for name in self.cells) != 1:
            names = f"{', '.join(self.cells[:-1])} or {self.cells[-1]}"
            raise PydanticCustomError("one_cell", f"give exactly one of {names}")
        return self


class ConvolutionRequest(ShapedRequest):
    """A request that carries a convolution's five options. Each subclass declares the fields
    ``stride``, ``padding``, ``padding_mode``, ``dilation`` and ``flip_kernel`` in its own words
    (a signal's stride is one integer, an image's may be a pair); ``options()`` gathers them into
    the one value the engine takes."""

    def options(self) -> ConvOptions:
        """The five convolution options as one value."""
        fields = ("stride", "padding", "padding_mode", "dilation", "flip_kernel")
        return ConvOptions(**{name: getattr(self, name) for name in fields})


def refuse_over(value: int, limit: int, error: str, message: str, name: str, **more: str) -> None:
    """422 ``error`` when ``value`` is over ``limit``; ``message`` names them ``{name}`` and
    ``{limit}`` (both written with thousands separators) and any of ``more``."""
    if value > limit:
        words = {**more, name: f"{value:,}", "limit": f"{limit:,}"}
        raise PydanticCustomError(error, message, words)


def check_output_values(shape: tuple[int, ...], settings: Settings) -> None:
    """422 when an output of ``shape`` would hold more than settings.max_output_values."""
    values, limit = int(np.prod(shape, dtype=np.int64)), settings.max_output_values
    message = "the output would hold {values} values, over the limit of {limit}"
    refuse_over(values, limit, "too_many_outputs", message, "values")


def check_response_bytes(estimate: int, settings: Settings) -> None:
    """422 when the JSON answer would be larger than settings.max_response_bytes."""
    message = "the answer could take {size} bytes, over the limit of {limit} bytes; ask for a "
    message += "smaller input, kernel or padding"
    refuse_over(estimate, settings.max_response_bytes, "response_too_large", message, "size")


# -- int-or-pair hyper-parameters ----------------------------------------------------------------

_PAIR_MAX = 1024


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _shown(value: object) -> str:
    """A rejected value as the student typed it (JSON: NaN, Infinity), shortened."""
    try:
        return json.dumps(value)[:40]
    except (TypeError, ValueError):
        return type(value).__name__


def int_or_pair(minimum: int, *, words: tuple[str, ...] = ()) -> object:
    """An ``Annotated`` type: an int, a [height, width] pair of ints (→ tuple), or one of
    ``words``."""
    shown_words = "".join(f' or "{w}"' for w in words)

    def check(v: int) -> int:
        if v < minimum:
            if minimum == 0:
                raise PydanticCustomError("too_small", "must not be negative, got {v}", {"v": v})
            message = "must be at least {m}, got {v}"
            raise PydanticCustomError("too_small", message, {"m": minimum, "v": v})
        if v > _PAIR_MAX:
            raise PydanticCustomError(
                "too_large", "must be at most {m}, got {v}", {"m": _PAIR_MAX, "v": v}
            )
        return v

    def validate(value: object) -> int | tuple[int, int] | str:
        if isinstance(value, str) and value in words:
            return value
        if _is_int(value):
            return check(value)  # type: ignore[arg-type]
        if isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value)):
            return (check(value[0]), check(value[1]))
        raise PydanticCustomError(
            "int_or_pair",
            "must be an integer or a pair [height, width] of integers{words}, got {got}",
            {"words": shown_words, "got": _shown(value)},
        )

    integer = {"type": "integer", "minimum": minimum, "maximum": _PAIR_MAX}
    variants: list[dict] = [
        integer,
        {"type": "array", "items": integer, "minItems": 2, "maxItems": 2},
    ]
    variants += [{"type": "string", "enum": list(words)}] if words else []
    return Annotated[Any, PlainValidator(validate), WithJsonSchema({"anyOf": variants})]


PositiveIntOrPair = int_or_pair(1)
"""An int ≥ 1 or a [height, width] pair of them (validated to int or tuple)."""
NonNegativeIntOrPair = int_or_pair(0)
"""An int ≥ 0 or a [height, width] pair of them (validated to int or tuple)."""
T = TypeVar("T")


def _listed(value: object) -> object:
    return value.tolist() if isinstance(value, np.ndarray) else value


Listed = Annotated[T, BeforeValidator(_listed)]
"""A response field that may be read from an engine's numpy array, e.g. ``Listed[list[float]]``:
the array becomes the nested lists JSON carries (any other value is validated as it is)."""
Map = Listed[list[list[float]] | list[list[list[float]]]]
"""An H×W map or a C×H×W stack of them (a list, or an engine array)."""
Cell = tuple[Annotated[int, Field(ge=0, le=1_000_000)], Annotated[int, Field(ge=0, le=1_000_000)]]
"""[i, j] of a cell, 0-based."""
Channel = Annotated[int, Field(ge=0)]
"""A channel index, 0-based."""


# -- numeric arrays of a chosen depth: the one array validator -----------------------------------
#
# ``input`` of /api/conv2d may be H×W or C×H×W, ``kernel`` kh×kw or C_out×C_in×kh×kw. The type
# finds the depth first (following first elements), reads the shape from the first elements,
# checks every size against its limit, then that the array is rectangular, and only then the
# elements; it reports one readable error, e.g. "entry [1][0] must be a finite number, got NaN",
# and validates into a float64 numpy array.

StrictFiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A JSON number (int or float, not a bool or string) that is finite."""


def _nested_list_type(depth: int) -> object:
    leaf: object = StrictFiniteFloat
    for _ in range(depth):
        leaf = list[leaf]  # type: ignore[valid-type]
    return leaf


_LEAF_ADAPTERS = {depth: TypeAdapter(_nested_list_type(depth)) for depth in (1, 2, 3, 4)}
_JSON_KINDS = {type(None): "null", bool: "a boolean", str: "a string", dict: "an object"}
"""How a JSON value that is not a list reads in an error message (else "a number")."""


def _first_shape(value: object) -> tuple[int, ...]:
    """The shape read from first elements only (cheap; at most 6 levels are followed)."""
    shape: list[int] = []
    while isinstance(value, list) and len(shape) <= 5:
        if not value:
            raise PydanticCustomError("empty_array", "must not be empty")
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _reads(value: object, depth: int) -> str:
    """What a JSON value of ``depth`` levels of lists is, in an error message."""
    if depth:
        return f"a {depth}-D list"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a single number"
    return _JSON_KINDS.get(type(value), "a number")


def _check_rectangular(value: list, shape: tuple[int, ...]) -> None:
    """Error naming the first row whose length differs from ``shape``."""

    def check(node: object, level: int, path: str) -> None:
        if not isinstance(node, list):
            message = "is ragged: entry {path} is a number where a list of {n} was expected"
            raise PydanticCustomError("ragged_array", message, {"path": path, "n": shape[level]})
        if len(node) != shape[level]:
            message = "is ragged: row {path} has {got} entries, expected {n}"
            words = {"path": path or "[]", "got": len(node), "n": shape[level]}
            raise PydanticCustomError("ragged_array", message, words)
        if level + 1 < len(shape):
            for i, child in enumerate(node):
                check(child, level + 1, f"{path}[{i}]")

    check(value, 0, "")


Axis = tuple[str, str | int, str]
"""(phrase, limit, symbol): the phrase reads e.g. "height {n}" in an error; the limit is the name
of a Settings field capping that axis (``"max_side"``) or a fixed size the axis must have (28);
the symbol names the axis in the schema's title ("H×W")."""

H: Axis = ("height {n}", "max_side", "H")
W: Axis = ("width {n}", "max_side", "W")
C: Axis = ("{n} channels", "max_channels", "C")
C_OUT: Axis = ("{n} output channels", "max_channels", "C_out")
C_IN: Axis = ("{n} input channels", "max_channels", "C_in")
KH: Axis = ("kernel height {n}", "max_kernel_side", "kh")
KW: Axis = ("kernel width {n}", "max_kernel_side", "kw")


def _index(index: tuple) -> str:
    return "".join(f"[{int(i)}]" for i in index)


def numeric_array(
    *,
    axes: dict[int, tuple[Axis, ...]],
    description: str,
    bounds: tuple[float, float] | None = None,
) -> object:
    """An ``Annotated`` type for a nested list of finite numbers, validated to a float64 array."""

    def reading(depth: int) -> str:
        return "×".join(symbol for _, _, symbol in axes[depth])

    expected = " or ".join(f"{_reads(None, d)} ({reading(d)})" for d in axes)

    def validate(value: object, info: ValidationInfo) -> np.ndarray:
        shape = _first_shape(value)
        depth = len(shape)
        if depth not in axes:
            words = {"expected": expected, "got": _reads(value, depth)}
            raise PydanticCustomError("array_depth", "must be {expected}, got {got}", words)
        assert isinstance(value, list)
        settings = settings_of(info)
        for (phrase, limit, _), size in zip(axes[depth], shape, strict=True):
            if isinstance(limit, int) and size != limit:
                words = {"what": phrase.format(n=limit), "size": size}
                raise PydanticCustomError("wrong_size", "must have {what}, got {size}", words)
            if isinstance(limit, str) and size > getattr(settings, limit):
                words = {"what": phrase.format(n=size), "limit": getattr(settings, limit)}
                raise PydanticCustomError(
                    "too_large", "has {what}, over the limit of {limit}", words
                )
        _check_rectangular(value, shape)
        try:
            _LEAF_ADAPTERS[depth].validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            message = "entry {where} must be a finite number, got {got}"
            words = {"where": _index(first["loc"]), "got": _shown(first.get("input"))}
            raise PydanticCustomError("not_finite_number", message, words) from None
        array = np.asarray(value, dtype=np.float64)
        if bounds is not None:
            outside = np.flatnonzero((array < bounds[0]) | (array > bounds[1]))
            if outside.size:
                index = np.unravel_index(int(outside[0]), array.shape)
                message = "entry {where} must be between {low} and {high}, got {got}"
                low, high, got = (f"{x:g}" for x in (*bounds, array[index]))
                words = {"where": _index(index), "low": low, "high": high, "got": got}
                raise PydanticCustomError("out_of_range", message, words)
        return array

    def nested_schema(depth: int) -> dict:
        schema: dict = {"type": "number"}
        if bounds is not None:
            schema = {**schema, "minimum": bounds[0], "maximum": bounds[1]}
        for _, limit, _ in reversed(axes[depth]):
            schema = {"type": "array", "items": schema, "minItems": 1}
            if isinstance(limit, int):
                schema = {**schema, "minItems": limit, "maxItems": limit}
        return schema

    variants = [{**nested_schema(depth), "title": reading(depth)} for depth in axes]
    json_schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
    json_schema = {**json_schema, "description": description}
    return Annotated[Any, PlainValidator(validate), WithJsonSchema(json_schema)]


Image = numeric_array(
    axes={2: (H, W), 3: (C, H, W)},
    description="An H×W image or a C×H×W stack of channels, finite numbers, "
    "each side at most CONVLAB_MAX_SIDE (256), at most CONVLAB_MAX_CHANNELS (64) channels.",
)
Image2D = numeric_array(
    axes={2: (H, W)},
    description="An H×W image of finite numbers, each side at most CONVLAB_MAX_SIDE (256).",
)
Kernel = numeric_array(
    axes={2: (KH, KW), 4: (C_OUT, C_IN, KH, KW)},
    description="A kh×kw kernel, or C_out×C_in×kh×kw weights; each side at most "
    "CONVLAB_MAX_KERNEL_SIDE (64), channels at most CONVLAB_MAX_CHANNELS (64).",
)
Kernel2D = numeric_array(
    axes={2: (KH, KW)},
    description="A kh×kw kernel of finite numbers, each side at most CONVLAB_MAX_KERNEL_SIDE.",
)
Bias = numeric_array(
    axes={1: (("{n} values", "max_channels", "C_out"),)},
    description="One bias per output channel (finite numbers).",
)
Padding = int_or_pair(0, words=("valid", "same"))
"""Padding: an int, a (height, width) pair, "valid" (none) or "same" (output size = input size)."""
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
"""How padding cells are filled, as torch.nn.Conv2d's ``padding_mode``."""
ShiftAmount = Annotated[int, Field(ge=-4096, le=4096)]
"""A translation in pixels (positive: right for dx, down for dy)."""


# -- the output-size formula, worked out ------------------------------------------------------


class AxisFormula(ResultModel):
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
    expression: str = Field(description="The formula with numbers, e.g. '4 − 2 + 1'.")


class Formula(ResultModel):
    """Output size ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 per axis, symbolic and worked out."""

    general: str = Field(description="The symbolic formula used.")
    text: str = Field(description="Both axes worked out, e.g. '(4 − 2 + 1) × (4 − 2 + 1) = 3 × 3'.")
    axes: list[AxisFormula] = Field(description="Height then width, as structured numbers.")
