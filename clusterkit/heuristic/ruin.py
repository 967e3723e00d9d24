"""Ruin and recreate: regroup a few neighbouring groups at once, from scratch, and keep the better cut.

Moves, swaps and resplits change at most two groups at a time; a grouping can be stuck where three or four
neighbouring groups would be better drawn anew (one too many groups squeezed into a corner, a chain of groups
each one practice off). A *window* is a group and a few of its neighbours: its units are taken out
(:func:`window_problem` makes them a piece of their own), grouped again by the search of one piece
(:func:`~clusterkit.heuristic.search.solve_piece`: region growing from several starts, the window's present
grouping among them, local search and recombination), and the result replaces the window when the whole
grouping scores better. Every window's grouping is connected on the window's own adjacency, which is part of
the piece's, and a group's score depends on its units only, so the hard rules that held still hold and the
total never rises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from clusterkit.heuristic.recombine import SetPartition, partition_of
from clusterkit.heuristic.search import PieceSolution, solve_piece
from clusterkit.parallel import local_pool, run_tasks
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.score import GroupScorer

__all__ = ["WINDOW_GROUPS", "WINDOW_RESTARTS", "MAX_WINDOW_PRACTICES", "BATCH_MIN_PRACTICES", "WINDOW_BATCH",
           "WindowTask", "recreate_solution", "ruin_and_recreate", "search_window",
           "window_problem"]

#: Groups in a window (a group and that many minus one of its neighbours), tried in turn: the next size only
#: after a round over every group improved nothing at this one, back to the first after a gain.
WINDOW_GROUPS = (3, 4, 5)

#: Region-growing starts of a window (besides its present grouping).
WINDOW_RESTARTS = 4

#: Recombinations of the pool of groups met, when every window size is stuck.
RECOMBINATIONS = 2

#: Rounds of recombination around the present groups in one recombination (each adds their neighbours).
RECOMBINE_STEPS = 8

#: Windows are cut down to fewer groups while they hold more practices than this.
MAX_WINDOW_PRACTICES = 100

#: Pieces of this many practices or more regroup windows in batches of up to :data:`WINDOW_BATCH` windows that
#: share no group, searched side by side on the run's workers; smaller pieces one window at a time (a batch
#: of one: each window drawn from the grouping its predecessor left). The batches depend on the piece only,
#: never on the number of workers.
BATCH_MIN_PRACTICES = 300

#: Windows in a batch at most.
WINDOW_BATCH = 32


def window_problem(piece: PieceProblem, units: Sequence[int], count: int | None = None) -> PieceProblem:
    """The piece restricted to ``units`` (sorted unit indices): a piece of its own, with the same rules.

    Practices and units keep their order; adjacency, cannot-links, bands, areas and current groups are those
    of the piece among the kept practices. Scores of a group differ from the piece's by one positive factor
    (costs are per patient of the piece), so the order of two groupings of the window is the same in both.
    Relations and hubs are not carried over (:func:`ruin_and_recreate` leaves such pieces alone).

    Examples
    --------
    >>> import numpy as np
    >>> from clusterkit.problem.piece import PieceProblem
    >>> piece = PieceProblem("a", ("A", "B", "C"), np.array([1.0, 2.0, 3.0]), np.zeros((3, 2)),
    ...                      ((0,), (1,), (2,)), ((1,), (0, 2), (1,)), np.zeros(3), np.ones(3) * 9,
    ...                      np.zeros(3, dtype=np.int64), ((), (), ()), ({}, {}, {}), 0.0,
    ...                      np.full(3, -1))
    >>> window = window_problem(piece, [1, 2])
    >>> window.codes, window.units, window.unit_neighbours
    (('B', 'C'), ((0,), (1,)), ((1,), (0,)))
    """
    unit_index = {int(u): k for k, u in enumerate(units)}
    practices = [i for u in units for i in piece.units[u]]
    practices.sort()
    position = {i: k for k, i in enumerate(practices)}
    index = np.array(practices, dtype=np.int64)
    window = replace(
        piece,
        codes=tuple(piece.codes[i] for i in practices),
        sizes=piece.sizes[index],
        xy=piece.xy[index],
        units=tuple(tuple(position[i] for i in piece.units[u]) for u in units),
        unit_neighbours=tuple(tuple(unit_index[v] for v in piece.unit_neighbours[u] if v in unit_index)
                              for u in units),
        lower=piece.lower[index],
        upper=piece.upper[index],
        band_area=piece.band_area[index],
        cannot=tuple(tuple(position[j] for j in piece.cannot[i] if j in position) for i in practices),
        relation=tuple({} for _ in units),
        relation_total=0.0,
        current=piece.current[index],
        hubs=(),
        hub_practice={},
        count=count,
        relation_weight=0.0,
    )
    kept = np.asarray(units, dtype=np.int64)
    window.__dict__["unit_sizes"] = piece.unit_sizes[kept]  # the same units, the same figures: not recomputed
    window.__dict__["unit_xy"] = piece.unit_xy[kept]
    if "km" in piece.__dict__:
        window.__dict__["km"] = piece.km[np.ix_(index, index)]
    return window


def ruin_and_recreate(piece: PieceProblem, unit_group: np.ndarray, seed: int, passes: int,
                      set_partition: SetPartition | None = None, focus: set[int] | None = None,
                      distance: np.ndarray | None = None, pool_from: Sequence[np.ndarray] = (),
                      compiled: bool | None = None, *, workers: int = 1,
                      executor: Executor | None = None, columns: Iterable[frozenset[int]] = ()) -> np.ndarray:
    """Regroup windows of neighbouring groups while that lowers the score; a group id per unit.

    Parameters
    ----------
    piece : PieceProblem
    unit_group : ndarray
        A group id per unit (not changed).
    seed : int
        Seed of the order of the windows, their neighbours and their starts.
    passes : int
        Rounds over every group at each window size (:data:`WINDOW_GROUPS`); when every size is stuck, the
        groups met so far (those of ``unit_group``, ``pool_from`` and every window's starts) are recombined
        into the cheapest partition (up to :data:`RECOMBINATIONS` times, each followed by windows again).
    set_partition : callable, optional
        The set-partitioning solver of each window's recombination.
    focus : set of int, optional
        Units whose groups are worth a window (e.g. the groups along chunk boundaries); default all.
    distance : ndarray, optional
        The piece's km matrix.
    pool_from : sequence of ndarray
        Other groupings of the piece (a group per unit) whose feasible groups join the recombination's pool.
    compiled : bool, optional
        Whether the windows are searched by the compiled core (None: by each window's size).
    workers : int
        Processes that search a batch of windows side by side (a piece of :data:`BATCH_MIN_PRACTICES` practices
        or more regroups up to :data:`WINDOW_BATCH` disjoint windows at a time); the result does not depend on it.
    executor : concurrent.futures.Executor, optional
        Where the batches' windows run instead of a local pool.
    columns : iterable of frozenset of int
        More groups (sets of units) for the recombination's pool, those that meet every hard rule kept (e.g.
        the exact method's column pool).

    Returns
    -------
    ndarray
        A group id per unit (ids renumbered 0..k-1), scoring no worse than ``unit_group``.
    """
    unit_group = np.unique(unit_group, return_inverse=True)[1].astype(np.int64)
    if passes <= 0 or piece.hubs or piece.relation_weight or len(piece.units) < 3:
        return unit_group
    rng = np.random.default_rng(seed)
    scorer = GroupScorer(piece, distance)
    pool: dict[frozenset[int], float] = {}  # every feasible group met: the columns of the recombination
    for grouping in (unit_group, *pool_from):
        _add_columns(pool, scorer, grouping, range(len(piece.units)))
    for column in columns:
        _add_column(pool, scorer, column)
    members: dict[int, set[int]] = {}
    for unit, group in enumerate(unit_group.tolist()):
        members.setdefault(group, set()).add(unit)
    next_id = max(members) + 1
    sizes = [len(u) for u in piece.units]
    tried: set[frozenset[frozenset[int]]] = set()  # windows regrouped with no gain, as they stood
    batch_size = WINDOW_BATCH if len(piece.codes) >= BATCH_MIN_PRACTICES else 1
    level = 0
    recombined = 0
    with _window_executor(batch_size, workers, executor) as window_executor:
        for _ in range(passes * len(WINDOW_GROUPS) + RECOMBINATIONS):
            improved = False
            centres = sorted(members) if focus is None else sorted({int(unit_group[u]) for u in focus})
            pending = rng.permutation(np.array(centres, dtype=np.int64)).tolist()
            while pending:
                batch, pending = _next_batch(piece, pending, unit_group, members, tried, rng, sizes,
                                             WINDOW_GROUPS[level], batch_size, set_partition, compiled)
                tasks = [window.task for window in batch]
                found_all: list[PieceSolution | None] = [None] * len(batch)
                for position, found in run_tasks(search_window, tasks, executor=window_executor, workers=1):
                    found_all[position] = found
                for window, found in zip(batch, found_all):  # disjoint windows: each kept on its own merit
                    assert found is not None
                    for grouping in found.alternatives:
                        _add_columns(pool, scorer, grouping, window.units)
                    new_groups: dict[int, set[int]] = {}
                    for k, group in enumerate(found.unit_group.tolist()):
                        new_groups.setdefault(group, set()).add(window.units[k])
                    old = [scorer.evaluate(members[g]) for g in window.groups]
                    new = [scorer.evaluate(g) for g in new_groups.values()]
                    if not _better(new, old):
                        tried.add(window.key)
                        continue
                    for g in window.groups:
                        del members[g]
                    for group_units in new_groups.values():
                        members[next_id] = group_units
                        unit_group[sorted(group_units)] = next_id
                        next_id += 1
                    improved = True
            if improved:
                level = 0
            elif level + 1 < len(WINDOW_GROUPS):
                level += 1
            elif set_partition is not None and recombined < RECOMBINATIONS:
                # every window size is stuck: the best partition made of every group met so far
                recombined += 1
                if not _recombine_around(pool, scorer, piece, members, set_partition, focus):
                    break
                unit_group = np.empty(len(piece.units), dtype=np.int64)
                members = dict(enumerate(members.values(), start=next_id))
                for group, group_units in members.items():
                    unit_group[sorted(group_units)] = group
                next_id = max(members) + 1
                level = 0
            else:
                break
    return np.unique(unit_group, return_inverse=True)[1].astype(np.int64)


@dataclass(frozen=True)
class WindowTask:
    """One window to regroup: its piece (:func:`window_problem`), seed and present grouping; a picklable task of
    :func:`clusterkit.parallel.run_tasks`."""

    piece: PieceProblem
    seed: int
    initial: np.ndarray
    set_partition: SetPartition | None = None
    compiled: bool | None = None


def search_window(task: WindowTask) -> PieceSolution:
    """A window regrouped from scratch: :data:`WINDOW_RESTARTS` starts besides its present grouping, local search
    and recombination (:func:`~clusterkit.heuristic.search.solve_piece`, its feasible starts kept)."""
    return solve_piece(task.piece, task.seed, WINDOW_RESTARTS, task.initial, True, oscillate=0,
                       set_partition=task.set_partition, compiled=task.compiled)


@dataclass(frozen=True)
class _Window:
    groups: list[int]
    units: list[int]
    key: frozenset[frozenset[int]]
    task: WindowTask


def _next_batch(piece: PieceProblem, pending: list[int], unit_group: np.ndarray, members: dict[int, set[int]],
                tried: set[frozenset[frozenset[int]]], rng: np.random.Generator, sizes: list[int], groups: int,
                batch_size: int, set_partition: SetPartition | None,
                compiled: bool | None) -> tuple[list[_Window], list[int]]:
    """The next windows to regroup, from the centres ``pending`` in order: up to ``batch_size`` windows sharing no
    group, and the centres left for later (those whose window met one already taken first, in order).

    A centre no longer grouped as it was (its group regrouped) is dropped, as is a window of one group or one
    already regrouped with no gain. With one window per batch this is the plain order of the centres.
    """
    batch: list[_Window] = []
    taken: set[int] = set()
    later: list[int] = []
    for position, centre in enumerate(pending):
        if len(batch) >= batch_size:
            later.extend(pending[position:])
            break
        if centre not in members:
            continue
        if centre in taken:
            later.append(centre)
            continue
        window = _window(piece, unit_group, members, centre, rng, sizes, groups)
        if not taken.isdisjoint(window):
            later.append(centre)
            continue
        key = frozenset(frozenset(members[g]) for g in window)
        if len(window) < 2 or key in tried:
            continue
        taken.update(window)
        units = sorted(u for g in window for u in members[g])
        sub = window_problem(piece, units, count=len(window) if piece.count is not None else None)
        local = {g: k for k, g in enumerate(window)}
        initial = np.array([local[int(unit_group[u])] for u in units], dtype=np.int64)
        task = WindowTask(sub, int(rng.integers(0, 2**31 - 1)), initial, set_partition, compiled)
        batch.append(_Window(window, units, key, task))
    return batch, later


@contextmanager
def _window_executor(batch_size: int, workers: int, executor: Executor | None) -> Iterator[Executor | None]:
    """Where a batch of windows runs: the run's ``executor``, a local pool of ``workers`` processes for the
    whole ruin and recreate, or this process (one window per batch, one worker, or inside a worker)."""
    if batch_size <= 1:
        yield None
    elif executor is not None:
        yield executor
    else:
        with local_pool(workers) as pool:
            yield pool


def _better(new: Sequence[tuple[float, ...]], old: Sequence[tuple[float, ...]]) -> bool:
    """Whether groups scored ``new`` beat groups scored ``old``: less violation, or as little and less cost."""
    dv = sum(score[0] for score in new) - sum(score[0] for score in old)
    dc = sum(score[1] for score in new) - sum(score[1] for score in old)
    return dv < -1e-9 or (abs(dv) <= 1e-9 and dc < -1e-12)


def _add_columns(pool: dict[frozenset[int], float], scorer: GroupScorer, grouping: np.ndarray,
                 units: Sequence[int]) -> None:
    """Add each group of ``grouping`` (a group per entry of ``units``) that meets every hard rule to ``pool``."""
    groups: dict[int, list[int]] = {}
    for k, group in enumerate(np.asarray(grouping).tolist()):
        groups.setdefault(group, []).append(int(units[k]))
    for group_units in groups.values():
        _add_column(pool, scorer, frozenset(group_units))


def _add_column(pool: dict[frozenset[int], float], scorer: GroupScorer, group: frozenset[int]) -> None:
    """Add ``group`` to ``pool`` with its cost when it is new there and meets every hard rule."""
    if group and group not in pool:
        cost = scorer.column_cost(group)
        if cost is not None:
            pool[group] = cost


def _recombine_around(pool: dict[frozenset[int], float], scorer: GroupScorer, piece: PieceProblem,
                      members: dict[int, set[int]], set_partition: SetPartition, focus: set[int] | None) -> bool:
    """Recombine the pool, with the groups one step from the present ones (those holding a ``focus`` unit, when
    given), while that gains (up to :data:`RECOMBINE_STEPS` times); ``members`` replaced in place. Whether
    anything was gained."""
    gained = False
    for _ in range(RECOMBINE_STEPS):
        for group_units in members.values():
            if focus is None or not focus.isdisjoint(group_units):
                _add_neighbour_columns(pool, scorer, piece, frozenset(group_units))
        combined = partition_of(pool, len(piece.units), set_partition, piece.count,
                                start=[frozenset(g) for g in members.values()])
        if combined is None:
            return gained
        groups = [set(np.flatnonzero(combined == g).tolist()) for g in range(int(combined.max()) + 1)]
        if not _better([scorer.evaluate(g) for g in groups], [scorer.evaluate(g) for g in members.values()]):
            return gained
        members.clear()
        members.update(enumerate(groups))
        gained = True
    return gained


def _add_neighbour_columns(pool: dict[frozenset[int], float], scorer: GroupScorer, piece: PieceProblem,
                           group: frozenset[int]) -> None:
    """Add to ``pool`` the feasible groups one step from ``group``: a unit more, a unit less, one exchanged.

    With them the recombination makes chains of moves at once (each group passing a unit to the next), which
    single moves cannot when every step alone breaks the band.
    """
    border = sorted({v for u in group for v in piece.unit_neighbours[u]} - group)
    inside = sorted(group) if len(group) > 1 else []
    variants = [group | {u} for u in border] + [group - {v} for v in inside]
    variants += [(group - {v}) | {u} for u in border for v in inside]
    for key in variants:
        _add_column(pool, scorer, key)


def _window(piece: PieceProblem, unit_group: np.ndarray, members: dict[int, set[int]], centre: int,
            rng: np.random.Generator, sizes: list[int], groups: int) -> list[int]:
    """``centre`` and up to ``groups - 1`` groups drawn at random among those adjacent to the window as it grows,
    within :data:`MAX_WINDOW_PRACTICES` practices (fewer groups while it is over); sorted."""
    window = [centre]
    practices = sum(sizes[u] for u in members[centre])
    while len(window) < groups:
        neighbours = sorted({int(unit_group[v]) for g in window for u in members[g] for v in piece.unit_neighbours[u]}
                            - set(window))
        if not neighbours:
            break
        chosen = int(neighbours[int(rng.integers(len(neighbours)))])
        added = sum(sizes[u] for u in members[chosen])
        if len(window) >= 2 and practices + added > MAX_WINDOW_PRACTICES:
            break
        window.append(chosen)
        practices += added
    return sorted(window)


def recreate_solution(piece: PieceProblem, solution: PieceSolution, seed: int, passes: int,
                      set_partition: SetPartition | None = None, focus: set[int] | None = None, *,
                      compiled: bool | None = None, workers: int = 1,
                      executor: Executor | None = None) -> PieceSolution:
    """``solution`` improved by :func:`ruin_and_recreate` (itself when nothing better is found); ``workers`` and
    ``executor`` say where its batches of windows run."""
    distance = piece.km  # once for the piece's searches (all of England: 6,000 x 6,000 km)
    unit_group = ruin_and_recreate(piece, solution.unit_group, seed, passes, set_partition, focus, distance,
                                   pool_from=solution.alternatives, compiled=compiled, workers=workers,
                                   executor=executor)
    scorer = GroupScorer(piece, distance)
    groups = [set(np.flatnonzero(unit_group == g).tolist()) for g in range(int(unit_group.max()) + 1)]
    scores = [scorer.evaluate(g) for g in groups]
    violation, cost = sum(s[0] for s in scores), sum(s[1] for s in scores)
    if not (violation < solution.violation - 1e-9
            or (abs(violation - solution.violation) <= 1e-9 and cost < solution.cost - 1e-12)):
        return solution
    return replace(solution, unit_group=unit_group, violation=violation, cost=cost, groups=len(groups))
