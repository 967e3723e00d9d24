"""The compiled search core: move and swap passes, group gathering and the contiguity check, in numba.

Each pass makes exactly the decisions of its pure-Python counterpart in :mod:`clusterkit.heuristic.search`
(same order of units, same targets in ascending order, same tie rules, same scores), over integer arrays
instead of sets: a unit's practices and a unit's neighbours as compressed lists (CSR), each group's units
as a doubly linked list, and the groups' scores in one ``(groups, 5)`` array of the terms of
:class:`~clusterkit.problem.score.Score`. A candidate group is scored by the one score
(:func:`clusterkit.problem.score_terms.group_score`, compiled here) over its practices gathered in ascending
order, so a score is the same to the last bit as the Python scorer's. Only the two groups a move or a swap
touches are scored again.

Importing this module imports numba; :mod:`clusterkit.compiled` says when the search uses it.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from clusterkit.problem import score_terms
from clusterkit.problem.score import Score

if TYPE_CHECKING:
    from clusterkit.heuristic.state import State
    from clusterkit.problem.piece import PieceProblem
    from clusterkit.problem.score_terms import ScoreData

__all__ = ["group_score", "group_centre", "build_lists", "move_pass", "swap_pass", "connected_after"]



def _compiled(function, namespace):
    """``function`` compiled, reading its globals from ``namespace`` (where its callees are compiled too)."""
    return njit(cache=True)(types.FunctionType(function.__code__, namespace, function.__name__,
                                               function.__defaults__, function.__closure__))


_namespace = dict(vars(score_terms))
group_centre = _namespace["group_centre"] = _compiled(score_terms.compiled_group_centre, _namespace)
group_score = _namespace["group_score"] = _compiled(score_terms.group_score, _namespace)

#: How much the total violation must fall, or the cost (at equal violation), for a step to count as better.
VIOLATION_TOLERANCE = 1e-9
COST_TOLERANCE = 1e-12


@njit(cache=True)
def _better(delta_violation, delta_cost):
    return delta_violation < -VIOLATION_TOLERANCE or (abs(delta_violation) <= VIOLATION_TOLERANCE
                                                      and delta_cost < -COST_TOLERANCE)


@njit(cache=True)
def build_lists(unit_group, groups):
    """Each group's units as a doubly linked list: ``(head, next, previous, count)``."""
    head = np.full(groups, -1, dtype=np.int64)
    following = np.full(len(unit_group), -1, dtype=np.int64)
    previous = np.full(len(unit_group), -1, dtype=np.int64)
    count = np.zeros(groups, dtype=np.int64)
    for unit in range(len(unit_group) - 1, -1, -1):
        group = unit_group[unit]
        following[unit] = head[group]
        if head[group] >= 0:
            previous[head[group]] = unit
        head[group] = unit
        count[group] += 1
    return head, following, previous, count


@njit(cache=True)
def _unlink(unit, group, head, following, previous, count):
    if previous[unit] >= 0:
        following[previous[unit]] = following[unit]
    else:
        head[group] = following[unit]
    if following[unit] >= 0:
        previous[following[unit]] = previous[unit]
    following[unit] = -1
    previous[unit] = -1
    count[group] -= 1


@njit(cache=True)
def _link(unit, group, head, following, previous, count):
    following[unit] = head[group]
    previous[unit] = -1
    if head[group] >= 0:
        previous[head[group]] = unit
    head[group] = unit
    count[group] += 1


@njit(cache=True)
def _gather(group, removed, added, head, following, unit_start, unit_list, buffer):
    """Practices of ``group`` without unit ``removed`` and with unit ``added`` (-1: none), ascending."""
    size = 0
    unit = head[group]
    while unit >= 0:
        if unit != removed:
            for k in range(unit_start[unit], unit_start[unit + 1]):
                buffer[size] = unit_list[k]
                size += 1
        unit = following[unit]
    if added >= 0:
        for k in range(unit_start[added], unit_start[added + 1]):
            buffer[size] = unit_list[k]
            size += 1
    buffer[:size].sort()
    return size


@njit(cache=True)
def connected_after(group, removed, added, head, following, neighbour_start, neighbour_list, inside, seen,
                    stack, stamp):
    """Whether ``group`` without ``removed`` and with ``added`` (-1: none) is connected and not empty.

    ``inside`` and ``seen`` are per-unit marks compared with ``stamp[0]``, raised on every call (no clearing).
    """
    stamp[0] += 1
    mark = stamp[0]
    members = 0
    first = -1
    unit = head[group]
    while unit >= 0:
        if unit != removed:
            inside[unit] = mark
            members += 1
            first = unit
        unit = following[unit]
    if added >= 0:
        inside[added] = mark
        members += 1
        first = added
    if members <= 1:
        return members == 1
    seen[first] = mark
    stack[0] = first
    top = 1
    reached = 1
    while top > 0:
        top -= 1
        node = stack[top]
        for k in range(neighbour_start[node], neighbour_start[node + 1]):
            other = neighbour_list[k]
            if inside[other] == mark and seen[other] != mark:
                seen[other] = mark
                stack[top] = other
                top += 1
                reached += 1
    return reached == members


@njit(cache=True)
def _set_score(scores, group, score):
    for term in range(5):
        scores[group, term] = score[term]


@njit(cache=True)
def move_pass(order, unit_group, head, following, previous, count, scores, checking, dirty, fixed,
              neighbour_start, neighbour_list, unit_start, unit_list, data, contiguity, buffer, targets,
              inside, seen, stack, stamp, moves):
    """One pass of single-unit moves in ``order``; the moves made go to ``moves`` (unit, source, target).

    A unit is looked at only when its group or a neighbouring group is marked in ``checking`` or ``dirty``;
    groups a move touches are marked in ``dirty``. Returns the number of moves made.
    """
    made = 0
    for position in range(len(order)):
        unit = order[position]
        source = unit_group[unit]
        if fixed[unit] or count[source] == 1:
            continue
        found = 0
        for k in range(neighbour_start[unit], neighbour_start[unit + 1]):
            group = unit_group[neighbour_list[k]]
            if group != source:
                targets[found] = group
                found += 1
        if found == 0:
            continue
        targets[:found].sort()
        look = checking[source] or dirty[source]
        for k in range(found):
            if checking[targets[k]] or dirty[targets[k]]:
                look = True
        if not look:
            continue
        size = _gather(source, unit, -1, head, following, unit_start, unit_list, buffer)
        source_after = group_score(buffer, size, data)
        best_target = -1
        best_violation = 0.0
        best_cost = 0.0
        best_score = source_after
        for k in range(found):
            target = targets[k]
            if k > 0 and target == targets[k - 1]:
                continue
            size = _gather(target, -1, unit, head, following, unit_start, unit_list, buffer)
            target_after = group_score(buffer, size, data)
            dv = source_after[0] + target_after[0] - scores[source, 0] - scores[target, 0]
            dc = source_after[1] + target_after[1] - scores[source, 1] - scores[target, 1] + 0.0
            if _better(dv, dc) and (best_target < 0 or dv < best_violation
                                    or (dv == best_violation and dc < best_cost)):
                best_target, best_violation, best_cost, best_score = target, dv, dc, target_after
        if best_target < 0:
            continue
        if contiguity and not connected_after(source, unit, -1, head, following, neighbour_start, neighbour_list,
                                              inside, seen, stack, stamp):
            continue
        _unlink(unit, source, head, following, previous, count)
        _link(unit, best_target, head, following, previous, count)
        unit_group[unit] = best_target
        _set_score(scores, source, source_after)
        _set_score(scores, best_target, best_score)
        dirty[source] = True
        dirty[best_target] = True
        moves[made, 0] = unit
        moves[made, 1] = source
        moves[made, 2] = best_target
        made += 1
    return made


@njit(cache=True)
def swap_pass(unit_group, head, following, previous, count, scores, fixed, neighbour_start, neighbour_list,
              unit_start, unit_list, data, contiguity, buffer, inside, seen, stack, stamp, moves):
    """One pass of swaps of two adjacent units of different groups (each unit swapped at most once as the
    first of a pair); the swaps made go to ``moves`` (unit, other, unit's group before, other's group before). Returns the number of swaps made."""
    made = 0
    for unit in range(len(unit_group)):
        if fixed[unit]:
            continue
        source = unit_group[unit]
        for k in range(neighbour_start[unit], neighbour_start[unit + 1]):
            other = neighbour_list[k]
            target = unit_group[other]
            if target == source or fixed[other] or other < unit:
                continue
            # each side: its group without its unit, with the other's (gathered by hand: one out, one in)
            size = _gather(source, unit, other, head, following, unit_start, unit_list, buffer)
            source_after = group_score(buffer, size, data)
            size = _gather(target, other, unit, head, following, unit_start, unit_list, buffer)
            target_after = group_score(buffer, size, data)
            dv = source_after[0] + target_after[0] - scores[source, 0] - scores[target, 0]
            dc = source_after[1] + target_after[1] - scores[source, 1] - scores[target, 1] + 0.0
            if not _better(dv, dc):
                continue
            if contiguity and not (connected_after(source, unit, other, head, following, neighbour_start,
                                                   neighbour_list, inside, seen, stack, stamp)
                                   and connected_after(target, other, unit, head, following, neighbour_start,
                                                       neighbour_list, inside, seen, stack, stamp)):
                continue
            _unlink(unit, source, head, following, previous, count)
            _unlink(other, target, head, following, previous, count)
            _link(unit, target, head, following, previous, count)
            _link(other, source, head, following, previous, count)
            unit_group[unit] = target
            unit_group[other] = source
            _set_score(scores, source, source_after)
            _set_score(scores, target, target_after)
            moves[made, 0] = unit
            moves[made, 1] = other
            moves[made, 2] = source
            moves[made, 3] = target
            made += 1
            break
    return made


class SearchArrays:
    """A piece's arrays for the kernels (built once per piece, shared by its searches), and scratch space.

    Parameters
    ----------
    piece : PieceProblem
    data : ScoreData
        The piece's score arrays (:func:`clusterkit.problem.score_terms.score_data`).
    """

    def __init__(self, piece: PieceProblem, data: ScoreData) -> None:
        units = len(piece.units)
        self.data = data
        self.unit_start = np.zeros(units + 1, dtype=np.int64)
        self.unit_start[1:] = np.cumsum([len(members) for members in piece.units])
        self.unit_list = np.array([i for members in piece.units for i in sorted(members)], dtype=np.int64)
        self.neighbour_start = np.zeros(units + 1, dtype=np.int64)
        self.neighbour_start[1:] = np.cumsum([len(row) for row in piece.unit_neighbours])
        self.neighbour_list = np.array([v for row in piece.unit_neighbours for v in row], dtype=np.int64)
        self.fixed = np.zeros(units, dtype=np.bool_)
        self.fixed[list(piece.hubs)] = True
        self.contiguity = bool(piece.contiguity)
        self.buffer = np.zeros(len(piece.codes), dtype=np.int64)
        self.targets = np.zeros(max(1, int(np.diff(self.neighbour_start).max(initial=0))), dtype=np.int64)
        self.inside = np.zeros(units, dtype=np.int64)
        self.seen = np.zeros(units, dtype=np.int64)
        self.stack = np.zeros(units, dtype=np.int64)
        self.stamp = np.zeros(1, dtype=np.int64)
        self.moves = np.zeros((units, 4), dtype=np.int64)


class CompiledSearch:
    """The compiled move and swap passes on a :class:`~clusterkit.heuristic.state.State` of one piece.

    Each call lays the state's groups out as linked lists and its scores as an array, runs the kernel and
    writes the moves made back into the state (members, scores of the groups touched).
    """

    def __init__(self, piece: PieceProblem, data: ScoreData) -> None:
        self.arrays = SearchArrays(piece, data)

    def _layout(self, state: State) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        groups = max(state.members) + 1
        head, following, previous, count = build_lists(state.unit_group, groups)
        scores = np.zeros((groups, 5))
        for group, score in state.score.items():
            scores[group] = score
        return groups, head, following, previous, count, scores

    def _write_back(self, state: State, scores: np.ndarray, touched: Iterable[int]) -> None:
        for group in touched:
            state.score[group] = Score(*(float(term) for term in scores[group]))

    def move_pass(self, state: State, order: np.ndarray, checking: set[int], dirty: set[int]) -> bool:
        """One pass of moves over ``order``; groups touched are added to ``dirty``. Whether any was made."""
        a = self.arrays
        groups, head, following, previous, count, scores = self._layout(state)
        check = np.zeros(groups, dtype=np.bool_)
        check[[g for g in checking if g < groups]] = True
        marked = np.zeros(groups, dtype=np.bool_)
        made = move_pass(order, state.unit_group, head, following, previous, count, scores, check, marked,
                         a.fixed, a.neighbour_start, a.neighbour_list, a.unit_start, a.unit_list, a.data,
                         a.contiguity, a.buffer, a.targets, a.inside, a.seen, a.stack, a.stamp, a.moves)
        touched = set()
        for unit, source, target in a.moves[:made, :3].tolist():
            state.members[source].discard(unit)
            state.members[target].add(unit)
            touched.update((source, target))
        self._write_back(state, scores, touched)
        dirty.update(np.flatnonzero(marked).tolist())
        return made > 0

    def resplit_cuts(self, units: np.ndarray, in_first: np.ndarray, centres: np.ndarray, centre_unit: np.ndarray,
                     unit_sizes: np.ndarray, band_mode: int, lower: float,
                     upper: float) -> tuple[np.ndarray, np.ndarray]:
        """The resplit screen of two merged groups (see :func:`resplit_cuts`)."""
        a = self.arrays
        return resplit_cuts(units, in_first, a.unit_start, a.unit_list, a.data, unit_sizes,
                            np.ascontiguousarray(centres, dtype=np.int64),
                            np.ascontiguousarray(centre_unit, dtype=np.int64), band_mode, lower, upper, a.buffer)

    def swap_pass(self, state: State) -> bool:
        """One pass of swaps; whether any was made."""
        a = self.arrays
        groups, head, following, previous, count, scores = self._layout(state)
        made = swap_pass(state.unit_group, head, following, previous, count, scores, a.fixed, a.neighbour_start,
                         a.neighbour_list, a.unit_start, a.unit_list, a.data, a.contiguity, a.buffer, a.inside,
                         a.seen, a.stack, a.stamp, a.moves)
        touched = set()
        for unit, other, source, target in a.moves[:made].tolist():
            state.members[source].discard(unit)
            state.members[target].discard(other)
            state.members[target].add(unit)
            state.members[source].add(other)
            touched.update((source, target))
        self._write_back(state, scores, touched)
        return made > 0


@njit(cache=True)
def resplit_cuts(units, in_first, unit_start, unit_list, data, unit_sizes, centres, centre_unit, band_mode,
                 lower, upper, buffer):
    """The screen of merge-and-resplit (:func:`clusterkit.heuristic.resplit._resplit`), compiled.

    For every pair of candidate centres with different units, the merged ``units`` ordered by how much
    nearer they lie to the first centre (stable), and every prefix cut whose distance cost is below the
    current pair's (the groups of ``units`` in ``in_first`` and of the others, each to its centre): returns ``(order, candidates)``, the orders ``(pairs, m)`` and the cuts as flat indices
    ``pair * (m - 1) + cut`` sorted by cost (stable). ``band_mode`` 0: no screen (soft band), 1: both sides
    at least ``lower``, 2: both sides in ``[lower, upper]``.
    """
    m = len(units)
    sizes = data.sizes
    distance = data.distance
    current = 0.0
    for side in (True, False):
        size = 0
        for position in range(m):
            if in_first[position] == side:
                for k in range(unit_start[units[position]], unit_start[units[position] + 1]):
                    buffer[size] = unit_list[k]
                    size += 1
        buffer[:size].sort()
        current += group_centre(buffer, size, data)[1]
    centre_count = len(centres)
    unit_cost = np.zeros((m, centre_count))
    for position in range(m):
        unit = units[position]
        for k in range(unit_start[unit], unit_start[unit + 1]):
            practice = unit_list[k]
            for c in range(centre_count):
                unit_cost[position, c] += sizes[practice] * distance[practice, centres[c]]
    total = 0.0
    for position in range(m):
        total += unit_sizes[position]
    pairs = 0
    for f in range(centre_count):
        for s in range(f + 1, centre_count):
            if centre_unit[f] != centre_unit[s]:
                pairs += 1
    order = np.zeros((pairs, m), dtype=np.int64)
    value = np.full(pairs * (m - 1), np.inf)
    preference = np.zeros(m)
    pair = 0
    for f in range(centre_count):
        for s in range(f + 1, centre_count):
            if centre_unit[f] == centre_unit[s]:
                continue
            for position in range(m):
                preference[position] = unit_cost[position, f] - unit_cost[position, s]
            preference[centre_unit[f]] = -np.inf
            preference[centre_unit[s]] = np.inf
            order[pair] = np.argsort(preference, kind="mergesort")
            second_all = 0.0
            for position in range(m):
                second_all += unit_cost[position, s]
            taken = 0.0
            cost_first = 0.0
            cost_second = 0.0
            for cut in range(m - 1):
                position = order[pair, cut]
                taken += unit_sizes[position]
                cost_first += unit_cost[position, f]
                cost_second += unit_cost[position, s]
                rest = total - taken
                if band_mode == 1 and not (taken >= lower and rest >= lower):
                    continue
                if band_mode == 2 and not (lower <= taken <= upper and lower <= rest <= upper):
                    continue
                value[pair * (m - 1) + cut] = cost_first + (second_all - cost_second)
            pair += 1
    below = np.flatnonzero(value < current - 1e-9)
    candidates = below[np.argsort(value[below], kind="mergesort")]
    return order, candidates
