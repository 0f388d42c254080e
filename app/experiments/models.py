"""The networks the experiments train: fc, lc (unshared convolution), cnn, invariant cnn.

``cnn`` and ``lc`` have exactly the same connectivity: two 5×5 "valid" layers (no padding, so
every output sees only real pixels and no weight of ``lc`` multiplies padding), ReLU and 2×2 max
pooling, then a linear classifier:

    (1, 28, 28) → 5×5 → (C1, 24, 24) → pool → (C1, 12, 12) → 5×5 → (C2, 8, 8) → pool
                → (C2, 4, 4) → flatten → 10

``cnn`` shares one C_out×C_in×5×5 kernel over every position (Goodfellow §9.1). ``lc`` gives
every output position its own kernel and bias — Goodfellow §9.5's *unshared convolution*
(locally connected layer), Z[o, i, j] = b[o, i, j] + Σ_{c,m,n} V[c, i+m, j+n] · W[o, i, j, c, m, n]
— so it keeps locality and drops parameter sharing; its parameters number
H_out·W_out·C_out·(C_in·k² + 1) per layer (``locally_connected_parameters``).

``fc`` is 784 → H → 10 with ReLU. ``invariant_cnn`` (limits, Q6d) is two 5×5 circular
convolutions with ReLU and *global average pooling* before the classifier, so its output
cannot depend on where a pattern is, only on what it is.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

KERNEL = 5
CONV_CHANNELS = (8, 16)
"""C1, C2 of cnn and lc."""
INVARIANT_CHANNELS = (6, 8)
"""C1, C2 of the invariant CNN (its 28×28 maps cost more per channel)."""


class LocallyConnected2d(nn.Module):
    """Unshared 'valid' convolution: a separate (C_in·k·k → C_out) map at each output position."""

    def __init__(self, in_channels: int, out_channels: int, in_size: int, kernel: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel = in_channels, out_channels, kernel
        self.out_size = in_size - kernel + 1
        positions = self.out_size * self.out_size
        fan_in = in_channels * kernel * kernel
        bound = 1.0 / fan_in**0.5  # the same uniform init as nn.Conv2d's default
        # (L, C_in·k·k, C_out): one matrix per output position
        self.weight = nn.Parameter(
            torch.empty(positions, fan_in, out_channels).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(positions, out_channels).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, k, n = x.shape[0], self.kernel, self.out_size
        # the patches straight into (L, B, C_in·k·k) from a strided view of x: one gather,
        # where F.unfold's (B, C_in·k·k, L) would need a second, transposing copy for bmm
        patches = x.unfold(2, k, 1).unfold(3, k, 1)  # (B, C_in, n, n, k, k), a view
        cols = patches.permute(2, 3, 0, 1, 4, 5).reshape(n * n, b, -1)  # (L, B, C_in·k·k)
        out = torch.bmm(cols, self.weight)  # (L, B, C_out)
        out = out + self.bias.unsqueeze(1)  # (L, B, C_out)
        return out.permute(1, 2, 0).reshape(b, self.out_channels, n, n)

    def kernels_at(self, i: int, j: int) -> torch.Tensor:
        """The (C_out, C_in, k, k) kernel used at output position (i, j)."""
        w = self.weight[i * self.out_size + j]  # (C_in·k·k, C_out)
        return w.t().reshape(self.out_channels, self.in_channels, self.kernel, self.kernel)


def locally_connected_parameters(
    in_size: int, channels: tuple[int, ...] = (1, *CONV_CHANNELS), kernel: int = KERNEL
) -> int:
    """Parameters of ``lc`` by formula: Σ_layers H_out·W_out·C_out·(C_in·k² + 1) + classifier."""
    total, size = 0, in_size
    for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
        size = size - kernel + 1  # valid convolution
        total += size * size * c_out * (c_in * kernel * kernel + 1)
        size //= 2  # 2×2 max pooling
    return total + channels[-1] * size * size * 10 + 10


def build_cnn(channels: tuple[int, int] = CONV_CHANNELS) -> nn.Sequential:
    """Two shared 5×5 valid convolutions with ReLU and 2×2 max pooling, then 256 → 10."""
    c1, c2 = channels
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, c1, KERNEL),  # (C1, 24, 24)
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),  # (C1, 12, 12)
            conv2=nn.Conv2d(c1, c2, KERNEL),  # (C2, 8, 8)
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),  # (C2, 4, 4)
            flatten=nn.Flatten(),
            fc=nn.Linear(c2 * 4 * 4, 10),
        )
    )


def build_lc(channels: tuple[int, int] = CONV_CHANNELS) -> nn.Sequential:
    """``build_cnn`` with every convolution unshared (same connectivity, no weight sharing)."""
    c1, c2 = channels
    return nn.Sequential(
        OrderedDict(
            conv1=LocallyConnected2d(1, c1, 28, KERNEL),  # (C1, 24, 24)
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),  # (C1, 12, 12)
            conv2=LocallyConnected2d(c1, c2, 12, KERNEL),  # (C2, 8, 8)
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),  # (C2, 4, 4)
            flatten=nn.Flatten(),
            fc=nn.Linear(c2 * 4 * 4, 10),
        )
    )


def build_fc(hidden: int = 100, classes: int = 10) -> nn.Sequential:
    """784 → ``hidden`` → ``classes`` with ReLU."""
    return nn.Sequential(
        OrderedDict(
            flatten=nn.Flatten(),  # (1, 28, 28) → 784
            fc1=nn.Linear(28 * 28, hidden),
            relu1=nn.ReLU(),
            fc2=nn.Linear(hidden, classes),
        )
    )


def build_invariant_cnn(
    channels: tuple[int, int] = INVARIANT_CHANNELS, classes: int = 2
) -> nn.Sequential:
    """Two 5×5 circular convolutions with ReLU, global average pooling, then C2 → ``classes``.

    Circular padding makes each convolution exactly equivariant to circular shifts of the
    image, and the global average is invariant to them: a pattern anywhere on the 28×28 torus
    gives the same output.
    """
    c1, c2 = channels
    pad = KERNEL // 2
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, c1, KERNEL, padding=pad, padding_mode="circular"),  # (C1, 28, 28)
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(c1, c2, KERNEL, padding=pad, padding_mode="circular"),  # (C2, 28, 28)
            relu2=nn.ReLU(),
            pool=nn.AdaptiveAvgPool2d(1),  # (C2, 1, 1): position is averaged away
            flatten=nn.Flatten(),
            fc=nn.Linear(c2, classes),
        )
    )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def first_layer_filters(name: str, model: nn.Module, count: int = 8) -> torch.Tensor:
    """What a student watches form: (n, h, w) first-layer weights.

    cnn: the conv1 kernels; lc: the conv1 kernels at the centre output position; fc: the first
    ``count`` hidden units' 784 input weights as 28×28 images.
    """
    if name == "cnn":
        return model.conv1.weight.detach()[:, 0]  # (C1, 5, 5)
    if name == "lc":
        centre = model.conv1.out_size // 2
        return model.conv1.kernels_at(centre, centre).detach()[:, 0]  # (C1, 5, 5)
    if name == "fc":
        return model.fc1.weight.detach()[:count].reshape(-1, 28, 28)  # (n, 28, 28)
    raise ValueError(f"no filters for model {name!r}")


FILTERS_WHAT = {
    "cnn": "conv1 kernels (shared by every position)",
    "lc": "conv1 kernels at the centre output position (each position has its own)",
    "fc": "the first hidden units' input weights as 28×28 images",
}
