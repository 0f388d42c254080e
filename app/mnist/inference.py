"""Loading the shipped MNIST models once per process, and running them for the API.

Everything here is plain PyTorch/NumPy and knows nothing of HTTP. The loaded modules are
shared by every request of the process and are never written to: a student's edited kernel is
applied with ``F.conv2d`` on a *copy* of the first layer's weight, inside that one request, so
concurrent users never see each other's edits. Inference runs under ``torch.inference_mode()``;
only the saliency map (∂ logit / ∂ input, Simonyan et al. 2014) and Grad-CAM (∂ logit / ∂ the
last conv block's maps, Selvaraju et al. 2017) turn gradients back on, and then only for the
input or that layer's output (the parameters have ``requires_grad=False``).

Shifts follow image conventions: ``dx > 0`` moves the content right, ``dy > 0`` down, and
the pixels that come in are zero.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.engine.errors import InvalidInput
from app.mnist.card import (
    CONSISTENCY_FILE,
    ModelCard,
    ShiftConsistency,
    read_card,
    read_consistency,
)
from app.mnist.models import (
    DESCRIPTIONS,
    MODEL_NAMES,
    MaxBlurPool2d,
    build,
    parameters_per_layer,
)

MNIST_SIDE = 28


class ModelUnavailable(LookupError):
    """The requested model has no weights in this process (the API answers 503)."""


_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Conv2d, "conv"),
    (nn.ReLU, "relu"),
    (nn.MaxPool2d, "pool"),
    (MaxBlurPool2d, "pool"),
    (nn.Flatten, "flatten"),
    (nn.Linear, "linear"),
)


def kind_of(module: nn.Module) -> str:
    """The layer kind the API shows ("conv", "relu", "pool", "flatten", "linear")."""
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    raise TypeError(f"no API kind for layer {type(module).__name__}")


def config_of(module: nn.Module) -> dict[str, Any]:
    """The hyper-parameters of a layer, as JSON-ready values."""
    if isinstance(module, nn.Conv2d):
        return {
            "in_channels": module.in_channels,
            "out_channels": module.out_channels,
            "kernel_size": list(module.kernel_size),
            "stride": list(module.stride),
            "padding": list(module.padding),  # type: ignore[arg-type]
        }
    if isinstance(module, nn.MaxPool2d):
        return {"kernel_size": module.kernel_size, "stride": module.stride, "mode": "max"}
    if isinstance(module, MaxBlurPool2d):
        return {"kernel_size": 2, "stride": 2, "mode": "blurmax"}
    if isinstance(module, nn.Linear):
        return {"in_features": module.in_features, "out_features": module.out_features}
    return {}


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a model as the API shows it."""

    name: str
    """e.g. "conv1"."""
    kind: Literal["conv", "relu", "pool", "flatten", "linear"]
    """Layer type."""
    output_shape: tuple[int, ...]
    """Output shape for one 28×28 input."""
    parameters: int
    """Learned numbers in this layer (weights + biases)."""
    config: dict[str, Any]
    """Hyper-parameters (kernel_size, stride, …)."""


@dataclass
class LoadedModel:
    """A servable model with its card and its layer table."""

    name: str
    module: nn.Sequential
    card: ModelCard | None
    layers: list[LayerInfo]

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.name]

    @property
    def input_shape(self) -> list[int]:
        return [1, MNIST_SIDE, MNIST_SIDE]

    @property
    def total_parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)


@dataclass
class ModelRegistry:
    """The models of this process, by name (``cnn``, ``fc``)."""

    models: dict[str, LoadedModel] = field(default_factory=dict)
    weights_dir: Path | None = None
    consistency: ShiftConsistency | None = None
    """The shipped one-pixel shift consistency figures (``convlab evaluate --consistency``)."""

    def loaded(self) -> dict[str, bool]:
        """Every known model name → whether its weights are loaded."""
        return {name: name in self.models for name in MODEL_NAMES}

    def get(self, name: str) -> LoadedModel:
        """The loaded model ``name``, or ModelUnavailable with the reason."""
        try:
            return self.models[name]
        except KeyError:
            raise ModelUnavailable(
                # a page shows this text to students: no server path in it (CONVLAB_WEIGHTS_DIR)
                f"model {name!r} is not loaded: the server has no {name}.pt weights; train it "
                f"with `convlab train --model {name}`"
            ) from None


def layer_table(module: nn.Sequential) -> list[LayerInfo]:
    """Name, kind, output shape and parameter count of every layer (one dummy forward)."""
    counts = parameters_per_layer(module)
    specs = []
    x = torch.zeros(1, 1, MNIST_SIDE, MNIST_SIDE)
    with torch.inference_mode():
        for name, layer in module.named_children():
            x = layer(x)
            specs.append(
                LayerInfo(
                    name, kind_of(layer), tuple(x.shape[1:]), counts.get(name, 0), config_of(layer)
                )
            )
    return specs


def load_model(name: str, weights: Path, card: Path | None = None) -> LoadedModel:
    """Build model ``name``, load its state_dict (weights_only=True), freeze it."""
    module = build(name)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    except Exception as error:  # a corrupt file must stop the server with its name
        raise RuntimeError(f"cannot load MNIST weights {weights}: {error}") from error
    module.eval().requires_grad_(False)
    card_data = read_card(card) if card is not None and card.exists() else None
    return LoadedModel(name, module, card_data, layer_table(module))


def load_models(weights_dir: Path) -> ModelRegistry:
    """Load every shipped model found in ``weights_dir`` (weights_only=True)."""
    registry = ModelRegistry(weights_dir=Path(weights_dir))
    for name in MODEL_NAMES:
        weights = Path(weights_dir) / f"{name}.pt"
        if weights.exists():
            registry.models[name] = load_model(name, weights, weights.with_suffix(".json"))
    consistency = Path(weights_dir) / CONSISTENCY_FILE
    if consistency.exists():
        registry.consistency = read_consistency(consistency)
    return registry


# -- inputs ---------------------------------------------------------------------------------------


def to_tensor(image: np.ndarray | Sequence[Sequence[float]]) -> torch.Tensor:
    """A 28×28 image as a (1, 1, 28, 28) float32 tensor."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))
    assert x.shape == (MNIST_SIDE, MNIST_SIDE), f"expected 28×28, got {tuple(x.shape)}"
    return x[None, None]


def shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Translate a (N, C, H, W) batch by (dx, dy) pixels with zero fill."""
    n, c, h, w = x.shape
    if abs(dx) >= w or abs(dy) >= h:
        return torch.zeros_like(x)
    # pad on the side the content moves away from, then crop back to H×W
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)))
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[:, :, top : top + h, left : left + w]


def shifted_grid(x: torch.Tensor, dxs: Sequence[int], dys: Sequence[int]) -> torch.Tensor:
    """Every shift of the single image ``x`` (1, 1, 28, 28): (len(dys) * len(dxs), 1, 28, 28)."""
    return torch.cat([shift(x, dx, dy) for dy in dys for dx in dxs])


# -- forward passes -------------------------------------------------------------------------------


def probabilities(model: LoadedModel, x: torch.Tensor) -> np.ndarray:
    """Softmax probabilities (N, 10) of a batch."""
    with torch.inference_mode():
        return torch.softmax(model.module(x), dim=1).numpy()


@dataclass(frozen=True)
class ConvFilter:
    """The learned kernels of one conv layer (BatchNorm already folded in)."""

    name: str
    weight: np.ndarray  # (C_out, C_in, kh, kw)
    bias: np.ndarray  # (C_out,)


def _convs(model: LoadedModel, missing: str) -> list[tuple[str, nn.Conv2d]]:
    """(name, layer) of every conv layer in order; InvalidInput "the <model> model has no
    <missing>" if there is none."""
    convs = [(n, m) for n, m in model.module.named_children() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise InvalidInput(f"the {model.name} model has no {missing}")
    return convs


def conv_filters(model: LoadedModel) -> list[ConvFilter]:
    """Every conv layer's weights and biases, in order; InvalidInput if there is none."""
    return [
        ConvFilter(name, layer.weight.detach().numpy(), layer.bias.detach().numpy())
        for name, layer in _convs(model, "conv layers")
    ]


def _first_conv(model: LoadedModel) -> tuple[str, nn.Conv2d]:
    return _convs(model, "convolution layer to edit")[0]


def overridden_weight(
    model: LoadedModel, overrides: Mapping[int, Sequence[Sequence[float]]]
) -> torch.Tensor:
    """A copy of the first conv layer's weight with the given channels' kernels replaced."""
    name, conv = _first_conv(model)
    weight = conv.weight.detach().clone()  # (C_out, C_in, kh, kw), never the model's tensor
    c_out, c_in, kh, kw = weight.shape
    for channel, kernel in overrides.items():
        if not 0 <= channel < c_out:
            raise InvalidInput(
                f"kernel override for channel {channel}: {name} has channels 0..{c_out - 1}"
            )
        values = torch.as_tensor(np.asarray(kernel, dtype=np.float32))
        if tuple(values.shape) != (kh, kw):
            raise InvalidInput(
                f"kernel override for channel {channel} is {'×'.join(map(str, values.shape))}, "
                f"{name} kernels are {kh}×{kw}"
            )
        weight[channel] = values.expand(c_in, kh, kw)
    return weight


@dataclass
class Activation:
    """One layer's output for one image."""

    name: str
    kind: str
    values: torch.Tensor  # (C, H, W) or (N,)


OVERFLOW = "the edited kernels make the activations overflow; use smaller kernel weights"


def _forward_layers(
    model: LoadedModel,
    x: torch.Tensor,
    overrides: Mapping[int, Sequence[Sequence[float]]] | None,
) -> tuple[list[Activation], np.ndarray]:
    weight = overridden_weight(model, overrides) if overrides else None
    first_conv = _first_conv(model)[0] if weight is not None else None
    layers = [Activation("input", "input", x[0])]
    with torch.inference_mode():
        for name, layer in model.module.named_children():
            if name == first_conv:
                x = F.conv2d(x, weight, layer.bias, layer.stride, layer.padding)
            else:
                x = layer(x)
            layers.append(Activation(name, kind_of(layer), x[0]))
        probs = torch.softmax(x, dim=1)[0].numpy()
    return layers, probs


def activations(
    model: LoadedModel,
    x: torch.Tensor,
    overrides: Mapping[int, Sequence[Sequence[float]]] | None = None,
) -> tuple[list[Activation], np.ndarray]:
    """Every layer's output for the single image ``x`` (1, 1, 28, 28), and the probabilities.

    ``overrides`` replaces kernels of the first conv layer for this call only.
    """
    layers, probs = _forward_layers(model, x, overrides)
    if not all(bool(torch.isfinite(layer.values).all()) for layer in layers):
        raise InvalidInput(OVERFLOW)
    return layers, probs


@dataclass(frozen=True)
class EncodedLayer:
    """One layer's output, quantised to 8 bits: value ≈ min + q × scale, q in 0..255."""

    name: str
    """Layer name, e.g. "conv1", "relu1", "pool1", "fc2"."""
    kind: Literal["input", "conv", "relu", "pool", "flatten", "linear"]
    """Kind."""
    shape: tuple[int, ...]
    """(C, H, W) for feature maps, (N,) for vectors."""
    min: float
    """Smallest value of the layer (q = 0)."""
    max: float
    """Largest value of the layer (q = 255)."""
    scale: float
    """(max - min) / 255; 0 when the layer is constant."""
    data: str
    """base64 of the uint8 codes q in row-major (C, H, W) order."""


def encoded_activations(
    model: LoadedModel,
    x: torch.Tensor,
    overrides: Mapping[int, Sequence[Sequence[float]]] | None = None,
) -> tuple[list[EncodedLayer], np.ndarray]:
    """:func:`activations`, each layer quantised; the quantisation's range (one min and one max
    over the layer, needed anyway) is the finiteness check, so no second pass over the values."""
    layers, probs = _forward_layers(model, x, overrides)
    try:
        encoded = [
            EncodedLayer(
                layer.name, layer.kind, tuple(layer.values.shape), **vars(quantise(layer.values))
            )
            for layer in layers
        ]
    except ValueError:  # a NaN or ±inf in some layer
        raise InvalidInput(OVERFLOW) from None
    return encoded, probs


def saliency(
    model: LoadedModel, x: torch.Tensor, target: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """(∂ logit_target / ∂ x as 28×28, probabilities, target) for one image ``x``."""
    with torch.inference_mode(False), torch.enable_grad():
        x = x.clone().requires_grad_(True)
        logits = model.module(x)
        probs = torch.softmax(logits.detach(), dim=1)[0].numpy()
        target = int(probs.argmax()) if target is None else target
        (gradient,) = torch.autograd.grad(logits[0, target], x)
    return gradient[0, 0].numpy(), probs, target


@dataclass(frozen=True)
class GradCam:
    """Grad-CAM of one image: where the target's score depends on the last conv block."""

    layer: str
    """The layer whose maps are weighed (the ReLU after the last convolution)."""
    cam: np.ndarray  # (h, w) at that layer's resolution, ≥ 0
    upsampled: np.ndarray  # (28, 28), bilinear
    weights: np.ndarray  # (C,) α_k
    probabilities: np.ndarray  # (10,)
    target: int


def gradcam_layer(model: LoadedModel) -> str:
    """The layer Grad-CAM reads: the last convolution, or the ReLU right after it."""
    names = [name for name, _ in model.module.named_children()]
    last = _convs(model, "conv layers for Grad-CAM")[-1][0]
    after = names.index(last) + 1
    if after < len(names) and isinstance(getattr(model.module, names[after]), nn.ReLU):
        return names[after]
    return last


def gradcam(model: LoadedModel, x: torch.Tensor, target: int | None) -> GradCam:
    """Grad-CAM (Selvaraju et al. 2017) of the single image ``x`` (1, 1, 28, 28).

    With A the maps (C, h, w) of the last conv block and y the target's logit:
    α_k = mean over (i, j) of ∂y/∂A_k[i, j], and cam = ReLU(Σ_k α_k A_k), shown at 28×28 by
    bilinear upsampling (half-pixel centres, as F.interpolate with align_corners=False).
    """
    layer = gradcam_layer(model)
    with torch.inference_mode(False), torch.enable_grad():
        a = x.clone()
        children = iter(model.module.named_children())
        for name, module in children:
            a = module(a)
            if name == layer:
                break
        maps = a.detach().requires_grad_(True)  # (1, C, h, w)
        logits = maps
        for _name, module in children:
            logits = module(logits)
        probs = torch.softmax(logits.detach(), dim=1)[0].numpy()
        target = int(probs.argmax()) if target is None else target
        (gradient,) = torch.autograd.grad(logits[0, target], maps)  # (1, C, h, w)
    weights = gradient[0].mean(dim=(1, 2))  # (C,)
    cam = torch.relu((weights[:, None, None] * maps[0].detach()).sum(dim=0))  # (h, w)
    upsampled = F.interpolate(
        cam[None, None], size=(MNIST_SIDE, MNIST_SIDE), mode="bilinear", align_corners=False
    )[0, 0]  # (28, 28)
    return GradCam(layer, cam.numpy(), upsampled.numpy(), weights.numpy(), probs, target)


# -- encoding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantised:
    """value ≈ min + q × scale with q the uint8 codes in ``data`` (base64)."""

    min: float
    max: float
    scale: float
    data: str


def quantise(values: torch.Tensor | np.ndarray) -> Quantised:
    """8-bit linear quantisation of a whole layer with one scale (error ≤ scale / 2).

    Raises ValueError for a NaN or ±inf anywhere in ``values`` (the range shows it).
    """
    array = np.asarray(values, dtype=np.float32)
    low, high = float(array.min()), float(array.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"cannot quantise values in [{low}, {high}]")
    scale = (high - low) / 255.0
    if scale > 0:
        # round half up, in place: (v − low) / scale + 0.5 truncated (v ≥ low, so ≥ 0.5)
        codes = array - low
        codes *= 1.0 / scale
        codes += 0.5
        codes = codes.astype(np.uint8)
    else:
        codes = np.zeros(array.shape, dtype=np.uint8)
    return Quantised(low, high, scale, base64.b64encode(codes.tobytes()).decode("ascii"))


def rounded(array: np.ndarray, decimals: int) -> list:
    """A float array as nested lists, rounded (compact JSON)."""
    return np.round(np.asarray(array, dtype=np.float64), decimals).tolist()
