"""``clusterkit budgets``: the specialty budgets of a set of networks (holders, consortia, exposure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clusterkit.command_line.options import CONTEXT, load_inputs, output_options, practice_inputs, scheduler_option
from clusterkit.command_line.reporting import command_line, progress_bar, reports_errors
from clusterkit.errors import InfeasibleError
from clusterkit.summaries import budgets_text


@click.command(context_settings=CONTEXT)
@practice_inputs
@click.option("--groups", required=True, metavar="FILE|current",
              help="Networks: a practice_code,group file, or 'current' (alias 'pcn') for the practices' current "
                   "group column (pcn_code).")
@click.option("--specialties", required=True, type=click.Path(path_type=Path), metavar="FILE",
              help="specialty,rate_per_1000 (£ per 1,000 patients a year) or specialty,budget (£ per network); "
                   "an optional network column overrides one network.")
@click.option("--risk-cap", type=float, default=1.0, show_default=True,
              help="A holder's budget is at most this multiple of its turnover.")
@click.option("--max-per-practice", type=int, default=1, show_default=True,
              help="Holdings a practice may take part in (a consortium uses one of each member's).")
@click.option("--min-list-size", type=int, default=3000, show_default=True,
              help="Practices with fewer patients never hold alone (they may join a consortium).")
@click.option("--max-consortium-size", type=int, default=3, show_default=True,
              help="Largest automatic consortium of adjacent practices (1: none).")
@click.option("--schedule", default="0.1,0.5,1.0", show_default=True,
              help="The holder's share of savings and overspend in years 1, 2, ... (each 0-1).")
@click.option("--variance", type=float, default=0.1, show_default=True,
              help="Spend variance as a share of the budget (0.1 = ±10%).")
@click.option("--loss-threshold", type=float, default=0.05, show_default=True,
              help="Flag holders whose worst yearly loss exceeds this share of their turnover.")
@click.option("--preferences", type=click.Path(path_type=Path), metavar="FILE",
              help="practice_code,specialty,score: preferences or capabilities (higher preferred).")
@click.option("--consortia", type=click.Path(path_type=Path), metavar="FILE",
              help="consortium,practice_code: named consortia, one row per member.")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True)
@click.option("--time-limit", type=float, default=60.0, show_default=True,
              help="Seconds per solver stage of each network.")
@click.option("--gap", type=float, default=0.0, show_default=True,
              help="Relative gap at which a solver stage may stop (0: proven exact).")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes solving networks in parallel.")
@scheduler_option
@output_options
@reports_errors
def budgets(groups: str, specialties: Path, risk_cap: float, max_per_practice: int, min_list_size: int,
            max_consortium_size: int, schedule: str, variance: float, loss_threshold: float,
            preferences: Path | None, consortia: Path | None, solver: str, time_limit: float, gap: float | None,
            workers: int, scheduler: str | None, out_dir: Path, overwrite: bool, formats: Any, no_maps: bool,
            **options: Any) -> None:
    """Give each specialty budget of each network one holder, with bounded risk.

    In every network each specialty goes to one practice, or to a consortium of adjacent practices when
    no single practice can hold it within --risk-cap x turnover. Minimises the largest budget/turnover
    ratio, then maximises preferences, then spreads holdings over as many practices as possible.
    Writes assignments.csv, exposure.csv (gain/loss by year under --schedule and --variance),
    holders.geojson (with its QGIS .qml style), clusterkit.gpkg, map.png and map.html (holders by
    specialty), report.md and summary.json. Exits 3 when some network cannot be served (outputs are
    still written for the others; the reasons are printed and in summary.json).

    \b
    Examples:
      clusterkit budgets examples/seeds_practices.csv --groups examples/seeds_groups.csv \\
          --specialties examples/seeds_specialties.csv --out out/seeds
      clusterkit budgets ../shared/data/nhs/gp_practices_england.csv --groups current \\
          --specialties examples/england_specialties.csv --max-per-practice 2 --out out/england
    """
    from clusterkit.budgets.problem import BudgetProblem, parse_schedule
    from clusterkit.parallel import scheduler_executor
    from clusterkit.runs import run_budgets
    from geodata import OutputSet
    from geodata.read.budgets import read_consortia, read_preferences, read_specialties
    from geodata.read.relations import read_networks
    from geodata.write.outputs import write_outputs

    shares = parse_schedule(schedule)
    encoding = options["encoding"]
    sources = [options["practices"], groups, specialties, preferences, consortia]
    graph = load_inputs(options)
    labels = read_networks(groups, graph, encoding=encoding)
    rules = read_specialties(specialties, networks=set(labels.values()), encoding=encoding)
    problem = BudgetProblem(
        rules, risk_cap=risk_cap, max_per_practice=max_per_practice, min_list_size=min_list_size,
        max_consortium_size=max_consortium_size,
        preferences=read_preferences(preferences, graph, rules, encoding) if preferences else (),
        consortia=read_consortia(consortia, graph, labels, encoding) if consortia else (),
        schedule=shares, variance=variance, loss_threshold=loss_threshold,
    )
    with OutputSet(out_dir, overwrite) as output, scheduler_executor(scheduler, workers=workers) as executor, \
            progress_bar("networks", "network") as progress:
        run = run_budgets(graph, labels, problem, solver=solver, time_limit=time_limit, gap=gap, workers=workers,
                          executor=executor, sources=sources, progress=progress, command_line=command_line())
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    folder = output.given
    assignment = run.result
    click.echo(budgets_text(run))
    click.echo(f"wrote {', '.join(path.name for path in written)} to {folder}")
    if run.exit_status == InfeasibleError.exit_code and len(assignment.networks) == 1:
        raise InfeasibleError(run.reasons[0])
    for reason in run.reasons[:10]:
        click.echo(f"clusterkit: {reason}", err=True)
    if run.exit_status == InfeasibleError.exit_code:
        shown = "the first 10 reasons" if len(run.reasons) > 10 else "reasons"
        raise InfeasibleError(f"{run.unmet}; {shown} above, all in summary.json", list(run.reasons))
    if run.exit_status:
        click.echo(f"clusterkit: error: {run.unmet}", err=True)
        click.get_current_context().exit(run.exit_status)
