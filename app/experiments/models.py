"""The networks the experiments train: fc, lc (unshared convolution), cnn, invariant cnn.

``cnn`` and ``lc`` have exactly the same connectivity: two 5×5 "valid" layers (no padding, so
every output sees only real pixels and no weight of ``lc`` multiplies padding), ReLU and 2×2 max
pooling, then a linear classifier:

    (1, 28, 28) → 5×5 → (C1, 24, 24) → pool → (C1, 12, 12) → 5×5 → (C2, 8, 8) → pool
                → (C2, 4, 4) → flatten → 10

Each layer pools before its ReLU: max and ReLU commute (ReLU is monotonic), so the outputs and
the gradients are those of ReLU then pooling, bit for bit, at a quarter of ReLU's work.

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
import torch.nn.functional as F
from torch import nn

KERNEL = 5
CONV_CHANNELS = (8, 16)
"""C1, C2 of cnn and lc."""
INVARIANT_CHANNELS = (6, 8)
"""C1, C2 of the invariant CNN (its 28×28 maps cost more per channel)."""


class MaxPool2x2(nn.Module):
    """2×2 max pooling, stride 2, of (N, C, H, W) maps (H, W even).

    The same values as ``nn.MaxPool2d(2)``. Without autograd (evaluation) it takes two
    elementwise maxima of strided views, about three times faster on one thread than
    ``max_pool2d``'s kernel; while training it calls ``max_pool2d``, whose backward is the faster
    one (bench/bench_experiment_speed.py).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return F.max_pool2d(x, 2)
        rows = torch.maximum(x[..., 0::2, :], x[..., 1::2, :])
        return torch.maximum(rows[..., 0::2], rows[..., 1::2])


class PositionsFirst(nn.Module):
    """(B, C, H, W) → (H, W, C, B), contiguous: the layout ``LocallyConnected2d`` works in."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(2, 3, 1, 0).contiguous()


class BatchFirst(nn.Module):
    """(H, W, C, B) → (B, C, H, W): back to the usual layout (a view)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(3, 2, 0, 1)


class PositionMaxPool2x2(nn.Module):
    """2×2 max pooling, stride 2, of positions-first (H, W, C, B) maps (H, W even).

    Without autograd: two elementwise maxima of strided views, each over contiguous C·B runs.
    While training: a contiguous (H, W, C·B) map *is* a channels-last (1, C·B, H, W) image, so
    ``max_pool2d`` pools it without a copy, vectorised over the C·B values of each position,
    and its backward is one scatter.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[0], x.shape[1]
        if torch.is_grad_enabled() and x.requires_grad:
            image = x.reshape(1, h, w, -1).permute(0, 3, 1, 2)  # (1, C·B, H, W), channels-last
            pooled = F.max_pool2d(image, 2)  # (1, C·B, H/2, W/2), channels-last
            return pooled.permute(0, 2, 3, 1).view(h // 2, w // 2, *x.shape[2:])
        rows = torch.maximum(x[0::2], x[1::2])  # (H/2, W, C, B)
        return torch.maximum(rows[:, 0::2], rows[:, 1::2])  # (H/2, W/2, C, B)


class ChannelsLast(nn.Module):
    """(B, C, H, W) in channels-last memory order (same values and shape): the order in which
    one thread's convolutions and ``max_pool2d`` run fastest here."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last)


class LocallyConnected2d(nn.Module):
    """Unshared 'valid' convolution: a separate (C_in·k·k → C_out) map at each output position.

    Works on positions-first maps, (H, W, C_in, B) → (H_out, W_out, C_out, B): each output
    position's C_in·k·k inputs are gathered as whole rows of B values (one ``index_select``
    with a precomputed index; its backward is one ``index_add``), then one batched matrix
    product, (L, C_out, C_in·k·k) @ (L, C_in·k·k, B), gives every position's outputs already in
    the output layout — no transposing copy on either side.
    """

    def __init__(self, in_channels: int, out_channels: int, in_size: int, kernel: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel = in_channels, out_channels, kernel
        self.out_size = n = in_size - kernel + 1
        fan_in = in_channels * kernel * kernel
        bound = 1.0 / fan_in**0.5  # the same uniform init as nn.Conv2d's default
        # (L, C_out, C_in·k·k): one matrix per output position, each row a (C_in, k, k) kernel
        self.weight = nn.Parameter(torch.empty(n * n, out_channels, fan_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n * n, out_channels, 1).uniform_(-bound, bound))
        # row of the (H·W·C_in, B) input that feeds position (i, j), input (c, m, n)
        i, j = torch.arange(n).view(n, 1, 1, 1, 1), torch.arange(n).view(1, n, 1, 1, 1)
        c = torch.arange(in_channels).view(1, 1, in_channels, 1, 1)
        m, q = (
            torch.arange(kernel).view(1, 1, 1, kernel, 1),
            torch.arange(kernel).view(1, 1, 1, 1, kernel),
        )
        rows = ((i + m) * in_size + (j + q)) * in_channels + c  # (n, n, C_in, k, k)
        self.register_buffer("rows", rows.reshape(-1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n = x.shape[-1], self.out_size
        cols = x.reshape(-1, b).index_select(0, self.rows).view(n * n, -1, b)  # (L, C_in·k², B)
        out = torch.baddbmm(self.bias, self.weight, cols)  # (L, C_out, B)
        return out.view(n, n, self.out_channels, b)

    def kernels_at(self, i: int, j: int) -> torch.Tensor:
        """The (C_out, C_in, k, k) kernel used at output position (i, j)."""
        w = self.weight[i * self.out_size + j]  # (C_out, C_in·k·k)
        return w.reshape(self.out_channels, self.in_channels, self.kernel, self.kernel)


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
    """Two shared 5×5 valid convolutions with 2×2 max pooling and ReLU, then 256 → 10."""
    c1, c2 = channels
    model = nn.Sequential(
        OrderedDict(
            channels_last=ChannelsLast(),
            conv1=nn.Conv2d(1, c1, KERNEL),  # (C1, 24, 24)
            pool1=MaxPool2x2(),  # (C1, 12, 12)
            relu1=nn.ReLU(inplace=True),
            conv2=nn.Conv2d(c1, c2, KERNEL),  # (C2, 8, 8)
            pool2=MaxPool2x2(),  # (C2, 4, 4)
            relu2=nn.ReLU(inplace=True),
            flatten=nn.Flatten(),
            fc=nn.Linear(c2 * 4 * 4, 10),
        )
    )
    return model.to(memory_format=torch.channels_last)


def build_lc(channels: tuple[int, int] = CONV_CHANNELS) -> nn.Sequential:
    """``build_cnn`` with every convolution unshared (same connectivity, no weight sharing).

    Its layers work on positions-first (H, W, C, B) maps (``LocallyConnected2d``); the input and
    the classifier's input are the usual (B, C, H, W), so the flattened 256 features are in the
    CNN's order.
    """
    c1, c2 = channels
    return nn.Sequential(
        OrderedDict(
            positions_first=PositionsFirst(),  # (28, 28, 1, B)
            conv1=LocallyConnected2d(1, c1, 28, KERNEL),  # (24, 24, C1, B)
            pool1=PositionMaxPool2x2(),  # (12, 12, C1, B)
            relu1=nn.ReLU(),
            conv2=LocallyConnected2d(c1, c2, 12, KERNEL),  # (8, 8, C2, B)
            pool2=PositionMaxPool2x2(),  # (4, 4, C2, B)
            relu2=nn.ReLU(),
            batch_first=BatchFirst(),  # (B, C2, 4, 4)
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
