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
names of the package, the model's included, are imported on first use (:mod:`clusterkit.lazy`), so that a
command pays only for the modules it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusterkit.errors import ClusterkitError, InfeasibleError, InputError, SolverError
from clusterkit.lazy import lazy_names

if TYPE_CHECKING:
    from clusterkit.model import LAYERS, RELATION_KINDS, UNGROUPED, Partition, Practice, PracticeGraph, Relation
    from clusterkit.problem import Band, GroupingProblem
    from clusterkit.results import Grouping, Outcome, Status

__version__ = "0.1.0"

#: Public names imported on first use (``clusterkit --help`` imports none of them): name -> module.
_LAZY = {
    "LAYERS": "clusterkit.model",
    "RELATION_KINDS": "clusterkit.model",
    "UNGROUPED": "clusterkit.model",
    "Partition": "clusterkit.model",
    "Practice": "clusterkit.model",
    "PracticeGraph": "clusterkit.model",
    "Relation": "clusterkit.model",
    "Band": "clusterkit.problem",
    "GroupingProblem": "clusterkit.problem",
    "Grouping": "clusterkit.results",
    "Outcome": "clusterkit.results",
    "Status": "clusterkit.results",
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
    *_LAZY,
]


__getattr__ = lazy_names(__name__, globals(), _LAZY)
