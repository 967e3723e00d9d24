"""The start of a large piece: a grouping made inside each chunk (about a sub-ICB), polished across chunks.

A piece of several sub-ICBs with more than :data:`LARGE_PIECE` practices is cut into chunks
(:func:`start_chunks`), each grouped as a task of its own; the polish then moves practices across the
chunk boundaries (one run instead of restarts).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from collections.abc import Sequence
from dataclasses import replace

import networkx as nx
import numpy as np

from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.heuristic.effort import Effort
from clusterkit.heuristic.recombine import SetPartition
from clusterkit.heuristic.tasks import PieceTask, solve_tasks
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.pieces import piece_problems

__all__ = ["LARGE_PIECE", "start_chunks", "initial_from_chunks"]

log = logging.getLogger(__name__)


#: Pieces with more practices than this, spanning several sub-ICBs, start from a grouping made inside each
#: chunk (about a sub-ICB, :func:`start_chunks`), then moves across the boundaries polish it (one run
#: instead of restarts). Measured at the default effort, whole against chunked (km): QE1 (193 practices, 8
#: sub-ICBs) 1.491 against 1.461, QNC (140) 1.543 / 1.529, D7T5G (205) 1.504 / 1.460, QF7 (168) 1.094 / 1.117,
#: chunked the faster by a third.
LARGE_PIECE = 100

#: Rounds of ruin and recreate in each chunk at most: the chunks give a start, and the polish's windows
#: across their boundaries gain more (QOP: 0.730 km with one round per chunk and the polish's three, 0.754
#: with three per chunk and none in the polish, 0.753 with none per chunk).
CHUNK_RUIN = 1


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


def initial_from_chunks(graph: PracticeGraph, problem: GroupingProblem, piece: PieceProblem, seed: int,
                        effort: Effort, workers: int, executor: Executor | None = None,
                        set_partition: SetPartition | None = None) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """A starting grouping of a large piece: each chunk (about a sub-ICB, see :func:`start_chunks`) grouped
    on its own, side by side; the polish then moves practices across chunk boundaries.

    Returns a group per unit and the units along the chunks' boundaries (adjacent to a unit of another chunk:
    where the polish's ruin and recreate looks), or None when the piece is not cut into chunks.
    """
    sub_icbs = {graph.practice(code).sub_icb for code in piece.codes}
    if len(piece.codes) <= LARGE_PIECE or len(sub_icbs) < 2:
        return None
    started = time.perf_counter()
    chunks = _keep_units_whole(start_chunks(graph, piece.codes, float(piece.lower.min())), piece)
    chunk_pieces, _ = piece_problems(graph, replace(problem, count=None),
                                   [(f"{piece.name or 'all'}#{k}", codes) for k, codes in enumerate(chunks)])
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(chunk_pieces))
    solutions = solve_tasks([PieceTask(chunk, int(s), effort.restarts, effort.oscillate, set_partition=set_partition,
                                       ruin=min(effort.ruin, CHUNK_RUIN))
                             for chunk, s in zip(chunk_pieces, seeds)], workers=workers, executor=executor)
    group_of: dict[str, int] = {}
    offset = 0
    for chunk, solution in zip(chunk_pieces, solutions):
        for unit, members in enumerate(chunk.units):
            for k in members:
                group_of[chunk.codes[k]] = offset + int(solution.unit_group[unit])
        offset += int(solution.unit_group.max()) + 1
    unit_group = np.array([group_of[piece.codes[members[0]]] for members in piece.units], dtype=np.int64)
    chunk_of = {code: k for k, chunk in enumerate(chunks) for code in chunk}
    unit_chunk = [chunk_of[piece.codes[members[0]]] for members in piece.units]
    border = tuple(unit for unit, neighbours in enumerate(piece.unit_neighbours)
                   if any(unit_chunk[other] != unit_chunk[unit] for other in neighbours))
    log.info("start of %s: %d chunks from %d sub-ICBs, violation %.3g, in %.1fs", piece.name or "all", len(chunks),
             len(sub_icbs), sum(solution.violation for solution in solutions), time.perf_counter() - started)
    return unit_group, border


def _keep_units_whole(chunks: list[tuple[str, ...]], piece: PieceProblem) -> list[tuple[str, ...]]:
    """Merge chunks that share a must-link unit, so that every unit lies in one chunk."""
    chunk_of = {code: k for k, chunk in enumerate(chunks) for code in chunk}
    merged = nx.Graph()
    merged.add_nodes_from(range(len(chunks)))
    for members in piece.units:
        first = chunk_of[piece.codes[members[0]]]
        merged.add_edges_from((first, chunk_of[piece.codes[k]]) for k in members[1:])
    if merged.number_of_edges() == 0:
        return chunks
    return sorted((tuple(sorted(code for k in component for code in chunks[k]))
                   for component in nx.connected_components(merged)), key=lambda c: c[0])
