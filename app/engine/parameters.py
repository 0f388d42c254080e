"""Parameter counts of a fully connected layer against a convolutional layer (tutorial Q6a).

A dense layer n_in → n_out has n_in·n_out weights and n_out biases; F filters of kh×kw over C
input channels have F·C·kh·kw weights and F biases, however large the image: the filter is
shared across positions (Goodfellow et al. §9.2, parameter sharing). The tutorial's numbers:
784 → 100 has 78,500 parameters, 100 filters of 5×5 over one channel have 2,600.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Count:
    """Weights + biases = total, with the count written out."""

    weights: int
    """Weights (fc: n_in·n_out; conv: F·C·kh·kw)."""
    biases: int
    """Biases (n_out or F; 0 without bias)."""
    total: int
    """weights + biases."""
    formula: str
    """The count with numbers, e.g. "784·100 + 100 = 78,500"."""


def dense_parameters(in_features: int, out_features: int, bias: bool = True) -> Count:
    """n_in·n_out weights + n_out biases."""
    assert in_features >= 1 and out_features >= 1, "a layer needs at least one input and output"
    weights = in_features * out_features
    biases = out_features if bias else 0
    total = weights + biases
    formula = f"{in_features}·{out_features}"
    formula += f" + {out_features} = {total:,}" if bias else f" = {total:,}"
    return Count(weights, biases, total, formula)


def conv_parameters(
    in_channels: int, filters: int, kernel_size: tuple[int, int], bias: bool = True
) -> Count:
    """F·C·kh·kw weights + F biases (independent of the image size)."""
    kh, kw = kernel_size
    assert min(in_channels, filters, kh, kw) >= 1, "every dimension must be at least 1"
    weights = filters * in_channels * kh * kw
    biases = filters if bias else 0
    total = weights + biases
    per_filter = f"{in_channels}·{kh}·{kw}"
    formula = f"{filters}·({per_filter} + 1)" if bias else f"{filters}·{per_filter}"
    return Count(weights, biases, total, f"{formula} = {total:,}")


@dataclass(frozen=True)
class Comparison:
    """Both counts, their breakdown and how many times more the dense layer has."""

    fc_parameters: int
    """Parameters of the fully connected layer."""
    conv_parameters: int
    """Parameters of the conv layer."""
    fc: Count
    """The dense layer's weights and biases."""
    conv: Count
    """The conv layer's weights and biases."""
    ratio: float
    """fc_parameters / conv_parameters."""


def compare_layers(
    *,
    in_features: int,
    out_features: int,
    fc_bias: bool,
    in_channels: int,
    filters: int,
    kernel_size: int | tuple[int, int] | list[int],
    conv_bias: bool,
) -> Comparison:
    """``dense_parameters`` against ``conv_parameters`` (tutorial Q6a) in one call."""
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    assert len(kernel) == 2, f"kernel_size is k or (kh, kw), got {kernel_size!r}"
    fc = dense_parameters(in_features, out_features, fc_bias)
    conv = conv_parameters(in_channels, filters, (int(kernel[0]), int(kernel[1])), conv_bias)
    return Comparison(fc.total, conv.total, fc, conv, fc.total / conv.total)
