"""``convlab experiment run|reference|subset``: the experiments from a terminal.

    convlab experiment run generalization                       # the default run
    convlab experiment run generalization --set train_size=300 --set models='["fc","cnn"]'
    convlab experiment run weight-decay --set lambdas=[0,0.01] --json result.json
    convlab experiment reference                                # recompute the shipped sweep
    convlab experiment subset --dir ~/.cache/convlab/mnist      # rebuild the shipped subset

``--set`` values are JSON (``300``, ``0.01``, ``[0,0.01]``, ``"x"``); a bare word is a string
and ``a,b`` a list of words. The config is validated exactly as the API validates it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``["a=1", "b=[1,2]", "c=fc,cnn"]`` → ``{"a": 1, "b": [1, 2], "c": ["fc", "cnn"]}``."""
    body: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes key=value, got {pair!r}")
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text.split(",") if "," in text else text
        body[key.strip()] = value
    return body


def _validated(experiment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    from app.config import get_settings
    from app.experiments.registry import EXPERIMENTS

    if experiment_id not in EXPERIMENTS:
        raise ValueError(
            f"no experiment called {experiment_id!r}; expected one of {', '.join(EXPERIMENTS)}"
        )
    try:
        model = EXPERIMENTS[experiment_id].config
        config = model.model_validate(body, context={"settings": get_settings()})
    except ValidationError as error:
        lines = [
            f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        raise ValueError("bad config:\n  " + "\n  ".join(lines)) from None
    return config.model_dump()


class Bars:
    """One tqdm bar per model (or per task and model, or per λ), fed by progress events."""

    def __init__(self) -> None:
        self.bars: dict[int, tqdm] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        index = event["model_index"]
        bar = self.bars.get(index)
        if bar is None:
            for other in self.bars.values():
                other.close()
            name = event["model"]
            if event.get("task"):
                name = f"{event['task']} {name}"
            elif event.get("weight_decay") is not None and event["model"] == "fc":
                name = f"fc λ={event['weight_decay']:g}"
            bar = self.bars[index] = tqdm(total=event["steps"], desc=name, unit="step")
        bar.update(event["step"] - bar.n)
        metrics = event["metrics"]
        bar.set_postfix({k: f"{v:.3f}" for k, v in metrics.items()}, refresh=False)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def print_result(result: dict[str, Any]) -> None:
    print(f"\n{result['id']} on {result['data']['description']}")
    print(f"{'model':<28} {'params':>9} {'train':>7} {'test':>7} {'gap':>7}")
    for model in result["models"]:
        label = f"{model.get('task') or ''} {model['label']}".strip()
        print(
            f"{label:<28} {model['parameters']:>9,} {model['train_accuracy']:>7.1%} "
            f"{model['test_accuracy']:>7.1%} {model['gap']:>7.1%}"
        )
    print(f"\n{result['summary']}")


def _run(args: argparse.Namespace) -> int:
    import torch

    from app.config import get_settings
    from app.engine.errors import InvalidInput
    from app.experiments.runner import run

    try:
        config = _validated(args.id, parse_assignments(args.set or []))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    bars = Bars()
    try:
        result = run(args.id, config, data_dir=get_settings().data_dir, report=bars)
    except InvalidInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        bars.close()
    print_result(result)
    if args.json:
        args.json.write_text(json.dumps(result) + "\n")
        print(f"result written to {args.json}")
    return 0


def _reference(args: argparse.Namespace) -> int:
    import torch

    from app.experiments import reference

    torch.set_num_threads(1)
    ids = tuple(args.only) if args.only else tuple(reference.SWEEPS)
    existing = reference.load_reference(args.out) if args.only else {}
    result = reference.compute_reference(
        ids,
        log=lambda line: print(line, flush=True),
        processes=args.processes,
        cache_dir=args.cache,
    )
    reference.write_reference({**existing, **result}, args.out)
    for experiment_id in ids:
        print(f"{experiment_id}: {result[experiment_id]['summary']}")
    print(f"written to {args.out}")
    return 0


def _subset(args: argparse.Namespace) -> int:
    from app.experiments import data
    from app.mnist.data import MnistDataError

    try:
        arrays = data.build_subset(args.dir)
    except MnistDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    sums = data.write_subset(arrays, args.out)
    failed = False
    for name, md5 in sums.items():
        expected = data.SUBSET_MD5[name]
        verdict = "ok" if md5 == expected else f"MISMATCH, expected {expected}"
        failed |= md5 != expected
        print(f"{name}: {md5} {verdict}")
    print(f"written to {args.out}. {data.CREDIT}")
    return 1 if failed else 0


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``convlab experiment run|reference|subset`` (added to ``parser``)."""
    from app.config import get_settings
    from app.experiments import data, reference
    from app.experiments.registry import EXPERIMENTS

    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser(
        "run",
        help="train one experiment and print its result",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("id", choices=list(EXPERIMENTS), help="which experiment")
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a config field (repeatable), e.g. --set train_size=300",
    )
    run.add_argument("--json", type=Path, help="also write the full result to this file")
    run.set_defaults(func=_run)

    ref = actions.add_parser(
        "reference",
        help="recompute the shipped reference sweep (seeds 0-2) and write its JSON",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ref.add_argument("--only", action="append", choices=list(reference.SWEEPS), help="one sweep")
    ref.add_argument("--out", type=Path, default=reference.REFERENCE_PATH, help="JSON to write")
    ref.add_argument(
        "--processes", type=int, default=1, help="runs at once (same results, less wall time)"
    )
    ref.add_argument(
        "--cache", type=Path, help="keep each finished run here, so an interrupted sweep resumes"
    )
    ref.set_defaults(func=_reference)

    subset = actions.add_parser(
        "subset",
        help="rebuild the shipped MNIST subset from the four IDX files and check its MD5s",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    subset.add_argument(
        "--dir", type=Path, default=get_settings().data_dir, help="the MNIST IDX files"
    )
    subset.add_argument("--out", type=Path, default=data.SUBSET_DIR, help="where to write it")
    subset.set_defaults(func=_subset)
    return parser
