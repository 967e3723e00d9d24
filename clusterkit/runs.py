"""The run layer: one call per job, shared by the command line and a notebook.

Each ``run_*`` function takes what a planner asks for (a graph and a problem, read and validated already),
does the whole job (solve, retry with a soft band under ``best_effort``, measure, decide which rules are
unmet and what the exit status is) and returns a :class:`Run`. Its ``summary`` is the one ``summary.json``
schema of every command (:func:`summary_of`); :func:`geodata.write.outputs.write_outputs` writes a run's
files; ``cli.py`` only parses options, calls a ``run_*``, prints the run and exits with its status.

Examples
--------
>>> from clusterkit.synthetic import synthetic_county
>>> run = run_grouping(synthetic_county(seed=1).with_adjacency(), workers=1)
>>> run.exit_status, run.summary["command"], str(run.result.status)
(0, 'group', 'FEASIBLE')
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clusterkit.budgets.problem import BudgetProblem
from clusterkit.budgets.results import BudgetAssignment, Exposure, budget_summary, exposure_table
from clusterkit.errors import InfeasibleError, InputError
from clusterkit.metrics.grouping import GroupingMetrics, evaluate_grouping
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.progress import Progress
from clusterkit.problem.pieces import adjacency_for
from clusterkit.model.partition import Partition
from clusterkit.provenance import provenance as _provenance
from clusterkit.provenance import summary_of
from clusterkit.results import Grouping, Outcome, Status

__all__ = ["EXIT_OK", "EXIT_UNMET", "EXIT_INFEASIBLE", "Run", "check_settings", "summary_of", "run_grouping", "run_budgets",
           "run_evaluate", "run_compare", "run_tiers", "run_import_nhs"]

#: Exit statuses of a run (the CLI's exit codes): every rule holds; written but a rule is unmet; infeasible.
EXIT_OK, EXIT_UNMET, EXIT_INFEASIBLE = 0, 1, 3



@dataclass(frozen=True)
class Run:
    """What one job produced.

    Attributes
    ----------
    command : str
        ``group``, ``demo``, ``budgets``, ...
    graph : PracticeGraph
        The practices as the job used them (with the adjacency it grouped on).
    result : Grouping or BudgetAssignment
    summary : dict
        The ``summary.json`` document (:func:`summary_of`).
    exit_status : int
        :data:`EXIT_OK`, :data:`EXIT_UNMET` (outputs written, a rule unmet) or :data:`EXIT_INFEASIBLE`.
    unmet : str or None
        Which rule is unmet, in the planner's words.
    reasons : tuple of str
        Why some part cannot be solved (budgets: per network), in the planner's words.
    metrics : GroupingMetrics, optional
        For a grouping.
    exposures : tuple of Exposure
        For budgets.
    notes : tuple of str
        What the method wants the user to know.
    extra : mapping
        What the outputs need beyond the result: ``problem`` (the rules used), ``current`` (today's grouping,
        practice -> group, for ``moves.geojson`` and the maps; empty when unknown), ``groupings`` (compare: both
        sides), ``networks`` (budgets), ``metrics`` (tiers: per tier) and ``boundary`` (the ``--boundary`` area in
        British National Grid, or None: the study area the layers and maps are clipped to).
    """

    command: str
    graph: PracticeGraph
    result: Any
    summary: dict[str, Any]
    exit_status: int = EXIT_OK
    unmet: str | None = None
    reasons: tuple[str, ...] = ()
    metrics: GroupingMetrics | None = None
    exposures: tuple[Exposure, ...] = ()
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def check_settings(*, restarts: int | None = None, workers: int | None = None, time_limit: float | None = None,
                   gap: float | None = None, seed: int | None = None) -> None:
    """Check the settings of a method; raises :class:`InputError` naming the parameter."""
    if seed is not None and not 0 <= seed < 2**32:
        raise InputError("must be a whole number from 0 to 4294967295", source="seed", value=seed)
    if restarts is not None and restarts < 1:
        raise InputError("must be at least 1", source="restarts", value=restarts)
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", source="workers", value=workers)
    if time_limit is not None and not time_limit > 0:
        raise InputError("must be a positive number of seconds", source="time_limit", value=time_limit)
    if gap is not None and not 0 <= gap < 1:
        raise InputError("must lie in [0, 1), e.g. 0.01 for 1%", source="gap", value=gap)



def read_study_boundary(boundary: str | Path | None) -> Any:
    """The ``--boundary`` polygon layer as one geometry in British National Grid (None: none given); raises
    :class:`InputError` in one line for a file that is not a polygon layer."""
    if boundary is None:
        return None
    from geodata.polygons import read_boundary

    return read_boundary(boundary)


#: What the objective of a grouping measures, by objective.
OBJECTIVE_NAMES = {"distance": "patient-weighted km to each group's centre practice",
                   "alignment": "share of alignment and shared staff lost between groups",
                   "blend": "blend of alignment lost and scaled distance"}


def run_grouping(graph: PracticeGraph, problem: GroupingProblem | None = None, *, method: str = "heuristic",
                 seed: int = 0, time_limit: float = 60.0, solver: str = "highs", gap: float | None = None,
                 restarts: int | None = None, effort: str = "standard", workers: int | None = None,
                 executor: Executor | None = None, best_effort: bool = False,
                 current: Mapping[str, str] | None = None, sources: Sequence[str | Path | None] = (),
                 command: str = "group", progress: Progress | None = None,
                 extra: Mapping[str, Any] | None = None, boundary: str | Path | None = None,
                 command_line: str | None = None) -> Run:
    """Group practices, measure the grouping and decide its exit status.

    Parameters
    ----------
    graph, problem
        The practices and the rules (default: hard 30,000-50,000, contiguous, distance).
    method, seed, time_limit, solver, gap, restarts, effort, workers, executor
        As :func:`solvers.grouping.group_practices`.
    best_effort : bool
        When the hard rules provably cannot be met, group with a soft band instead (exit status 1).
    current : mapping, optional
        Today's grouping (practice -> group) for the moved counts (default: the practices' current group).
    sources : sequence of paths
        The input files, hashed into the summary.
    command : str
        The command named in the summary.
    progress : callable, optional
        ``progress(done, total, note)`` as the work goes (:mod:`clusterkit.progress`): the heuristic on one area
        counts its restarts and oscillations, with the best score so far; on several areas, the areas done; the
        exact method notes its phase, incumbent, bound and gap as they change.
    boundary : path, optional
        A polygon layer (an ICB's boundary) the group areas are clipped to (default: a buffered hull).
    command_line : str, optional
        The command as typed, for the summary.

    Raises
    ------
    InfeasibleError
        When the rules provably cannot be met (and ``best_effort`` is off), with every reason.
    """
    from solvers.grouping import group_practices

    started = time.perf_counter()
    problem = problem or GroupingProblem()
    check_settings(restarts=restarts, workers=workers, time_limit=time_limit, gap=gap, seed=seed)
    problem.check_areas(graph)
    area = read_study_boundary(boundary)
    settings = dict(method=method, seed=seed, time_limit=time_limit, solver=solver, gap=gap, restarts=restarts,
                    effort=effort, workers=workers, executor=executor, progress=progress)
    relaxed_because = None
    try:
        grouping = group_practices(graph, problem, **settings)
    except InfeasibleError as error:
        if not best_effort or problem.soft:
            raise
        relaxed_because = str(error)
        problem = replace(problem, soft=True)
        grouping = group_practices(graph, problem, **settings)
    if grouping.status == Status.INFEASIBLE:
        raise InfeasibleError("the solver proved that no grouping meets the rules"
                              + (f" ({grouping.notes[-1]})" if grouping.notes else ""))
    graph = adjacency_for(graph, problem)  # the adjacency the grouping was made on
    if current is None:
        current = {p.code: p.group for p in graph.practices if p.group}
    metrics = evaluate_grouping(graph, grouping.labels, problem, current=current or None, flagged=grouping.flagged)
    unmet = _unmet_rule(grouping, metrics, relaxed_because)
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    summary = summary_of(
        command, status=grouping.status, objective=grouping.objective, objective_name=OBJECTIVE_NAMES[problem.objective],
        bound=grouping.bound, gap=grouping.gap, seconds=grouping.seconds, solver=grouping.solver,
        method=grouping.method, seed=grouping.seed, parameters=grouping.params, exit_code=exit_status, unmet=unmet,
        notes=grouping.notes, **_provenance(graph, sources, boundary, command_line, started, {
            "method": method, "effort": effort, "restarts": restarts, "workers": workers, "time_limit": time_limit,
            "gap": gap, "solver": solver, "best_effort": best_effort}),
        metrics=metrics.to_dict(), unwilling=list(grouping.unwilling), flagged=list(grouping.flagged),
        best_effort=relaxed_because, **dict(extra or {}))
    return Run(command, graph, grouping, summary, exit_status, unmet, metrics=metrics, notes=grouping.notes,
               extra={"problem": problem, "current": dict(current or {}), "boundary": area})


def _unmet_rule(grouping: Grouping, metrics: GroupingMetrics, relaxed_because: str | None) -> str | None:
    """Which rule a written grouping leaves unmet, in the planner's words (None: every rule holds)."""
    if grouping.status == Status.NO_SOLUTION:
        return ("no grouping meeting every hard rule was found (not proven impossible); the closest one was "
                "written; try --soft, more --restarts or --method exact")
    if relaxed_because:
        return ("the hard rules cannot be met (reason above, and in summary.json), so a soft band was used "
                "(--best-effort)")
    outside = [row.group for row in metrics.rows if not row.in_band and not row.flagged]
    if outside:
        shown = ", ".join(outside[:10]) + (f", ... ({len(outside)} in all)" if len(outside) > 10 else "")
        return f"{len(outside)} of {metrics.groups} groups lie outside the band (soft mode): {shown}"
    return None


def run_budgets(graph: PracticeGraph, networks: Mapping[str, str], problem: BudgetProblem, *, solver: str = "highs",
                time_limit: float = 60.0, gap: float | None = 0.0, workers: int = 1,
                executor: Executor | None = None, sources: Sequence[str | Path | None] = (),
                progress: Progress | None = None, command_line: str | None = None) -> Run:
    """Assign every network's specialty budgets, work out the holders' exposure and the exit status.

    Networks that cannot be served do not stop the others: their reasons are in ``reasons`` and the exit
    status is :data:`EXIT_INFEASIBLE` (proven) or :data:`EXIT_UNMET` (no assignment found in the time limit).
    """
    from solvers.budgets import assign_budgets

    started = time.perf_counter()
    assignment: BudgetAssignment = assign_budgets(graph, networks, problem, solver=solver, time_limit=time_limit,
                                                  gap=gap, workers=workers, executor=executor, progress=progress)
    exposures = exposure_table(graph, assignment.holdings, problem.schedule, problem.variance, problem.loss_threshold)
    details = budget_summary(assignment, exposures, schedule=problem.schedule, variance=problem.variance,
                             loss_threshold=problem.loss_threshold)
    failed = assignment.infeasible + assignment.unsolved
    reasons = tuple(reason for result in failed for reason in result.reasons[:1])
    unmet = None
    exit_status = EXIT_OK
    if assignment.infeasible:
        exit_status = EXIT_INFEASIBLE
        unmet = f"{len(assignment.infeasible)} of {len(assignment.networks)} networks cannot be served"
    elif assignment.unsolved:
        exit_status = EXIT_UNMET
        unmet = f"{len(assignment.unsolved)} network(s) unsolved within the time limit"
    common = {key: details.pop(key) for key in ("status", "bound", "gap", "seconds", "solver", "notes")}
    objective = details.pop("objective")
    summary = summary_of("budgets", status=common["status"], objective=objective["value"],
                         objective_name=objective["name"], bound=common["bound"], gap=common["gap"],
                         seconds=common["seconds"], solver=common["solver"], method="exact", seed=None,
                         parameters=details.pop("params"), exit_code=exit_status, unmet=unmet,
                         notes=common["notes"], **_provenance(graph, sources, None, command_line, started, {
                             "method": "exact", "solver": solver, "time_limit": time_limit, "gap": gap,
                             "workers": workers}), **details)
    return Run("budgets", graph, assignment, summary, exit_status, unmet, reasons, exposures=tuple(exposures),
               notes=tuple(common["notes"]), extra={"networks": dict(networks)})


def run_evaluate(graph: PracticeGraph, labels: Mapping[str, str], problem: GroupingProblem | None = None, *,
                 current: Mapping[str, str] | None = None, sources: Sequence[Any] = (),
                 boundary: str | Path | None = None, command_line: str | None = None) -> Run:
    """Score any grouping (today's PCNs, a spreadsheet's, one of ours) as ``group`` scores its own.

    The summary and ``groups_table.csv`` have the keys and columns ``group`` writes; the status is ``FEASIBLE``
    when every group meets the band (practices above it standing alone aside) and is connected, else
    ``NO_SOLUTION`` with the unmet rule, and the exit status 1. ``boundary`` and ``command_line`` as
    :func:`run_grouping`.
    """
    started = time.perf_counter()
    problem = problem or GroupingProblem()
    problem.check_areas(graph)
    area = read_study_boundary(boundary)
    graph = adjacency_for(graph, problem)
    unwilling = tuple(p.code for p in graph.practices if not p.willing and p.code not in labels)
    oversized = {p.code for p in graph.practices if p.list_size > problem.band_of(p.sub_icb, p.icb).upper}
    groups = Partition(labels).parts
    flagged = tuple(sorted(code for code in oversized if len(groups.get(labels.get(code, ""), ())) == 1))
    if current is None:  # as group: today's grouping is the practices' current group column
        current = {p.code: p.group for p in graph.practices if p.group}
    metrics = evaluate_grouping(graph, labels, problem, current=current or None, flagged=flagged)
    unmet = _unmet_rules(metrics, problem)
    status = Status.NO_SOLUTION if unmet else Status.FEASIBLE
    grouping = Grouping(Partition({**{code: "" for code in graph.codes}, **labels}),
                        Outcome(status, metrics.weighted_km, seconds=time.perf_counter() - started, solver="none"),
                        method="evaluate", centres={row.group: row.centre for row in metrics.rows}, flagged=flagged,
                        unwilling=unwilling, params=problem.to_dict())
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    summary = summary_of(
        "evaluate", status=status, objective=metrics.weighted_km, objective_name=OBJECTIVE_NAMES["distance"],
        bound=None, gap=None, seconds=grouping.seconds, solver="none", method="evaluate", seed=None,
        parameters=grouping.params, exit_code=exit_status, unmet=unmet, notes=(),
        **_provenance(graph, sources, boundary, command_line, started, {"method": "evaluate"}),
        metrics=metrics.to_dict(), unwilling=list(unwilling), flagged=list(flagged), best_effort=None)
    return Run("evaluate", graph, grouping, summary, exit_status, unmet, metrics=metrics,
               extra={"problem": problem, "current": dict(current or {}), "boundary": area})


def _unmet_rules(metrics: GroupingMetrics, problem: GroupingProblem) -> str | None:
    """The rules a given grouping breaks, in the planner's words (None: none)."""
    outside = [row.group for row in metrics.rows if not row.in_band and not row.flagged]
    broken = [row.group for row in metrics.rows if not row.connected]
    found = []
    for count, what, groups in ((len(outside), f"lie outside the band {problem.band}"
                                 + (" or its waivers" if problem.band_for else ""), outside),
                                (len(broken), "are not connected on the adjacency of practices", broken)):
        if count:
            shown = ", ".join(groups[:10]) + (f", ... ({count} in all)" if count > 10 else "")
            found.append(f"{count} of {metrics.groups} groups {what}: {shown}")
    return "; ".join(found) or None


def run_compare(graph: PracticeGraph, first: Mapping[str, str], second: Mapping[str, str],
                problem: GroupingProblem | None = None, *, names: tuple[str, str] = ("A", "B"),
                sources: Sequence[Any] = (), command_line: str | None = None) -> Run:
    """Compare two groupings (``second`` read as the newer): agreement, changes, moves, each side's metrics."""
    from clusterkit.metrics.compare import compare_groupings

    started = time.perf_counter()
    problem = problem or GroupingProblem()
    problem.check_areas(graph)
    graph = adjacency_for(graph, problem)
    comparison = compare_groupings(graph, first, second, problem, names=names)
    summary = summary_of(
        "compare", status=Status.FEASIBLE, objective=None, objective_name="none (a comparison)", bound=None,
        gap=None, seconds=time.perf_counter() - started, solver="none", method="compare", seed=None,
        parameters=problem.to_dict(), exit_code=EXIT_OK, unmet=None, notes=(),
        **_provenance(graph, sources, None, command_line, started, {"method": "compare", "names": list(names)}),
        comparison=comparison.to_dict())
    return Run("compare", graph, comparison, summary,
               extra={"problem": problem, "groupings": (dict(first), dict(second))})


def run_import_nhs(mapping: str | Path, lists: str | Path, postcodes: str | Path) -> Run:
    """Make the practices of a practices file from NHS England's and ONS's published files.

    Parameters
    ----------
    mapping, lists : path
        ``gp-reg-pat-prac-map`` and ``gp-reg-pat-prac-all`` of *Patients Registered at a GP Practice*, as
        published (a zip holding the CSV, or the CSV).
    postcodes : path
        A postcode lookup (NSPL, or part of it), a file or a folder of files.

    Returns
    -------
    Run
        ``result`` the :class:`geodata.read.nhs_join.NhsImport`; ``graph`` its practices as the written file
        reads back; the summary records both extract dates. Exit status 1 when some practice of the mapping
        is left out (``unmet`` says how many, by reason).

    Raises
    ------
    InputError
        On the first problem in any file, naming the file, row, column and value.
    """
    from geodata.read.digest import file_digest, inputs_digest
    from geodata.read.nhs_join import import_published
    from geodata.read.practices import practices_from_table
    from geodata.read.published import published_csvs

    started = time.perf_counter()
    result = import_published(mapping, lists, postcodes)
    graph = PracticeGraph.from_practices(practices_from_table(result.table()), meta={"source": "import-nhs"})
    unmet = None
    if result.unmatched:
        reasons = ", ".join(f"{reason}: {count:,}" for reason, count in result.reasons().items())
        unmet = (f"{len(result.unmatched):,} of {len(result.unmatched) + len(result.practices):,} practices of "
                 f"the mapping are left out ({reasons})")
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    sources = [mapping, lists, *(file.path for file in published_csvs(postcodes))]
    notes = [f"located by their postcode in the list-size file ({result.lists_date}), the mapping's being "
             f"without coordinates: {code} ({postcode} -> {earlier})"
             for code, postcode, earlier in result.located_by_list_postcode]
    summary = summary_of(
        "import-nhs", status=Status.FEASIBLE, objective=None, objective_name="none (an import)", bound=None,
        gap=None, seconds=time.perf_counter() - started, solver="none", method="import", seed=None,
        parameters={"mapping": str(mapping), "lists": str(lists), "postcodes": str(postcodes),
                    "postcode_match": "spaces and case ignored",
                    "location": "the mapping's postcode, else the practice's postcode in the list-size file",
                    "no_pcn": "PCN U (Unallocated) written blank"},
        inputs=file_digest(sources), inputs_sha256=inputs_digest(sources), exit_code=exit_status, unmet=unmet,
        notes=notes, graph=graph, started=started, nhs_import=result.to_dict())
    return Run("import-nhs", graph, result, summary, exit_status, unmet, notes=tuple(notes))


def run_tiers(graph: PracticeGraph, tiers: Sequence[Any] | None = None, *, order: str = "bottom-up",
              fixed: Mapping[str, Mapping[str, str]] | None = None, method: str = "heuristic", seed: int = 0,
              time_limit: float = 60.0, solver: str = "highs", gap: float | None = None, effort: str = "standard",
              workers: int | None = None, executor: Executor | None = None, sources: Sequence[Any] = (),
              progress: Progress | None = None, boundary: str | Path | None = None,
              command_line: str | None = None) -> Run:
    """Nested tiers (:func:`clusterkit.tiers.build_tiers`) with the grouping door as every tier's method.

    ``time_limit`` (the exact method) is shared by the tiers grouped. The exit status is 1 when some tier's
    grouping breaks its hard rules (NO_SOLUTION) or lies outside its band; ``metrics`` are per tier in
    ``extra["metrics"]``; ``boundary`` and ``command_line`` as :func:`run_grouping`.
    """
    from functools import partial

    from clusterkit.tiers import DEFAULT_TIERS, build_tiers, check_tiers, tier_summary
    from solvers.grouping import group_practices

    started = time.perf_counter()
    tiers = tuple(tiers or DEFAULT_TIERS)
    check_tiers(tiers)
    check_settings(workers=workers, time_limit=time_limit, gap=gap, seed=seed)
    area = read_study_boundary(boundary)
    solved = max(1, len(tiers) - len(fixed or {}))
    group = partial(group_practices, method=method, seed=seed, time_limit=time_limit / solved, solver=solver,
                    gap=gap, effort=effort, workers=workers, executor=executor)
    result = build_tiers(graph, tiers, group=group, order=order,
                         fixed={name: Partition(labels) for name, labels in (fixed or {}).items()}, progress=progress)
    graph = adjacency_for(graph, tiers[0].problem)
    current = {p.code: p.group for p in graph.practices if p.group} or None
    metrics = [evaluate_grouping(graph, grouping.labels, tier.problem, current=current, flagged=grouping.flagged)
               for tier, grouping in zip(tiers, result.groupings)]
    unmet_parts = []
    for tier, grouping, measured in zip(tiers, result.groupings, metrics):
        if tier.name in result.fixed:
            continue
        unmet = _unmet_rule(grouping, measured, None)
        if unmet:
            unmet_parts.append(f"{tier.name}: {unmet}")
    unmet = "; ".join(unmet_parts) or None
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    summary = summary_of(
        "tiers", status=result.status, objective=None, objective_name="per tier (see tiers)", bound=None, gap=None,
        seconds=result.seconds, solver=solver if method == "exact" else "clusterkit", method=method, seed=seed,
        parameters={"order": order, "fixed": list(result.fixed), "tiers": [
            {"name": tier.name, **tier.problem.to_dict()} for tier in tiers]},
        exit_code=exit_status, unmet=unmet, notes=result.notes,
        **_provenance(graph, sources, boundary, command_line, started, {
            "method": method, "effort": effort, "workers": workers, "time_limit": time_limit, "gap": gap,
            "solver": solver}),
        tiers=[{**row, "metrics": measured.to_dict()}
                                   for row, measured in zip(tier_summary(result), metrics)])
    return Run("tiers", graph, result, summary, exit_status, unmet, notes=result.notes,
               extra={"metrics": tuple(metrics), "boundary": area})
