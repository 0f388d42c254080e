"""Request and response models for parameter counts: a dense layer against a conv layer."""

from __future__ import annotations

from pydantic import Field

from app.api.schemas.common import PositiveIntOrPair, RequestModel, ResultModel
from app.engine.parameters import Count

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


class ParametersResponse(ResultModel):
    """Both counts, their breakdown and how many times more the dense layer has."""

    fc_parameters: int = Field(description="Parameters of the fully connected layer.")
    conv_parameters: int = Field(description="Parameters of the conv layer.")
    fc: Count = Field(description="The dense layer's weights and biases.")
    conv: Count = Field(description="The conv layer's weights and biases.")
    ratio: float = Field(description="fc_parameters / conv_parameters.")
