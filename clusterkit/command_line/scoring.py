"""``clusterkit evaluate`` and ``clusterkit compare``: score one grouping, or two against each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clusterkit.command_line.options import (CONTEXT, boundary_option, load_inputs, output_options, parse_band_for,
                                             practice_inputs)
from clusterkit.command_line.reporting import command_line, finish, report_grouping, reports_errors
from clusterkit.errors import InputError
from clusterkit.summaries import comparison_text


@click.command(context_settings=CONTEXT)
@practice_inputs
@click.argument("groups", metavar="GROUPS|current")
@click.option("--band", default="30000:50000", show_default=True, metavar="LOWER:UPPER",
              help="The band groups are measured against.")
@click.option("--band-for", "band_for", multiple=True, metavar="AREA=LOWER:UPPER",
              help="Another band for groups in one sub-ICB or ICB (repeatable).")
@click.option("--current", type=click.Path(path_type=Path), metavar="FILE",
              help="A reference grouping practice_code,group for the moved counts (default: the pcn_code column).")
@boundary_option
@output_options
@reports_errors
def evaluate(groups: str, band: str, band_for: tuple[str, ...], current: Path | None, boundary: Path | None,
             out_dir: Path, overwrite: bool, formats: Any, no_maps: bool, **options: Any) -> None:
    """Score any grouping: today's PCNs ('current'), a file practice_code,group, or one of ours.

    Measures band compliance, patient-weighted km to each group's centre, the widest group, contiguity,
    alignment and shared staff kept inside groups, boundary crossings and the practices moved against a
    reference, per group and in total. Writes groups_table.csv, practices.geojson, groups.geojson,
    links.geojson, moves.geojson (with their .qml styles), clusterkit.gpkg, map.png, map.html,
    report.md and summary.json with the
    columns and keys 'clusterkit group' writes. Exits 0 when every group meets the band and is connected,
    1 when some do not (listed), 2 on bad input.

    \b
    Examples:
      clusterkit evaluate ../shared/data/nhs/gp_practices_england.csv current --icb QOP --out out/pcns-qop
      clusterkit evaluate out/county_practices.csv out/groups.csv --relations out/county_relations.csv --out out/ev
    """
    from clusterkit.problem.band import Band
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.runs import run_evaluate
    from geodata import OutputSet, read_grouping
    from geodata.read.relations import read_networks
    from geodata.write.outputs import write_outputs

    problem = GroupingProblem(band=Band.parse(band), band_for=parse_band_for(band_for))
    encoding = options["encoding"]
    sources = [options["practices"], options.get("relations"), options.get("attributes"), groups, current]
    graph = load_inputs(options)
    labels = read_networks(groups, graph, encoding=encoding, option="GROUPS", complete=True)
    reference = read_grouping(current, graph, encoding=encoding) if current else None
    with OutputSet(out_dir, overwrite) as output:
        run = run_evaluate(graph, labels, problem, current=reference, sources=sources, boundary=boundary,
                           command_line=command_line())
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    report_grouping(output.given, run, written)


@click.command(context_settings=CONTEXT)
@practice_inputs
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("--names", default="A,B", show_default=True, metavar="NAME,NAME",
              help="What to call the two groupings in the tables, e.g. geographic,aligned.")
@click.option("--band", default="30000:50000", show_default=True, metavar="LOWER:UPPER",
              help="The band both sides are measured against.")
@output_options
@reports_errors
def compare(first: str, second: str, names: str, band: str, out_dir: Path, overwrite: bool, formats: Any, no_maps: bool,
            **options: Any) -> None:
    """Compare two groupings of the same practices (B read as the newer): A and B are practice_code,group
    files or 'current' (today's PCNs).

    Reports each side's metrics side by side, the adjusted Rand index, normalised mutual information and
    variation of information, which groups were kept, split or merged, and the practices that changed group.
    Writes comparison.md (a table to paste into a board paper), comparison.json, moves.csv, moves.geojson
    (with its QGIS .qml style), clusterkit.gpkg, map.png and map.html (the practices that moved, old and
    new outlines), report.md and summary.json.

    \b
    Examples:
      clusterkit compare ../shared/data/nhs/gp_practices_england.csv current out/QOP/groups.csv --icb QOP \\
          --names today,proposed --out out/compare-qop
    """
    from clusterkit.problem.band import Band
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.runs import run_compare
    from geodata import OutputSet
    from geodata.read.relations import read_networks
    from geodata.write.outputs import write_outputs

    labels = tuple(name.strip() for name in names.split(","))
    if len(labels) != 2 or not all(labels) or labels[0] == labels[1]:
        raise InputError("is two different names separated by a comma, e.g. geographic,aligned", source="--names",
                         value=names)
    encoding = options["encoding"]
    sources = [options["practices"], options.get("relations"), first, second]
    graph = load_inputs(options)
    sides = [read_networks(side, graph, encoding=encoding, option=metavar) for side, metavar in ((first, "A"), (second, "B"))]
    with OutputSet(out_dir, overwrite) as output:
        run = run_compare(graph, sides[0], sides[1], GroupingProblem(band=Band.parse(band)), names=labels,
                          sources=sources, command_line=command_line())
        written = write_outputs(run, output.folder, formats, maps=not no_maps)
    finish(run, comparison_text(run.result), written, output.given)
