"""Evaluate the shipped models on the MNIST test set, and measure translation robustness.

    convlab evaluate                      # both models: accuracy, per class, confusion, shifts
    convlab evaluate --model cnn --max-shift 2 --limit 2000
    convlab evaluate --no-shift-table --consistency app/mnist/weights/shift_consistency.json

The shift table is the tutorial's FC-vs-CNN argument (Q2, Q6) measured: every test digit is
translated by (dx, dy) pixels with zero fill, dx, dy ∈ [−4, 4], and each model's accuracy is
recorded. Convolution is translation-equivariant and max pooling adds a little invariance, so
the CNN degrades slowly; a fully connected layer has a separate weight for every pixel and
recognises a shifted digit only as far as its training data taught it to.

The consistency figures test the finer claim (Azulay & Weiss 2019; Zhang 2019): is the output
stable under a *one*-pixel shift? Each test digit is shifted by every dx ∈ [−m, m] (dy = 0) and
every dy ∈ [−m, m] (dx = 0); over the 2·2m pairs of neighbouring shifts (dx, dx + 1) and
(dy, dy + 1) per digit, we report the fraction whose predicted digit is the same and the mean
|ΔP| of the true class's probability. Strided max pooling aliases, so a CNN can change its mind
between two neighbouring shifts; max-blur-pool (``cnn-aa``) low-passes before subsampling.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from app.mnist.data import load_split
from app.mnist.inference import LoadedModel, load_models, shift
from app.mnist.models import MODEL_NAMES
from app.mnist.train import HelpFormatter, confusion_matrix, per_class_accuracy, to_float


@torch.inference_mode()
def _batched(
    model: LoadedModel, images: torch.Tensor, dx: int, dy: int, batch_size: int, softmax: bool
) -> np.ndarray:
    """Predicted digits (N,), or softmax probabilities (N, 10), of uint8 images (N, 28, 28),
    each shifted by (dx, dy) first."""
    out = []
    for start in range(0, len(images), batch_size):
        x = shift(to_float(images[start : start + batch_size]), dx, dy)  # (B, 1, 28, 28)
        logits = model.module(x)  # (B, 10)
        out.append(torch.softmax(logits, dim=1) if softmax else logits.argmax(1))
    return torch.cat(out).numpy()


def predict_all(
    model: LoadedModel, images: torch.Tensor, *, dx: int = 0, dy: int = 0, batch_size: int = 2000
) -> np.ndarray:
    """Predicted digits of uint8 images (N, 28, 28), each shifted by (dx, dy) first."""
    return _batched(model, images, dx, dy, batch_size, softmax=False)


def evaluate(model: LoadedModel, images: torch.Tensor, labels: np.ndarray) -> dict:
    """Accuracy, per-class accuracy and confusion matrix on unshifted images."""
    predicted = predict_all(model, images)
    matrix = confusion_matrix(labels, predicted)
    return {
        "accuracy": float((predicted == labels).mean()),
        "errors": int((predicted != labels).sum()),
        "per_class_accuracy": per_class_accuracy(matrix),
        "confusion_matrix": matrix.tolist(),
    }


def shift_table(
    model: LoadedModel,
    images: torch.Tensor,
    labels: np.ndarray,
    shifts: Sequence[int],
    *,
    progress: bool = True,
) -> np.ndarray:
    """Accuracy for every (dy, dx) in shifts × shifts: array [dy index][dx index]."""
    table = np.zeros((len(shifts), len(shifts)))
    cells = [(i, j) for i in range(len(shifts)) for j in range(len(shifts))]
    for i, j in tqdm(cells, desc=f"{model.name} shifts", disable=not progress, leave=False):
        predicted = predict_all(model, images, dx=shifts[j], dy=shifts[i])
        table[i, j] = (predicted == labels).mean()
    return table


def probabilities_all(
    model: LoadedModel, images: torch.Tensor, *, dx: int = 0, dy: int = 0, batch_size: int = 2000
) -> np.ndarray:
    """Softmax probabilities (N, 10) of uint8 images (N, 28, 28), each shifted by (dx, dy)."""
    return _batched(model, images, dx, dy, batch_size, softmax=True)


def shift_consistency(
    model: LoadedModel, images: torch.Tensor, labels: np.ndarray, *, max_shift: int = 3
) -> dict:
    """How often neighbouring one-pixel shifts agree (see the module docstring).

    Returns ``same_prediction`` (fraction of neighbouring pairs with the same predicted digit),
    ``mean_abs_delta_p_true`` (mean |ΔP(true digit)| over those pairs), ``pairs``, and per axis
    the shifts with the accuracy and mean P(true digit) at each.
    """
    shifts = list(range(-max_shift, max_shift + 1))
    rows = np.arange(len(labels))
    same, delta, axes = [], [], {}
    for axis in ("dx", "dy"):
        probs = [probabilities_all(model, images, **{axis: s}) for s in shifts]  # (N, 10) each
        predicted = [p.argmax(1) for p in probs]
        p_true = [p[rows, labels] for p in probs]  # (N,) per shift
        for k in range(len(shifts) - 1):
            same.append(predicted[k] == predicted[k + 1])
            delta.append(np.abs(p_true[k + 1] - p_true[k]))
        axes[axis] = {
            "shifts": shifts,
            "accuracy": [round(float((p == labels).mean()), 5) for p in predicted],
            "mean_p_true": [round(float(p.mean()), 5) for p in p_true],
        }
    return {
        "same_prediction": round(float(np.concatenate(same).mean()), 5),
        "mean_abs_delta_p_true": round(float(np.concatenate(delta).mean()), 5),
        "changed_pairs": int((~np.concatenate(same)).sum()),
        "pairs": int(np.concatenate(same).size),
        "by_axis": axes,
    }


def flip_examples(
    model: LoadedModel, images: torch.Tensor, labels: np.ndarray, *, count: int = 5, reach: int = 2
) -> list[dict]:
    """Test digit 0 and the first ``count`` test digits that ``model`` reads right unshifted but
    reads differently at two neighbouring horizontal shifts in [−reach, reach]: the digits the
    lesson shifts (each as its index, label and 28×28 uint8 image)."""
    predicted = np.stack(
        [predict_all(model, images, dx=s) for s in range(-reach, reach + 1)], axis=1
    )  # (N, 2·reach + 1)
    flips = (predicted[:, 1:] != predicted[:, :-1]).any(axis=1) & (predicted[:, reach] == labels)
    chosen = [0, *[int(i) for i in np.flatnonzero(flips)[:count] if i != 0]]
    return [
        {"index": i, "label": int(labels[i]), "image": images[i].numpy().tolist()} for i in chosen
    ]


def markdown_grid(table: np.ndarray, shifts: Sequence[int], name: str) -> str:
    """A dy × dx accuracy grid (percent) as a markdown table."""
    lines = [
        f"| {name}: dy \\ dx | " + " | ".join(f"{s:+d}" for s in shifts) + " |",
        "|---|" + "---:|" * len(shifts),
    ]
    for i, dy in enumerate(shifts):
        cells = " | ".join(f"{100 * a:.1f}" for a in table[i])
        lines.append(f"| **{dy:+d}** | {cells} |")
    return "\n".join(lines)


def markdown_profile(tables: dict[str, np.ndarray], shifts: Sequence[int]) -> str:
    """Accuracy (percent) of each model along dx (dy = 0) and along the diagonal dx = dy."""
    zero = list(shifts).index(0)
    header = "| shift (px) | " + " | ".join(f"{s:+d}" for s in shifts) + " |"
    lines = [header, "|---|" + "---:|" * len(shifts)]
    for name, table in tables.items():
        lines.append(
            f"| {name}, dx (dy = 0) | " + " | ".join(f"{100 * a:.1f}" for a in table[zero]) + " |"
        )
    for name, table in tables.items():
        lines.append(
            f"| {name}, dx = dy | " + " | ".join(f"{100 * a:.1f}" for a in np.diag(table)) + " |"
        )
    return "\n".join(lines)


def write_consistency(
    path: Path, by_model: dict[str, dict], max_shift: int, digits: int, examples: list[dict]
) -> None:
    """The shipped consistency file: what was measured, how, each model's figures, and the test
    digits the lesson shifts."""
    payload = {
        "definition": (
            f"Every test digit shifted by dx = -{max_shift}..{max_shift} (dy = 0) and by "
            f"dy = -{max_shift}..{max_shift} (dx = 0), zero fill; over the pairs of neighbouring "
            "one-pixel shifts: the fraction with the same predicted digit, and the mean absolute "
            "change of the true digit's probability."
        ),
        "max_shift": max_shift,
        "test_digits": digits,
        "models": by_model,
        "examples": examples,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"\nwrote {path}")


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The arguments of ``convlab evaluate`` (added to ``parser`` when given)."""
    from app.config import get_settings

    settings = get_settings()
    parser = parser or argparse.ArgumentParser(
        prog="convlab evaluate", description=__doc__.split("\n")[0]
    )
    parser.formatter_class = HelpFormatter
    parser.add_argument(
        "--model", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES), help="models"
    )
    parser.add_argument("--data-dir", type=Path, default=settings.data_dir, help="MNIST files")
    parser.add_argument(
        "--weights-dir", type=Path, default=settings.weights_dir, help="<model>.pt files"
    )
    parser.add_argument("--max-shift", type=int, default=4, help="shifts in [-m, m] on each axis")
    parser.add_argument(
        "--limit", type=int, default=None, help="only the first N test digits (quick look)"
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not check the files' MD5 against standard MNIST (for self-made IDX sets)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--no-shift-table",
        dest="shift_table",
        action="store_false",
        help="skip the (2m + 1)² shift-accuracy table",
    )
    parser.add_argument(
        "--consistency",
        type=Path,
        default=None,
        help="measure one-pixel shift consistency (shifts in [-m, m] along each axis) and write "
        "it here as JSON (the lab ships app/mnist/weights/shift_consistency.json)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bars"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Evaluate the requested models and print markdown tables."""
    if args.threads:
        torch.set_num_threads(args.threads)
    split = load_split(args.data_dir, "test", verify_checksums=args.verify)
    images, labels = torch.from_numpy(split.images), split.labels.astype(np.int64)
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    registry = load_models(args.weights_dir)
    shifts = list(range(-args.max_shift, args.max_shift + 1))
    results: dict[str, dict] = {}
    tables: dict[str, np.ndarray] = {}
    consistency: dict[str, dict] = {}
    for name in args.model:
        model = registry.get(name)
        result = evaluate(model, images, labels)
        print(
            f"\n## {name}: test accuracy {100 * result['accuracy']:.2f} % "
            f"({result['errors']} errors of {len(labels)}), "
            f"{model.total_parameters:,} parameters"
        )
        print(
            "\nper class: "
            + ", ".join(f"{d}: {100 * a:.2f}" for d, a in enumerate(result["per_class_accuracy"]))
        )
        print("\nconfusion matrix (rows: true digit, columns: predicted)")
        for d, row in enumerate(result["confusion_matrix"]):
            print(f"  {d}: " + " ".join(f"{v:5d}" for v in row))
        if args.shift_table:
            tables[name] = shift_table(model, images, labels, shifts, progress=args.progress)
            result["shift_accuracy"] = {"shifts": shifts, "table": tables[name].tolist()}
        if args.consistency:
            consistency[name] = shift_consistency(model, images, labels, max_shift=args.max_shift)
            c = consistency[name]
            print(
                f"\none-pixel shift consistency: {100 * c['same_prediction']:.2f} % of "
                f"{c['pairs']} neighbouring pairs keep the prediction, mean |ΔP(true)| "
                f"{c['mean_abs_delta_p_true']:.4f}"
            )
        results[name] = result
    if tables:
        print(
            f"\n## Accuracy (%) on the {len(labels)} test digits shifted by (dx, dy), zero fill\n"
        )
        print(markdown_profile(tables, shifts))
        for name, table in tables.items():
            print()
            print(markdown_grid(table, shifts, name))
    if args.consistency:
        examples = flip_examples(registry.get("cnn"), images, labels) if "cnn" in args.model else []
        write_consistency(args.consistency, consistency, args.max_shift, len(labels), examples)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m app.mnist.evaluate --help``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
