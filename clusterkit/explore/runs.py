"""The run layer of sweeps and ensembles: one call per job, as :mod:`clusterkit.runs` for the others.

:func:`run_sweep` and :func:`run_ensemble` take the practices and the rules, do the whole job, decide the
exit status and build the ``summary.json`` of the one schema (:func:`clusterkit.runs.summary_of`); the
files are written by :func:`geodata.write.outputs.write_outputs`.

Examples
--------
>>> from clusterkit.synthetic import synthetic_county
>>> run = run_ensemble(synthetic_county(seed=1).with_adjacency(), members=3, keep=2, workers=1)
>>> run.command, run.exit_status, run.summary["ensemble"]["members"]
('ensemble', 0, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

from clusterkit.explore.candidates import CRITERIA, Candidate
from clusterkit.explore.ensemble import DEFAULT_MIN_VI, Ensemble, build_ensemble
from clusterkit.explore.sweep import DEFAULT_WEIGHTS, Sweep, sweep_weights
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.progress import Progress
from clusterkit.problem.pieces import adjacency_for
from clusterkit.results import Status
from clusterkit.runs import (EXIT_OK, EXIT_UNMET, OBJECTIVE_NAMES, Run, check_settings, summary_of)

__all__ = ["candidate_row", "run_ensemble", "run_sweep"]



def candidate_row(candidate: Candidate) -> dict[str, Any]:
    """A candidate's figures, as its row of ``sweep.csv`` / ``ensemble.csv`` and of ``summary.json``."""
    metrics, grouping = candidate.metrics, candidate.grouping
    return {
        "candidate": candidate.name,
        "seed": candidate.seed,
        "weight": None if candidate.weight is None else round(candidate.weight, 4),
        "move_penalty": candidate.move_penalty,
        "status": str(grouping.status),
        "proven": candidate.proven,
        "objective": grouping.objective,
        "bound": grouping.bound,
        "gap": grouping.gap,
        "weighted_km": round(metrics.weighted_km, 4),
        "alignment_kept": None if metrics.alignment_kept_share is None else round(metrics.alignment_kept_share, 4),
        "shared_staff_kept": (None if metrics.shared_staff_kept_share is None
                              else round(metrics.shared_staff_kept_share, 4)),
        "moved_practices": metrics.moved_practices,
        "groups": metrics.groups,
        "in_band_share": round(metrics.in_band_share, 4),
        "connected_share": round(metrics.connected_share, 4),
        "meets_rules": candidate.meets_rules,
        "seconds": round(grouping.seconds, 3),
    }


def _sources_digest(sources: Sequence[Any]) -> tuple[dict[str, str], str]:
    from geodata.read.digest import file_digest, inputs_digest

    return file_digest(sources), inputs_digest(sources)


def run_sweep(graph: PracticeGraph, problem: GroupingProblem | None = None,
              weights: Sequence[float] = DEFAULT_WEIGHTS, move_penalties: Sequence[float] | None = None, *,
              method: str = "heuristic", seed: int = 0, effort: str = "standard", restarts: int | None = None,
              time_limit: float = 60.0, solver: str = "highs", gap: float | None = None, workers: int | None = None,
              executor: Executor | None = None, scheduler: str | None = None, sources: Sequence[Any] = (),
              progress: Progress | None = None) -> Run:
    """A Pareto sweep over the blend weight (:func:`clusterkit.explore.sweep.sweep_weights`) as a run.

    The exit status is 1 when no point meets every rule (the points are still written); ``scheduler`` is
    only recorded (the executor is made by the caller).
    """
    problem = problem or GroupingProblem()
    check_settings(restarts=restarts, workers=workers, time_limit=time_limit, gap=gap, seed=seed)
    result: Sweep = sweep_weights(graph, problem, weights, move_penalties, method=method, seed=seed, effort=effort,
                                  restarts=restarts, time_limit=time_limit, solver=solver, gap=gap, workers=workers,
                                  executor=executor, progress=progress)
    graph = adjacency_for(graph, problem)
    rows = [{**candidate_row(point), "non_dominated": front} for point, front in zip(result.points, result.non_dominated)]
    failing = [point.name for point in result.points if not point.meets_rules]
    unmet = None
    if len(failing) == len(result.points):
        unmet = "no point of the sweep meets every rule (band, connected groups); see sweep.csv"
    notes = [f"points {', '.join(failing)} break a rule (band or connected groups) and are not on the front"] if (
        failing and not unmet) else []
    if method == "exact":
        notes.append(f"{result.proven} of {len(result.points)} points proven optimal for their own weights "
                     "(weighted sums: the supported points of the front)")
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    digest = _sources_digest(sources)
    summary = summary_of(
        "sweep", status=result.status, objective=None, objective_name="per point (see points)", bound=None, gap=None,
        seconds=result.seconds, solver=solver if method == "exact" else "clusterkit", method=method, seed=seed,
        parameters={**problem.to_dict(), "weights": list(weights),
                    "move_penalties": None if move_penalties is None else list(move_penalties), "effort": effort,
                    "restarts": restarts, "time_limit_per_point": time_limit, "workers": workers,
                    "scheduler": scheduler},
        inputs=digest[0], inputs_sha256=digest[1], exit_code=exit_status,
        unmet=unmet, notes=notes,
        sweep={"points": len(result.points), "criteria": {name: CRITERIA[name] for name in result.criteria},
               "front": [row["candidate"] for row in rows if row["non_dominated"]], "proven": result.proven,
               "objective_name": OBJECTIVE_NAMES["blend"], "rows": rows})
    return Run("sweep", graph, result, summary, exit_status, unmet, notes=tuple(notes), extra={"problem": problem})


def run_ensemble(graph: PracticeGraph, problem: GroupingProblem | None = None, members: int = 64, *, keep: int = 8,
                 min_vi: float = DEFAULT_MIN_VI, weight_jitter: float = 0.0, seed: int = 0, effort: str = "standard",
                 restarts: int | None = None, solver: str = "highs", workers: int | None = None,
                 executor: Executor | None = None, scheduler: str | None = None, sources: Sequence[Any] = (),
                 progress: Progress | None = None) -> Run:
    """A seeded ensemble (:func:`clusterkit.explore.ensemble.build_ensemble`) as a run.

    The exit status is 1 when no member meets every rule (the consensus then breaks one too).
    """
    problem = problem or GroupingProblem()
    check_settings(restarts=restarts, workers=workers, seed=seed)
    result: Ensemble = build_ensemble(graph, problem, members, keep=keep, min_vi=min_vi, weight_jitter=weight_jitter,
                                      seed=seed, effort=effort, restarts=restarts, solver=solver, workers=workers,
                                      executor=executor, progress=progress)
    graph = adjacency_for(graph, problem)
    meeting = sum(member.meets_rules for member in result.members)
    unmet = None if meeting else "no member of the ensemble meets every rule (band, connected groups); see ensemble.csv"
    notes = []
    if len(result.kept) < keep:
        notes.append(f"kept {len(result.kept)} of the {keep} asked for: the other members lie within "
                     f"{min_vi:g} (normalised VI) of a kept one or repeat one; lower --min-vi or add --members")
    if meeting < len(result.members):
        notes.append(f"{len(result.members) - meeting} of {len(result.members)} members break a rule "
                     "(band or connected groups)")
    exit_status = EXIT_UNMET if unmet else EXIT_OK
    consensus = result.members[result.consensus]
    digest = _sources_digest(sources)
    summary = summary_of(
        "ensemble", status=Status.FEASIBLE if meeting else Status.NO_SOLUTION, objective=consensus.grouping.objective,
        objective_name=f"{OBJECTIVE_NAMES[problem.objective]} (of the consensus member)", bound=None, gap=None,
        seconds=result.seconds, solver="clusterkit", method="heuristic", seed=seed,
        parameters={**problem.to_dict(), "members": members, "keep": keep, "min_vi": min_vi,
                    "weight_jitter": weight_jitter, "effort": effort, "restarts": restarts, "workers": workers,
                    "scheduler": scheduler},
        inputs=digest[0], inputs_sha256=digest[1], exit_code=exit_status, unmet=unmet, notes=notes,
        ensemble={"members": len(result.members), "meeting_rules": meeting,
                  "criteria": {name: CRITERIA[name] for name in result.criteria},
                  "front": [member.name for member, front in zip(result.members, result.non_dominated) if front],
                  "kept": [result.members[index].name for index in result.kept],
                  "consensus": consensus.name, "diversity": result.diversity.to_dict(),
                  "swing_practices": list(result.swing)})
    return Run("ensemble", graph, result, summary, exit_status, unmet, notes=tuple(notes), extra={"problem": problem})
