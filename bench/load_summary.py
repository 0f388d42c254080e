"""Print a Locust run as the markdown table of the load report: per route and in total, the
requests, failures, throughput and the p50 / p95 / p99 / max latencies; then the failures.

    python bench/load_summary.py bench/results/classroom_stats.csv [--title T] [--cpu A B]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def _row(name: str, row: dict[str, str]) -> str:
    count = int(row["Request Count"])
    failures = int(row["Failure Count"])
    return (
        f"| {name} | {count} | {failures} ({100 * failures / max(count, 1):.1f} %) | "
        f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
        f"{float(row['Max Response Time']):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stats", type=Path, help="the <name>_stats.csv Locust wrote")
    parser.add_argument("--title", default="", help="heading of the table")
    parser.add_argument(
        "--cpu",
        nargs=4,
        metavar=("TOTAL0", "IDLE0", "TOTAL1", "IDLE1"),
        help="/proc/stat totals before and after: print the machine's CPU use",
    )
    args = parser.parse_args()

    rows = list(csv.DictReader(args.stats.open()))
    if args.title:
        print(f"### {args.title}\n")
    print("| route | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if row["Name"] != "Aggregated":
            print(_row(f"{row['Type']} {row['Name']}", row))
    for row in rows:
        if row["Name"] == "Aggregated":
            print(_row("**all**", row))
    if args.cpu:
        total0, idle0, total1, idle1 = map(float, args.cpu)
        busy = 1 - (idle1 - idle0) / max(total1 - total0, 1)
        print(f"\nMachine CPU busy during the run (all processes, 2 cores): {100 * busy:.0f} %")

    failures = args.stats.with_name(args.stats.name.replace("_stats.csv", "_failures.csv"))
    if failures.exists():
        found = sorted(csv.DictReader(failures.open()), key=lambda r: -int(r["Occurrences"]))
        if found:
            print("\nFailures:\n")
            for row in found[:10]:
                print(f"- {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")


if __name__ == "__main__":
    main()
