"""Sweeps and ensembles on a real ICB: the same tasks on the local process pool and on a Dask LocalCluster.

Usage (from the repository root)::

    python benchmarks/explore.py                          # ICB QOP: 64-member ensemble, 9-point sweep
    python benchmarks/explore.py --icb QE1 --members 32

Runs each job on the local pool and on a 2-worker ``LocalCluster`` (started once, its start-up timed apart),
in the order pool, Dask, Dask, pool (each time the mean of its two runs), and prints Markdown tables: per (job, executor) the wall time and the ratio to the pool, whether
the results are identical; the sweep's Pareto table; the ensemble's diversity figures. ``--plot`` writes the
sweep's ``pareto.png`` to that folder.
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

from peers.instances import default_data_path

from clusterkit.explore import build_ensemble, sweep_weights
from clusterkit.parallel import scheduler_executor
from clusterkit.problem.grouping import GroupingProblem
from geodata import load_study_area

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def fingerprint(candidates):
    return [(candidate.name, dict(candidate.grouping.labels)) for candidate in candidates]


def _candidates(result):
    return getattr(result, "members", None) or getattr(result, "points")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icb", default="QOP")
    parser.add_argument("--data", default=str(default_data_path()))
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plot", type=Path, help="Folder for the sweep's pareto.png.")
    arguments = parser.parse_args(argv)
    extra = Path(arguments.data).with_name("gp_practices_england_extra.csv")
    graph = load_study_area(arguments.data, icb=[arguments.icb], attributes=extra,
                            alignment_from=("supplier_name", "imd2019_score_fingertips"))
    current = {p.code: p.group for p in graph.practices if p.group}
    problem = GroupingProblem(within="sub_icb", current=current)
    jobs = {
        f"ensemble of {arguments.members}": lambda executor: build_ensemble(
            graph, problem, arguments.members, keep=5, workers=arguments.workers, executor=executor),
        f"sweep of {len(WEIGHTS)} weights": lambda executor: sweep_weights(
            graph, GroupingProblem(within="sub_icb"), WEIGHTS, workers=arguments.workers, executor=executor),
    }
    results: dict[tuple[str, str], tuple[float, object]] = {}
    started = time.perf_counter()
    with scheduler_executor("local", workers=arguments.workers) as dask:
        startup = time.perf_counter() - started
        for job, run in jobs.items():  # pool, dask, dask, pool: a load that drifts weighs on both alike
            for name, executor in (("pool", None), ("dask", dask), ("dask", dask), ("pool", None)):
                began = time.perf_counter()
                result = run(executor)
                seconds = time.perf_counter() - began
                earlier = results.get((job, name))
                results[(job, name)] = (seconds if earlier is None else (earlier[0] + seconds) / 2, result)
                if earlier is not None and fingerprint(_candidates(earlier[1])) != fingerprint(_candidates(result)):
                    raise SystemExit(f"{job} on {name}: a second run differs from the first")
    print(f"\n{arguments.icb}: {len(graph)} practices, {graph.layer('alignment').number_of_edges()} alignment edges; "
          f"Dask LocalCluster of {arguments.workers} workers started in {startup:.1f} s (not counted below)\n")
    print("| job | executor | seconds (mean of 2) | ratio to pool | identical to pool |")
    print("| --- | --- | ---: | ---: | --- |")
    for job in jobs:
        pool_seconds, pool_result = results[(job, "pool")]
        for name in ("pool", "dask"):
            seconds, result = results[(job, name)]
            members = getattr(result, "members", None) or result.points
            reference = getattr(pool_result, "members", None) or pool_result.points
            print(f"| {job} | {name} ({arguments.workers} workers) | {seconds:.1f} | {seconds / pool_seconds:.2f} | "
                  f"{'yes' if fingerprint(members) == fingerprint(reference) else 'NO'} |")
    sweep = results[(f"sweep of {len(WEIGHTS)} weights", "pool")][1]
    print("\n| weight | km | alignment kept | in band | connected | on the front |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for point, front in zip(sweep.points, sweep.non_dominated):
        metrics = point.metrics
        print(f"| {point.weight:g} | {metrics.weighted_km:.3f} | {metrics.alignment_kept_share:.1%} | "
              f"{metrics.in_band_share:.0%} | {metrics.connected_share:.0%} | {'yes' if front else ''} |")
    ensemble = results[(f"ensemble of {arguments.members}", "pool")][1]
    spread = ensemble.diversity
    kms = sorted(member.metrics.weighted_km for member in ensemble.members)
    print(f"\nensemble: {len(ensemble.members)} members, {spread.distinct} distinct ({spread.duplicate_share:.0%} "
          f"duplicates); pairwise normalised VI min {spread.vi_min:.3f}, quartiles {spread.vi_quartiles[0]:.3f} / "
          f"{spread.vi_quartiles[1]:.3f} / {spread.vi_quartiles[2]:.3f}, max {spread.vi_max:.3f}; km best "
          f"{kms[0]:.4f}, median {kms[len(kms) // 2]:.4f}, worst {kms[-1]:.4f}; kept {len(ensemble.kept)} "
          f"({', '.join(ensemble.members[i].name for i in ensemble.kept)}); consensus "
          f"{ensemble.members[ensemble.consensus].name}; swing practices {len(ensemble.swing)} of {len(graph)}")
    if arguments.plot:
        from geodata.write.explore import write_pareto_png

        arguments.plot.mkdir(parents=True, exist_ok=True)
        print(f"wrote {write_pareto_png(arguments.plot / 'pareto.png', sweep)}")


if __name__ == "__main__":
    main()
