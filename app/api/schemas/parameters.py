"""Request and response models for parameter counts: a dense layer against a conv layer."""

from __future__ import annotations

from pydantic import Field

from app.api.schemas.common import PositiveIntOrPair, RequestModel, documented
from app.engine.parameters import Comparison

_BIG = 10_000_000


class DenseSpec(RequestModel):
    """A fully connected layer n_in → n_out."""

    in_features: int = Field(784, ge=1, le=_BIG, description="n_in (784 for a flattened MNIST).")
    out_features: int = Field(100, ge=1, le=_BIG, description="n_out (hidden units).")
    bias: bool = Field(True, description="One bias per output unit.")


class ConvSpec(RequestModel):
    """F filters of kh×kw over C input channels."""

    in_channels: int = Field(1, ge=1, le=_BIG, description="C, the input channels.")
    filters: int = Field(100, ge=1, le=_BIG, description="F, the output channels (filters).")
    kernel_size: PositiveIntOrPair = Field(5, description="k, or (kh, kw).")
    bias: bool = Field(True, description="One bias per filter.")


class ParametersRequest(RequestModel):
    """The two layers to compare; the defaults are the tutorial's (Q6a)."""

    fc: DenseSpec = Field(default_factory=DenseSpec, description="The fully connected layer.")
    conv: ConvSpec = Field(default_factory=ConvSpec, description="The convolutional layer.")


ParametersResponse = documented(Comparison)
"""The engine's comparison as it is."""
