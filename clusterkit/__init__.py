"""clusterkit: optimisation and clustering engine for designing collaborations of GP practices.

The public API, in the shapes a notebook uses::

    from clusterkit import Band, GroupingProblem, group_practices, read_practices, run_grouping, write_outputs

    graph = read_practices("gp_practices_england.csv").select(icb=["QOP"]).with_adjacency("delaunay")
    grouping = group_practices(graph, GroupingProblem(band=Band(30_000, 50_000)), method="exact", time_limit=60)
    holders = assign_budgets(graph, grouping.labels, BudgetProblem(specialties))
    metrics = evaluate_grouping(graph, grouping.labels)
    run = run_grouping(graph)                     # what `clusterkit group` does: result, metrics, summary, exit status
    write_outputs(run, "out/")

The core (model, problem, heuristic, metrics, budgets, results) imports no solver and no file format; the
names that live in :mod:`solvers`, :mod:`geodata` and :mod:`clusterkit.runs` are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from clusterkit.errors import ClusterkitError, InfeasibleError, InputError, SolverError
from clusterkit.model import LAYERS, RELATION_KINDS, UNGROUPED, Partition, Practice, PracticeGraph, Relation
from clusterkit.problem import Band, GroupingProblem
from clusterkit.results import Grouping, Outcome, Status

__version__ = "0.1.0"

#: Public names imported on first use: name -> module.
_LAZY = {
    "group_heuristic": "clusterkit.heuristic",
    "evaluate_grouping": "clusterkit.metrics",
    "BudgetProblem": "clusterkit.budgets",
    "Specialty": "clusterkit.budgets",
    "Consortium": "clusterkit.budgets",
    "run_tasks": "clusterkit.parallel",
    "Run": "clusterkit.runs",
    "run_grouping": "clusterkit.runs",
    "run_budgets": "clusterkit.runs",
    "group_practices": "solvers.grouping",
    "pmedian_lower_bound": "solvers.grouping",
    "assign_budgets": "solvers.budgets",
    "read_practices": "geodata",
    "read_relations": "geodata",
    "read_grouping": "geodata",
    "load_study_area": "geodata",
    "write_outputs": "geodata.write.outputs",
}

__all__ = [
    "__version__",
    "ClusterkitError",
    "InfeasibleError",
    "InputError",
    "SolverError",
    "LAYERS",
    "RELATION_KINDS",
    "UNGROUPED",
    "Band",
    "Grouping",
    "GroupingProblem",
    "Outcome",
    "Partition",
    "Practice",
    "PracticeGraph",
    "Relation",
    "Status",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'clusterkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
