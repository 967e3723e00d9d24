"""The search inside one area: region growing, then moves and swaps that keep every hard rule.

Works on plain arrays (picklable, no networkx) so that areas and restarts run in worker processes.
Practices tied by must-link form one *unit* that always moves whole; a group is a set of units.

A group's score is a pair ``(violation, cost)`` compared lexicographically: ``violation`` measures
how far a group is from the hard rules (patients outside a hard band, km above the diameter limit,
cannot-link pairs inside), ``cost`` is the objective share of the group. Every accepted move lowers the
total violation, or keeps it and lowers the cost, so once a feasible grouping is reached it stays
feasible; contiguity is never broken by a move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from clusterkit.compiled import use_compiled
from clusterkit.problem.piece import PieceProblem
from clusterkit.heuristic.construction import group_counts, grow
from clusterkit.heuristic.recombine import SetPartition, recombine
from clusterkit.heuristic.repair import repair
from clusterkit.heuristic.resplit import resplit_pass
from clusterkit.heuristic.state import Memo, State
from clusterkit.problem.score import GroupScorer, connected
from clusterkit.progress import Progress, best_note, tell

__all__ = ["PieceSolution", "solve_piece"]

#: Penalties per patient outside the band (in km of the distance cost) tried by the oscillation, and cycles.
OSCILLATION_PENALTIES = (0.1, 0.3, 1.0, 3.0, 10.0)
OSCILLATION_CYCLES = 2


def _better(delta_violation: float, delta_cost: float) -> bool:
    return delta_violation < -1e-9 or (abs(delta_violation) <= 1e-9 and delta_cost < -1e-12)


def _local_search(state: State, rng: np.random.Generator, max_passes: int = 60) -> None:
    """Moves and swaps until no improving one remains (or ``max_passes``).

    With the compiled core (:mod:`clusterkit.heuristic.kernels`, see :mod:`clusterkit.compiled`) the move
    and swap passes run compiled; they make the same moves as the Python passes below.
    """
    p = state.problem
    fixed = set(p.hubs)
    units = np.arange(len(p.units))
    dirty = set(state.members)
    compiled = state.compiled
    for _ in range(max_passes):
        if compiled is not None:
            checking, dirty = dirty, set()
            improved = compiled.move_pass(state, rng.permutation(units), checking, dirty)
            if not improved:
                if not _past_moves(state, fixed, rng, lambda: compiled.swap_pass(state)):
                    return
                dirty = set(state.members)
            continue
        improved = False
        # a unit is looked at again only if its group or a neighbouring group changed since the last look
        checking, dirty = dirty, set()
        for unit in rng.permutation(units):
            unit = int(unit)
            source = int(state.unit_group[unit])
            if unit in fixed or len(state.members[source]) == 1:
                continue
            targets = {int(state.unit_group[v]) for v in p.unit_neighbours[unit]} - {source}
            if not targets or not (source in checking or source in dirty or targets & checking or targets & dirty):
                continue
            source_after = state.evaluate(state.members[source] - {unit})
            best = None
            for target in sorted(targets):
                target_after = state.evaluate(state.members[target] | {unit})
                dv = source_after[0] + target_after[0] - state.score[source][0] - state.score[target][0]
                dc = (source_after[1] + target_after[1] - state.score[source][1] - state.score[target][1]
                      + state.relation_delta(unit, source, target))
                if _better(dv, dc) and (best is None or (dv, dc) < best[0]):
                    best = ((dv, dc), target, target_after)
            # contiguity last: most moves fail on score, and a score is cached, a connectivity check is not
            if best is not None and state.stays_connected(source, {unit}):
                state.apply(unit, best[1], source_after, best[2])
                dirty.update((source, best[1]))
                improved = True
        if not improved:
            if not _past_moves(state, fixed, rng, lambda: _swap_pass(state, fixed)):
                return
            dirty = set(state.members)


def _past_moves(state: State, fixed: set[int], rng: np.random.Generator, swap_pass: Callable[[], bool]) -> bool:
    """When no single move helps: swaps, then a resplit of two groups, then (while a hard rule is broken) a
    repair; whether any of them changed the grouping."""
    if swap_pass() or resplit_pass(state, fixed):
        return True
    return sum(score[0] for score in state.score.values()) > 1e-9 and repair(state, fixed, rng)


def _swap_pass(state: State, fixed: set[int]) -> bool:
    """Exchange two boundary units between adjacent groups where that improves the score."""
    p = state.problem
    improved = False
    for unit in range(len(p.units)):
        if unit in fixed:
            continue
        source = int(state.unit_group[unit])
        for other in p.unit_neighbours[unit]:
            target = int(state.unit_group[other])
            if target == source or other in fixed or other < unit:
                continue
            source_units = state.members[source] - {unit} | {other}
            target_units = state.members[target] - {other} | {unit}
            source_after = state.evaluate(source_units)
            target_after = state.evaluate(target_units)
            dv = source_after[0] + target_after[0] - state.score[source][0] - state.score[target][0]
            dc = (source_after[1] + target_after[1] - state.score[source][1] - state.score[target][1]
                  + _swap_relation_delta(state, unit, other, source, target))
            if _better(dv, dc) and (not p.contiguity or (connected(p.unit_neighbours, source_units)
                                                         and connected(p.unit_neighbours, target_units))):
                state.members[source] = source_units
                state.members[target] = target_units
                state.unit_group[unit] = target
                state.unit_group[other] = source
                state.score[source] = source_after
                state.score[target] = target_after
                improved = True
                break
    return improved


def _swap_relation_delta(state: State, unit: int, other: int, source: int, target: int) -> float:
    p = state.problem
    if not p.relation_weight:
        return 0.0
    delta = state.relation_delta(unit, source, target)
    state.unit_group[unit] = target
    delta += state.relation_delta(other, target, source)
    state.unit_group[unit] = source
    return delta


def solve_piece(problem: PieceProblem, seed: int, restarts: int, initial: np.ndarray | None = None,
                keep_alternatives: bool = False, *, oscillate: int,
                set_partition: SetPartition | None = None, deadline: float | None = None,
                compiled: bool | None = None, progress: Progress | None = None) -> PieceSolution:
    """Best of ``restarts`` runs of region growing + local search on one piece (deterministic per seed).

    With ``initial`` (a group per unit), the first run starts from it instead of region growing. The
    ``oscillate`` best distinct results are then improved by strategic oscillation (:func:`_oscillate`);
    with a ``set_partition`` solver, the groups of every feasible result are recombined (:func:`recombine`).
    With a ``deadline`` (a ``time.perf_counter()`` value), no restart or oscillation starts after it (the first
    restart always runs): the exact method's pool of starts keeps to its share of the time limit.
    ``compiled`` chooses the compiled core (same result, faster; None: by the piece's size, see
    :func:`clusterkit.compiled.use_compiled`).
    ``progress(done, total, note)`` is told of each restart and oscillation finished, with the best score so far
    (:func:`~clusterkit.progress.best_note`); it changes nothing in the search.
    """
    rng = np.random.default_rng(seed)
    if len(problem.units) == 1:
        return PieceSolution(problem.name, np.zeros(1, np.int64), *_single_score(problem), 1, 1, seed)
    counts = group_counts(problem)
    distance = problem.km
    if compiled is None:
        compiled = use_compiled(len(problem.codes))
    memo = _memo(problem, distance, compiled)
    # with a cross or move penalty, each start is first searched without it (see _unpenalised)
    unpenalised = _unpenalised(problem)
    free_memo = _memo(unpenalised, distance, compiled) if unpenalised is not None else None
    penalty_rng = np.random.default_rng([seed, 1])
    free_optima: list[np.ndarray] = []
    runs = restarts if initial is not None else max(restarts, len(counts))
    results: list[tuple[tuple[float, float], np.ndarray]] = []
    steps = runs + min(oscillate, runs)
    for attempt in range(runs):
        if attempt and deadline is not None and time.perf_counter() > deadline:
            break
        count = counts[attempt % len(counts)]
        if initial is not None and attempt == 0:
            state = State(problem, initial.copy(), memo)
            _local_search(state, rng)
        elif unpenalised is None or free_memo is None:
            state = State(problem, grow(problem, count, rng), memo)
            _local_search(state, rng)
        else:
            free = State(unpenalised, grow(problem, count, rng), free_memo)
            _local_search(free, rng)
            if free.totals()[0] <= 1e-9:
                free_optima.append(free.unit_group.copy())
            state = State(problem, free.unit_group.copy(), memo)
            _local_search(state, penalty_rng)
        results.append((state.totals(), state.unit_group.copy()))
        tell(progress, attempt + 1, steps, best_note(f"restart {attempt + 1} of {runs}", [r[0] for r in results]))
    ranked = sorted(range(len(results)), key=lambda k: (_rounded(results[k][0]), k))
    seen: set[tuple[float, float]] = set()
    relaxed_memos: dict[float, Memo] = {}
    for k in ranked:
        if len(seen) >= oscillate or (deadline is not None and time.perf_counter() > deadline):
            break
        if _rounded(results[k][0]) in seen:
            continue
        seen.add(_rounded(results[k][0]))
        state = _oscillate(problem, results[k][1], distance, rng if unpenalised is None else penalty_rng, memo,
                           relaxed_memos)
        results[k] = (state.totals(), state.unit_group.copy())
        tell(progress, runs + len(seen), steps, best_note(f"oscillation {len(seen)}", [r[0] for r in results]))
    feasible = [unit_group for score, unit_group in results if score[0] <= 1e-9] + free_optima
    if set_partition is not None and len(feasible) > 1 and not problem.hubs and not problem.relation_weight:
        if free_memo is not None and len(free_optima) > 1:  # the unpenalised search's own recombination, then on
            assert unpenalised is not None
            combined = recombine(free_optima, len(problem.units), free_memo.scorer.evaluate, set_partition,
                                 problem.count)
            if combined is not None:
                free = State(unpenalised, combined, free_memo)
                _local_search(free, rng)
                state = State(problem, free.unit_group.copy(), memo)
                _local_search(state, penalty_rng)
                results.append((state.totals(), state.unit_group.copy()))
        combined = recombine(feasible, len(problem.units), memo.scorer.evaluate, set_partition, problem.count)
        if combined is not None:
            state = State(problem, combined, memo)
            _local_search(state, rng if unpenalised is None else penalty_rng)
            results.append((state.totals(), state.unit_group.copy()))
    best: tuple[tuple[float, float], np.ndarray] | None = None
    alternatives: list[np.ndarray] = []
    for score, unit_group in results:
        if keep_alternatives and score[0] <= 1e-9:
            alternatives.append(unit_group)
        if best is None or score[0] < best[0][0] - 1e-9 or (abs(score[0] - best[0][0]) <= 1e-9 and score[1] < best[0][1] - 1e-12):
            best = (score, unit_group)
    assert best is not None
    tell(progress, steps, steps, best_note("search done", [best[0]]))
    (violation, cost), unit_group = best
    _, unit_group = np.unique(unit_group, return_inverse=True)
    return PieceSolution(problem.name, unit_group.astype(np.int64), violation, cost, int(unit_group.max()) + 1,
                        runs, seed, tuple(alternatives))


def _unpenalised(problem: PieceProblem) -> PieceProblem | None:
    """The problem without its cross-boundary and move penalties, or None when it has neither.

    A penalty per patient is a wall in the search's landscape: region growing knows no boundary, and once
    a start's groups straddle one, undoing a crossing takes a chain of moves each of which breaks the band
    or first costs more, so the penalised search stops in starts' crossings (14L+01G+00T+00V at ``--cross-
    penalty 2``: 6 crossing groups, penalised 0.91 km, where the unpenalised search's groups cost 0.76 km
    with the penalty). So each start is searched first without the penalties, then with them from that
    local optimum (continuation, as penalty methods do), on a generator of its own so that the first phase
    is the unpenalised search's own; the unpenalised search's recombination is made too and continued with
    the penalties, and its optima are columns of the penalised recombination. Without oscillation (``quick``)
    the search's own (penalised) objective is then never worse than that of the grouping the search makes
    without the penalty: every grouping that search can end in is a start of a penalised phase, which only
    accepts improving steps. (Oscillated starts are not mirrored: there it is each start that improves.)
    """
    if not problem.cross_penalty and not problem.move_penalty:
        return None
    return replace(problem, cross_penalty=0.0, move_penalty=0.0)


def _memo(problem: PieceProblem, distance: np.ndarray, compiled: bool) -> Memo:
    """The shared state of a piece's searches: its scorer, and with ``compiled`` the compiled passes (the
    relation terms have no kernel: searches with them stay in Python)."""
    scorer = GroupScorer(problem, distance)
    passes = None
    if compiled and not problem.relation_weight:
        from clusterkit.heuristic import kernels

        scorer.terms = kernels  # the same score terms, compiled
        passes = kernels.CompiledSearch(problem, scorer.data)
    return Memo(scorer, compiled=passes)


def _rounded(score: tuple[float, float]) -> tuple[float, float]:
    return round(score[0], 9), round(score[1], 12)


def _oscillate(problem: PieceProblem, unit_group: np.ndarray, distance: np.ndarray, rng: np.random.Generator,
               memo: Memo, relaxed_memos: dict[float, Memo]) -> State:
    """Strategic oscillation: relax the band to a penalty, search, then restore it and search again.

    With the band soft at a small penalty per patient outside, the search may pass through groups just
    outside the band to reach a better cut; restoring the hard band then repairs them. Penalties rise
    from :data:`OSCILLATION_PENALTIES`' first to last; a cycle that improves nothing ends it. Returns the
    best hard-band state seen (never worse than the start).
    """
    best = State(problem, unit_group.copy(), memo)
    best_score = best.totals()
    for _ in range(OSCILLATION_CYCLES):
        improved = False
        for penalty in OSCILLATION_PENALTIES:
            relaxed_problem = replace(problem, soft=True, soft_penalty=penalty)
            relaxed_memo = relaxed_memos.get(penalty)
            if relaxed_memo is None:
                relaxed_memo = relaxed_memos[penalty] = _memo(relaxed_problem, distance, memo.compiled is not None)
            relaxed = State(relaxed_problem, best.unit_group.copy(), relaxed_memo)
            _local_search(relaxed, rng)
            restored = State(problem, relaxed.unit_group.copy(), memo)
            _local_search(restored, rng)
            score = restored.totals()
            if _better(score[0] - best_score[0], score[1] - best_score[1]):
                best, best_score = restored, score
                improved = True
        if not improved:
            break
    return best


def _single_score(problem: PieceProblem) -> tuple[float, float]:
    state = State(problem, np.zeros(1, np.int64), Memo(GroupScorer(problem)))
    return state.totals()


@dataclass(frozen=True)
class PieceSolution:
    """Best grouping found for one area: group index per unit, its score, and what the search did."""

    name: str
    unit_group: np.ndarray
    violation: float
    cost: float
    groups: int
    restarts: int
    seed: int
    alternatives: tuple[np.ndarray, ...] = ()
