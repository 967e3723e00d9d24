"""The options the commands share (practices read, outputs written, search, rules, scheduler) and what they
are read into: the study area (:func:`load_inputs`) and the grouping problem (:func:`rules_of`).

Imports click and clusterkit's errors only (``clusterkit --help`` stays fast); the rest is imported where used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clusterkit.errors import InputError

__all__ = ["CONTEXT", "RULE_PARAMETERS", "boundary_option", "combine_options", "load_inputs", "numbers_of", "out_folder",
           "output_options", "parse_band_for", "practice_inputs", "rule_options", "rules_of", "scheduler_option",
           "search_options"]

#: Click settings of the app and every command.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def out_folder(value: str) -> Path:
    """``--out``: a folder name, never empty (an empty one would mean the current folder)."""
    if not value.strip():
        raise click.BadParameter("is empty; name the folder for the outputs")
    return Path(value)


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
        click.option("--attributes", type=click.Path(path_type=Path), metavar="FILE",
                     help="A table joined on practice_code whose columns become practice attributes, e.g. "
                          "../shared/data/nhs/gp_practices_england_extra.csv."),
        click.option("--alignment-from", metavar="COL[,COL...]",
                     help="Build the alignment of adjacent practices from these attributes: numeric by similarity, "
                          "categorical (an IT supplier) by equality; e.g. supplier_name,imd2019_score_fingertips."),
    ]
    return combine_options(*options)(command)


def combine_options(*options: Callable[..., Any]) -> Callable[..., Any]:
    """One decorator applying several Click options, in the order given (as they show in --help)."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


#: The outputs of every command that writes them.
output_options = combine_options(
    click.option("--out", "out_dir", required=True, callback=lambda _, __, value: out_folder(value),
                 help="Folder for the outputs (written whole: nothing changes there unless the run succeeds)."),
    click.option("--overwrite", is_flag=True, help="Replace files in a non-empty --out folder."),
    click.option("--format", "formats", metavar="FORMAT[,FORMAT...]",
                 help="Which outputs to write: csv, geojson (each layer with its QGIS .qml style), gpkg "
                      "(clusterkit.gpkg), json, md, png, html; default all of them. summary.json is always written."),
    click.option("--no-maps", is_flag=True, help="Skip map.png and map.html (faster; report.md is still written)."),
)


#: Where group areas stop (group, tiers, evaluate, demo).
boundary_option = click.option(
    "--boundary", type=click.Path(path_type=Path), metavar="FILE",
    help="Clip the group areas (groups.geojson) to the polygons of this layer, e.g. ICB boundaries (GeoJSON, "
         "GeoPackage, shapefile); default: the practices' hull and 2 km around it.")


#: How every grouping command searches (group, tiers).
search_options = combine_options(
    click.option("--method", type=click.Choice(["heuristic", "exact"]), default="heuristic", show_default=True,
                 help="heuristic: fast, seeded, proves nothing; exact: MIP with a bound and gap (small areas)."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the heuristic's random choices."),
    click.option("--effort", type=click.Choice(["quick", "standard", "thorough"]), default="standard",
                 show_default=True, help="How hard the heuristic searches: quick = region growing and moves only; "
                                         "standard adds oscillation and ruin and recreate; thorough, more of both."),
    click.option("--workers", type=int, help="Processes (default: every core); results do not depend on it."),
    click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True,
                 help="MIP solver of --method exact."),
    click.option("--time-limit", type=float, default=60.0, show_default=True,
                 help="Seconds for --method exact (the whole method; tiers share it)."),
    click.option("--gap", type=float, help="Relative gap at which --method exact may stop (e.g. 0.01)."),
)


#: The rules of a grouping, shared by the commands that make many (sweep, ensemble).
rule_options = combine_options(
    click.option("--band", default="30000:50000", show_default=True, metavar="LOWER:UPPER",
                 help="Patients per group (30k:50k also works)."),
    click.option("--soft", is_flag=True, help="Allow groups outside the band, at --penalty per patient outside."),
    click.option("--soft-above", is_flag=True,
                 help="Hard below, soft above: no group under the lower bound, groups over the upper one at --penalty "
                      "per patient over (30-50k as it is read in practice)."),
    click.option("--penalty", type=float, default=10.0, show_default=True,
                 help="Soft band: cost per patient outside the band, in km of the distance objective."),
    click.option("--band-for", "band_for", multiple=True, metavar="AREA=LOWER:UPPER",
                 help="Another band for groups in one sub-ICB or ICB, e.g. 11N=20000:50000 (repeatable)."),
    click.option("--contiguity/--no-contiguity", default=True, show_default=True,
                 help="Groups must be connected on the adjacency of practices."),
    click.option("--within", type=click.Choice(["none", "sub_icb", "icb"]), default="none", show_default=True,
                 help="Groups may not cross this boundary (none: any practices of the selection may group)."),
    click.option("--cross-penalty", type=float, default=0.0, show_default=True,
                 help="With --within none: km per patient grouped outside its group's main sub-ICB."),
    click.option("--max-diameter-km", type=float, help="Largest distance between two practices of a group."),
    click.option("--count", type=int, help="Exact number of groups (in each area with --within)."),
    click.option("--current", type=click.Path(path_type=Path), metavar="FILE",
                 help="Current grouping practice_code,group (default: the practices' pcn_code column), for "
                      "--move-penalty and the moved practices."),
    click.option("--move-penalty", type=float, default=0.0, show_default=True,
                 help="km per patient of a practice leaving its current group (stability)."),
)


#: The parameter names of :data:`rule_options`, as Click passes them.
RULE_PARAMETERS = ("band", "soft", "soft_above", "penalty", "band_for", "contiguity", "within", "cross_penalty",
          "max_diameter_km", "count", "current", "move_penalty")


#: Where many independent tasks run (sweep, ensemble, and the areas of group).
scheduler_option = click.option(
    "--scheduler", envvar="CLUSTERKIT_SCHEDULER", metavar="ADDRESS|local",
    help="Run the tasks on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' to start one on this "
         "machine with --workers processes (default: a local process pool; env CLUSTERKIT_SCHEDULER). Needs the "
         "dask extra.")


def rules_of(options: dict[str, Any], graph: Any, **overrides: Any) -> Any:
    """The :class:`GroupingProblem` of :data:`rule_options` (popped from ``options``), with the current grouping."""
    from clusterkit.problem.band import Band
    from clusterkit.problem.grouping import GroupingProblem
    from geodata import read_grouping

    current = options.pop("current", None)
    labels = (read_grouping(current, graph, encoding=options.get("encoding", "utf-8")) if current
              else {p.code: p.group for p in graph.practices if p.group})
    return GroupingProblem(
        band=Band.parse(options.pop("band")), soft=options.pop("soft"), soft_above=options.pop("soft_above"),
        penalty=options.pop("penalty"), band_for=parse_band_for(options.pop("band_for")),
        contiguity=options.pop("contiguity"), within=options.pop("within"), cross_penalty=options.pop("cross_penalty"),
        max_diameter_km=options.pop("max_diameter_km"), count=options.pop("count"),
        move_penalty=options.pop("move_penalty"), current=labels or None, **overrides)


def numbers_of(text: str, option: str) -> tuple[float, ...]:
    """``"0,0.25,0.5"`` -> ``(0.0, 0.25, 0.5)``; one line naming the option for anything else."""
    values = []
    for item in text.split(","):
        try:
            values.append(float(item))
        except ValueError:
            raise InputError("is a comma-separated list of numbers, e.g. 0,0.25,0.5,0.75,1", source=option,
                             value=item.strip() or text) from None
    return tuple(values)


def load_inputs(options: dict[str, Any]) -> Any:
    """Read the practices, relations and area selection named by :func:`practice_inputs` options."""
    from geodata import load_study_area

    columns = {field: options.pop(f"{field}_col", None) for field in
               ("code", "list_size", "lat", "lon", "sub_icb", "icb", "group")}
    adjacency_options = {"max_edge_km": options.pop("max_edge_km", None)}
    within = options.pop("adjacency_within", None)  # build inside each area a grouping may not leave
    if within not in (None, "none"):
        adjacency_options["within"] = within
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
        attributes=options.pop("attributes", None),
        alignment_from=tuple(name.strip() for name in (options.pop("alignment_from", None) or "").split(",")
                             if name.strip()),
    )


def parse_band_for(texts: tuple[str, ...]) -> dict[str, Any]:
    """``("11N=20000:50000", ...)`` -> ``{"11N": Band(20000, 50000)}``."""
    from clusterkit.problem.band import Band

    bands: dict[str, Any] = {}
    for text in texts:
        area, separator, band_text = text.partition("=")
        area = area.strip().upper()
        if not separator or not area or not band_text.strip():
            raise InputError("is written AREA=LOWER:UPPER, e.g. 11N=20000:50000", source="--band-for", value=text)
        if area in bands:
            raise InputError(f"gives area {area} a band twice", source="--band-for", value=text)
        bands[area] = Band.parse(band_text, option=f"--band-for {area}")
    return bands
