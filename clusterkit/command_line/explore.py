"""``clusterkit sweep`` and ``clusterkit ensemble``: many candidate groupings of one area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clusterkit.command_line.options import (CONTEXT, load_inputs, numbers_of, output_options, practice_inputs,
                                             rule_options, rules_of, scheduler_option, search_options)
from clusterkit.command_line.reporting import finish, progress_bar, reports_errors


@click.command(context_settings=CONTEXT)
@practice_inputs
@rule_options
@click.option("--weights", default="0,0.25,0.5,0.75,1", show_default=True, metavar="W[,W...]",
              help="Blend weights to try: the share given to alignment, each 0-1 (0: distance only).")
@click.option("--move-penalties", metavar="M[,M...]",
              help="Also sweep the move penalty (km per patient leaving its current group), crossed with --weights.")
@search_options
@click.option("--restarts", type=int, help="Heuristic starts per area of each point.")
@scheduler_option
@output_options
@reports_errors
def sweep(weights: str, move_penalties: str | None, method: str, seed: int, effort: str, workers: int | None,
          solver: str, time_limit: float, gap: float | None, restarts: int | None, scheduler: str | None,
          out_dir: Path, overwrite: bool, formats: Any, no_maps: bool, **options: Any) -> None:
    """Trade distance against alignment: one grouping per blend weight, and the Pareto front.

    For each weight (and move penalty) a grouping of the practices, measured on patient-weighted km,
    alignment and shared staff kept, practices moved and band compliance; the points no other point beats
    on every criterion are marked. With --method exact each point is proven optimal for its weight
    (--time-limit per point). Writes sweep.csv (the Pareto table), pareto.png, candidates/<point>/groups.csv
    and summary.json. Exits 1 when no point meets every rule.

    \b
    Examples:
      clusterkit sweep out/county_practices.csv --relations out/county_relations.csv --out out/sweep
      clusterkit sweep ../shared/data/nhs/gp_practices_england.csv --icb QOP --within sub_icb \\
          --attributes ../shared/data/nhs/gp_practices_england_extra.csv --alignment-from supplier_name \\
          --weights 0,0.1,0.2,0.3,0.4,0.5,0.6,0.8,1 --out out/sweep-qop
    """
    from clusterkit.explore.runs import run_sweep
    from clusterkit.explore.sweep import check_weights
    from clusterkit.parallel import scheduler_executor
    from clusterkit.runs import check_settings
    from clusterkit.summaries import sweep_text
    from geodata import OutputSet
    from geodata.write.outputs import write_outputs

    grid = check_weights(numbers_of(weights, "--weights"), source="--weights")
    penalties = numbers_of(move_penalties, "--move-penalties") if move_penalties else None
    check_settings(restarts=restarts, workers=workers, time_limit=time_limit, gap=gap, seed=seed)
    sources = [options["practices"], options.get("relations"), options.get("current"), options.get("attributes")]
    graph = load_inputs({**options, "adjacency_within": options["within"]})
    problem = rules_of(options, graph)
    with OutputSet(out_dir, overwrite) as output, scheduler_executor(scheduler, workers=workers) as executor, \
            progress_bar("points", "point") as progress:
        run = run_sweep(graph, problem, grid, penalties, method=method, seed=seed, effort=effort, restarts=restarts,
                        time_limit=time_limit, solver=solver, gap=gap, workers=workers, executor=executor,
                        scheduler=scheduler, sources=sources, progress=progress)
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    finish(run, sweep_text(run), written, output.given)


@click.command(context_settings=CONTEXT)
@practice_inputs
@rule_options
@click.option("--objective", type=click.Choice(["distance", "alignment", "blend"]), default="distance",
              show_default=True, help="What every member minimises (as 'clusterkit group').")
@click.option("--weight", type=float, default=0.5, show_default=True,
              help="For --objective blend: the share given to alignment (0-1).")
@click.option("--members", type=int, default=64, show_default=True, help="Candidate groupings to make.")
@click.option("--keep", type=int, default=8, show_default=True, help="Most candidates to keep (good and different).")
@click.option("--min-vi", type=float, default=0.05, show_default=True,
              help="Kept candidates differ pairwise by at least this normalised variation of information (0-1).")
@click.option("--weight-jitter", type=float, default=0.0, show_default=True,
              help="With --objective blend: draw each member's weight within this distance of --weight.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the members' seeds.")
@click.option("--effort", type=click.Choice(["quick", "standard", "thorough"]), default="standard",
              show_default=True, help="How hard each member's heuristic searches.")
@click.option("--restarts", type=int, help="Heuristic starts per area of each member.")
@click.option("--workers", type=int, help="Processes (default: every core); results do not depend on it.")
@scheduler_option
@output_options
@reports_errors
def ensemble(objective: str, weight: float, members: int, keep: int, min_vi: float, weight_jitter: float, seed: int,
             effort: str, restarts: int | None, workers: int | None, scheduler: str | None, out_dir: Path,
             overwrite: bool, formats: Any, no_maps: bool, **options: Any) -> None:
    """Many good, different groupings: seeded candidates, the diverse few, and where they disagree.

    Makes --members seeded groupings, measures each, keeps up to --keep that are good (non-dominated on km,
    alignment kept and practices moved, best first) and differ pairwise by at least --min-vi, and reports
    the plan diversity, a consensus (the member closest to all others) and each practice's stability
    (swing practices change group in most members). Writes ensemble.csv, candidates/<member>/groups.csv,
    consensus_groups.csv, stability.csv, co_assignment.csv, practices.geojson (stability per practice) and
    groups.geojson (the consensus areas) with their QGIS styles, clusterkit.gpkg, map.png (where the members
    disagree) and summary.json.

    \b
    Examples:
      clusterkit ensemble out/county_practices.csv --members 16 --keep 4 --out out/ensemble
      clusterkit ensemble ../shared/data/nhs/gp_practices_england.csv --icb QOP --within sub_icb \\
          --members 64 --keep 5 --scheduler local --out out/ensemble-qop
    """
    from clusterkit.explore.ensemble import check_ensemble
    from clusterkit.explore.runs import run_ensemble
    from clusterkit.parallel import scheduler_executor
    from clusterkit.runs import check_settings
    from clusterkit.summaries import ensemble_text
    from geodata import OutputSet
    from geodata.write.outputs import write_outputs

    check_ensemble(members, keep, min_vi, weight_jitter)
    check_settings(restarts=restarts, workers=workers, seed=seed)
    sources = [options["practices"], options.get("relations"), options.get("current"), options.get("attributes")]
    graph = load_inputs({**options, "adjacency_within": options["within"]})
    problem = rules_of(options, graph, objective=objective, weight=weight)
    with OutputSet(out_dir, overwrite) as output, scheduler_executor(scheduler, workers=workers) as executor, \
            progress_bar("members", "member") as progress:
        run = run_ensemble(graph, problem, members, keep=keep, min_vi=min_vi, weight_jitter=weight_jitter, seed=seed,
                           effort=effort, restarts=restarts, workers=workers, executor=executor, scheduler=scheduler,
                           sources=sources, progress=progress)
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    finish(run, ensemble_text(run), written, output.given)
