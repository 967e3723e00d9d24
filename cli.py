"""The ``clusterkit`` command line: parses options, calls the library, prints, maps errors to exit codes.

Exit codes: 0 success; 1 solved but soft constraints unmet; 2 bad input or usage (one line, no
traceback); 3 a valid request that no solution can satisfy, with the reason.
Data goes to stdout; logs and progress to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from clusterkit import __version__
from clusterkit.command_line.budgets import budgets
from clusterkit.command_line.explore import ensemble, sweep
from clusterkit.command_line.options import (CONTEXT, RULE_PARAMETERS, boundary_option, load_inputs, output_options,
                                             practice_inputs, rule_options, rules_of, scheduler_option, search_options)
from clusterkit.command_line.reporting import (command_line, configure_logging, finish, progress_bar, report_grouping,
                                               reports_errors)
from clusterkit.command_line.scoring import compare, evaluate
from clusterkit.errors import InfeasibleError, InputError, Terminated
from clusterkit.summaries import area_text, tiers_text

log = logging.getLogger("clusterkit")

#: The process the command runs in (its SIGTERM handler raises; a forked worker's exits).
_MAIN_PID = os.getpid()


# ---------------------------------------------------------------------------------------------- the app
class _OneLineErrors(click.Group):
    """Click's usage errors (a bad choice, a missing argument) as one line on stderr with exit 2, like ours."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        extra.setdefault("obj", {"argv": list(sys.argv[1:] if args is None else args)})
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            returned = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else "clusterkit"
            click.echo(f"clusterkit: error: {error.format_message()} (see '{command} --help')", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            click.echo("clusterkit: aborted", err=True)
            sys.exit(1)
        sys.exit(returned if isinstance(returned, int) else 0)


@click.group(cls=_OneLineErrors, context_settings=CONTEXT, epilog="Run 'clusterkit COMMAND --help' for a command's options and examples.")
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
    context.obj = {**(context.obj or {}), "verbosity": verbose - quiet}
    configure_logging(verbose - quiet)
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(number: int, frame: Any) -> None:
    """SIGTERM: stop as Ctrl-C does (staged outputs discarded, workers ended), with exit code 143. A worker
    process forked before it resets this handler just ends."""
    if os.getpid() != _MAIN_PID:
        os._exit(143)
    raise Terminated()


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
    from clusterkit.model.describe import describe
    from geodata import read_grouping

    encoding = options["encoding"]
    graph = load_inputs(options)
    grouping = read_grouping(groups, graph, encoding=encoding) if groups else None
    summary = describe(graph, grouping)
    if output_format == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    click.echo(area_text(summary))


@main.command("import-nhs", context_settings=CONTEXT)
@click.option("--mapping", required=True, type=click.Path(path_type=Path), metavar="FILE",
              help="NHS England's gp-reg-pat-prac-map.zip (or the CSV in it): each practice's name, postcode, PCN, "
                   "sub-ICB and ICB.")
@click.option("--lists", required=True, type=click.Path(path_type=Path), metavar="FILE",
              help="NHS England's gp-reg-pat-prac-all.zip (or the CSV in it): registered patients per practice.")
@click.option("--postcodes", required=True, type=click.Path(path_type=Path), metavar="FILE|FOLDER",
              help="A postcode lookup: ONS's NSPL (pcds, lat, long) or parts of it such as one file per postcode "
                   "area (Postcode, lat, long); a CSV, a zip of one, or a folder of them.")
@click.option("--out", "out_file", required=True, metavar="FILE",
              help="The practices file to write (.csv); NAME_unmatched.csv and NAME_summary.json go beside it.")
@click.option("--overwrite", is_flag=True, help="Replace the three files where they exist.")
@reports_errors
def import_nhs(mapping: Path, lists: Path, postcodes: Path, out_file: str, overwrite: bool) -> None:
    """Build a practices file from the files NHS England and ONS publish, read as published.

    Joins the practice mapping (name, postcode, PCN, sub-ICB, ICB) with the list sizes on the practice code
    and with the postcode lookup on the postcode (ignoring spaces and case; a practice whose postcode has no
    coordinates there is located by its postcode in the list-size file). Writes the practices file in the
    columns of gp_practices_england.csv, the practices left out with their reasons (NAME_unmatched.csv) and
    NAME_summary.json (both extract dates, every input's SHA-256, the counts), all three or none. Exits 0 when
    every practice of the mapping is in the file, 1 when some are left out (counted here, listed in
    NAME_unmatched.csv), 2 on a file that is not what its option asks for (one line naming it).

    \b
    Examples:
      clusterkit import-nhs --mapping gp-reg-pat-prac-map.zip --lists gp-reg-pat-prac-all.zip \\
          --postcodes NSPL_MAY_2025_UK.csv --out practices.csv
      clusterkit import-nhs --mapping ../shared/data/nhs/raw/gp-reg-pat-prac-map.zip \\
          --lists ../shared/data/nhs/raw/gp-reg-pat-prac-all.zip --postcodes ../shared/data/nhs/raw/postcodes \\
          --out out/practices.csv
    """
    from clusterkit.runs import run_import_nhs
    from clusterkit.summaries import import_text
    from geodata.write.nhs import check_import_outputs, write_import_outputs

    paths = check_import_outputs(out_file, overwrite, inputs=(mapping, lists, postcodes))
    run = run_import_nhs(mapping, lists, postcodes)
    written = write_import_outputs(run, out_file)
    finish(run, import_text(run, paths[1].name), written, paths[0].parent)


@main.command(context_settings=CONTEXT)
@practice_inputs
@rule_options
@click.option("--centres", type=click.Path(path_type=Path), metavar="FILE",
              help="Hub practices, one group around each: a practice_code column or one code per line.")
@click.option("--objective", type=click.Choice(["distance", "alignment", "blend"]), default="distance",
              show_default=True, help="Patient-weighted km to the group's centre practice; alignment and shared "
                                      "staff kept inside groups; or a blend of the two.")
@click.option("--weight", type=float, default=0.5, show_default=True,
              help="For --objective blend: the share given to alignment (0-1).")
@search_options
@click.option("--restarts", type=int, help="Heuristic starts per area, best kept (default: 4 quick, 8 standard, "
                                           "32 thorough).")
@click.option("--best-effort", is_flag=True,
              help="When the hard rules cannot be met, group with a soft band anyway, write it and exit 1 "
                   "(instead of exit 3 with nothing written).")
@scheduler_option
@boundary_option
@output_options
@reports_errors
def group(centres: Path | None, objective: str, weight: float, method: str, seed: int, effort: str,
          restarts: int | None, workers: int | None, solver: str, time_limit: float, gap: float | None,
          best_effort: bool, scheduler: str | None, boundary: Path | None, out_dir: Path, overwrite: bool,
          formats: Any, no_maps: bool, **options: Any) -> None:
    """Group practices into networks within a population band, under the rules you state.

    Every willing practice ends in exactly one group; unwilling practices (willing=no) are left out
    and listed; a practice above the band stands alone and is flagged. Writes groups.csv,
    groups_table.csv, practices.geojson, groups.geojson (each group's area), links.geojson (with
    --relations), moves.geojson (against the current grouping), a QGIS .qml style beside each,
    clusterkit.gpkg (every layer, styled), map.png, map.html, report.md and summary.json into --out
    (--no-maps: no map.png, map.html). Exits 0 when every rule holds,
    1 when a grouping was written but some rule is unmet (--soft groups outside the band, no grouping
    meeting the hard rules found, --best-effort), 2 on bad input, 3 when the rules provably cannot be
    met (the reason is printed; nothing is written).

    \b
    Examples:
      clusterkit group ../shared/data/nhs/gp_practices_england.csv --sub-icb 00T --out out/00T
      clusterkit group practices.csv --icb QOP --within sub_icb --band 30k:50k --band-for 00V=20k:50k --out out/qop
      clusterkit group practices.csv --sub-icb 00T --method exact --time-limit 120 --out out/exact
      clusterkit group practices.csv --relations relations.csv --objective blend --weight 0.3 --out out/blend
      clusterkit group practices.csv --sub-icb 00T --current pcns.csv --move-penalty 0.5 --soft --out out/stable
      clusterkit group practices.csv --icb QOP --boundary icb_boundaries.gpkg --format geojson,gpkg --out out/qop
    """
    from clusterkit.parallel import scheduler_executor
    from clusterkit.runs import check_settings, run_grouping
    from geodata import OutputSet, read_practice_list
    from geodata.write.outputs import write_outputs

    check_settings(restarts=restarts, workers=workers, time_limit=time_limit, gap=gap, seed=seed)
    sources = [options["practices"], options.get("relations"), options.get("attributes"), options["current"], centres]
    rules = {name: options.pop(name) for name in RULE_PARAMETERS}
    graph = load_inputs({**options, "adjacency_within": rules["within"]})
    hubs = read_practice_list(centres, graph, encoding=options["encoding"]) if centres else ()
    problem = rules_of({**rules, "encoding": options["encoding"]}, graph, objective=objective, weight=weight,
                        centres=hubs)
    labels = dict(problem.current or {})
    output = OutputSet(out_dir, overwrite)  # a bad --out fails before the long computation
    try:
        with output, scheduler_executor(scheduler, workers=workers) as executor, \
                progress_bar("grouping", "step") as progress:
            run = run_grouping(graph, problem, method=method, seed=seed, time_limit=time_limit, solver=solver,
                               gap=gap, restarts=restarts, effort=effort, workers=workers, executor=executor,
                               best_effort=best_effort, current=labels, sources=sources, progress=progress,
                               boundary=boundary, command_line=command_line())
            written = write_outputs(run, output.folder, formats, maps=not no_maps)
    except InfeasibleError as error:
        for reason in error.reasons[1:10]:
            click.echo(f"clusterkit: also: {reason}", err=True)
        raise
    report_grouping(output.given, run, written)


@main.command(context_settings=CONTEXT)
@output_options
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic county.")
@boundary_option
@reports_errors
def demo(out_dir: Path, overwrite: bool, formats: Any, no_maps: bool, seed: int, boundary: Path | None) -> None:
    """Run the main job on an embedded synthetic county, with no other input.

    Makes a synthetic county of about 100 practices in three sub-ICBs (seeded by --seed), writes it
    as inputs (county_practices.csv, county_relations.csv), groups it into networks of 30,000-50,000
    patients with the heuristic as 'clusterkit group' does, and writes the same outputs: groups.csv,
    groups_table.csv, practices.geojson, groups.geojson, links.geojson, moves.geojson (each with its
    QGIS .qml style), clusterkit.gpkg, map.png, map.html, report.md and summary.json.

    \b
    Examples:
      clusterkit demo --out out/
      clusterkit demo --out out/ --seed 7 --overwrite
    """
    from clusterkit.model.describe import describe
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.runs import run_grouping
    from clusterkit.synthetic import synthetic_county, synthetic_relations
    from clusterkit.runs import check_settings
    from geodata import OutputSet, write_practices_csv, write_relations_csv
    from geodata.write.outputs import write_outputs

    check_settings(seed=seed)
    with OutputSet(out_dir, overwrite) as output:
        county = synthetic_county(seed=seed)
        relations = synthetic_relations(county, seed=seed)
        inputs = (write_practices_csv(output.folder / "county_practices.csv", county),
                  write_relations_csv(output.folder / "county_relations.csv", relations))
        graph = load_inputs({"practices": inputs[0], "relations": inputs[1]})
        graph = graph.with_meta(source=str(output.out / inputs[0].name))  # where the file will be
        described = describe(graph)
        click.echo(f"synthetic county (seed {seed})")
        click.echo(area_text(described).removesuffix("\nok"))
        problem = GroupingProblem()
        click.echo(f"\ngrouping: heuristic, band {problem.band}, contiguous, {problem.objective} objective")
        with progress_bar("grouping", "step") as progress:
            run = run_grouping(graph, problem, seed=seed, command="demo", progress=progress,
                               sources=[(str(output.out / path.name), path) for path in inputs],
                               extra={"county": described.to_dict()}, boundary=boundary,
                               command_line=command_line())
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    report_grouping(output.given, run, written, inputs_written=tuple(path.name for path in inputs))


@main.command(context_settings=CONTEXT)
@practice_inputs
@click.option("--tier", "tier_texts", multiple=True, metavar="NAME=LOWER:UPPER",
              help="A tier and its band, smallest first (repeatable; default neighbourhood=10k:25k "
                   "network=30k:50k federation=100k:400k).")
@click.option("--fixed", "fixed_texts", multiple=True, metavar="NAME=FILE|current",
              help="A tier given, not made: a practice_code,group file or 'current' (today's PCNs); the tiers "
                   "below nest inside it, those above keep it whole (repeatable).")
@click.option("--order", type=click.Choice(["bottom-up", "top-down"]), default="bottom-up", show_default=True,
              help="Group the smallest tier first and keep it whole above, or the largest first and nest below.")
@click.option("--within", type=click.Choice(["none", "sub_icb", "icb"]), default="none", show_default=True,
              help="No group of any tier crosses this boundary.")
@click.option("--soft-above", is_flag=True, help="Every tier's band hard below and soft above.")
@search_options
@scheduler_option
@boundary_option
@output_options
@reports_errors
def tiers(tier_texts: tuple[str, ...], fixed_texts: tuple[str, ...], order: str, within: str, soft_above: bool,
          method: str, seed: int,
          effort: str, workers: int | None, solver: str, time_limit: float, gap: float | None,
          scheduler: str | None, boundary: Path | None, out_dir: Path, overwrite: bool, formats: Any, no_maps: bool,
          **options: Any) -> None:
    """Nested tiers: neighbourhoods inside networks inside federations, each in its own band.

    Every group of a tier lies inside one group of the tier above (by construction). Writes tiers.csv
    (practice_code, one column per tier smallest first, and the nested path F001/N003/H007), tiers_table.csv
    (one row per group of every tier with its parent and metrics), practices.geojson (coloured by network),
    groups_<tier>.geojson (each tier's areas: groups_neighbourhood.geojson, ...), links.geojson (with
    --relations), a QGIS .qml style beside each, clusterkit.gpkg, map.png and map.html (a panel and a
    layer per tier), report.md and summary.json.
    Exits 1 when some tier leaves a rule unmet, 3 when a tier's band cannot be met (with the reason).

    \b
    Examples:
      clusterkit tiers ../shared/data/nhs/gp_practices_england.csv --icb QOP --out out/tiers-qop
      clusterkit tiers ../shared/data/nhs/gp_practices_england.csv --icb QOP --fixed network=current \\
          --tier network=30k:50k --tier federation=100k:400k --out out/federations-over-pcns
    """
    from clusterkit.problem.band import Band
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.parallel import scheduler_executor
    from clusterkit.runs import run_tiers
    from clusterkit.tiers import DEFAULT_TIERS, Tier
    from geodata import OutputSet
    from geodata.read.relations import read_networks
    from geodata.write.outputs import write_outputs

    rule = GroupingProblem(within=within, soft_above=soft_above)
    chosen = []
    for text in tier_texts:
        name, separator, band = text.partition("=")
        if not separator or not name.strip():
            raise InputError("is written NAME=LOWER:UPPER, e.g. network=30000:50000", source="--tier", value=text)
        chosen.append(Tier(name.strip().lower(), Band.parse(band, option=f"--tier {name.strip()}"), rule))
    levels = tuple(chosen) or tuple(Tier(tier.name, tier.band, rule) for tier in DEFAULT_TIERS)
    graph = load_inputs({**options, "adjacency_within": within})
    fixed = {}
    for text in fixed_texts:
        name, separator, source = text.partition("=")
        if not separator or not source.strip():
            raise InputError("is written NAME=FILE or NAME=current", source="--fixed", value=text)
        fixed[name.strip().lower()] = read_networks(source.strip(), graph, encoding=options["encoding"],
                                                    option=f"--fixed {name.strip()}")
    sources = [options["practices"], options.get("relations"), options.get("attributes"),
               *(text.partition("=")[2] for text in fixed_texts)]
    with OutputSet(out_dir, overwrite) as output, scheduler_executor(scheduler, workers=workers) as executor, \
            progress_bar("tiers", "tier") as progress:
        run = run_tiers(graph, levels, order=order, fixed=fixed, method=method, seed=seed, time_limit=time_limit,
                        solver=solver, gap=gap, effort=effort, workers=workers, executor=executor, sources=sources,
                        progress=progress, boundary=boundary, command_line=command_line())
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    finish(run, tiers_text(run), written, output.given)


for command in (budgets, evaluate, compare, sweep, ensemble):  # defined by idea in clusterkit/command_line/
    main.add_command(command)


def run() -> None:
    """Entry point that never shows a traceback for a usage error."""
    main(prog_name="clusterkit")


if __name__ == "__main__":
    run()
