"""Train the lab's MNIST models (after pytorch/examples ``mnist/main.py``).

    convlab train --model cnn          # ≈ 99.5 % test accuracy, a few minutes on 2 CPU cores
    convlab train --model cnn-aa       # the same CNN with anti-aliased (max-blur) pooling
    convlab train --model fc           # the tutorial's 784 → 100 → 10 baseline, L2 weight decay
    convlab train --model cnn --dry-run --data-dir /tmp/tiny --no-verify

The whole training set lives in memory as uint8 (47 MB); each batch is turned into floats and
*augmented on the fly* so that digits drawn on a canvas — thicker or thinner, a little rotated,
larger or smaller, off centre — are read as well as MNIST's own: a random affine map per
image (rotation, scale, translation; bilinear resampling with zero fill, Jaderberg et al. 2015's
``affine_grid``/``grid_sample``) and a random stroke thickness change by grey-level dilation
(3×3 max pooling) or erosion (3×3 min pooling) blended with the image.

Optimiser: Adam with the one-cycle learning-rate schedule (Smith & Topin 2019); ``--weight-decay``
is classic L2 regularisation (added to the gradient, as in the tutorial). Only the
``state_dict`` is saved — for the CNN with its BatchNorm folded into the convolutions — beside a
JSON card describing the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from app.mnist.data import load_split
from app.mnist.models import (
    MODEL_NAMES,
    build_for_training,
    fold_batchnorm,
    parameters_per_layer,
)

# Per-model defaults (stated in --help). The CNN trains with BatchNorm + dropout, the FC net
# with L2 weight decay, as the tutorial's baseline.
DEFAULTS: dict[str, dict[str, float]] = {
    "cnn": {"epochs": 12, "lr": 3e-3, "weight_decay": 0.0, "dropout": 0.1},
    "cnn-aa": {"epochs": 12, "lr": 3e-3, "weight_decay": 0.0, "dropout": 0.1},
    "fc": {"epochs": 10, "lr": 2e-3, "weight_decay": 1e-4, "dropout": 0.0},
}


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random transforms applied to every training image."""

    rotation: float = 12.0  # degrees, ±
    scale: float = 0.12  # relative, 1 ± scale
    shift: float = 2.5  # pixels, ±, on each axis
    thickness: float = 0.6  # largest blend towards the dilated / eroded image
    thickness_prob: float = 0.3  # probability of dilation, and the same of erosion


def augment(x: torch.Tensor, generator: torch.Generator, aug: Augmentation) -> torch.Tensor:
    """A randomly rotated, scaled, shifted and thickened/thinned copy of the batch ``x``.

    ``x`` is (N, 1, 28, 28) in [0, 1]; the result is too.
    """
    n = x.shape[0]

    def uniform(half_width: float) -> torch.Tensor:  # (N,) in [-half_width, half_width]
        return (torch.rand(n, generator=generator) * 2 - 1) * half_width

    angle = uniform(math.radians(aug.rotation))
    scale = 1 + uniform(aug.scale)
    # affine_grid maps output to input coordinates in [-1, 1]; one pixel is 2/28 there
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin, uniform(aug.shift) * 2 / 28], dim=1),
            torch.stack([sin, cos, uniform(aug.shift) * 2 / 28], dim=1),
        ],
        dim=1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, 28, 28, 2)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    pick = torch.rand(n, generator=generator)
    amount = torch.rand(n, generator=generator) * aug.thickness
    grow = (pick < aug.thickness_prob).float() * amount  # (N,)
    shrink = (pick > 1 - aug.thickness_prob).float() * amount
    x = x + grow[:, None, None, None] * (dilated - x) + shrink[:, None, None, None] * (eroded - x)
    return x.clamp_(0, 1)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) → float (N, 1, 28, 28) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255)


def train(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    epoch: int,
    args: argparse.Namespace,
    generator: torch.Generator,
) -> tuple[float, float]:
    """One epoch over the shuffled training set; returns (mean loss, accuracy)."""
    model.train()
    order = torch.randperm(len(images), generator=generator)
    batches = order.split(args.batch_size)
    if args.dry_run:
        batches = batches[:2]
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(batches, desc=f"epoch {epoch} train", disable=not args.progress, leave=False)
    for index in bar:
        x = to_float(images[index])
        if args.augment:
            x = augment(x, generator, args.augmentation)
        y = labels[index]
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
    return total_loss / seen, correct / seen


@torch.inference_mode()
def test(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000
) -> tuple[float, float, np.ndarray]:
    """Evaluate on a whole split; returns (mean loss, accuracy, predictions as int64 array)."""
    model.eval()
    total_loss, predictions = 0.0, []
    for start in range(0, len(images), batch_size):
        x = to_float(images[start : start + batch_size])
        y = labels[start : start + batch_size]
        logits = model(x)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        predictions.append(logits.argmax(1))
    predicted = torch.cat(predictions).numpy()
    accuracy = float((predicted == labels.numpy()).mean())
    return total_loss / len(images), accuracy, predicted


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts, [true digit][predicted digit]."""
    matrix = np.zeros((10, 10), dtype=np.int64)
    np.add.at(matrix, (truth.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> list[float]:
    """Diagonal over row sums (0 for a digit that never occurs)."""
    rows = matrix.sum(axis=1)
    return [float(matrix[d, d] / rows[d]) if rows[d] else 0.0 for d in range(10)]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except the per-model ones (None) and the store_false switches."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action, argparse._StoreFalseAction):
            return action.help
        return super()._get_help_string(action)


def per_model(key: str) -> str:
    """The per-model default of ``key`` as help text, e.g. "cnn: 12, fc: 10"."""
    return ", ".join(f"{m}: {DEFAULTS[m][key]:g}" for m in MODEL_NAMES)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The arguments of ``convlab train`` (added to ``parser`` when given)."""
    from app.config import get_settings

    settings = get_settings()
    parser = parser or argparse.ArgumentParser(
        prog="convlab train", description=__doc__.split("\n")[0]
    )
    parser.formatter_class = HelpFormatter
    parser.add_argument("--model", choices=MODEL_NAMES, default="cnn", help="network to train")
    parser.add_argument(
        "--epochs", type=int, default=None, help=f"epochs (default {per_model('epochs')})"
    )
    parser.add_argument("--batch-size", type=int, default=128, help="training batch size")
    parser.add_argument(
        "--lr", type=float, default=None, help=f"peak learning rate (default {per_model('lr')})"
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=None,
        help=f"L2 regularisation (default {per_model('weight_decay')})",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=None,
        help=f"dropout before fc1 (default {per_model('dropout')})",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument(
        "--no-augment", dest="augment", action="store_false", help="train on the images as is"
    )
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="torch intra-op threads"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=settings.data_dir,
        help="directory of the MNIST IDX files (CONVLAB_DATA_DIR)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help=f"where <model>.pt and <model>.json go (default {settings.weights_dir}; "
        "a --dry-run saves only when this is given)",
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not check the files' MD5 against standard MNIST (for self-made IDX sets)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="one epoch of two batches, to check the code path"
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no tqdm progress bars"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Train one model as ``args`` say, evaluate it, save weights and card."""
    defaults = DEFAULTS[args.model]
    for key in ("epochs", "lr", "weight_decay", "dropout"):
        if getattr(args, key) is None:
            setattr(args, key, type(defaults[key])(defaults[key]))
    args.epochs = 1 if args.dry_run else int(args.epochs)
    args.augmentation = Augmentation()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    load_start = os.getloadavg()

    train_split = load_split(args.data_dir, "train", verify_checksums=args.verify)
    test_split = load_split(args.data_dir, "test", verify_checksums=args.verify)
    train_x, train_y = torch.from_numpy(train_split.images), torch.from_numpy(train_split.labels)
    test_x, test_y = torch.from_numpy(test_split.images), torch.from_numpy(test_split.labels)
    train_y, test_y = train_y.long(), test_y.long()

    model = build_for_training(args.model, dropout=args.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = math.ceil(len(train_x) / args.batch_size) * args.epochs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters during training")

    curve: list[dict[str, float]] = []
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        train_loss, train_acc = train(
            model, train_x, train_y, optimizer, scheduler, epoch, args, generator
        )
        test_loss, test_acc, _ = test(model, test_x, test_y)
        seconds = time.perf_counter() - epoch_start
        curve.append(
            {
                "epoch": epoch,
                "train_loss": round(train_loss, 5),
                "train_accuracy": round(train_acc, 5),
                "test_loss": round(test_loss, 5),
                "test_accuracy": round(test_acc, 5),
                "seconds": round(seconds, 1),
            }
        )
        print(
            f"epoch {epoch:2d}/{args.epochs}: train loss {train_loss:.4f} acc {train_acc:.4f} | "
            f"test loss {test_loss:.4f} acc {test_acc:.4f} | {seconds:.0f} s",
            flush=True,
        )
    wall_time = time.perf_counter() - started

    served = fold_batchnorm(model.eval())
    _, accuracy, predicted = test(served, test_x, test_y)
    matrix = confusion_matrix(test_split.labels, predicted)
    per_layer = parameters_per_layer(served)
    card = {
        "model": args.model,
        "architecture": str(served),
        "parameters": per_layer,
        "total_parameters": sum(per_layer.values()),
        "test_accuracy": accuracy,
        "test_errors": int(round((1 - accuracy) * len(test_y))),
        "per_class_accuracy": [round(a, 5) for a in per_class_accuracy(matrix)],
        "confusion_matrix": matrix.tolist(),
        "curve": curve,
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "optimizer": "Adam + OneCycleLR",
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "dropout": args.dropout,
        "trained_with_batchnorm": args.model in ("cnn", "cnn-aa"),
        "augmentation": asdict(args.augmentation) if args.augment else None,
        "data_checksums": {**train_split.checksums, **test_split.checksums},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_seconds": round(wall_time, 1),
        "threads": args.threads,
        "load_average_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "torch": torch.__version__,
        "dry_run": args.dry_run,
    }
    print(
        f"{args.model}: test accuracy {accuracy:.4f} ({card['test_errors']} errors), "
        f"{card['total_parameters']:,} parameters, {wall_time:.0f} s"
    )
    out_dir = args.out_dir
    if out_dir is None and not args.dry_run:
        from app.config import get_settings

        out_dir = get_settings().weights_dir
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        torch.save(served.state_dict(), out_dir / f"{args.model}.pt")
        (out_dir / f"{args.model}.json").write_text(json.dumps(card, indent=1) + "\n")
        print(f"saved {out_dir / args.model}.pt and .json")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m app.mnist.train --help``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
