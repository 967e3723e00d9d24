"""Grouping practices into networks by a seeded heuristic: region growing plus local search with restarts.

:func:`group_heuristic` splits the study area into independent pieces (areas under ``within``, and
parts of the adjacency graph that cannot touch), turns each into arrays (:class:`~clusterkit.search.AreaProblem`)
and solves them side by side on a process pool. Unwilling practices are left out and listed; a practice
larger than its band's upper bound stands alone and is flagged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from clusterkit.diagnosis import check_feasible
from clusterkit.errors import InputError
from clusterkit.graphs import delaunay_edges
from clusterkit.model import PracticeGraph
from clusterkit.pieces import split_areas, too_large
from clusterkit.problem import UNGROUPED, Grouping, GroupingProblem
from clusterkit.results import Status
from clusterkit.search import AreaProblem, AreaSolution, solve_area

__all__ = ["group_heuristic", "area_problems", "adjacency_for", "label_groups", "Effort", "EFFORTS", "effort_of",
           "start_chunks"]

log = logging.getLogger(__name__)

#: Below this many practices in all, areas are solved in this process (a pool costs more than it saves).
PARALLEL_MIN_PRACTICES = 300


def area_problems(graph: PracticeGraph, problem: GroupingProblem,
                  pieces: Sequence[tuple[str, tuple[str, ...]]] | None = None) -> tuple[list[AreaProblem], list[str]]:
    """The :class:`AreaProblem` of every independent piece (or of the ``(name, codes)`` given), and notes."""
    notes: list[str] = []
    if pieces is None:
        pieces, notes = split_areas(graph, problem)
    relation_scale = _shared_staff_scale(graph)
    current = dict(problem.current) if problem.current is not None else {p.code: p.group for p in graph.practices
                                                                         if p.group}
    current_ids = {label: k for k, label in enumerate(sorted(set(current.values())))}
    result = []
    for name, codes in pieces:
        result.append(_area_problem(graph, problem, name, codes, relation_scale, current, current_ids, notes))
    return result, notes


def _shared_staff_scale(graph: PracticeGraph) -> float:
    weights = [w for _, _, w in graph.layer("shared_staff").edges(data="weight", default=1.0)]
    return max(weights) if weights else 1.0


def _area_problem(graph, problem, name, codes, relation_scale, current, current_ids, notes) -> AreaProblem:
    index = {code: k for k, code in enumerate(codes)}
    practices = [graph.practice(code) for code in codes]
    n = len(codes)
    xy = np.array([(p.x, p.y) for p in practices], dtype=float)
    sizes = np.array([p.list_size for p in practices], dtype=float)
    # must-link units
    links = nx.Graph()
    links.add_nodes_from(range(n))
    for a, b in graph.layer("must_link").edges():
        if a in index and b in index:
            links.add_edge(index[a], index[b])
    units = tuple(sorted(tuple(sorted(c)) for c in nx.connected_components(links)))
    unit_of = np.empty(n, dtype=np.int64)
    for u, members in enumerate(units):
        unit_of[list(members)] = u
    # neighbours between units
    pairs: set[tuple[int, int]] = set()
    adjacency = graph.layer("adjacency").subgraph(codes)
    edges = [(index[a], index[b]) for a, b in adjacency.edges()]
    if problem.contiguity and n > 1 and not nx.is_connected(adjacency):
        edges = sorted(delaunay_edges(xy))  # re-triangulated (see split_areas)
    if not problem.contiguity and n > 1:
        _, near = cKDTree(xy).query(xy, k=min(n, 9))
        edges += [(i, int(j)) for i in range(n) for j in np.atleast_1d(near[i]) if int(j) != i]
    for i, j in edges:
        a, b = int(unit_of[i]), int(unit_of[j])
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    neighbours: list[set[int]] = [set() for _ in units]
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    # bands and areas
    area_codes = sorted({p.sub_icb or "" for p in practices})
    area_id = {code: k for k, code in enumerate(area_codes)}
    lower = np.array([problem.band_of(p.sub_icb, p.icb).lower for p in practices], dtype=float)
    upper = np.array([problem.band_of(p.sub_icb, p.icb).upper for p in practices], dtype=float)
    band_area = np.array([area_id[p.sub_icb or ""] for p in practices], dtype=np.int64)
    cannot: list[list[int]] = [[] for _ in range(n)]
    for a, b in graph.layer("cannot_link").edges():
        if a in index and b in index:
            cannot[index[a]].append(index[b])
            cannot[index[b]].append(index[a])
    # relations between units
    relation: list[dict[int, float]] = [dict() for _ in units]
    relation_total = 0.0
    for layer, scale in (("alignment", 1.0), ("shared_staff", relation_scale)):
        for a, b, weight in graph.layer(layer).edges(data="weight", default=1.0):
            if a in index and b in index:
                value = float(weight) / scale
                relation_total += value
                ua, ub = int(unit_of[index[a]]), int(unit_of[index[b]])
                if ua != ub:
                    relation[ua][ub] = relation[ua].get(ub, 0.0) + value
                    relation[ub][ua] = relation[ub].get(ua, 0.0) + value
    # objective weights
    if problem.objective == "distance":
        distance_weight, relation_weight, scale = 1.0, 0.0, 1.0
    else:
        relation_weight = 1.0 if problem.objective == "alignment" else problem.weight
        distance_weight = 1e-3 if problem.objective == "alignment" else 1.0 - problem.weight
        scale = _distance_scale(xy, sizes, lower, upper)
    if relation_weight and relation_total == 0:
        notes.append(f"area {name or 'all'}: no alignment or shared-staff relations; grouped by distance only")
        relation_weight, distance_weight = 0.0, 1.0
    hubs = []
    hub_practice = {}
    for code in problem.centres:
        if code in index:
            unit = int(unit_of[index[code]])
            if unit in hub_practice:
                raise InputError(f"hub practices {code} and {codes[hub_practice[unit]]} are must-linked; "
                                 "two hubs cannot centre one group", source="--centres")
            hubs.append(unit)
            hub_practice[unit] = index[code]
    current_array = np.array([current_ids.get(current.get(code, ""), -1) for code in codes], dtype=np.int64)
    return AreaProblem(
        name=name,
        codes=tuple(codes),
        sizes=sizes,
        xy=xy,
        units=units,
        unit_neighbours=tuple(tuple(sorted(s)) for s in neighbours),
        lower=lower,
        upper=upper,
        band_area=band_area,
        cannot=tuple(tuple(c) for c in cannot),
        relation=tuple(relation),
        relation_total=relation_total,
        current=current_array,
        hubs=tuple(sorted(hubs)),
        hub_practice=hub_practice,
        count=problem.count,
        distance_weight=distance_weight,
        relation_weight=relation_weight,
        distance_scale=scale,
        soft_penalty=problem.penalty,
        cross_penalty=problem.cross_penalty,
        move_penalty=problem.move_penalty,
        soft=problem.soft,
        contiguity=problem.contiguity,
        max_diameter_km=problem.max_diameter_km,
    )


def _distance_scale(xy: np.ndarray, sizes: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """A typical group radius (km): weighted mean distance to the ``m/2``-th nearest practice, where
    ``m`` is the number of practices of a mid-band group. Makes distance and alignment comparable."""
    n = len(xy)
    if n < 2:
        return 1.0
    per_group = max(2, int(round(n * float(np.median((lower + upper) / 2.0)) / max(sizes.sum(), 1.0))))
    k = min(n - 1, max(1, per_group // 2))
    distance, _ = cKDTree(xy).query(xy, k=k + 1)
    radius = np.atleast_2d(distance)[:, -1] / 1000.0
    value = float(np.average(radius, weights=np.maximum(sizes, 1.0)))
    return value if value > 0 else 1.0


def adjacency_for(graph: PracticeGraph, problem: GroupingProblem) -> PracticeGraph:
    """The graph with an adjacency built inside each area of ``problem.within`` (when it is not already).

    A triangulation of the whole selection, restricted to one area, can leave parts of that area
    unconnected although the area is one piece on the map; triangulating each area anew avoids that.
    """
    built = dict(graph.meta.get("adjacency") or {})
    if len(graph) < 2 or not problem.contiguity:
        return graph
    if not built and graph.layer("adjacency").number_of_edges() == 0:
        return graph.with_adjacency("delaunay", within=None if problem.within == "none" else problem.within)
    if problem.within != "none" and built.get("within", "none") != problem.within:
        return graph.with_adjacency(built.get("method", "delaunay"), within=problem.within,
                                    max_edge_km=built.get("max_edge_km"),
                                    **({"k": built["k"]} if built.get("k") else {}),
                                    **({"radius_km": built["radius_km"]} if built.get("radius_km") else {}))
    return graph


#: Pieces with more practices than this, spanning several sub-ICBs, start from a grouping made inside each
#: chunk (about a sub-ICB, :func:`start_chunks`), then moves across the boundaries polish it (one run
#: instead of restarts).
LARGE_PIECE = 250



@dataclass(frozen=True)
class Effort:
    """How hard the heuristic searches.

    Attributes
    ----------
    restarts : int
        Region-growing starts per area (the best is kept).
    oscillate : int
        Best distinct restarts of each area improved by strategic oscillation (the band relaxed to a
        rising penalty, searched, restored and repaired); the costliest and most effective step.
    polish_oscillate : int
        The same for the final polish of a large piece started from its chunks (0: moves only).
    """

    restarts: int
    oscillate: int
    polish_oscillate: int


#: ``--effort`` levels. ``quick``: region growing and local search only (QOP in about 1 s); ``standard``: plus
#: oscillation of each area's best start (all of England within a minute on 2 cores); ``thorough``: 32 starts,
#: the best 12 oscillated, and the polish of a large piece oscillated too (small areas near their optimum).
EFFORTS = {
    "quick": Effort(restarts=4, oscillate=0, polish_oscillate=0),
    "standard": Effort(restarts=8, oscillate=1, polish_oscillate=0),
    "thorough": Effort(restarts=32, oscillate=12, polish_oscillate=1),
}


def effort_of(effort: str | Effort, restarts: int | None = None) -> Effort:
    """The :class:`Effort` named ``effort``, with ``restarts`` instead of its own when given."""
    if isinstance(effort, str):
        if effort not in EFFORTS:
            raise InputError(f"unknown effort; choose {', '.join(EFFORTS)}", source="--effort", value=effort)
        effort = EFFORTS[effort]
    if restarts is not None:
        if restarts < 1:
            raise InputError("must be at least 1", source="--restarts", value=restarts)
        effort = replace(effort, restarts=restarts)
    return effort


def _run(job: tuple[AreaProblem, int, int, np.ndarray | None, int]) -> AreaSolution:
    problem, seed, restarts, initial, oscillate = job
    return solve_area(problem, seed, restarts, initial, oscillate=oscillate)


def start_chunks(graph: PracticeGraph, codes: Sequence[str], lower: float) -> list[tuple[str, ...]]:
    """Cut a large piece into chunks for a starting grouping: the parts of each sub-ICB on the piece's adjacency.

    A sub-ICB restricted to the piece's adjacency can fall into several parts (a practice whose neighbours
    all lie over the boundary); a part too small to make a group of its own (below ``lower``), and every
    part but the largest of its sub-ICB, joins the neighbouring chunk it shares most edges with. Every
    chunk is connected on the adjacency, so the groups made inside it are connected there too.
    """
    adjacency = graph.layer("adjacency").subgraph(codes)
    size = {code: float(graph.practice(code).list_size) for code in codes}
    parts: list[tuple[str, ...]] = []
    for sub_icb, members in sorted(graph.subset(codes).areas("sub_icb").items()):
        found = sorted((tuple(sorted(c)) for c in nx.connected_components(adjacency.subgraph(members))),
                       key=lambda c: (-sum(size[x] for x in c), c[0]))
        parts.extend(found)
    chunk_of = {code: k for k, part in enumerate(parts) for code in part}
    main = set()
    seen_sub_icbs: set[str] = set()
    for k, part in enumerate(parts):  # the largest part of each sub-ICB comes first
        sub_icb = graph.practice(part[0]).sub_icb or ""
        if sub_icb not in seen_sub_icbs:
            seen_sub_icbs.add(sub_icb)
            main.add(k)
    population = [sum(size[x] for x in part) for part in parts]
    parent = list(range(len(parts)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    order = sorted(range(len(parts)), key=lambda k: (k in main, population[k], parts[k][0]))
    for k in order:
        if k in main and population[root(k)] >= lower:
            continue
        links: dict[int, int] = {}
        for code in parts[k]:
            for other in adjacency.neighbors(code):
                target = root(chunk_of[other])
                if target != root(k):
                    links[target] = links.get(target, 0) + 1
        if not links:
            continue
        target = max(sorted(links), key=lambda t: links[t])
        mine = root(k)
        parent[mine] = target
        population[target] += population[mine]
    chunks: dict[int, list[str]] = {}
    for k, part in enumerate(parts):
        chunks.setdefault(root(k), []).extend(part)
    return sorted((tuple(sorted(c)) for c in chunks.values()), key=lambda c: c[0])


def _initial_from_chunks(graph: PracticeGraph, problem: GroupingProblem, area: AreaProblem, seed: int,
                         effort: Effort, workers: int) -> np.ndarray | None:
    """A starting grouping of a large piece: each chunk (about a sub-ICB, see :func:`start_chunks`) grouped
    on its own, side by side; the polish then moves practices across chunk boundaries."""
    sub_icbs = {graph.practice(code).sub_icb for code in area.codes}
    if len(area.codes) <= LARGE_PIECE or len(sub_icbs) < 2:
        return None
    started = time.perf_counter()
    chunks = _keep_units_whole(start_chunks(graph, area.codes, float(area.lower.min())), area)
    chunk_areas, _ = area_problems(graph, replace(problem, count=None),
                                   [(f"{area.name or 'all'}#{k}", codes) for k, codes in enumerate(chunks)])
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(chunk_areas))
    solutions = _solve_all([(chunk, int(s), effort.restarts, None, effort.oscillate)
                            for chunk, s in zip(chunk_areas, seeds)], workers)
    group_of: dict[str, int] = {}
    offset = 0
    for chunk, solution in zip(chunk_areas, solutions):
        for unit, members in enumerate(chunk.units):
            for k in members:
                group_of[chunk.codes[k]] = offset + int(solution.unit_group[unit])
        offset += int(solution.unit_group.max()) + 1
    unit_group = np.array([group_of[area.codes[members[0]]] for members in area.units], dtype=np.int64)
    log.info("start of %s: %d chunks from %d sub-ICBs, violation %.3g, in %.1fs", area.name or "all", len(chunks),
             len(sub_icbs), sum(solution.violation for solution in solutions), time.perf_counter() - started)
    return unit_group


def _keep_units_whole(chunks: list[tuple[str, ...]], area: AreaProblem) -> list[tuple[str, ...]]:
    """Merge chunks that share a must-link unit, so that every unit lies in one chunk."""
    chunk_of = {code: k for k, chunk in enumerate(chunks) for code in chunk}
    merged = nx.Graph()
    merged.add_nodes_from(range(len(chunks)))
    for members in area.units:
        first = chunk_of[area.codes[members[0]]]
        merged.add_edges_from((first, chunk_of[area.codes[k]]) for k in members[1:])
    if merged.number_of_edges() == 0:
        return chunks
    return sorted((tuple(sorted(code for k in component for code in chunks[k]))
                   for component in nx.connected_components(merged)), key=lambda c: c[0])


def _solve_all(jobs: list[tuple[AreaProblem, int, int, np.ndarray | None, int]], workers: int,
               progress: Callable[[int, int], None] | None = None) -> list[AreaSolution]:
    """Solve every job, on a process pool when there are several and enough practices to pay for it."""
    practices = sum(len(job[0].codes) for job in jobs)
    if workers > 1 and len(jobs) > 1 and practices >= PARALLEL_MIN_PRACTICES:
        order = sorted(range(len(jobs)), key=lambda k: -len(jobs[k][0].codes))
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("fork")) as pool:
            futures = {pool.submit(_run, jobs[k]): k for k in order}
            done: dict[int, AreaSolution] = {}
            for future in as_completed(futures):  # report each area as it finishes
                done[futures[future]] = future.result()
                if progress:
                    progress(len(done), len(jobs))
        return [done[k] for k in range(len(jobs))]
    solutions = []
    for k, job in enumerate(jobs):
        solutions.append(_run(job))
        if progress:
            progress(k + 1, len(jobs))
    return solutions


def group_heuristic(
    graph: PracticeGraph,
    problem: GroupingProblem | None = None,
    *,
    seed: int = 0,
    restarts: int | None = None,
    effort: str | Effort = "standard",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Grouping:
    """Group practices by region growing and local search; deterministic for a ``seed``.

    Parameters
    ----------
    graph : PracticeGraph
        Practices with an adjacency layer (see :meth:`PracticeGraph.with_adjacency`).
    problem : GroupingProblem, optional
        Rules and objective (default: hard 30,000-50,000 band, contiguity, distance).
    seed : int
        Seed of the random choices (seeds of regions, order of moves).
    restarts : int, optional
        Region-growing starts per area; the best result is kept (default: the effort's).
    effort : {"quick", "standard", "thorough"} or Effort
        How hard to search (see :data:`EFFORTS`): ``quick`` skips the strategic oscillation.
    workers : int, optional
        Processes (default: the machine's cores). Results do not depend on it.
    progress : callable, optional
        Called with ``(areas done, areas)``.

    Returns
    -------
    Grouping
        ``FEASIBLE`` when every hard rule holds (a heuristic never claims ``OPTIMAL``); ``NO_SOLUTION``
        when it found no grouping meeting them (``notes`` say where). ``bound`` and ``gap`` are None.

    Raises
    ------
    InfeasibleError
        When the rules cannot be met, with the reason in the user's terms.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> graph = synthetic_county(seed=1).with_adjacency()
    >>> grouping = group_heuristic(graph, seed=0, workers=1)
    >>> print(grouping.status)
    FEASIBLE
    """
    started = time.perf_counter()
    search = effort_of(effort, restarts)
    problem = problem or GroupingProblem()
    graph = adjacency_for(graph, problem)
    check_feasible(graph, problem)
    areas, notes = area_problems(graph, problem)
    base = np.random.default_rng(seed).integers(0, 2**31 - 1, size=max(1, len(areas)))
    workers = workers or os.cpu_count() or 1
    jobs = []
    for k, area in enumerate(areas):
        initial = None
        if problem.within == "none" and not problem.centres:
            initial = _initial_from_chunks(graph, problem, area, int(base[k]), search, workers)
        if initial is None:
            jobs.append((area, int(base[k]), search.restarts, None, search.oscillate))
        else:
            jobs.append((area, int(base[k]), 1, initial, search.polish_oscillate))
    solutions = _solve_all(jobs, workers, progress)
    return _assemble(graph, problem, areas, solutions, notes, seed, started, search)


def label_groups(area: AreaProblem, unit_group: np.ndarray, hubs: Sequence[str], number: int,
                 labels: dict[str, str], centres: dict[str, str]) -> int:
    """Label the groups of one area ``G001``, ``G002``, ... from ``number + 1`` on, in order of their first
    practice code, filling ``labels`` (practice -> group) and ``centres`` (group -> its hub practice, else its
    1-median); returns the last number used."""
    members: dict[int, list[int]] = {}
    for unit, group in enumerate(unit_group):
        members.setdefault(int(group), []).extend(area.units[unit])
    for practices in sorted(members.values(), key=lambda m: min(area.codes[i] for i in m)):
        number += 1
        label = f"G{number:03d}"
        index = np.array(sorted(practices))
        for i in index:
            labels[area.codes[i]] = label
        hub = next((area.codes[i] for i in index if area.codes[i] in hubs), None)
        if hub is None:
            xy = area.xy[index]
            distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
            hub = area.codes[int(index[int(np.argmin(area.sizes[index] @ distance))])]
        centres[label] = hub
    return number


def _assemble(graph, problem, areas: Sequence[AreaProblem], solutions: Sequence[AreaSolution], notes, seed, started,
              search: Effort) -> Grouping:
    labels: dict[str, str] = {}
    centres: dict[str, str] = {}
    unwilling = tuple(p.code for p in graph.practices if not p.willing)
    flagged = tuple(p.code for p in graph.practices if p.willing and too_large(p, problem))
    for code in unwilling:
        labels[code] = UNGROUPED
    number = 0
    total_cost = 0.0
    total_population = 0.0
    feasible = True
    for area, solution in zip(areas, solutions):
        total_cost += solution.cost * area.population
        total_population += area.population
        if solution.violation > 1e-9:
            feasible = False
            notes.append(f"area {area.name or 'all'}: no grouping found that meets every hard rule "
                         f"(violation {solution.violation:.3g}); try --soft or --method exact")
        number = label_groups(area, solution.unit_group, problem.centres, number, labels, centres)
    for code in flagged:
        number += 1
        label = f"G{number:03d}"
        labels[code] = label
        centres[label] = code
        notes.append(f"practice {code} ({graph.practice(code).list_size:,} patients) exceeds the band's upper bound "
                     "and stands alone")
    objective = total_cost / total_population if total_population else 0.0
    return Grouping(
        labels=labels,
        status=Status.FEASIBLE if feasible else Status.NO_SOLUTION,
        objective=objective,
        bound=None,
        gap=None,
        seconds=time.perf_counter() - started,
        method="heuristic",
        solver="clusterkit",
        seed=seed,
        centres=centres,
        flagged=flagged,
        unwilling=unwilling,
        notes=tuple(notes),
        params={**problem.to_dict(), "restarts": search.restarts, "oscillate": search.oscillate,
                "polish_oscillate": search.polish_oscillate, "areas": len(areas)},
    )
