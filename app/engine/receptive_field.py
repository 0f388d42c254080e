"""Theoretical receptive fields of a stack of conv / pool layers.

Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill
2019. Per axis, with the input as layer 0 (r_0 = 1, j_0 = 1, start_0 = 0) and the effective
kernel k' = d(k − 1) + 1 of a layer with kernel k, dilation d, stride s and padding p:

    r_l     = r_{l−1} + (k'_l − 1)·j_{l−1}            receptive field size (pixels)
    j_l     = j_{l−1}·s_l                              jump: input pixels between neighbours
    start_l = start_{l−1} + ((k'_l − 1)/2 − p_l)·j_{l−1}   centre of unit 0's field

so unit i of layer l spans input pixels [start_l − (r_l − 1)/2 + i·j_l, … + r_l − 1]. With
stride 1, no dilation and the same k everywhere this is the tutorial's R_L = 1 + L(k − 1)
(Q4). Output sizes follow ⌊(n + 2p − k')/s⌋ + 1. A pooling layer has the same geometry as a
convolution, so the two differ only in their default stride (the kernel, for pooling).

Plain integer arithmetic (NumPy only to trace the pixels a unit sees); both axes go through
the same 1-D steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.engine.errors import InvalidInput
from app.engine.padding import times

LayerType = Literal["conv", "pool"]
Pair = tuple[int, int]


def as_pair(value: int | tuple[int, int] | list[int], what: str) -> Pair:
    """An int or a pair as (rows, cols)."""
    if isinstance(value, int):
        return (value, value)
    assert len(value) == 2, f"{what} must be an int or a pair, got {value!r}"
    return (int(value[0]), int(value[1]))


@dataclass(frozen=True)
class Layer:
    """The geometry of one layer; weights do not change the receptive field."""

    type: LayerType
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    name: str

    @property
    def effective_kernel(self) -> Pair:
        """d(k − 1) + 1 per axis: the span of a dilated kernel."""
        return (
            self.dilation[0] * (self.kernel[0] - 1) + 1,
            self.dilation[1] * (self.kernel[1] - 1) + 1,
        )


def make_layers(specs: list[dict]) -> list[Layer]:
    """Layers from dicts {type, kernel_size, stride?, padding?, dilation?, name?}.

    Defaults: stride 1 for conv and the kernel for pool, padding 0, dilation 1, and names
    "conv1", "pool1", "conv2", … counted per type.
    """
    layers: list[Layer] = []
    counts = {"conv": 0, "pool": 0}
    for index, spec in enumerate(specs):
        kind = spec["type"]
        if kind not in counts:
            raise InvalidInput(f'layer {index}: type must be "conv" or "pool", got {kind!r}')
        counts[kind] += 1
        kernel = as_pair(spec["kernel_size"], "kernel_size")
        stride = spec.get("stride")
        stride = (1, 1) if stride is None and kind == "conv" else stride
        stride = kernel if stride is None else as_pair(stride, "stride")
        padding = as_pair(spec.get("padding", 0), "padding")
        dilation = as_pair(spec.get("dilation", 1), "dilation")
        for label, pair, low in (
            ("kernel_size", kernel, 1),
            ("stride", stride, 1),
            ("dilation", dilation, 1),
            ("padding", padding, 0),
        ):
            if min(pair) < low:
                raise InvalidInput(f"layer {index}: {label} must be at least {low}, got {pair}")
        name = spec.get("name") or f"{kind}{counts[kind]}"
        layers.append(Layer(kind, kernel, stride, padding, dilation, name))
    return layers


@dataclass(frozen=True)
class LayerField:
    """The receptive-field arithmetic after one layer (per axis: [rows, columns])."""

    index: int
    """Index of the layer in the request."""
    name: str
    """The layer name given, or e.g. "conv1", "pool2"."""
    type: LayerType
    """"conv" or "pool"."""
    kernel_size: Pair
    """(kh, kw)."""
    stride: Pair
    """(sh, sw), defaults filled in."""
    padding: Pair
    """(ph, pw)."""
    dilation: Pair
    """(dh, dw)."""
    effective_kernel: Pair
    """d(k − 1) + 1 per axis."""
    receptive_field: Pair
    """r_l = r_{l−1} + (k_eff − 1)·j_{l−1}."""
    jump: Pair
    """j_l = j_{l−1}·s_l: input pixels between units."""
    start: tuple[float, float]
    """Centre of unit (0, 0)'s field in input pixels."""
    output_size: Pair | None = None
    """(H_l, W_l) for the given input size."""

    @property
    def layer(self) -> Layer:
        """The layer these numbers follow."""
        return Layer(
            self.type, self.kernel_size, self.stride, self.padding, self.dilation, self.name
        )

    @property
    def first(self) -> Pair:
        """Input coordinate of the first pixel of unit (0, 0)'s field: start − (r − 1)/2."""
        r, start = self.receptive_field, self.start
        return (int(start[0] - (r[0] - 1) / 2), int(start[1] - (r[1] - 1) / 2))


def _output_side(n: int, layer: Layer, axis: int) -> int:
    """⌊(n + 2p − k')/s⌋ + 1 for one axis; the caller has checked n + 2p ≥ k'."""
    span = n + 2 * layer.padding[axis] - layer.effective_kernel[axis]
    return span // layer.stride[axis] + 1


def _padding(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} rows, {pair[1]} cols"


def _check_fits(index: int, layer: Layer, size: Pair) -> None:
    padded = (size[0] + 2 * layer.padding[0], size[1] + 2 * layer.padding[1])
    eff = layer.effective_kernel
    if eff[0] <= padded[0] and eff[1] <= padded[1]:
        return
    kernel = f"kernel {times(*layer.kernel)}"
    if layer.dilation != (1, 1):
        kernel += f" with dilation {times(*layer.dilation)} (effective {times(*eff)})"
    raise InvalidInput(
        f"{layer.name} (layer {index}): {kernel} is larger than its padded input "
        f"{times(*padded)} (input {times(*size)}, padding {_padding(layer.padding)})"
    )


def receptive_fields(layers: list[Layer], input_size: Pair | None = None) -> list[LayerField]:
    """Size, jump, start and (with input_size) output size of every layer of the stack."""
    assert layers, "the stack needs at least one layer"
    r, j, first = [1, 1], [1, 1], [0, 0]
    size = input_size
    fields: list[LayerField] = []
    for index, layer in enumerate(layers):
        eff = layer.effective_kernel
        for a in (0, 1):
            r[a] += (eff[a] - 1) * j[a]
            first[a] -= layer.padding[a] * j[a]
            j[a] *= layer.stride[a]
        if size is not None:
            _check_fits(index, layer, size)
            size = (_output_side(size[0], layer, 0), _output_side(size[1], layer, 1))
        start = (first[0] + (r[0] - 1) / 2, first[1] + (r[1] - 1) / 2)
        numbers = (layer.kernel, layer.stride, layer.padding, layer.dilation, eff)
        fields.append(
            LayerField(
                index, layer.name, layer.type, *numbers, (r[0], r[1]), (j[0], j[1]), start, size
            )
        )
    return fields


@dataclass(frozen=True)
class Region:
    """The input rows and columns one unit sees, as inclusive (first, last) ranges.

    rows/cols come from the formula and may reach into padding; clipped_rows/clipped_cols
    bound the real input pixels that can reach the unit, traced through real units only
    (None without an input size, or when only padding reaches the unit). Dilation or a
    stride larger than the kernel leaves gaps inside these ranges.
    """

    layer: int
    """Index of the unit's layer."""
    position: Pair
    """[i, j] of the unit."""
    rows: Pair
    """Unclipped [first, last] input rows (may fall in padding)."""
    cols: Pair
    """Unclipped [first, last] input columns."""
    clipped_rows: Pair | None
    """Rows of real input pixels that reach the unit (null without input_size, or when only
    padding reaches it)."""
    clipped_cols: Pair | None
    """Columns, as clipped_rows."""


def _trace_axis(
    layers: list[Layer], sizes: list[int], upto: int, unit: int, axis: int
) -> Pair | None:
    """Real input pixels (first, last) that reach `unit` of layer `upto` along one axis.

    sizes[l] is the length of layer l's input (sizes[0] = the input). Walks down from the
    unit, keeping the set of real positions at each level (padding positions are dropped).
    """
    reach = np.array([unit])  # (n_reach,) sorted positions of real units at this level
    for index in range(upto, -1, -1):
        layer = layers[index]
        s, p = layer.stride[axis], layer.padding[axis]
        d, k = layer.dilation[axis], layer.kernel[axis]
        n_below = sizes[index]
        contiguous = reach[-1] - reach[0] + 1 == reach.size
        if contiguous and d == 1 and s <= k:  # windows overlap or touch: an interval again
            lo, hi = max(reach[0] * s - p, 0), min(reach[-1] * s - p + k - 1, n_below - 1)
            reach = np.arange(lo, hi + 1)
        else:
            taps = np.arange(k) * d  # (k,)
            below = (reach[:, None] * s - p + taps[None, :]).ravel()  # (n_reach * k,)
            mask = np.zeros(n_below, dtype=bool)
            mask[below[(below >= 0) & (below < n_below)]] = True
            reach = np.flatnonzero(mask)
        if reach.size == 0:
            return None
    return (int(reach[0]), int(reach[-1]))


def unit_region(
    fields: list[LayerField], layer_index: int, position: Pair, input_size: Pair | None = None
) -> Region:
    """The input region of unit `position` = (i, j) of layer `layer_index`."""
    if not 0 <= layer_index < len(fields):
        raise InvalidInput(
            f"unit layer {layer_index} does not exist: the stack has {len(fields)} layers "
            f"(0 … {len(fields) - 1})"
        )
    field = fields[layer_index]
    out = field.output_size
    if out is not None and not (position[0] < out[0] and position[1] < out[1]):
        raise InvalidInput(
            f"unit ({position[0]}, {position[1]}) is outside {field.name} "
            f"(layer {layer_index}), whose output is {times(*out)}"
        )
    spans = []
    for a in (0, 1):
        first = field.first[a] + position[a] * field.jump[a]
        spans.append((first, first + field.receptive_field[a] - 1))
    clipped: list[Pair | None] = [None, None]
    if input_size is not None:
        layers = [f.layer for f in fields]
        for a in (0, 1):
            sizes = [input_size[a]] + [f.output_size[a] for f in fields]  # type: ignore[index]
            clipped[a] = _trace_axis(layers, sizes, layer_index, position[a], a)
        if clipped[0] is None or clipped[1] is None:
            clipped = [None, None]
    return Region(layer_index, position, spans[0], spans[1], clipped[0], clipped[1])


def stride_one_formula(layers: list[Layer]) -> str | None:
    """R_L = 1 + L(k − 1) with the numbers, when every layer is stride 1, dilation 1, k×k."""
    k = layers[0].kernel[0]
    same = all(
        layer.kernel == (k, k) and layer.stride == (1, 1) and layer.dilation == (1, 1)
        for layer in layers
    )
    if not same:
        return None
    count = len(layers)
    return f"1 + {count}·({k} − 1) = {1 + count * (k - 1)}"


@dataclass(frozen=True)
class StackAnalysis:
    """A layer stack's receptive fields, the region of one unit (if asked) and R_L's formula."""

    fields: list[LayerField]
    region: Region | None
    formula: str | None

    @property
    def receptive_field(self) -> Pair:
        """The last layer's receptive field."""
        return self.fields[-1].receptive_field

    @property
    def jump(self) -> Pair:
        """The last layer's jump (cumulative stride)."""
        return self.fields[-1].jump


def analyse_stack(
    specs: list[dict],
    input_size: int | Pair | list[int] | None = None,
    unit: tuple[int, Pair] | None = None,
) -> StackAnalysis:
    """``make_layers``, ``receptive_fields``, ``unit_region`` of ``unit`` = (layer, position)
    and ``stride_one_formula``, in one call."""
    layers = make_layers(specs)
    size = None if input_size is None else as_pair(input_size, "input_size")
    fields = receptive_fields(layers, size)
    region = None if unit is None else unit_region(fields, unit[0], unit[1], size)
    return StackAnalysis(fields, region, stride_one_formula(layers))


# -- presets ------------------------------------------------------------------------------


def _conv(name: str, k: int, stride: int = 1, padding: int = 0) -> dict:
    return {"type": "conv", "name": name, "kernel_size": k, "stride": stride, "padding": padding}


def _pool(name: str, k: int, stride: int) -> dict:
    return {"type": "pool", "name": name, "kernel_size": k, "stride": stride, "padding": 0}


def stack_preset(num_layers: int, kernel_size: int) -> list[dict]:
    """L conv layers of k×k, stride 1, no padding: the tutorial's setting (Q4)."""
    return [_conv(f"conv{i + 1}", kernel_size) for i in range(num_layers)]


def _vgg16() -> list[dict]:
    layers: list[dict] = []
    for block, convs in enumerate((2, 2, 3, 3, 3), start=1):
        layers += [_conv(f"conv{block}_{i}", 3, 1, 1) for i in range(1, convs + 1)]
        layers.append(_pool(f"pool{block}", 2, 2))
    return layers


PRESETS: tuple[dict, ...] = (
    {
        "id": "stack",
        "name": "L layers of k×k, stride 1",
        "description": "The tutorial's Q4: stride 1, no padding, R_L = 1 + L(k − 1). "
        "Choose any L and k below to rebuild the stack.",
        "input_size": 11,
        "generator": {"num_layers": 3, "kernel_size": 3},
        "layers": stack_preset(3, 3),
    },
    {
        "id": "lenet5",
        "name": "LeNet-5",
        "description": "LeCun et al. 1998 up to C5: 5×5 convolutions and 2×2 subsampling on a "
        "32×32 input; C5 sees the whole 32×32 input.",
        "input_size": 32,
        "generator": None,
        "layers": [
            _conv("C1", 5),
            _pool("S2", 2, 2),
            _conv("C3", 5),
            _pool("S4", 2, 2),
            _conv("C5", 5),
        ],
    },
    {
        "id": "alexnet_v2",
        "name": "AlexNet (v2)",
        "description": "alexnet_v2 as in the TF-slim model and Araujo et al.'s table: "
        "pool5 has receptive field 195, jump 32.",
        "input_size": 224,
        "generator": None,
        "layers": [
            _conv("conv1", 11, 4, 0),
            _pool("pool1", 3, 2),
            _conv("conv2", 5, 1, 2),
            _pool("pool2", 3, 2),
            _conv("conv3", 3, 1, 1),
            _conv("conv4", 3, 1, 1),
            _conv("conv5", 3, 1, 1),
            _pool("pool5", 3, 2),
        ],
    },
    {
        "id": "vgg16",
        "name": "VGG-16",
        "description": "Simonyan & Zisserman 2015, the 13 3×3 convolutions and 5 pools: "
        "pool5 has receptive field 212, jump 32 (Araujo et al. 2019).",
        "input_size": 224,
        "generator": None,
        "layers": _vgg16(),
    },
)
