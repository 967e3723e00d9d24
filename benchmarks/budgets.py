"""Specialty budgets benchmark: 10 surgical specialties in every real PCN of England.

Reads ``gp_practices_england.csv`` (6,129 practices; networks are the 1,298 real PCNs of its ``pcn_code``
column, the 52 practices in no PCN are reported as ungrouped), gives each PCN the 10 specialties of
``examples/england_specialties.csv`` and solves every PCN with HiGHS, once per ``--max-per-practice``
value, reporting wall time, statuses, why networks are infeasible, and the largest budget/turnover ratio.

The rates of ``examples/england_specialties.csv`` are illustrative, not NHS tariffs: £ per 1,000
registered patients a year, calibrated so that urology for the seeds' 75,000 patients is about £1m
(£13,333 per 1,000), the other specialties scaled around it (orthopaedics £20,000 ... vascular surgery
£2,500; £97 a patient in all, against practice funding of £120 a patient).

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/budgets.py                      # max per practice 1, 2, 3, 10
    /work/venv/bin/python benchmarks/budgets.py --max-per-practice 2 --workers 2
    CLUSTERKIT_NHS_DATA=/path/to/nhs /work/venv/bin/python benchmarks/budgets.py --json results.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import warnings
from collections import Counter
from pathlib import Path
from time import perf_counter
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from clusterkit.budgets.problem import BudgetProblem  # noqa: E402
from geodata import load_study_area  # noqa: E402
from geodata.read.budgets import read_specialties  # noqa: E402
from geodata.read.relations import read_networks  # noqa: E402
from solvers.budgets import assign_budgets  # noqa: E402

DATA = Path(os.environ.get("CLUSTERKIT_NHS_DATA", REPOSITORY.parent / "shared" / "data" / "nhs"))
SPECIALTIES = REPOSITORY / "examples" / "england_specialties.csv"


def reason_kind(reason: str) -> str:
    """Classify an infeasibility reason: ``cap``, ``count`` (too few practices) or ``overlap``."""
    if " exceeds " in reason:
        return "cap"
    if " overlap" in reason:
        return "overlap"
    return "count"


def run(graph: Any, labels: dict[str, str], specialties: Any, limit: int, workers: int,
        time_limit: float) -> dict[str, Any]:
    """Solve every PCN at one ``max_per_practice`` and summarise the run."""
    problem = BudgetProblem(specialties, max_per_practice=limit)
    started = perf_counter()
    result = assign_budgets(graph, labels, problem, workers=workers, time_limit=time_limit)
    seconds = perf_counter() - started
    worst = max(result.holdings, key=lambda h: h.ratio, default=None)
    reasons = Counter(reason_kind(r.reasons[0]) for r in result.infeasible)
    stage_seconds = [s.seconds for r in result.networks for s in r.stages]
    return {
        "max_per_practice": limit,
        "workers": workers,
        "seconds": round(seconds, 1),
        "networks": len(result.networks),
        "status": result.status,
        "by_status": result.status_counts,
        "served": sum(1 for r in result.networks if r.holdings),
        "infeasible_by_reason": dict(sorted(reasons.items())),
        "solver_calls": len(stage_seconds),
        "slowest_stage_seconds": round(max(stage_seconds, default=0.0), 3),
        "holdings": len(result.holdings),
        "consortia": sum(1 for h in result.holdings if h.kind != "practice"),
        "practices_holding": len({code for h in result.holdings for code in h.members}),
        "largest_ratio": None if worst is None else round(worst.ratio, 4),
        "largest_ratio_at": None if worst is None else f"{worst.network} {worst.specialty} ({worst.holder})",
        "bound": None if result.bound is None else round(result.bound, 4),
        "worst_gap": result.worst_gap,
        "median_network_largest_ratio": _median([r.largest_ratio for r in result.networks if r.holdings]),
        "ungrouped": len(result.ungrouped),
    }


def _median(values: list[float | None]) -> float | None:
    present = sorted(v for v in values if v is not None)
    if not present:
        return None
    middle = len(present) // 2
    value = present[middle] if len(present) % 2 else (present[middle - 1] + present[middle]) / 2
    return round(value, 4)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| max per practice | workers | time (s) | PCNs served / 1,298 | infeasible: too few practices / cap / overlap "
        "| holdings (consortia) | practices holding | largest ratio (where) | median PCN largest ratio | status "
        "(served PCNs) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reasons = row["infeasible_by_reason"]
        served_status = "all OPTIMAL" if row["by_status"]["FEASIBLE"] == 0 and row["by_status"]["NO_SOLUTION"] == 0 \
            else f"{row['by_status']}"
        lines.append(
            f"| {row['max_per_practice']} | {row['workers']} | {row['seconds']} | {row['served']:,} "
            f"| {reasons.get('count', 0)} / {reasons.get('cap', 0)} / {reasons.get('overlap', 0)} "
            f"| {row['holdings']:,} ({row['consortia']}) | {row['practices_holding']:,} "
            f"| {row['largest_ratio']} ({row['largest_ratio_at']}) | {row['median_network_largest_ratio']} "
            f"| {served_status} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / "gp_practices_england.csv")
    parser.add_argument("--specialties", type=Path, default=SPECIALTIES)
    parser.add_argument("--max-per-practice", default="1,2,3,10", help="comma-separated values to run")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solver stage of a PCN")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    if not options.data.is_file():
        print(f"real data not found at {options.data}; set CLUSTERKIT_NHS_DATA", file=sys.stderr)
        return 2
    started = perf_counter()
    graph = load_study_area(options.data)
    labels = read_networks("current", graph)
    specialties = read_specialties(options.specialties)
    load_seconds = perf_counter() - started
    print(f"loaded {len(graph):,} practices, {len(set(labels.values())):,} PCNs, {len(specialties)} specialties "
          f"in {load_seconds:.1f}s (with Delaunay adjacency); {os.cpu_count()} CPU(s), {platform.python_version()}")
    rows = []
    for limit in (int(value) for value in options.max_per_practice.split(",")):
        row = run(graph, labels, specialties, limit, options.workers, options.time_limit)
        rows.append(row)
        print(f"max per practice {limit}: {row['seconds']}s, {row['served']} served, {row['by_status']}, "
              f"largest ratio {row['largest_ratio']} at {row['largest_ratio_at']}", flush=True)
    print()
    print(markdown(rows))
    if options.json:
        options.json.write_text(json.dumps({"load_seconds": round(load_seconds, 1), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
