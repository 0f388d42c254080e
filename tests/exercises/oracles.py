"""The answer of every numeric exercise kind, computed from its inputs with torch or the
tutorial's formula, never with app.exercises or app.engine. Each returns the answer in the
check's ``expected_value`` form (a number, a [rows, cols] size, a list, 1-based cells)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def _t(matrix: list) -> torch.Tensor:
    return torch.tensor(matrix, dtype=torch.float64)[None, None]  # (1, 1, H, W)


def _shifted(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Translate by dx columns right and dy rows down, zeros filling in."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)))
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[..., top : top + h, left : left + w]


def _size(rows: int, cols: int, square: bool = True) -> int | list[int]:
    return rows if square and rows == cols else [rows, cols]


def weight_decay_step(i: dict) -> list[float]:
    theta = torch.tensor(i["theta"], dtype=torch.float64, requires_grad=True)
    data = (theta * torch.tensor(i["gradient"], dtype=torch.float64)).sum()  # ∇ = gradient
    loss = data + i["weight_decay"] * (theta**2).sum()
    loss.backward()
    with torch.no_grad():
        return (theta - i["lr"] * theta.grad).tolist()


def conv_output_value(i: dict) -> int:
    y = F.conv2d(_t(i["input"]), _t(i["kernel"]), stride=i["stride"], padding=i["padding"])
    return int(y[0, 0, i["cell"][0], i["cell"][1]])


def output_size(i: dict) -> int:
    x, w = torch.zeros(1, 1, i["size"], i["size"]), torch.zeros(1, 1, i["kernel"], i["kernel"])
    y = F.conv2d(x, w, stride=i["stride"], padding=i["padding"], dilation=i["dilation"])
    return _size(*y.shape[-2:])


def weight_sharing(i: dict) -> int:
    c, n, k = i["in_channels"], i["size"], i["kernel"]
    x = torch.ones(1, c, n, n, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, torch.ones(1, c, k, k, dtype=torch.float64), stride=i["stride"],
                 padding=i["padding"])  # fmt: skip
    if i["ask"] == "inputs_per_output":
        y[0, 0, i["cell"][0], i["cell"][1]].backward()
        return int(torch.count_nonzero(x.grad))
    if i["ask"] == "filter_weights":
        return c * k * k
    return y.shape[-2] * y.shape[-1]


def feature_shift(i: dict) -> list[int]:
    y = F.conv2d(_shifted(_t(i["input"]), i["dx"], i["dy"]), _t(i["kernel"]), stride=i["stride"])
    row, col = divmod(int(torch.argmax(y[0, 0])), y.shape[-1])
    return [row + 1, col + 1]


def receptive_field(i: dict) -> int:
    return 1 + i["layers"] * (i["kernel"] - 1)  # R_L = 1 + L(k − 1)


def receptive_field_pooling(i: dict) -> int:
    side, jump = 1, 1
    for layer in i["layers"]:  # R += (k − 1)·J, then J *= s
        side += (layer["kernel"] - 1) * jump
        jump *= layer["stride"]
    return side


def max_pool_value(i: dict) -> int:
    pooled = F.max_pool2d(_t(i["input"]), i["kernel"], stride=i["stride"])
    return int(pooled[0, 0, i["cell"][0], i["cell"][1]])


def pooled_size(i: dict) -> int | list[int]:
    out = F.max_pool2d(torch.zeros(1, 1, *i["size"]), i["kernel"], stride=i["stride"])
    return _size(*out.shape[-2:], square=False)


def pool_shift(i: dict) -> list[list[int]]:
    x = _t(i["input"])
    before = F.max_pool2d(x, i["kernel"], stride=i["stride"])[0, 0]
    after = F.max_pool2d(_shifted(x, i["dx"], i["dy"]), i["kernel"], stride=i["stride"])[0, 0]
    return sorted([int(r) + 1, int(c) + 1] for r, c in torch.nonzero(before != after))


def parameter_count(i: dict) -> int:
    if i["kind"] == "fc":
        layer = torch.nn.Linear(i["in_features"], i["out_features"])
    else:
        layer = torch.nn.Conv2d(i["in_channels"], i["filters"], i["kernel"])
    return sum(p.numel() for p in layer.parameters())


def grad_input_entries(i: dict) -> list[list[int]]:
    x = torch.rand(1, 1, i["size"], i["size"], dtype=torch.float64, requires_grad=True)
    k = torch.ones(1, 1, i["kernel"], i["kernel"], dtype=torch.float64)
    y = F.conv2d(x, k, stride=i["stride"], padding=i["padding"])
    y[0, 0, i["cell"][0], i["cell"][1]].backward()
    return sorted([int(r) + 1, int(c) + 1] for r, c in torch.nonzero(x.grad[0, 0]))


def transposed_output_size(i: dict) -> int:
    x, w = torch.zeros(1, 1, i["size"], i["size"]), torch.zeros(1, 1, i["kernel"], i["kernel"])
    y = F.conv_transpose2d(
        x,
        w,
        stride=i["stride"],
        padding=i["padding"],
        output_padding=i["output_padding"],
        dilation=i["dilation"],
    )
    return _size(*y.shape[-2:])


def _max_blur_pool(x: torch.Tensor) -> torch.Tensor:
    """antialiased_cnns' MaxBlurPool(filt_size=3): max 2×2 stride 1, reflect pad, blur stride 2."""
    a = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
    blur = (a[:, None] * a[None, :] / 16)[None, None]  # (1, 1, 3, 3)
    padded = F.pad(F.max_pool2d(x, 2, stride=1), (1, 1, 1, 1), mode="reflect")
    return F.conv2d(padded, blur, stride=2)


def blurmax_shift(i: dict) -> float:
    x = _t(i["input"])
    change = _max_blur_pool(_shifted(x, i["dx"], i["dy"])) - _max_blur_pool(x)
    return round(float(change.abs().max()), 10)


def blurmax_size(i: dict) -> int | list[int]:
    out = _max_blur_pool(torch.zeros(1, 1, *i["size"], dtype=torch.float64))
    return _size(*out.shape[-2:], square=False)


ORACLES: dict[str, Callable[[dict], object]] = {
    "weight-decay-step": weight_decay_step,
    "conv-output-value": conv_output_value,
    "output-size": output_size,
    "weight-sharing": weight_sharing,
    "feature-shift": feature_shift,
    "receptive-field": receptive_field,
    "receptive-field-pooling": receptive_field_pooling,
    "max-pool-value": max_pool_value,
    "pooled-size": pooled_size,
    "pool-shift": pool_shift,
    "blurmax-shift": blurmax_shift,
    "blurmax-size": blurmax_size,
    "parameter-count": parameter_count,
    "grad-input-entries": grad_input_entries,
    "transposed-output-size": transposed_output_size,
}
"""Every numeric kind (the multiple-choice kinds are checked in test_concepts)."""
