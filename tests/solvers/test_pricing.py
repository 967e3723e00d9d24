"""Column generation of the exact grouping solver, checked against brute force on tiny pieces.

Each instance is a hand-made :class:`PracticeGraph` of 5 to 9 practices turned into
a :class:`PieceProblem` by :func:`clusterkit.problem.pieces.piece_problems`. The brute force enumerates every
subset of units (at most 2^9) and keeps the feasible groups, taking :meth:`Pricer.cost` as the column
cost (None: infeasible) so that the tests check the searches (pricing, enumeration, master), not the
cost formula; one test checks that formula and its feasibility rules independently.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from clusterkit.model import Practice, PracticeGraph, Relation
from clusterkit.problem import Band, GroupingProblem
from clusterkit.problem.pieces import piece_problems
from solvers.grouping.colgen import solve_piece_colgen
from solvers.grouping.enumeration import enumerate_columns
from solvers.grouping.pricing import Pricer

TOL = 1e-9

#: BNG metres of the first practice; the instances sit a few km around it.
X0, Y0 = 450_000.0, 300_000.0


# ---------------------------------------------------------------------------------------------- brute force
def build_graph(points, sizes, edges=None, relations=(), adjacency="delaunay", **options) -> PracticeGraph:
    """Practices ``P0..Pn`` at ``(x, y)`` metres from (X0, Y0); ``edges`` (index pairs) is the adjacency
    layer as given, else it is built by ``with_adjacency(adjacency, **options)``; ``relations`` are
    ``(a, b, kind)`` index triples (``must_link`` / ``cannot_link``)."""
    practices = [Practice(f"P{k}", f"P{k} SURGERY", 52.5, -1.5, X0 + float(x), Y0 + float(y), int(s), s * 120.0,
                          "00A", "QAA") for k, ((x, y), s) in enumerate(zip(points, sizes))]
    graph = PracticeGraph.from_practices(practices)
    if relations:
        graph = graph.with_relations(Relation(f"P{a}", f"P{b}", kind) for a, b, kind in relations)
    if edges is None:
        return graph.with_adjacency(adjacency, **options)
    layer = nx.Graph()
    layer.add_edges_from((f"P{a}", f"P{b}") for a, b in edges)
    return graph.with_layer("adjacency", layer)


def one_piece(graph: PracticeGraph, problem: GroupingProblem):
    """The single :class:`PieceProblem` of ``graph`` under ``problem``."""
    pieces, _ = piece_problems(graph, problem)
    assert len(pieces) == 1
    return pieces[0]


def feasible_columns(pricer: Pricer) -> dict[frozenset[int], float]:
    """Every non-empty subset of units whose :meth:`Pricer.cost` is not None, with that cost."""
    columns = {}
    for r in range(1, pricer.n + 1):
        for subset in itertools.combinations(range(pricer.n), r):
            column = frozenset(subset)
            cost = pricer.cost(column)
            if cost is not None:
                columns[column] = cost
    return columns


def reduced(cost: float, column: frozenset[int], duals: np.ndarray, mu: float) -> float:
    """Reduced cost of a column: ``cost - sum(duals[column]) - mu``."""
    return cost - float(duals[sorted(column)].sum()) - mu


def centred_cost(piece, column: frozenset[int], centre: int) -> float:
    """Distance cost of the group ``column`` (units) to the practice ``centre``, computed from scratch:
    patient-km to the centre over the piece's population (distance objective, weight 1, scale 1)."""
    total = 0.0
    for u in column:
        for i in piece.units[u]:
            km = math.hypot(*(piece.xy[i] - piece.xy[centre])) / 1000.0
            total += piece.sizes[i] * km
    return piece.distance_weight * total / (piece.distance_scale * piece.population)


def best_partition(n: int, columns: dict[frozenset[int], float]) -> float | None:
    """Least total cost of a partition of units ``0..n-1`` into feasible columns (None if there is none)."""
    by_first: dict[int, list[tuple[int, float]]] = {u: [] for u in range(n)}
    for column, cost in columns.items():
        by_first[min(column)].append((sum(1 << u for u in column), cost))

    @lru_cache(maxsize=None)
    def best(remaining: int) -> float:
        if remaining == 0:
            return 0.0
        first = (remaining & -remaining).bit_length() - 1
        value = math.inf
        for mask, cost in by_first[first]:
            if mask & remaining == mask:
                value = min(value, cost + best(remaining & ~mask))
        return value

    value = best((1 << n) - 1)
    return None if math.isinf(value) else value


def worst_partition(n: int, columns: dict[frozenset[int], float]) -> np.ndarray | None:
    """The costliest partition into feasible columns, as a group per unit (a poor but feasible start)."""
    by_first: dict[int, list[frozenset[int]]] = {u: [] for u in range(n)}
    for column in columns:
        by_first[min(column)].append(column)

    @lru_cache(maxsize=None)
    def worst(remaining: frozenset[int]) -> tuple[float, tuple[frozenset[int], ...]] | None:
        if not remaining:
            return 0.0, ()
        found = None
        for column in by_first[min(remaining)]:
            if column <= remaining:
                rest = worst(remaining - column)
                if rest is not None and (found is None or columns[column] + rest[0] > found[0]):
                    found = (columns[column] + rest[0], (column,) + rest[1])
        return found

    result = worst(frozenset(range(n)))
    if result is None:
        return None
    unit_group = np.empty(n, dtype=np.int64)
    for number, column in enumerate(result[1]):
        unit_group[sorted(column)] = number
    return unit_group


def random_duals(columns: dict[frozenset[int], float], n: int, seed: int) -> np.ndarray:
    """Unit duals of the size of a column cost shared by its units (some columns then price out negative)."""
    per_unit = float(np.mean([cost / len(column) for column, cost in columns.items()]))
    return np.random.default_rng(seed).normal(1.2 * per_unit, per_unit, size=n)


# ---------------------------------------------------------------------------------------------- instances
@dataclass(frozen=True)
class Instance:
    name: str
    graph: PracticeGraph
    problem: GroupingProblem


#: The ladder's adjacency: two rails of four practices and their four rungs.
LADDER_EDGES = [(0, 1), (1, 2), (2, 3), (4, 5), (5, 6), (6, 7), (0, 4), (1, 5), (2, 6), (3, 7)]


def ladder() -> Instance:
    """Eight practices on a 2 x 4 ladder, 1 km apart, hand-made adjacency (rungs and rails only)."""
    points = [(1000 * (k % 4), 1000 * (k // 4)) for k in range(8)]
    sizes = [3000, 5000, 4000, 6000, 2000, 7000, 3500, 4500]
    return Instance("ladder8", build_graph(points, sizes, LADDER_EDGES), GroupingProblem(band=Band(7000, 16000)))


def path_with_cannot() -> Instance:
    """Seven practices on a bent path with one chord, and a cannot-link pair P1-P3."""
    points = [(0, 0), (1200, 300), (2100, 0), (3000, 800), (2500, 2000), (1200, 2200), (300, 1500)]
    sizes = [4000, 2500, 6000, 3000, 5000, 3500, 4500]
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 0), (1, 5)]
    return Instance("path7-cannot", build_graph(points, sizes, edges, relations=[(1, 3, "cannot_link")]),
                    GroupingProblem(band=Band(6000, 15000)))


def grid() -> Instance:
    """Nine practices on a jittered 3 x 3 grid with a Delaunay adjacency."""
    rng = np.random.default_rng(7)
    points = [(1500 * (k % 3) + rng.integers(-300, 300), 1500 * (k // 3) + rng.integers(-300, 300))
              for k in range(9)]
    sizes = [2000, 4500, 3000, 6000, 2500, 5000, 3500, 4000, 5500]
    return Instance("grid9", build_graph(points, sizes), GroupingProblem(band=Band(8000, 14000)))


def grid_diameter() -> Instance:
    """The nine-practice grid with a 2.5 km diameter limit."""
    base = grid()
    return Instance("grid9-diameter", base.graph, GroupingProblem(band=Band(6000, 14000), max_diameter_km=2.5))


def must_link() -> Instance:
    """Eight practices (k-nearest adjacency) with P2 and P5 must-linked: seven units."""
    points = [(0, 0), (900, 200), (1800, 0), (2600, 700), (300, 1300), (1400, 1100), (2300, 1800), (800, 2400)]
    sizes = [3000, 4000, 2500, 5000, 3500, 2000, 6000, 4500]
    graph = build_graph(points, sizes, relations=[(2, 5, "must_link")], adjacency="knn", k=3)
    return Instance("must-link8", graph, GroupingProblem(band=Band(7000, 15000)))


INSTANCES = [ladder(), path_with_cannot(), grid(), grid_diameter(), must_link()]


@dataclass
class Prepared:
    """An instance's piece, its pricer and brute-force feasible columns."""

    piece: object
    pricer: Pricer
    columns: dict[frozenset[int], float]


_PREPARED: dict[str, Prepared] = {}


def prepared(instance: Instance) -> Prepared:
    if instance.name not in _PREPARED:
        piece = one_piece(instance.graph, instance.problem)
        pricer = Pricer(piece)
        _PREPARED[instance.name] = Prepared(piece, pricer, feasible_columns(pricer))
    return _PREPARED[instance.name]


@pytest.fixture(params=INSTANCES, ids=[i.name for i in INSTANCES])
def case(request) -> Prepared:
    return prepared(request.param)


# ---------------------------------------------------------------------------------------------- the instances
def test_instances_have_several_feasible_groups(case: Prepared) -> None:
    assert len(case.columns) >= 12
    assert best_partition(case.pricer.n, case.columns) is not None
    if case is prepared(must_link()):
        assert len(case.piece.units) == 7 and (2, 5) in case.piece.units
    else:
        assert case.piece.units == tuple((i,) for i in range(len(case.piece.codes)))


def test_cost_is_none_exactly_for_disconnected_or_out_of_band_groups() -> None:
    """Feasibility and cost of every subset of the ladder, from its own edges, sizes and coordinates."""
    instance = ladder()
    case = prepared(instance)
    piece, pricer = case.piece, case.pricer
    assert piece.unit_neighbours == tuple(tuple(sorted({b for a, b in LADDER_EDGES if a == u}
                                                      | {a for a, b in LADDER_EDGES if b == u})) for u in range(8))
    lower, upper = instance.problem.band.lower, instance.problem.band.upper
    outcomes = {"disconnected": 0, "out of band": 0, "feasible": 0}
    for r in range(1, 9):
        for subset in itertools.combinations(range(8), r):
            members = set(subset)
            seen, stack = {subset[0]}, [subset[0]]
            while stack:
                u = stack.pop()
                for a, b in LADDER_EDGES:
                    v = b if a == u else a if b == u else None
                    if v in members and v not in seen:
                        seen.add(v)
                        stack.append(v)
            connected = seen == members
            population = sum(piece.sizes[i] for i in subset)
            in_band = lower <= population <= upper
            cost = pricer.cost(frozenset(subset))
            if not connected:
                outcomes["disconnected"] += 1
            elif not in_band:
                outcomes["out of band"] += 1
            else:
                outcomes["feasible"] += 1
            assert (cost is None) == (not connected or not in_band), subset
            if cost is not None:
                expected = min(centred_cost(piece, frozenset(subset), c) for c in subset)
                assert cost == pytest.approx(expected, abs=TOL), subset
    assert min(outcomes.values()) > 0, outcomes


# ---------------------------------------------------------------------------------------------- pricing
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_pricing_is_the_least_reduced_cost_of_a_group_at_its_centre(case: Prepared, seed: int) -> None:
    piece, pricer, columns = case.piece, case.pricer, case.columns
    duals = random_duals(columns, pricer.n, seed)
    mu = 0.0
    overall = math.inf
    for centre in pricer.centres:
        root = pricer.unit_of[centre]
        candidates = {column: reduced(centred_cost(piece, column, centre), column, duals, mu)
                      for column in columns if root in column}
        expected = min(candidates.values(), default=math.inf)
        value, column = pricer.exact(centre, duals, mu, 10.0)
        if math.isinf(expected):
            assert value == math.inf and column is None, centre
            continue
        assert value == pytest.approx(expected, abs=TOL), centre
        assert column is not None and column in candidates, (centre, column)
        assert candidates[column] == pytest.approx(expected, abs=TOL), (centre, column)
        overall = min(overall, value)
    # the least over the centres bounds every column priced at its best centre (and, with every practice a
    # centre candidate and no relations, equals that least reduced cost)
    least = min(reduced(cost, column, duals, mu) for column, cost in columns.items())
    assert overall <= least + TOL
    assert overall == pytest.approx(least, abs=TOL)


@pytest.mark.parametrize("seed, mu", [(0, 0.0), (1, 0.0), (2, 0.02), (3, -0.02)])
def test_greedy_pricing_returns_feasible_negative_columns(case: Prepared, seed: int, mu: float) -> None:
    pricer = case.pricer
    duals = random_duals(case.columns, pricer.n, seed)
    found = 0
    for centre in pricer.centres:
        for rc, column in pricer.greedy(centre, duals, mu):
            cost = pricer.cost(column)
            assert cost is not None, (centre, column)
            assert column in case.columns
            assert pricer.unit_of[centre] in column
            assert rc == pytest.approx(reduced(cost, column, duals, mu), abs=TOL)
            assert rc < -1e-9
            found += 1
    assert found > 0


@pytest.mark.parametrize("seed, mu", [(0, 0.0), (1, 0.0), (2, 0.03)])
def test_enumeration_returns_every_column_within_the_slack(case: Prepared, seed: int, mu: float) -> None:
    pricer, columns = case.pricer, case.columns
    duals = random_duals(columns, pricer.n, seed)
    values = {column: reduced(cost, column, duals, mu) for column, cost in columns.items()}
    for slack in (0.0, float(np.quantile(list(values.values()), 0.6)), 1e6):
        result = enumerate_columns(pricer, duals, mu, slack, time.perf_counter() + 10.0)
        assert result is not None
        expected = {column for column, value in values.items() if value <= slack}
        assert set(result) == expected, slack
        for column, cost in result.items():
            assert cost == pytest.approx(columns[column], abs=TOL)
    assert set(enumerate_columns(pricer, duals, mu, 1e6, time.perf_counter() + 10.0)) == set(columns)


# ---------------------------------------------------------------------------------------------- the solver
def check_solution(pricer: Pricer, columns, result, optimum: float) -> None:
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(optimum, abs=TOL)
    assert result.bound <= result.objective + TOL
    assert result.bound >= result.objective * (1 - 1e-4) - TOL
    groups = [frozenset(np.flatnonzero(result.unit_group == g).tolist()) for g in np.unique(result.unit_group)]
    assert sorted(u for g in groups for u in g) == list(range(pricer.n))
    assert all(g in columns for g in groups)
    assert sum(columns[g] for g in groups) == pytest.approx(result.objective, abs=TOL)


def test_solver_finds_the_brute_force_optimum(case: Prepared) -> None:
    optimum = best_partition(case.pricer.n, case.columns)
    result = solve_piece_colgen(case.piece, [], time_limit=20)
    check_solution(case.pricer, case.columns, result, optimum)


def test_solver_proves_the_optimum_from_a_poor_start(case: Prepared) -> None:
    """Seeded with the costliest feasible grouping, the enumeration step must still reach the optimum."""
    optimum = best_partition(case.pricer.n, case.columns)
    start = worst_partition(case.pricer.n, case.columns)
    result = solve_piece_colgen(case.piece, [start], time_limit=20)
    check_solution(case.pricer, case.columns, result, optimum)


#: Eight practices (no relations) whose master LP has an integrality gap at every number of groups.
GAP_POINTS = [(2174, 1837), (7, 356), (2307, 2373), (967, 7), (1542, 689), (473, 751), (3636, 2052), (3461, 3465)]
GAP_SIZES = [1379, 3874, 5481, 4639, 1253, 4099, 3547, 1699]


def gap_instance() -> Prepared:
    graph = build_graph(GAP_POINTS, GAP_SIZES)
    return prepared(Instance("lp-gap8", graph, GroupingProblem(band=Band(5512, 11736))))


def test_solver_without_starts_stays_sound_on_an_lp_gap() -> None:
    """Without starts the solver may stop short, but its bound and its status must stay honest."""
    case = gap_instance()
    optimum = best_partition(case.pricer.n, case.columns)
    assert optimum == pytest.approx(0.5319826935694205, abs=1e-12)
    result = solve_piece_colgen(case.piece, [], time_limit=20)
    assert result.objective >= optimum - TOL
    assert result.bound <= optimum + TOL
    assert result.status == "OPTIMAL" or result.bound < result.objective * (1 - 1e-4)
    # given any feasible grouping as a start, the same piece is proven at once
    seeded = solve_piece_colgen(case.piece, [worst_partition(case.pricer.n, case.columns)], time_limit=20)
    check_solution(case.pricer, case.columns, seeded, optimum)


def test_solver_without_starts_proves_the_optimum_despite_an_lp_gap() -> None:
    case = gap_instance()
    result = solve_piece_colgen(case.piece, [], time_limit=20)
    check_solution(case.pricer, case.columns, result, best_partition(case.pricer.n, case.columns))


def test_exact_pricing_knows_a_must_link_unit_wider_than_the_diameter() -> None:
    points = [(0, 0), (3000, 0), (1000, 800), (2000, 900), (500, 1800), (2500, 1800)]
    sizes = [3000, 3000, 4000, 3500, 2500, 4500]
    graph = build_graph(points, sizes, relations=[(0, 1, "must_link")])
    case = prepared(Instance("wide-unit6", graph, GroupingProblem(band=Band(5000, 12000), max_diameter_km=2.0)))
    assert case.piece.units[0] == (0, 1)
    assert not any(0 in column for column in case.columns)
    value, column = case.pricer.exact(0, np.zeros(case.pricer.n), 0.0, 10.0)
    assert value == math.inf and column is None


@st.composite
def random_instances(draw):
    """5-7 practices within 4 km, list sizes 1,000-6,000, a Delaunay or 2-nearest adjacency, band total/4-total/2."""
    n = draw(st.integers(5, 7))
    points = draw(st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 4000)), min_size=n, max_size=n,
                           unique=True))
    sizes = draw(st.lists(st.integers(1000, 6000), min_size=n, max_size=n))
    total = sum(sizes)
    method = draw(st.sampled_from(["delaunay", "knn"]))
    options = {"k": 2} if method == "knn" else {}
    return build_graph(points, sizes, adjacency=method, **options), GroupingProblem(band=Band(total // 4, total // 2))


def random_case(instance) -> Prepared:
    graph, problem = instance
    pieces, _ = piece_problems(graph, problem)
    assume(len(pieces) == 1)
    pricer = Pricer(pieces[0])
    return Prepared(pieces[0], pricer, feasible_columns(pricer))


def solvable_case(instance) -> tuple[Prepared, float]:
    """:func:`random_case` with at least one feasible grouping, and the brute-force optimum (others are discarded)."""
    case = random_case(instance)
    optimum = best_partition(case.pricer.n, case.columns)
    assume(optimum is not None)
    return case, optimum


def brute_force_settings(examples: int) -> settings:
    """The hypothesis settings of the brute-force properties: reproducible, no deadline (a piece may take a second)."""
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@brute_force_settings(30)
@given(random_instances(), st.booleans())
def test_solver_matches_brute_force_on_random_pieces(instance, seeded: bool) -> None:
    """NO_SOLUTION exactly when brute force finds no grouping. Otherwise, seeded with the costliest feasible
    grouping: OPTIMAL at the brute-force optimum; with starts=[]: a valid grouping no better than the optimum,
    a bound not above it, and the optimum itself whenever the status is OPTIMAL (see the xfail above)."""
    case = random_case(instance)
    optimum = best_partition(case.pricer.n, case.columns)
    starts = [worst_partition(case.pricer.n, case.columns)] if seeded and optimum is not None else []
    result = solve_piece_colgen(case.piece, starts, time_limit=20)
    if optimum is None:
        event("no feasible grouping")
        assert result.unit_group is None and result.objective is None
        assert result.status == "NO_SOLUTION"
        return
    event(f"{'seeded' if starts else 'no starts'}: {result.status}")
    if starts:
        check_solution(case.pricer, case.columns, result, optimum)
        return
    assert result.objective is not None
    assert result.objective >= optimum - TOL
    assert result.bound is not None and result.bound <= optimum + TOL
    if result.status == "OPTIMAL":
        check_solution(case.pricer, case.columns, result, optimum)
