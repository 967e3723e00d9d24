"""The output registry: which files each command's run writes, and one call that writes them.

``write_outputs(run, folder)`` writes every file registered for ``run.command`` (or those of the ``formats``
asked for; ``summary.json``, the record of the run, always). A new output file is one more :class:`OutputFile`
of :data:`OUTPUTS`; a new command one more key. A writer returns the path it wrote, several paths (a GeoJSON
layer and its ``.qml`` style; one layer per tier) or None when the run has nothing for it (no relations: no
``links.geojson``). The map layers and their styles are computed once per run
(:func:`geodata.write.run_layers.layers_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterkit.errors import InputError

if TYPE_CHECKING:
    from geodata.write.run_layers import MapLayer


def _on_call(module: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of ``geodata.write.<module>``, imported when first called: a run that writes no map
    never imports matplotlib or folium, one that writes no report no scikit-learn, and a grouping never the
    budget or ensemble writers."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(f"geodata.write.{module}"), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


write_assignments_csv, write_exposure_csv = (_on_call("budgets", name) for name in (
    "write_assignments_csv", "write_exposure_csv"))
write_comparison_json, write_comparison_markdown, write_moves_csv = (_on_call("comparison", name) for name in (
    "write_comparison_json", "write_comparison_markdown", "write_moves_csv"))
(kept_candidates, write_candidates, write_co_assignment, write_consensus, write_ensemble_csv, write_pareto_png,
 write_stability_csv, write_sweep_csv) = (_on_call("explore", name) for name in (
    "kept_candidates", "write_candidates", "write_co_assignment", "write_consensus", "write_ensemble_csv",
    "write_pareto_png", "write_stability_csv", "write_sweep_csv"))
write_json, write_text = (_on_call("files", name) for name in ("write_json", "write_text"))
write_geojson = _on_call("geojson", "write_geojson")
write_geopackage = _on_call("geopackage", "write_geopackage")
write_groups, write_groups_table = (_on_call("grouping", name) for name in ("write_groups", "write_groups_table"))
write_comparison_map, write_grouping_map, write_holders_map, write_stability_map, write_tiers_map = (
    _on_call("maps", name) for name in ("write_comparison_map", "write_grouping_map", "write_holders_map",
                                        "write_stability_map", "write_tiers_map"))
write_report = _on_call("report", "write_report")
layers_of = _on_call("run_layers", "layers_of")
write_tiers_csv, write_tiers_table = (_on_call("tiers", name) for name in ("write_tiers_csv", "write_tiers_table"))
write_comparison_webmap, write_grouping_webmap, write_holders_webmap, write_tiers_webmap = (
    _on_call("webmap", name) for name in ("write_comparison_webmap", "write_grouping_webmap",
                                          "write_holders_webmap", "write_tiers_webmap"))

__all__ = ["DEFAULT_FORMATS", "FORMATS", "MAP_FORMATS", "OutputFile", "OUTPUTS", "parse_formats", "write_outputs"]

#: File formats a run may write; ``geojson`` brings each layer's ``.qml`` style beside it.
FORMATS = ("csv", "geojson", "gpkg", "json", "md", "png", "html")

#: The formats of the maps (``map.png``, ``map.html``), which ``--no-maps`` leaves out.
MAP_FORMATS = ("png", "html")

#: What a run writes unless told otherwise: every format (all cheap: QOP's in a second or two, England's in
#: seconds; ``--no-maps`` saves the most).
DEFAULT_FORMATS = FORMATS

Written = Path | list[Path] | None


@dataclass(frozen=True)
class OutputFile:
    """One file (or family of files) of a run's output set: its name and how to write it from a
    :class:`clusterkit.runs.Run`."""

    name: str
    write: Callable[[Any, Path], Written]
    kind: str = ""

    @property
    def format(self) -> str:
        """The file's format (its suffix), or ``kind`` for a folder of files (``candidates/``: csv)."""
        return self.kind or self.name.rsplit(".", 1)[-1]


def parse_formats(text: str | Collection[str] | None) -> frozenset[str] | None:
    """``"geojson,gpkg"`` -> the formats (None: the default); raises :class:`InputError` naming an unknown one.

    >>> sorted(parse_formats("gpkg, geojson"))
    ['geojson', 'gpkg']
    """
    if text is None:
        return None
    names = [name.strip().lower() for name in (text.split(",") if isinstance(text, str) else text) if name.strip()]
    unknown = sorted(set(names) - set(FORMATS))
    if unknown or not names:
        raise InputError(f"unknown output format(s) {', '.join(unknown) or '(none given)'}; choose from "
                         f"{', '.join(FORMATS)}, comma-separated", source="format", value=text)
    return frozenset(names)


def _layer(run: Any, name: str) -> MapLayer | None:
    return next((layer for layer in layers_of(run) if layer.name == name), None)


def _layer_files(layer: MapLayer | None, path: Path) -> Written:
    """``NAME.geojson`` and its style ``NAME.qml`` beside it (QGIS opens the layer styled)."""
    if layer is None:
        return None
    return [write_geojson(path, layer.frame, layer.name), write_text(path.with_suffix(".qml"), layer.style or "")]


def _geojson(name: str) -> Callable[[Any, Path], Written]:
    return lambda run, path: _layer_files(_layer(run, name), path)


def _tier_geojson(run: Any, path: Path) -> Written:
    """``groups_<tier>.geojson`` (and ``.qml``) for every tier."""
    return [written for layer in layers_of(run) if layer.name.startswith("groups_") and layer.geojson
            for written in _layer_files(layer, path.parent / f"{layer.name}.geojson") or ()]


def _geopackage(run: Any, path: Path) -> Written:
    return write_geopackage(path, [(layer.name, layer.frame, layer.style) for layer in layers_of(run)])


def _schedule(run: Any) -> tuple[Any, Any, Any]:
    params = run.result.params
    return params["schedule"], params["variance"], params["loss_threshold"]


_REPORT = OutputFile("report.md", lambda run, path: write_report(path, run))


def _maps(draw: Callable[[Path, Any], Path], web: Callable[[Path, Any], Path]) -> tuple[OutputFile, ...]:
    """``map.png`` (drawn by ``draw``), ``map.html`` (by ``web``) and ``report.md`` of a run."""
    return (OutputFile("map.png", lambda run, path: draw(path, run)),
            OutputFile("map.html", lambda run, path: web(path, run)), _REPORT)


_SUMMARY = OutputFile("summary.json", lambda run, path: write_json(path, run.summary))
_GEOPACKAGE = OutputFile("clusterkit.gpkg", _geopackage)
_GROUPING_LAYERS = (
    OutputFile("practices.geojson", _geojson("practices")),
    OutputFile("groups.geojson", _geojson("groups")),
    OutputFile("links.geojson", _geojson("links")),
    OutputFile("moves.geojson", _geojson("moves")),
    _GEOPACKAGE,
)
_GROUPING = (
    OutputFile("groups.csv", lambda run, path: write_groups(path, run.result)),
    OutputFile("groups_table.csv", lambda run, path: write_groups_table(path, run.result, run.metrics)),
    *_GROUPING_LAYERS,
    *_maps(write_grouping_map, write_grouping_webmap),
    _SUMMARY,
)

#: Command -> the files of its output set, in writing order.
OUTPUTS: dict[str, tuple[OutputFile, ...]] = {
    "group": _GROUPING,
    "demo": _GROUPING,
    "tiers": (
        OutputFile("tiers.csv", lambda run, path: write_tiers_csv(path, run.result)),
        OutputFile("tiers_table.csv", lambda run, path: write_tiers_table(path, run.result, run.extra["metrics"])),
        OutputFile("practices.geojson", _geojson("practices")),
        OutputFile("groups_<tier>.geojson", _tier_geojson),
        OutputFile("links.geojson", _geojson("links")),
        _GEOPACKAGE,
        *_maps(write_tiers_map, write_tiers_webmap),
        _SUMMARY,
    ),
    "evaluate": (
        OutputFile("groups_table.csv", lambda run, path: write_groups_table(path, run.result, run.metrics)),
        *_GROUPING_LAYERS,
        *_maps(write_grouping_map, write_grouping_webmap),
        _SUMMARY,
    ),
    "compare": (
        OutputFile("comparison.md", lambda run, path: write_comparison_markdown(path, run.result)),
        OutputFile("comparison.json", lambda run, path: write_comparison_json(path, run.result)),
        OutputFile("moves.csv", lambda run, path: write_moves_csv(path, run.result)),
        OutputFile("moves.geojson", _geojson("moves")),
        _GEOPACKAGE,
        *_maps(write_comparison_map, write_comparison_webmap),
        _SUMMARY,
    ),
    "sweep": (
        OutputFile("sweep.csv", lambda run, path: write_sweep_csv(path, run.result)),
        OutputFile("pareto.png", lambda run, path: write_pareto_png(path, run.result)),
        OutputFile("candidates", lambda run, path: write_candidates(path, run.result.points), kind="csv"),
        _SUMMARY,
    ),
    "ensemble": (
        OutputFile("ensemble.csv", lambda run, path: write_ensemble_csv(path, run.result)),
        OutputFile("candidates", lambda run, path: write_candidates(path, kept_candidates(run.result)), kind="csv"),
        OutputFile("consensus_groups.csv", lambda run, path: write_consensus(path, run.result)),
        OutputFile("stability.csv", lambda run, path: write_stability_csv(path, run.graph, run.result)),
        OutputFile("co_assignment.csv", lambda run, path: write_co_assignment(path, run.result)),
        OutputFile("practices.geojson", _geojson("practices")),
        OutputFile("groups.geojson", _geojson("groups")),
        _GEOPACKAGE,
        OutputFile("map.png", lambda run, path: write_stability_map(path, run)),
        _SUMMARY,
    ),
    "budgets": (
        OutputFile("assignments.csv", lambda run, path: write_assignments_csv(path, run.result, *_schedule(run))),
        OutputFile("exposure.csv", lambda run, path: write_exposure_csv(path, run.exposures)),
        OutputFile("holders.geojson", _geojson("holders")),
        _GEOPACKAGE,
        *_maps(write_holders_map, write_holders_webmap),
        _SUMMARY,
    ),
}


def write_outputs(run: Any, folder: str | Path, formats: Collection[str] | None = None,
                  maps: bool = True) -> list[Path]:
    """Write the output set of ``run`` (a :class:`clusterkit.runs.Run`) into ``folder``; returns the paths.

    ``formats`` keeps only the files of those formats (default :data:`DEFAULT_FORMATS`); ``maps=False``
    (``--no-maps``) leaves out the maps, ``map.png`` and ``map.html`` (:data:`MAP_FORMATS`); ``summary.json``
    is always written.

    Raises
    ------
    InputError
        For an unknown format.
    """
    chosen = parse_formats(formats) if formats is not None else frozenset(DEFAULT_FORMATS)
    if run.command not in OUTPUTS:
        raise ValueError(f"no outputs registered for command {run.command!r}")
    folder = Path(folder)
    written: list[Path] = []
    for output in OUTPUTS[run.command]:
        if output is not _SUMMARY and (output.format not in chosen or (not maps and output.format in MAP_FORMATS)):
            continue
        paths = output.write(run, folder / output.name)
        written += [] if paths is None else [paths] if isinstance(paths, Path) else list(paths)
    return written
