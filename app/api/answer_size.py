"""The size of every answer, declared once: each response as its arrays (a shape and the JSON
bytes of one item) plus its listed parts (a count and the bytes of one) plus a fixed part.

A request model names its answer with a class attribute (``answer = answer_size.conv2d``);
``ShapedRequest`` adds the bound up from the shapes, before any work, and refuses with the 422
of ``check_response_bytes`` an answer that could exceed ``max_response_bytes``. Every bound is
an upper bound of the compact JSON: floats at their longest (``FLOAT_BYTES``,
-1.2345678901234567e-100 and its comma), every bracket counted (``json_array_bytes``). The
grow-until-refused tests (tests/api/response_limit.py) and the random-request tests serialise
real answers against these bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.engine.backward import full_convolution_shape
from app.engine.conv import ConvGeometry
from app.engine.conv1d import Conv1dGeometry
from app.engine.explain_layer import overlap_terms
from app.engine.pooling import BlurMaxGeometry, PoolGeometry, blurmax_geometry, pool_geometry
from app.engine.transpose import TransposeGeometry

if TYPE_CHECKING:  # the request models name their answers here; these are only for the types
    from app.api.schemas.conv import Conv2dExplainRequest, Conv2dRequest
    from app.api.schemas.conv_layer import (
        Conv2dBackwardExplainRequest,
        Conv2dBackwardRequest,
        ConvTranspose2dExplainRequest,
    )
    from app.api.schemas.shift import EquivarianceRequest

FLOAT_BYTES = 25
"""Worst-case JSON bytes of one float with its separator ("-1.2345678901234567e-100,")."""
FORMULA_BYTES = 1_000
"""A Formula's JSON (two axes of small numbers and short expressions)."""
LAYER_FIXED_BYTES = 4_000
"""The fixed part of a layer answer (backward, transposed, Mᵀ, 1-D): member names, shapes, the
formula worked out (≤ 800 bytes at the largest sizes), counts, notes, an explained cell's own
fields."""
TERM_BYTES = 400
"""One explained term's JSON plus its part of the expression."""
POSITION_BYTES = 24
"""One window position and its kernel position ("[63,63]," twice)."""
INFLUENCE_BYTES = 80
"""One influenced output's JSON without its positions."""
MERGED_ENTRY_BYTES = 64
"""One merged matrix entry's JSON without its weight indices."""
STAMP_BYTES = 64
"""One Stamp's JSON ('{"cell":[325632,325632],"kernel_position":[63,63]},')."""
ARGMAX_BYTES = 14
"""One arg-max position's JSON ("[255,255],")."""


def json_array_bytes(shape: Sequence[int], item_bytes: int = FLOAT_BYTES) -> int:
    """Upper bound of the compact JSON of a nested list of ``shape`` (floats by default):
    ``item_bytes`` per item with its comma, and 3 bytes ("[", "]", ",") per list, the outer
    one and every inner one (an H×1 map costs 27 bytes a value, not 25)."""
    lists, count = 1, 1
    for n in shape[:-1]:
        count *= n
        lists += count
    return math.prod(shape) * item_bytes + 3 * lists


def int_bytes(largest: int) -> int:
    """Upper bound of the JSON of an int of magnitude at most ``largest``, sign and comma."""
    return len(str(abs(largest))) + 2


def label_bytes(kernel_shape: tuple[int, ...]) -> int:
    """One weight label's JSON, '"K[63,63,63,63]",'."""
    return 6 + len(kernel_shape) + sum(len(str(n - 1)) for n in kernel_shape)


@dataclass(frozen=True)
class Answer:
    """A response's size: arrays (shape, bytes of one item), listed parts (count, bytes of
    one) and a fixed part."""

    arrays: tuple[tuple[tuple[int, ...], int], ...] = ()
    parts: tuple[tuple[int, int], ...] = ()
    fixed: int = 0

    @property
    def bytes(self) -> int:
        """The upper bound of the answer's JSON."""
        arrays = sum(json_array_bytes(shape, item) for shape, item in self.arrays)
        return arrays + sum(count * each for count, each in self.parts) + self.fixed

    def __add__(self, other: Answer) -> Answer:
        return Answer(
            self.arrays + other.arrays, self.parts + other.parts, self.fixed + other.fixed
        )


def floats(*shapes: tuple[int, ...]) -> Answer:
    """Float arrays of these shapes."""
    return Answer(arrays=tuple((tuple(shape), FLOAT_BYTES) for shape in shapes))


def undeclared(request: Any, geometry: Any, settings: Settings) -> Answer:
    """A request model that has not named its answer: a programming error, said loudly."""
    raise AssertionError(f"{type(request).__name__} does not declare its answer's size")


# -- /api/conv2d, /explain, /matrix --------------------------------------------------------------


def conv2d(request: Any, geometry: ConvGeometry, settings: Settings) -> Answer:
    """The output map and its formula."""
    return floats(geometry.output_shape) + Answer(fixed=FORMULA_BYTES)


def conv2d_explain(
    request: Conv2dExplainRequest, geometry: ConvGeometry, settings: Settings
) -> Answer:
    """The convolution plus the explanation: the terms of an output cell, or every window
    position (up to kh·kw per output cell) that holds the input cell."""
    kh, kw = geometry.kernel_size
    if request.output_cell is not None:
        cell = Answer(parts=((geometry.inputs_per_output, TERM_BYTES),))
    else:
        cell = Answer(
            parts=((geometry.outputs_sharing, INFLUENCE_BYTES + kh * kw * POSITION_BYTES),)
        )
    return conv2d(request, geometry, settings) + cell


def _matrix(kernel_shape: tuple[int, ...], geometry: ConvGeometry, rows: int, cols: int) -> Answer:
    """M (or Mᵀ) and its weight index, one label per kernel weight and, with reflect /
    replicate / circular padding, the merged entries (at most one per entry, each holding ≥ 2
    of the ``macs`` weights the matrix places)."""
    index = max(len("null,"), int_bytes(geometry.kernel_parameters))
    size = Answer(
        arrays=(((rows, cols), FLOAT_BYTES), ((rows, cols), index)),
        parts=((geometry.kernel_parameters, label_bytes(kernel_shape)),),
    )
    if geometry.padding_mode != "zeros":
        merged = min(rows * cols, geometry.macs // 2)
        size += Answer(parts=((merged, MERGED_ENTRY_BYTES), (geometry.macs, index)))
    return size


def conv2d_matrix(request: Conv2dRequest, geometry: ConvGeometry, settings: Settings) -> Answer:
    """M with its weight index and labels, the bias vector and the non-zeros of every row,
    the formula and the figures."""
    rows = geometry.out_channels * geometry.outputs_sharing
    cols = geometry.in_channels * geometry.input_size[0] * geometry.input_size[1]
    vectors = Answer(arrays=(((rows,), FLOAT_BYTES), ((rows,), int_bytes(cols))))
    matrix = _matrix(request.kernel.shape, geometry, rows, cols)
    return matrix + vectors + Answer(fixed=FORMULA_BYTES)


# -- the convolution as a layer --------------------------------------------------------------


def padded_grad_limit(settings: Settings) -> int:
    """Most values of the padded G the full-convolution view shows: within max_output_values
    and a quarter of the response limit."""
    return min(settings.max_output_values, settings.max_response_bytes // (4 * FLOAT_BYTES))


def conv2d_backward(
    request: Conv2dBackwardRequest, geometry: ConvGeometry, settings: Settings
) -> Answer:
    """Y and G (output-shaped), ∂L/∂X (input-shaped), ∂L/∂K and the rotated kernel
    (kernel-shaped), ∂L/∂b, and the padded G of the full-convolution view whenever the route
    shows it (zero padding, within ``padded_grad_limit``)."""
    kernel = request.kernel.shape
    rotated = kernel if len(kernel) == 2 else (kernel[1], kernel[0], *kernel[2:])
    size = floats(
        geometry.output_shape,
        geometry.output_shape,
        request.input.shape,
        kernel,
        rotated,
        (geometry.out_channels,),
    )
    padded = full_convolution_shape(geometry)
    if geometry.padding_mode == "zeros" and math.prod(padded) <= padded_grad_limit(settings):
        size += floats(padded)
    return size + Answer(fixed=LAYER_FIXED_BYTES)


def conv2d_backward_explain(
    request: Conv2dBackwardExplainRequest, geometry: ConvGeometry, settings: Settings
) -> Answer:
    """The backward answer and the terms of the cell asked for."""
    terms, _ = request.explained_terms(geometry)
    return conv2d_backward(request, geometry, settings) + Answer(parts=((terms, TERM_BYTES),))


def conv2d_matrix_transpose(
    request: Conv2dRequest, geometry: ConvGeometry, settings: Settings
) -> Answer:
    """Mᵀ with its weight index and labels, the non-zeros of every row, G and ∂L/∂X."""
    h, w = geometry.input_size
    rows, cols = geometry.in_channels * h * w, geometry.out_channels * geometry.outputs_sharing
    matrix = _matrix(request.kernel.shape, geometry, rows, cols)
    vectors = Answer(arrays=(((rows,), int_bytes(cols)),))
    maps = floats(geometry.output_shape, request.input.shape)
    return matrix + vectors + maps + Answer(fixed=LAYER_FIXED_BYTES)


def _overlap_bound(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Most (input index, tap) pairs that land on one output index along an axis of a
    transposed convolution: taps a with a·d ≡ r + p (mod s) repeat every s / gcd(s, d)."""
    period = stride // math.gcd(stride, dilation)
    return min(size, kernel, -(-kernel // period))


def max_overlap(geometry: TransposeGeometry) -> int:
    """Most (input cell, kernel tap) pairs landing on one output cell (an overlaps entry)."""
    return math.prod(
        _overlap_bound(axis.size, axis.kernel, axis.stride, axis.dilation)
        for axis in (geometry.height, geometry.width)
    )


def conv_transpose2d(request: Any, geometry: TransposeGeometry, settings: Settings) -> Answer:
    """The output map, the overlaps map (ints up to ``max_overlap``) and the fixed part."""
    overlaps = Answer(arrays=((geometry.output_size, int_bytes(max_overlap(geometry))),))
    return floats(geometry.output_shape) + overlaps + Answer(fixed=LAYER_FIXED_BYTES)


def conv_transpose2d_explain(
    request: ConvTranspose2dExplainRequest, geometry: TransposeGeometry, settings: Settings
) -> Answer:
    """The transposed convolution and the cell asked for: an output cell's terms (the stamps
    that overlap there, in every input channel), or an input cell's kh·kw stamps."""
    if request.output_cell is not None:
        cell = Answer(parts=((overlap_terms(geometry, request.output_cell), TERM_BYTES),))
    else:
        kh, kw = geometry.kernel_size
        cell = Answer(parts=((kh * kw, STAMP_BYTES),))
    return conv_transpose2d(request, geometry, settings) + cell


def conv1d(request: Any, geometry: Conv1dGeometry, settings: Settings) -> Answer:
    """The output signal(s) and the fixed part."""
    return floats(geometry.output_shape) + Answer(fixed=LAYER_FIXED_BYTES)


# -- pooling, shift, equivariance ----------------------------------------------------------------


def pooled(geometry: PoolGeometry | BlurMaxGeometry) -> Answer:
    """A pooled map, its arg-max positions and its formula."""
    shape = geometry.output_shape
    return Answer(
        arrays=((shape, FLOAT_BYTES), (shape, ARGMAX_BYTES)),
        fixed=FORMULA_BYTES,
    )


def pool(request: Any, geometry: PoolGeometry | BlurMaxGeometry, settings: Settings) -> Answer:
    """The pooled map with its arg-max positions and formula."""
    return pooled(geometry)


def shift(image_shape: tuple[int, ...]) -> Answer:
    """The shifted image."""
    return floats(image_shape)


def equivariance_pooling(
    request: EquivarianceRequest, geometry: ConvGeometry
) -> PoolGeometry | BlurMaxGeometry:
    """The pooling of the report's conv maps (raises InvalidInput when it cannot be done)."""
    assert request.pool is not None
    if request.pool.mode == "blurmax":
        return blurmax_geometry(geometry.output_shape)
    return pool_geometry(
        geometry.output_shape, kernel_size=request.pool.kernel_size, stride=request.pool.stride
    )


def equivariance(
    request: EquivarianceRequest, geometry: ConvGeometry, settings: Settings
) -> Answer:
    """The shifted image, five maps of the conv output's size (conv, conv of shifted, shifted
    conv, difference, interior mask), two formulas and, with pooling, before, after (with
    arg-max) and unchanged."""
    output = geometry.output_shape
    size = floats(request.image.shape, output, output, output, output, output)
    size += Answer(fixed=2 * FORMULA_BYTES)
    if request.pool is not None:
        pooling = equivariance_pooling(request, geometry)  # InvalidInput: the engine answers
        size += pooled(pooling) + pooled(pooling) + pooled(pooling)
    return size
