"""Tiers and comparisons on real ICBs: nested tiers bottom-up against top-down, federations over today's PCNs,
and today's PCNs against a geographic and an alignment-based grouping.

Usage (from the repository root)::

    python benchmarks/tiers_compare.py                 # ICB QOP
    python benchmarks/tiers_compare.py --icb QE1 --icb QOP

Prints Markdown tables: per (instance, order, tier) the groups, share in band, connected, patient-weighted km and
time; per instance the three-way comparison (in band, km, alignment kept, moved, ARI/NMI/VI).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS.parent) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS.parent))
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from peers.instances import default_data_path  # noqa: E402

from clusterkit.errors import InfeasibleError  # noqa: E402
from clusterkit.metrics.compare import compare_groupings  # noqa: E402
from clusterkit.model.partition import Partition  # noqa: E402
from clusterkit.problem.grouping import GroupingProblem  # noqa: E402
from clusterkit.runs import run_tiers  # noqa: E402
from clusterkit.tiers import DEFAULT_TIERS  # noqa: E402
from geodata import load_study_area  # noqa: E402
from solvers.grouping import group_practices  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icb", action="append", default=None)
    parser.add_argument("--data", default=str(default_data_path()))
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args(argv)
    extra = Path(arguments.data).with_name("gp_practices_england_extra.csv")
    print("| instance | order | tier | groups | in band | connected | km | seconds |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    comparisons = []
    for icb in arguments.icb or ["QOP"]:
        graph = load_study_area(arguments.data, icb=[icb])
        today = {p.code: p.group for p in graph.practices if p.group}
        for order, fixed, tiers in (("bottom-up", None, DEFAULT_TIERS), ("top-down", None, DEFAULT_TIERS),
                                    ("bottom-up", {"network": today}, DEFAULT_TIERS[1:])):
            started = time.perf_counter()
            label = order + (" over today's PCNs" if fixed else "")
            try:
                run = run_tiers(graph, tiers, order=order, fixed=fixed, workers=arguments.workers)
            except InfeasibleError as error:
                print(f"| {icb} | {label} | — | — | — | — | — | {time.perf_counter() - started:.1f} "
                      f"(infeasible: {error.reasons[0]}) |")
                continue
            seconds = time.perf_counter() - started
            for row in run.summary["tiers"]:
                metrics = row["metrics"]
                status = "fixed" if row["fixed"] else row["status"]
                print(f"| {icb} | {label} | {row['tier']} ({status}) | {row['groups']} | "
                      f"{metrics['in_band_share']:.0%} | {metrics['connected_share']:.0%} | "
                      f"{metrics['weighted_km']:.3f} | {seconds:.1f} |")
        started = time.perf_counter()
        geographic = group_practices(graph, GroupingProblem(), workers=arguments.workers)
        aligned_graph = load_study_area(arguments.data, icb=[icb], attributes=extra,
                                        alignment_from=("supplier_name", "imd2019_score_fingertips"))
        aligned = group_practices(aligned_graph, GroupingProblem(objective="blend", weight=0.7),
                                  workers=arguments.workers)
        seconds = time.perf_counter() - started
        for name, second in (("geographic", geographic.labels), ("aligned", aligned.labels)):
            comparison = compare_groupings(aligned_graph, Partition(today), Partition(second), names=("today", name))
            comparisons.append((icb, name, comparison, seconds))
        comparison = compare_groupings(aligned_graph, geographic.labels, aligned.labels, names=("geographic", "aligned"))
        comparisons.append((icb, "geographic → aligned", comparison, seconds))
    print()
    print("| instance | comparison | in band A → B | km A → B | alignment kept A → B | moved (patients) | ARI | NMI | VI |")
    print("| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |")
    for icb, name, comparison, _ in comparisons:
        first, second = (metrics.to_dict() for metrics in comparison.metrics)
        title = name if "→" in name else f"today → {name}"
        print(f"| {icb} | {title} | {first['in_band_share']:.0%} → {second['in_band_share']:.0%} | "
              f"{first['weighted_km']:.3f} → {second['weighted_km']:.3f} | "
              f"{first['alignment_kept_share']:.0%} → {second['alignment_kept_share']:.0%} | "
              f"{comparison.moved} ({comparison.moved_patients:,}) | {comparison.ari:.3f} | {comparison.nmi:.3f} | "
              f"{comparison.vi:.3f} |")


if __name__ == "__main__":
    main()
