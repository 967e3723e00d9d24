"""Exact proofs at ICB scale: the exact method on whole ICBs (``--within none``) and on sub-ICBs.

Usage (from the repository root)::

    python benchmarks/exact_scale.py                                  # QE1 and QOP at 600 s
    python benchmarks/exact_scale.py --instances QE1 --time-limit 300
    python benchmarks/exact_scale.py --sub-icbs 12 --time-limit 60    # every 9th sub-ICB of England or so
    python benchmarks/exact_scale.py --sub-icbs all --workers 2       # every sub-ICB, two at a time

An instance is an ICB code (grouped whole, any practices of it may group) or ``sub:CODE`` (one sub-ICB). Each
runs :func:`solvers.grouping.exact.solve_grouping_exact` (band 30,000-50,000, contiguity on the Delaunay graph,
gap 1%, one process per instance; the instances are spread over :func:`clusterkit.parallel.run_tasks`). The
table shows per instance: the master LP's bound, the incumbent and the proven bound (population-weighted km),
the share of (centre, unit) pairs fixed by the reach filter and reduced-cost fixing at the proof's last
enumeration, the seconds to the LP and in all, and the gap and status. Run with ``PYTHONPATH`` set to another
checkout (``--label before``) for a before column: a version that does not record the LP bound and the fixed
share shows ``—`` there.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from peers.instances import BAND, default_data_path  # noqa: E402


@dataclass(frozen=True)
class Task:
    """One instance: an ICB (``sub_icb`` empty) or one sub-ICB, its time limit and gap."""

    name: str
    icb: tuple[str, ...]
    sub_icb: tuple[str, ...]
    time_limit: float
    gap: float
    data: str


def solve(task: Task) -> dict:
    """Run the exact method on one instance; its figures as a row (module level: picklable for the pool)."""
    from clusterkit.problem.grouping import GroupingProblem
    from geodata import load_study_area
    from solvers.grouping.exact import solve_grouping_exact

    graph = load_study_area(task.data, icb=list(task.icb), sub_icb=list(task.sub_icb))
    started = time.perf_counter()
    grouping = solve_grouping_exact(graph, GroupingProblem(band=BAND, within="none"), time_limit=task.time_limit,
                                    gap=task.gap, workers=1)
    seconds = time.perf_counter() - started
    proof = list(grouping.params.get("proof", ()))
    population = sum(piece["population"] for piece in proof)
    known = proof and all(piece["lp_bound"] is not None for piece in proof)
    lp_bound = sum(piece["lp_bound"] * piece["population"] for piece in proof) / population if known else None
    shares = [piece["fixed_share"] for piece in proof if piece.get("fixed_share") is not None]
    lp_seconds = [piece["seconds_lp"] for piece in proof if piece.get("seconds_lp") is not None]
    return {"instance": task.name, "practices": len(graph.codes), "limit": task.time_limit,
            "status": str(grouping.status), "incumbent": grouping.objective, "bound": grouping.bound,
            "gap": grouping.gap, "lp_bound": lp_bound, "fixed_share": min(shares) if shares else None,
            "seconds_lp": max(lp_seconds) if lp_seconds else None, "seconds": seconds}


def sub_icbs(data: str | Path) -> list[str]:
    """Every sub-ICB code of the practice file, sorted."""
    with open(data, newline="", encoding="utf-8") as handle:
        return sorted({row["sub_icb_code"] for row in csv.DictReader(handle) if row["sub_icb_code"]})


def _figure(value: float | None, form: str) -> str:
    return "—" if value is None else format(value, form)


def table(rows: list[dict], label: str) -> str:
    """The rows as a Markdown table."""
    lines = [f"| instance | practices | code | limit s | LP bound | incumbent | bound | pairs fixed | LP s | "
             "total s | gap | status |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        lines.append(f"| {row['instance']} | {row['practices']} | {label} | {row['limit']:g} | "
                     f"{_figure(row['lp_bound'], '.4f')} | {_figure(row['incumbent'], '.4f')} | "
                     f"{_figure(row['bound'], '.4f')} | {_figure(row['fixed_share'], '.1%')} | "
                     f"{_figure(row['seconds_lp'], '.1f')} | {row['seconds']:.1f} | {_figure(row['gap'], '.2%')} | "
                     f"{row['status']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="QE1,QOP", help="comma list of ICB codes and sub:CODE sub-ICBs")
    parser.add_argument("--sub-icbs", default="", help="'all', or N: a sample of N sub-ICBs spread over England")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per ICB (default 600)")
    parser.add_argument("--sub-icb-time-limit", type=float, default=60.0, help="seconds per sub-ICB (default 60)")
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=1, help="instances solved at once (a local pool)")
    parser.add_argument("--label", default="after", help="what the code column says (e.g. before)")
    parser.add_argument("--data", default=str(default_data_path()))
    parser.add_argument("--markdown", default=str(BENCHMARKS / "results" / "exact_scale.md"))
    arguments = parser.parse_args(argv)
    from clusterkit.parallel import run_tasks

    tasks = []
    for name in filter(None, (text.strip() for text in arguments.instances.split(","))):
        if name.startswith("sub:"):
            tasks.append(Task(name, (), (name[4:],), arguments.sub_icb_time_limit, arguments.gap, arguments.data))
        else:
            tasks.append(Task(name, (name,), (), arguments.time_limit, arguments.gap, arguments.data))
    if arguments.sub_icbs:
        codes = sub_icbs(arguments.data)
        if arguments.sub_icbs != "all":
            wanted = int(arguments.sub_icbs)
            codes = [codes[round(k * (len(codes) - 1) / max(1, wanted - 1))] for k in range(wanted)]
        tasks += [Task(f"sub:{code}", (), (code,), arguments.sub_icb_time_limit, arguments.gap, arguments.data)
                  for code in dict.fromkeys(codes)]
    rows: list[dict | None] = [None] * len(tasks)
    for position, row in run_tasks(solve, tasks, workers=arguments.workers):
        rows[position] = row
        print(f"{row['instance']}: {row['status']} gap {_figure(row['gap'], '.2%')} in {row['seconds']:.1f} s",
              file=sys.stderr, flush=True)
    text = table([row for row in rows if row is not None], arguments.label)
    print(text)
    Path(arguments.markdown).parent.mkdir(parents=True, exist_ok=True)
    Path(arguments.markdown).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
