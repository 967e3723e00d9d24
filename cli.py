"""The ``clusterkit`` command line: parses options, calls the library, prints, maps errors to exit codes.

Exit codes: 0 success; 1 solved but soft constraints unmet; 2 bad input or usage (one line, no
traceback); 3 a valid request that no solution can satisfy, with the reason.
Data goes to stdout; logs and progress to stderr.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clusterkit import __version__
from clusterkit.errors import ClusterkitError, InputError

log = logging.getLogger("clusterkit")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ---------------------------------------------------------------------------------------------- plumbing
def _configure_logging(verbosity: int) -> None:
    level = {-2: logging.CRITICAL, -1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-2, min(verbosity, 2)), logging.DEBUG
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("clusterkit: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn clusterkit's errors into one line on stderr and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        verbosity = (context.find_root().obj or {}).get("verbosity", 0)
        try:
            return command(*args, **kwargs)
        except ClusterkitError as error:
            if verbosity >= 2:
                raise
            click.echo(f"clusterkit: error: {error}", err=True)
            context.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("clusterkit: interrupted; no output was left half-written", err=True)
            context.exit(130)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as error:  # a bug: say so in one line, keep the traceback for -vv
            if verbosity >= 2:
                raise
            click.echo(f"clusterkit: internal error: {type(error).__name__}: {error} (run with -vv for details)", err=True)
            context.exit(1)

    return wrapper


def practice_inputs(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that reads practices shares."""
    options = [
        click.argument("practices", type=click.Path(path_type=Path, dir_okay=True)),
        click.option("--icb", "icb", multiple=True, metavar="CODE", help="Keep practices of this ICB (repeatable)."),
        click.option("--sub-icb", "sub_icb", multiple=True, metavar="CODE",
                     help="Keep practices of this sub-ICB / former CCG (repeatable)."),
        click.option("--relations", type=click.Path(path_type=Path), metavar="FILE",
                     help="Relations table a,b,kind,value (alignment, shared_staff:<resource>, must_link, cannot_link)."),
        click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of CSV inputs."),
        click.option("--code-col", metavar="NAME", help="Column of practice codes (default practice_code/code)."),
        click.option("--list-size-col", metavar="NAME", help="Column of list sizes (default list_size)."),
        click.option("--lat-col", metavar="NAME", help="Column of latitudes (default lat/latitude)."),
        click.option("--lon-col", metavar="NAME", help="Column of longitudes (default lon/longitude)."),
        click.option("--sub-icb-col", metavar="NAME", help="Column of sub-ICB codes (default sub_icb_code)."),
        click.option("--icb-col", metavar="NAME", help="Column of ICB codes (default icb_code)."),
        click.option("--group-col", metavar="NAME", help="Column of current groups (default pcn_code)."),
        click.option("--funding-per-patient", type=float, default=120.0, show_default=True,
                     help="£ a year per patient, for turnover where no turnover column is given."),
        click.option("--adjacency", type=click.Choice(["delaunay", "knn", "distance"]), default="delaunay",
                     show_default=True, help="How neighbouring practices are found."),
        click.option("--max-edge-km", type=float, help="Drop adjacency edges longer than this."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def load_inputs(options: dict[str, Any]) -> Any:
    """Read the practices, relations and area selection named by :func:`practice_inputs` options."""
    from geodata import load_study_area

    columns = {field: options.pop(f"{field}_col", None) for field in
               ("code", "list_size", "lat", "lon", "sub_icb", "icb", "group")}
    adjacency_options = {"max_edge_km": options.pop("max_edge_km", None)}
    return load_study_area(
        options.pop("practices"),
        relations=options.pop("relations", None),
        icb=options.pop("icb", ()),
        sub_icb=options.pop("sub_icb", ()),
        columns=columns,
        encoding=options.pop("encoding", "utf-8"),
        funding_per_patient=options.pop("funding_per_patient", 120.0),
        adjacency=options.pop("adjacency", "delaunay"),
        adjacency_options=adjacency_options,
    )


# ---------------------------------------------------------------------------------------------- the app
@click.group(context_settings=CONTEXT, epilog="Run 'clusterkit COMMAND --help' for a command's options and examples.")
@click.version_option(__version__, "-V", "--version", prog_name="clusterkit")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug and tracebacks).")
@click.option("-q", "--quiet", count=True, help="Less output on stderr (-qq: errors only).")
@click.pass_context
def main(context: click.Context, verbose: int, quiet: int) -> None:
    """clusterkit: design how GP practices collaborate.

    Groups practices into networks of 30-50k patients under the rules a planner states, assigns
    specialty budgets, and writes GeoJSON that opens in QGIS.

    \b
    Examples:
      clusterkit demo --out out/
      clusterkit validate ../shared/data/nhs/gp_practices_england.csv --icb QOP
    """
    context.obj = {"verbosity": verbose - quiet}
    _configure_logging(verbose - quiet)


@main.command(context_settings=CONTEXT)
@practice_inputs
@click.option("--groups", type=click.Path(path_type=Path), metavar="FILE",
              help="An existing grouping practice_code,group to check against the practices.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Summary as readable text or JSON.")
@reports_errors
def validate(groups: Path | None, output_format: str, **options: Any) -> None:
    """Check input files and print a summary of the selected practices.

    Prints practices, population, areas, list-size quantiles, relation counts and isolated
    practices, and exits 0; or prints the first problem (file, row, column, value) and exits 2.

    \b
    Examples:
      clusterkit validate ../shared/data/nhs/gp_practices_england.csv
      clusterkit validate practices.csv --icb QOP --sub-icb 00T
      clusterkit validate practices.csv --relations relations.csv --groups groups.csv --format json
    """
    from clusterkit.describe import describe
    from geodata import read_grouping

    encoding = options["encoding"]
    graph = load_inputs(options)
    grouping = read_grouping(groups, graph, encoding=encoding) if groups else None
    summary = describe(graph, grouping)
    if output_format == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    click.echo(_summary_text(summary))


def _codes(codes: tuple[str, ...], limit: int = 10) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f", ... ({len(codes)} in all)" if len(codes) > limit else "")


def _summary_text(summary: Any) -> str:
    q = summary.list_size_quantiles
    lines = [
        f"source:      {summary.source}",
        f"practices:   {summary.practices:,}",
        f"population:  {summary.population:,}",
        f"areas:       {summary.icbs} ICB(s), {summary.sub_icbs} sub-ICB(s), {summary.current_groups:,} current group(s)",
        "list size:   " + ", ".join(f"{label} {q[key]:,}" for label, key in
                                    (("min", 0.0), ("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75),
                                     ("p90", 0.9), ("max", 1.0)) if key in q),
        "relations:   " + ", ".join(f"{name} {count:,}" for name, count in summary.relations.items()),
        f"no current group: {len(summary.without_current_group)}"
        + (f" ({_codes(summary.without_current_group)})" if summary.without_current_group else ""),
        f"unwilling:   {len(summary.unwilling)}" + (f" ({_codes(summary.unwilling)})" if summary.unwilling else ""),
        f"isolated:    {len(summary.isolated)}" + (f" ({_codes(summary.isolated)})" if summary.isolated else "")
        + (f"; {summary.bridges} bridging edge(s) added" if summary.bridges else ""),
    ]
    if summary.grouping:
        g = summary.grouping
        lines.append(f"grouping:    {g['practices']:,} practices in {g['groups']:,} groups; {g['not_covered']:,} not covered")
    lines.append("ok")
    return "\n".join(lines)


@main.command(context_settings=CONTEXT)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder for the outputs.")
@click.option("--overwrite", is_flag=True, help="Replace files in a non-empty --out folder.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic county.")
@reports_errors
def demo(out_dir: Path, overwrite: bool, seed: int) -> None:
    """Run the main job on an embedded synthetic county, with no other input.

    Writes the county's inputs (county_practices.csv, county_relations.csv) and the outputs
    (practices.geojson, groups.csv, summary.json) into --out.

    \b
    Examples:
      clusterkit demo --out out/
      clusterkit demo --out out/ --seed 7 --overwrite
    """
    from clusterkit.describe import describe
    from clusterkit.synthetic import synthetic_county, synthetic_relations
    from geodata import (prepare_out_dir, write_groups_csv, write_json, write_practices_csv,
                         write_practices_geojson, write_relations_csv)

    folder = prepare_out_dir(out_dir, overwrite)
    county = synthetic_county(seed=seed)
    relations = synthetic_relations(county, seed=seed)
    write_practices_csv(folder / "county_practices.csv", county)
    write_relations_csv(folder / "county_relations.csv", relations)
    graph = load_inputs({"practices": folder / "county_practices.csv", "relations": folder / "county_relations.csv"})
    current = {p.code: p.group for p in graph.practices if p.group}
    write_groups_csv(folder / "groups.csv", current)
    write_practices_geojson(folder / "practices.geojson", graph, {"group": current})
    summary = describe(graph)
    write_json(folder / "summary.json", {"clusterkit_version": __version__, "command": "demo", "seed": seed,
                                         "inputs": summary.to_dict()})
    click.echo(_summary_text(summary))
    click.echo(f"wrote {', '.join(sorted(p.name for p in folder.iterdir()))} to {folder}")


@main.command(context_settings=CONTEXT)
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
@click.option("--gap", type=float, help="Relative gap at which a solver stage may stop.")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes solving networks in parallel.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder for the outputs.")
@click.option("--overwrite", is_flag=True, help="Replace files in a non-empty --out folder.")
@reports_errors
def budgets(groups: str, specialties: Path, risk_cap: float, max_per_practice: int, min_list_size: int,
            max_consortium_size: int, schedule: str, variance: float, loss_threshold: float,
            preferences: Path | None, consortia: Path | None, solver: str, time_limit: float, gap: float | None,
            workers: int, out_dir: Path, overwrite: bool, **options: Any) -> None:
    """Give each specialty budget of each network one holder, with bounded risk.

    In every network each specialty goes to one practice, or to a consortium of adjacent practices when
    no single practice can hold it within --risk-cap x turnover. Minimises the largest budget/turnover
    ratio, then maximises preferences, then spreads holdings over as many practices as possible.
    Writes assignments.csv, exposure.csv (gain/loss by year under --schedule and --variance),
    holders.geojson and summary.json. Exits 3 when some network cannot be served (outputs are still
    written for the others; the reasons are printed and in summary.json).

    \b
    Examples:
      clusterkit budgets examples/seeds_practices.csv --groups examples/seeds_groups.csv \\
          --specialties examples/seeds_specialties.csv --out out/seeds
      clusterkit budgets ../shared/data/nhs/gp_practices_england.csv --groups current \\
          --specialties examples/england_specialties.csv --max-per-practice 2 --out out/england
    """
    from clusterkit.budget_results import budget_summary, exposure_table
    from clusterkit.budgets import BudgetProblem, parse_schedule
    from clusterkit.errors import InfeasibleError
    from geodata import prepare_out_dir
    from geodata.budgets import (inputs_digest, read_consortia, read_networks, read_preferences, read_specialties,
                                 write_budget_outputs)
    from solvers.budgets import assign_budgets

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
    folder = prepare_out_dir(out_dir, overwrite)
    networks = len(set(labels.values()))
    with click.progressbar(length=networks, label="networks", file=sys.stderr,
                           hidden=networks < 50 or not sys.stderr.isatty()) as bar:
        assignment = assign_budgets(graph, labels, problem, solver=solver, time_limit=time_limit, gap=gap,
                                    workers=workers, progress=bar.update)
    exposures = exposure_table(graph, assignment.holdings, shares, variance, loss_threshold)
    summary = {"clusterkit_version": __version__, "command": "budgets", "inputs_sha256": inputs_digest(sources),
               **budget_summary(assignment, exposures, schedule=shares, variance=variance,
                                loss_threshold=loss_threshold)}
    write_budget_outputs(folder, graph, assignment, exposures, summary, schedule=shares, variance=variance,
                         loss_threshold=loss_threshold)
    counts = ", ".join(f"{count} {status.lower()}" for status, count in assignment.status_counts.items() if count)
    largest = f"{assignment.objective:.3f}" if assignment.objective is not None else "none"
    click.echo(f"networks:      {len(assignment.networks):,} ({counts})")
    click.echo(f"holdings:      {len(assignment.holdings):,}; largest budget/turnover ratio {largest}; "
               f"{len(summary['exposure']['flagged_holders']):,} holder(s) flagged (worst loss > "
               f"{loss_threshold:g} of turnover)")
    if assignment.ungrouped:
        click.echo(f"not in a network: {len(assignment.ungrouped)} ({_codes(assignment.ungrouped)})")
    for note in summary["notes"][:10]:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote assignments.csv, exposure.csv, holders.geojson, summary.json to {folder}")
    if assignment.unsolved and not assignment.infeasible:
        for result in assignment.unsolved[:10]:
            click.echo(f"clusterkit: {result.reasons[0]}", err=True)
        click.echo(f"clusterkit: error: {len(assignment.unsolved)} network(s) unsolved within the time limit", err=True)
        click.get_current_context().exit(1)
    if len(assignment.infeasible) == 1 and len(assignment.networks) == 1:
        raise InfeasibleError(assignment.infeasible[0].reasons[0])
    if assignment.infeasible:
        failed = assignment.infeasible + assignment.unsolved
        for result in failed[:10]:
            click.echo(f"clusterkit: {result.reasons[0]}", err=True)
        shown = "the first 10 reasons" if len(failed) > 10 else "reasons"
        raise InfeasibleError(f"{len(assignment.infeasible)} of {len(assignment.networks)} networks cannot be served; "
                              f"{shown} above, all in summary.json",
                              [reason for result in assignment.infeasible for reason in result.reasons])


def run() -> None:
    """Entry point that never shows a traceback for a usage error."""
    main(prog_name="clusterkit")


if __name__ == "__main__":
    run()
