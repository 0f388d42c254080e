"""Benchmark: the CPU cost of drawing and checking one exercise, per kind, and of the worst
answers a student could type (the 200-character limit).

Run:  PYTHONPATH=. .venv/bin/python bench/bench_exercises.py [--seeds 300]

For every kind, over seeds 0 … N − 1: the CPU time (time.process_time) of drawing the exercise
(what GET /api/exercises/{id}?seed=S computes) and of checking its expected answer (what POST
…/check computes: the exercise is drawn again from the seed, then the answer is read and
compared). Prints a markdown table of the median and the maximum in milliseconds, then the
slowest of a set of hostile 200-character answers (long digit runs, nested brackets, many
separators) per answer type.
"""

from __future__ import annotations

import argparse
import statistics
import time

from app.exercises import KINDS, check_answer, exercise, kind

HOSTILE = (
    "9" * 200,
    "(" * 100 + ")" * 100,
    "[" * 100 + "]" * 100,
    "1," * 99 + "1",
    "1 " * 100,
    "(1,2)" * 40,
    "1,2;" * 50,
    " " * 199 + "x",
    "1" + " x" * 99 + "1",
    "[[" + "1," * 98 + "]]",
)


def _cpu_ms(fn) -> float:
    started = time.process_time()
    fn()
    return (time.process_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300, help="seeds per kind (default 300)")
    args = parser.parse_args()
    print(f"CPU time per request over seeds 0…{args.seeds - 1} (ms)\n")
    print("| kind | draw median | draw max | check median | check max |")
    print("|---|---|---|---|---|")
    for k in KINDS:
        draws, checks = [], []
        for seed in range(args.seeds):
            draws.append(_cpu_ms(lambda s=seed, i=k.id: exercise(i, s)))
            problem = kind(k.id).problem(seed)
            text = problem.answer.show(problem.expected)
            checks.append(_cpu_ms(lambda s=seed, t=text, i=k.id: check_answer(i, s, t)))
        print(
            f"| {k.id} | {statistics.median(draws):.2f} | {max(draws):.2f} | "
            f"{statistics.median(checks):.2f} | {max(checks):.2f} |"
        )
    print("\nSlowest hostile 200-character answer per answer type (ms, including the draw)\n")
    seen: dict[str, str] = {}
    for k in KINDS:
        seen.setdefault(kind(k.id).problem(0).answer.type, k.id)
    for answer_type, exercise_id in seen.items():
        worst = 0.0
        for text in HOSTILE:

            def run(t: str = text, i: str = exercise_id) -> None:
                try:
                    check_answer(i, 0, t)
                except ValueError:
                    pass

            worst = max(worst, _cpu_ms(run))
        print(f"- {answer_type} ({exercise_id}): {worst:.2f}")


if __name__ == "__main__":
    main()
