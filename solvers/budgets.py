"""The specialty budget MIP: one holder per (network, specialty), risk bounded, solved network by network.

Networks are independent, so :func:`assign_budgets` builds one :class:`~clusterkit.budgets.NetworkInstance`
per network and solves each with :func:`solve_network` (optionally on a process pool). Each network is
solved lexicographically in up to three stages, each through :func:`solvers.door.solve`:

1. ``max_ratio``: minimise the largest budget/turnover ratio of the holders;
2. ``preference``: among the assignments whose ratios stay within that optimum, maximise the holders'
   preference scores (skipped when no choice can change the score);
3. ``spread``: keeping both, maximise the number of distinct practices that take part in a holding
   (skipped when it cannot vary, e.g. one holding per practice and fixed holder sizes, or when the
   assignment already reaches its upper bound: every practice that could take part does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pulp

from clusterkit.budgets.results import BudgetAssignment, Holding, NetworkResult, StageResult
from clusterkit.budgets.candidates import NetworkInstance, Option, build_instances, explain_infeasible, restrict
from clusterkit.budgets.problem import BudgetProblem
from clusterkit.errors import InputError, SolverError
from clusterkit.model.graph import PracticeGraph
from clusterkit.parallel import run_tasks
from clusterkit.results import Outcome, Status
from solvers.door import SOLVERS, available_solvers, new_variable, solve

__all__ = ["STAGES", "BudgetModel", "build_budget_model", "infeasible_core", "solve_network", "assign_budgets"]

log = logging.getLogger(__name__)

#: The lexicographic stages, in order.
STAGES = ("max_ratio", "preference", "spread")

_RELATIVE = 1e-9


@dataclass(frozen=True)
class BudgetModel:
    """A built PuLP model and its variables.

    Attributes
    ----------
    problem : pulp.LpProblem
    stage : str
        One of :data:`STAGES`.
    x : Mapping[int, pulp.LpVariable]
        Index into ``instance.options`` -> binary "this holder takes this specialty".
    ratio : pulp.LpVariable or None
        The largest ratio ``r`` (stage ``max_ratio``).
    spread : Mapping[str, pulp.LpVariable]
        Practice -> "takes part in a holding" (stage ``spread``).
    """

    problem: pulp.LpProblem
    stage: str
    x: Mapping[int, pulp.LpVariable]
    ratio: pulp.LpVariable | None = None
    spread: Mapping[str, pulp.LpVariable] = field(default_factory=dict)

    def chosen(self) -> list[int]:
        """Indices of the options the solution takes, sorted."""
        return sorted(i for i, var in self.x.items() if var.value() is not None and var.value() > 0.5)


def _add_assignment(problem: pulp.LpProblem, x: Mapping[int, pulp.LpVariable], options: Sequence[Option],
                    specialties: Sequence[str]) -> None:
    """Every specialty gets exactly one holder."""
    for k, specialty in enumerate(specialties):
        problem += pulp.lpSum(x[i] for i in x if options[i].specialty == specialty) == 1, f"one_holder_{k}"


def _add_capacity(problem: pulp.LpProblem, x: Mapping[int, pulp.LpVariable], options: Sequence[Option],
                  practices: Sequence[str], limit: int) -> dict[str, list[int]]:
    """Each practice takes part in at most ``limit`` holdings; returns practice -> its option indices."""
    involving: dict[str, list[int]] = {code: [] for code in practices}
    for i in x:
        for code in options[i].holder.members:
            involving[code].append(i)
    for k, code in enumerate(practices):
        if len(involving[code]) > limit:
            problem += pulp.lpSum(x[i] for i in involving[code]) <= limit, f"holdings_{k}"
    return involving


def _add_ratio(problem: pulp.LpProblem, x: Mapping[int, pulp.LpVariable], options: Sequence[Option],
               specialties: Sequence[str]) -> pulp.LpVariable:
    """``sum_h ratio_sh * x_sh <= r`` for every specialty ``s``; returns ``r``.

    With exactly one holder per specialty the sum is the chosen holder's ratio, so this equals
    ``ratio_sh * x_sh <= r`` for every option, with one constraint per specialty and a stronger LP bound.
    """
    largest = new_variable(problem, "largest_ratio", 0)
    for k, specialty in enumerate(specialties):
        terms = [options[i].ratio * x[i] for i in x if options[i].specialty == specialty and options[i].ratio > 0]
        if terms:
            problem += pulp.lpSum(terms) <= largest, f"ratio_{k}"
    return largest


def _add_spread(problem: pulp.LpProblem, x: Mapping[int, pulp.LpVariable],
                involving: Mapping[str, Sequence[int]]) -> dict[str, pulp.LpVariable]:
    """``z_p <= sum of p's holdings``, ``0 <= z_p <= 1``; returns ``z``."""
    spread = {}
    for k, code in enumerate(sorted(involving)):
        if not involving[code]:
            continue
        spread[code] = new_variable(problem, f"takes_part_{k}", 0, 1)
        problem += spread[code] <= pulp.lpSum(x[i] for i in involving[code]), f"takes_part_{k}"
    return spread


def build_budget_model(
    instance: NetworkInstance,
    stage: str = "max_ratio",
    *,
    keep: Sequence[int] | None = None,
    min_preference: float | None = None,
) -> BudgetModel:
    r"""The MIP of one network for one lexicographic stage.

    For specialties :math:`s \in S` with budgets :math:`b_s`, admissible holders :math:`h \in H_s` (a
    practice of at least the minimum list size, or a consortium; only those with
    :math:`b_s \le c\,T_h` for risk cap :math:`c` and turnover :math:`T_h`), members
    :math:`m(h) \subseteq P`, ratios :math:`\rho_{sh} = b_s / T_h`, preferences :math:`\pi_{sh}` and at
    most :math:`M` holdings per practice:

    .. math::

        \text{(1)}\quad & \min\ r \\
        \text{s.t.}\quad & \sum_{h \in H_s} x_{sh} = 1 && \forall s \in S \\
        & \sum_{s \in S} \sum_{h \in H_s:\, p \in m(h)} x_{sh} \le M && \forall p \in P \\
        & \sum_{h \in H_s} \rho_{sh}\, x_{sh} \le r && \forall s \in S \\
        & x_{sh} \in \{0, 1\},\ r \ge 0

    With :math:`r^*` the optimum of (1) and :math:`H_s^* = \{h \in H_s : \rho_{sh} \le r^*\}`:

    .. math::

        \text{(2)}\quad & \max \sum_{s} \sum_{h \in H^*_s} \pi_{sh}\, x_{sh}
            \quad \text{s.t. assignment and holdings as in (1) over } H^*_s \\
        \text{(3)}\quad & \max \sum_{p \in P} z_p \quad \text{s.t. (2)'s constraints},\
            \sum_{s,h} \pi_{sh} x_{sh} \ge \Pi^*,\
            z_p \le \sum_{s}\sum_{h \in H^*_s:\, p \in m(h)} x_{sh},\ 0 \le z_p \le 1

    Parameters
    ----------
    instance : NetworkInstance
        The network's options.
    stage : {"max_ratio", "preference", "spread"}
        Which objective.
    keep : sequence of int, optional
        Indices of ``instance.options`` to model (default all): :math:`H^*` after stage 1.
    min_preference : float, optional
        :math:`\Pi^*`, for stage ``spread``.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    options = instance.options
    indices = sorted(range(len(options)) if keep is None else keep)
    sense = pulp.LpMinimize if stage == "max_ratio" else pulp.LpMaximize
    problem = pulp.LpProblem(f"budgets_{stage}", sense)
    x = {i: new_variable(problem, f"x_{i}", 0, 1, pulp.LpBinary) for i in indices}
    _add_assignment(problem, x, options, instance.specialties)
    involving = _add_capacity(problem, x, options, instance.practices, instance.max_per_practice)
    ratio = None
    spread: dict[str, pulp.LpVariable] = {}
    preference = pulp.lpSum(options[i].preference * x[i] for i in indices)
    if stage == "max_ratio":
        ratio = _add_ratio(problem, x, options, instance.specialties)
        problem += ratio
    elif stage == "preference":
        problem += preference
    else:
        if min_preference is not None:
            problem += preference >= min_preference - 1e-6 * max(1.0, abs(min_preference)), "preference_floor"
        spread = _add_spread(problem, x, involving)
        problem += pulp.lpSum(spread.values())
    return BudgetModel(problem, stage, x, ratio, spread)


def _stage(stage: str, result: Outcome) -> StageResult:
    return StageResult(stage, result)


def _varies(instance: NetworkInstance, keep: Sequence[int], value: Callable[[Option], float]) -> bool:
    seen: dict[str, set[float]] = {}
    for i in keep:
        option = instance.options[i]
        seen.setdefault(option.specialty, set()).add(round(value(option), 12))
    return any(len(values) > 1 for values in seen.values())


def _spread_can_improve(instance: NetworkInstance, keep: Sequence[int], chosen: Sequence[int]) -> bool:
    """Whether stage ``spread`` might find more distinct practices than ``chosen`` already has.

    Its optimum is at most the number of practices in any kept option, and at most the sum over
    specialties of their largest kept holder; with one holding per practice and holders of one size per
    specialty it cannot vary at all.
    """
    options = instance.options
    if instance.max_per_practice == 1 and not _varies(instance, keep, lambda option: len(option.holder.members)):
        return False
    largest: dict[str, int] = {}
    for i in keep:
        largest[options[i].specialty] = max(largest.get(options[i].specialty, 0), len(options[i].holder.members))
    bound = min(len({code for i in keep for code in options[i].holder.members}), sum(largest.values()))
    return len({code for i in chosen for code in options[i].holder.members}) < bound


def _holdings(instance: NetworkInstance, chosen: Sequence[int]) -> tuple[Holding, ...]:
    rows = []
    for i in chosen:
        option = instance.options[i]
        holder = option.holder
        outside = 1.0 - holder.list_size / instance.population if instance.population > 0 else 0.0
        rows.append(Holding(instance.network, option.specialty, option.budget, holder.name, holder.members,
                            holder.kind, holder.turnover, holder.list_size, option.ratio, option.preference,
                            max(0.0, outside)))
    return tuple(sorted(rows, key=lambda h: h.specialty.casefold()))


def infeasible_core(
    instance: NetworkInstance, *, solver: str = "highs", time_limit: float | None = None
) -> tuple[str, ...]:
    """A minimal set of specialties with no assignment, by a deletion filter over an infeasible network.

    Specialties are dropped one at a time, smallest budget first, whenever the rest is still proven
    infeasible (one stage-1 solve each). A trial the solver cannot settle keeps its specialty, so the
    result (sorted by name) is always proven infeasible, and minimal when every trial was settled.
    """
    budgets = dict(instance.budgets)
    core = list(instance.specialties)
    for name in sorted(core, key=lambda item: (budgets[item], item)):
        trial = [item for item in core if item != name]
        if not trial:
            continue
        model = build_budget_model(restrict(instance, trial), "max_ratio")
        if solve(model.problem, solver, time_limit=time_limit).status == Status.INFEASIBLE:
            core = trial
    return tuple(core)


def solve_network(
    instance: NetworkInstance,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float | None = 0.0,
) -> NetworkResult:
    """Assign one network's specialties: minimise the largest ratio, then maximise preference, then spread.

    A network found infeasible by counting before solving is returned ``INFEASIBLE`` with no stage run;
    one the solver proves infeasible gets a reason from :func:`clusterkit.budgets.explain_infeasible`.
    ``time_limit`` and ``gap`` apply to each stage (default gap 0: exact; ``None`` is the solver's own default).
    """
    common = dict(network=instance.network, practices=len(instance.practices), population=instance.population,
                  notes=instance.notes)
    if instance.reasons:
        return NetworkResult(status=Status.INFEASIBLE, holdings=(), stages=(), reasons=instance.reasons, **common)
    if not instance.budgets:
        return NetworkResult(status=Status.OPTIMAL, holdings=(), stages=(), **common)
    model = build_budget_model(instance, "max_ratio")
    result = solve(model.problem, solver, time_limit=time_limit, gap=gap)
    stages = [_stage("max_ratio", result)]
    if result.status == Status.INFEASIBLE:
        reason = explain_infeasible(instance)
        if "overlap" in reason:  # no counting argument: name a minimal infeasible set of specialties
            reason = explain_infeasible(instance, infeasible_core(instance, solver=solver, time_limit=time_limit))
        return NetworkResult(status=Status.INFEASIBLE, holdings=(), stages=tuple(stages), reasons=(reason,), **common)
    if not result.has_solution:
        reason = f"network {instance.network}: the solver found no assignment within the time limit"
        return NetworkResult(status=Status.NO_SOLUTION, holdings=(), stages=tuple(stages), reasons=(reason,), **common)
    chosen = model.chosen()
    largest = max(instance.options[i].ratio for i in chosen)
    keep = [i for i, option in enumerate(instance.options) if option.ratio <= largest * (1 + _RELATIVE) + 1e-12]
    floor = None
    if _varies(instance, keep, lambda option: option.preference):
        model = build_budget_model(instance, "preference", keep=keep)
        result = solve(model.problem, solver, time_limit=time_limit, gap=gap)
        stages.append(_stage("preference", result))
        if result.has_solution:
            chosen = model.chosen()
            floor = sum(instance.options[i].preference for i in chosen)
    if _spread_can_improve(instance, keep, chosen):
        model = build_budget_model(instance, "spread", keep=keep, min_preference=floor)
        result = solve(model.problem, solver, time_limit=time_limit, gap=gap)
        stages.append(_stage("spread", result))
        if result.has_solution:
            chosen = model.chosen()
    proven = all(stage.status == Status.OPTIMAL for stage in stages)
    return NetworkResult(status=Status.OPTIMAL if proven else Status.FEASIBLE, holdings=_holdings(instance, chosen),
                         stages=tuple(stages), **common)


@dataclass(frozen=True)
class NetworkTask:
    """One network's budgets: a picklable task of :func:`clusterkit.parallel.run_tasks`."""

    instance: NetworkInstance
    solver: str
    time_limit: float | None
    gap: float | None


def solve_network_task(task: NetworkTask) -> NetworkResult:
    """Solve one :class:`NetworkTask`."""
    return solve_network(task.instance, solver=task.solver, time_limit=task.time_limit, gap=task.gap)


def assign_budgets(
    graph: PracticeGraph,
    labels: Mapping[str, str],
    problem: BudgetProblem,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float | None = 0.0,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BudgetAssignment:
    """Give every specialty of every network one holder, bounding each holder's risk.

    Parameters
    ----------
    graph : PracticeGraph
        Practices (turnover, list size, willingness) with an ``adjacency`` layer for automatic consortia.
    labels : mapping
        Practice code -> network; practices absent are reported in ``ungrouped``.
    problem : BudgetProblem
        Specialties and rules.
    solver : {"highs", "cbc"}
    time_limit, gap : float, optional
        Per solver stage of each network; the default gap 0 makes every stage exact (the models are
        small), so the lexicographic order holds exactly.
    workers : int
        Processes to solve networks in parallel (1: in this process).
    progress : callable, optional
        Called with 1 after each network.

    Returns
    -------
    BudgetAssignment
        One result per network; infeasible networks carry their reasons, feasible ones their holdings.

    Examples
    --------
    >>> from clusterkit.budgets import BudgetProblem, Specialty
    >>> from clusterkit.model import Practice, PracticeGraph
    >>> graph = PracticeGraph.from_practices([
    ...     Practice("A", "", 52.0, -1.0, 0, 0, 10_000, 1.2e6), Practice("B", "", 52.01, -1.0, 0, 1e3, 8_000, 9.6e5)])
    >>> problem = BudgetProblem((Specialty("urology", budget=1e6), Specialty("ent", budget=5e5)))
    >>> result = assign_budgets(graph, {"A": "N1", "B": "N1"}, problem)
    >>> str(result.status), [(h.specialty, h.holder) for h in result.holdings]
    ('OPTIMAL', [('ent', 'B'), ('urology', 'A')])
    """
    if solver.lower() not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; available: {', '.join(available_solvers()) or 'none'}")
    if workers < 1:
        raise InputError("must be at least 1", source="workers", value=workers)
    if gap is not None and not 0.0 <= gap < 1.0:
        raise InputError("must lie in [0, 1)", source="gap", value=gap)
    if time_limit is not None and not time_limit > 0:
        raise InputError("must be positive", source="time_limit", value=time_limit)
    started = time.perf_counter()
    instances, ungrouped = build_instances(graph, labels, problem)
    tasks = [NetworkTask(instance, solver.lower(), time_limit, gap) for instance in instances]
    to_solve = sum(1 for instance in instances if not instance.reasons)
    found: dict[int, NetworkResult] = {}
    for position, result in run_tasks(solve_network_task, tasks, executor=executor,
                                      workers=workers if to_solve > 1 else 1):
        found[position] = result
        if progress:
            progress(len(found), len(tasks))
    results = [found[k] for k in range(len(tasks))]
    seconds = time.perf_counter() - started
    params = {**problem.to_dict(), "solver": solver.lower(), "time_limit": time_limit, "gap": gap, "workers": workers}
    log.info("assigned budgets in %d network(s) in %.1fs", len(results), seconds)
    return BudgetAssignment(tuple(results), ungrouped, solver.lower(), seconds, params)
