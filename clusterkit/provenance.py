"""The one ``summary.json`` schema of every command, and the provenance it records.

:func:`summary_of` builds the document (the same keys for every command, then the command's own);
:func:`versions` the library versions a result depends on; :func:`provenance` the inputs' digests and the
context (graph, settings, command line, boundary, start time) a run passes to it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from clusterkit.model.graph import PracticeGraph
from clusterkit.results import Status

__all__ = ["provenance", "summary_of", "versions"]


def summary_of(command: str, *, status: Status, objective: float | None, objective_name: str, bound: float | None,
               gap: float | None, seconds: float, solver: str, method: str, seed: int | None,
               parameters: Mapping[str, Any], inputs: Mapping[str, str], inputs_sha256: str, exit_code: int,
               unmet: str | None, notes: Sequence[str], graph: PracticeGraph | None = None,
               settings: Mapping[str, Any] | None = None, command_line: str | None = None,
               boundary: str | Path | None = None, started: float | None = None, **specific: Any) -> dict[str, Any]:
    """The one ``summary.json`` schema: the same keys for every command, then the command's own.

    Common keys: ``clusterkit_version``, ``command``, ``command_line`` (as typed, None from a notebook),
    ``created``, ``elapsed_seconds`` (the whole run), ``inputs`` (path -> SHA-256), ``inputs_sha256`` (one
    digest of them all), ``area`` (the ``icb`` / ``sub_icb`` selection, the ``boundary`` file, practices and
    population), ``data`` (the practices file, the column each field was read from, funding per patient,
    attributes), ``adjacency`` (method, within, k, radius, longest edge, bridges and isolated practices),
    ``parameters`` (the rules), ``settings`` (how the method ran: effort, restarts, workers, time limit, gap,
    solver), ``seed``, ``method``, ``solver``, ``versions`` (clusterkit, Python, PuLP, HiGHS, the solver's,
    numpy, shapely, geopandas, GDAL), ``status``, ``proven_optimal``, ``objective`` (a number),
    ``objective_name``, ``bound``, ``gap``, ``seconds`` (the method's), ``exit_code``, ``unmet``, ``notes``.
    """
    from clusterkit import __version__

    meta = dict(graph.meta) if graph is not None else {}
    adjacency = dict(meta.get("adjacency") or {})
    selection = meta.get("selection") or {}
    summary: dict[str, Any] = {
        "clusterkit_version": __version__,
        "command": command,
        "command_line": command_line,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_seconds": round(time.perf_counter() - started, 3) if started is not None else None,
        "inputs": dict(inputs),
        "inputs_sha256": inputs_sha256,
        "area": {"icb": list(selection.get("icb", [])), "sub_icb": list(selection.get("sub_icb", [])),
                 "boundary": str(boundary) if boundary is not None else None,
                 "practices": len(graph) if graph is not None else None,
                 "population": graph.population if graph is not None else None},
        "data": {"source": meta.get("source"), "columns": meta.get("columns"),
                 "funding_per_patient": meta.get("funding_per_patient"), "attributes": meta.get("attributes"),
                 "alignment_from": meta.get("alignment_from", [])},
        "adjacency": {key: adjacency.get(key) for key in ("method", "within", "k", "radius_km", "max_edge_km")}
                     | {"bridges": len(adjacency.get("bridges", ())), "isolated": list(adjacency.get("isolated", ()))}
                     if adjacency else None,
        "parameters": dict(parameters),
        "settings": dict(settings or {}),
        "seed": seed,
        "method": method,
        "solver": solver,
        "versions": versions(solver),
        "status": str(status),
        "proven_optimal": status == Status.OPTIMAL,
        "objective": objective,
        "objective_name": objective_name,
        "bound": bound,
        "gap": gap,
        "seconds": round(seconds, 3),
        "exit_code": exit_code,
        "unmet": unmet,
        "notes": list(notes),
    }
    summary.update(specific)
    return summary


def versions(solver: str | None = None) -> dict[str, str | None]:
    """The versions a result depends on: clusterkit, Python, PuLP, HiGHS, ``solver``'s (None for clusterkit's
    own heuristic), numpy, shapely, geopandas and GDAL."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from clusterkit import __version__
    from solvers.door import solver_version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    try:
        import pyogrio

        gdal = pyogrio.__gdal_version_string__
    except ImportError:  # pragma: no cover - a dependency
        gdal = None
    return {"clusterkit": __version__, "python": platform.python_version(), "pulp": installed("pulp"),
            "highs": installed("highspy"), "solver": solver_version(solver) if solver else None,
            "numpy": installed("numpy"), "shapely": installed("shapely"), "geopandas": installed("geopandas"),
            "gdal": gdal}


def provenance(graph: PracticeGraph, sources: Sequence[Any], boundary: str | Path | None, command_line: str | None,
                started: float, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance arguments of :func:`summary_of`: the inputs' digests (the boundary file's too)."""
    from geodata.read.digest import file_digest, inputs_digest

    sources = [*sources, boundary]
    return {"inputs": file_digest(sources), "inputs_sha256": inputs_digest(sources), "graph": graph,
            "settings": settings, "command_line": command_line, "boundary": boundary, "started": started}
