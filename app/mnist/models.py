"""The two MNIST networks of the lab: a small CNN made to be looked at, and the tutorial's FC net.

``cnn`` (LeCun et al. 1998, in modern dress): three convolutions (5×5, 3×3, 3×3) with ReLU and
2×2 max pooling, then a small fully connected head. Every feature map fits on a page (at most 32
channels) and the whole network has about 53k parameters. It is *trained* with BatchNorm after
each convolution (Ioffe & Szegedy 2015) and dropout in the head; for shipping, the BatchNorm is
folded into the convolution before it, so the served network is exactly

    conv1 → relu1 → pool1 → conv2 → relu2 → pool2 → conv3 → relu3 → pool3
          → flatten → fc1 → relu4 → fc2

and the kernels the students see and edit are the ones that run.

``cnn-aa``: the same CNN with *anti-aliased* pooling (Zhang 2019, "Making Convolutional
Networks Shift-Invariant Again"): each 2×2 max pool becomes max-blur-pool — a 2×2 max at stride
1, then a 3×3 binomial blur ([1, 2, 1] ⊗ [1, 2, 1] / 16, reflect padding) at stride 2, exactly as
``antialiased_cnns.BlurPool(filt_size=3)`` after ``nn.MaxPool2d(2, stride=1)``. The blur has no
learned numbers, so the two CNNs have the same parameters and the same feature-map sizes.

``fc``: the tutorial's fully connected baseline, flatten → fc1 (784 → 100) → relu1 → fc2 (100 →
10), trained with L2 regularisation (weight decay). Both output logits; softmax is applied by
the caller.

Both are ``nn.Sequential`` with named children, so a forward pass can be walked layer by layer
(app.mnist.inference) and a ``state_dict`` has readable keys ("conv1.weight", ...).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

ModelName = Literal["cnn", "fc", "cnn-aa"]
MODEL_NAMES: tuple[ModelName, ...] = ("cnn", "fc", "cnn-aa")

DESCRIPTIONS: dict[str, str] = {
    "cnn": "3 conv layers (16, 32, 32 channels; 5×5, 3×3, 3×3) with ReLU and 2×2 max pooling, "
    "then 288 → 128 → 10",
    "cnn-aa": "the CNN with anti-aliased max-blur pooling (2×2 max at stride 1, then a 3×3 "
    "binomial blur at stride 2) in place of 2×2 max pooling",
    "fc": "fully connected 784 → 100 → 10 with ReLU, trained with L2 weight decay",
}

# (name, in_channels, out_channels, kernel, padding) of the CNN's conv layers
_CNN_CONVS = (("conv1", 1, 16, 5, 2), ("conv2", 16, 32, 3, 1), ("conv3", 32, 32, 3, 1))
_CNN_HIDDEN = 128


BINOMIAL_3 = (1.0, 2.0, 1.0)


class MaxBlurPool2d(nn.Module):
    """Max-blur-pool (Zhang 2019): 2×2 max at stride 1, then a 3×3 binomial blur at stride 2.

    H_out = ⌊H / 2⌋ for H ≥ 3 (the max gives H − 1, reflect padding by 1 gives H + 1, the 3×3
    blur at stride 2 gives ⌊(H − 2) / 2⌋ + 1), the size 2×2 max pooling gives. The blur kernel
    is a fixed, non-persistent buffer: it is not learned and not in the ``state_dict``.
    """

    def __init__(self) -> None:
        super().__init__()
        a = torch.tensor(BINOMIAL_3)
        kernel = a[:, None] * a[None, :]  # (3, 3)
        self.register_buffer("blur", (kernel / kernel.sum())[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(x, kernel_size=2, stride=1)  # (N, C, H - 1, W - 1)
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")  # (N, C, H + 1, W + 1)
        kernel = self.blur.expand(x.shape[1], 1, 3, 3)  # (C, 1, 3, 3), one blur per channel
        return F.conv2d(x, kernel, stride=2, groups=x.shape[1])  # (N, C, ⌊H/2⌋, ⌊W/2⌋)

    def extra_repr(self) -> str:
        return "max 2×2 stride 1, binomial blur 3×3 stride 2, reflect padding"


def build_cnn(
    *, batchnorm: bool = False, dropout: float = 0.0, antialias: bool = False
) -> nn.Sequential:
    """The CNN; ``batchnorm``/``dropout`` add the training-only layers (bn1.., drop);
    ``antialias`` puts max-blur-pool in place of max pooling."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for index, (name, c_in, c_out, kernel, padding) in enumerate(_CNN_CONVS, start=1):
        layers[name] = nn.Conv2d(c_in, c_out, kernel, padding=padding, bias=not batchnorm)
        if batchnorm:
            layers[f"bn{index}"] = nn.BatchNorm2d(c_out)
        layers[f"relu{index}"] = nn.ReLU()
        # 28 → 14 → 7 → 3 (floor) either way
        layers[f"pool{index}"] = MaxBlurPool2d() if antialias else nn.MaxPool2d(2)
    layers["flatten"] = nn.Flatten()  # (32, 3, 3) → 288
    if dropout > 0:
        layers["drop"] = nn.Dropout(dropout)
    layers["fc1"] = nn.Linear(32 * 3 * 3, _CNN_HIDDEN)
    layers["relu4"] = nn.ReLU()
    layers["fc2"] = nn.Linear(_CNN_HIDDEN, 10)
    return nn.Sequential(layers)


def build_fc(*, hidden: int = 100) -> nn.Sequential:
    """The tutorial's fully connected network, 784 → ``hidden`` → 10."""
    return nn.Sequential(
        OrderedDict(
            flatten=nn.Flatten(),  # (1, 28, 28) → 784
            fc1=nn.Linear(28 * 28, hidden),
            relu1=nn.ReLU(),
            fc2=nn.Linear(hidden, 10),
        )
    )


def build(name: str) -> nn.Sequential:
    """The servable (inference) architecture of model ``name``."""
    if name == "cnn":
        return build_cnn()
    if name == "cnn-aa":
        return build_cnn(antialias=True)
    if name == "fc":
        return build_fc()
    raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")


def build_for_training(name: str, *, dropout: float = 0.0) -> nn.Sequential:
    """The architecture trained: the CNN gets BatchNorm and dropout, the FC net is as served."""
    if name in ("cnn", "cnn-aa"):
        return build_cnn(batchnorm=True, dropout=dropout, antialias=name == "cnn-aa")
    return build(name)


@torch.no_grad()
def fold_batchnorm(trained: nn.Sequential) -> nn.Sequential:
    """The servable CNN computing what ``trained`` (with BatchNorm, in eval mode) computes.

    BatchNorm in eval mode is y = γ (x − μ) / √(σ² + ε) + β, an affine map per channel, so
    after a conv  x = W * a + b  it is a conv with  W' = W · s  and  b' = (b − μ) · s + β,
    s = γ / √(σ² + ε). Dropout is the identity at inference and is dropped.
    """
    names = dict(trained.named_children())
    if not any(name.startswith("bn") for name in names):
        served = build_fc() if "conv1" not in names else build_cnn()
        served.load_state_dict(trained.state_dict())
        return served
    served = build_cnn(antialias=isinstance(names["pool1"], MaxBlurPool2d))
    for index, (conv_name, *_rest) in enumerate(_CNN_CONVS, start=1):
        conv: nn.Conv2d = names[conv_name]
        bn: nn.BatchNorm2d = names[f"bn{index}"]
        s = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        target: nn.Conv2d = getattr(served, conv_name)
        target.weight.copy_(conv.weight * s[:, None, None, None])  # (C_out, C_in, kh, kw)
        target.bias.copy_((bias - bn.running_mean) * s + bn.bias)
    for linear in ("fc1", "fc2"):
        getattr(served, linear).load_state_dict(names[linear].state_dict())
    return served


def parameters_per_layer(model: nn.Module) -> dict[str, int]:
    """Learned numbers per named layer (weights + biases), layers without any left out."""
    counts: dict[str, int] = {}
    for name, module in model.named_children():
        count = sum(p.numel() for p in module.parameters())
        if count:
            counts[name] = count
    return counts
