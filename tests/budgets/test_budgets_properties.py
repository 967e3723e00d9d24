"""Property tests of the specialty budget assignment on small random networks.

Every solved network gives each specialty exactly one holder, keeps every ratio within the cap, every
practice within its holdings, and never lets a small or unwilling practice hold alone. On one network the
optimum largest ratio, and infeasibility, are checked against a brute force written from the rules
(independently of :mod:`clusterkit.budgets.candidates`).
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.budgets.problem import BudgetProblem, Specialty
from clusterkit.model.adjacency import delaunay_edges
from solvers.budgets import assign_budgets
from tests.budgets.test_budgets import graph_of, practice

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


@st.composite
def instances(draw, networks: int = 1):
    count = draw(st.integers(3, 7))
    sizes = draw(st.lists(st.integers(2_000, 16_000), min_size=count, max_size=count))
    places = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=count, max_size=count,
                           unique=True))
    willing = draw(st.lists(st.sampled_from((True, True, True, False)), min_size=count, max_size=count))
    practices = [practice(f"P{k}", size, x * 0.7, y * 0.7, willing=w)
                 for k, (size, (x, y), w) in enumerate(zip(sizes, places, willing))]
    budgets = draw(st.lists(st.integers(20, 1_800), min_size=1, max_size=3))
    specialties = tuple(Specialty(f"s{k}", budget=1_000.0 * b) for k, b in enumerate(budgets))
    problem = BudgetProblem(
        specialties,
        risk_cap=draw(st.sampled_from((0.8, 1.0, 1.5))),
        max_per_practice=draw(st.integers(1, 2)),
        min_list_size=3_000,
        max_consortium_size=draw(st.integers(1, 3)),
    )
    labels = {p.code: f"N{draw(st.integers(1, networks))}" for p in practices}
    return graph_of(practices), labels, problem


def check_invariants(graph, labels, problem, result) -> None:
    for network in result.networks:
        if network.status in ("INFEASIBLE", "NO_SOLUTION"):
            assert not network.holdings and network.reasons
            assert network.reasons[0].startswith(f"network {network.network}: ")
            continue
        specialties = sorted(h.specialty for h in network.holdings)
        assert specialties == sorted({s.name for s in problem.specialties}), "each specialty exactly one holder"
        uses: dict[str, int] = {}
        for holding in network.holdings:
            assert holding.budget <= problem.risk_cap * holding.turnover * (1 + 1e-9), "risk cap"
            assert math.isclose(holding.turnover, sum(graph.practice(c).turnover for c in holding.members))
            for code in holding.members:
                assert labels[code] == network.network and graph.practice(code).willing
                uses[code] = uses.get(code, 0) + 1
            if len(holding.members) == 1:
                assert graph.practice(holding.members[0]).list_size >= problem.min_list_size, "small practice alone"
            else:
                assert len(holding.members) <= max(problem.max_consortium_size, 1) or holding.kind == "named consortium"
        assert max(uses.values(), default=0) <= problem.max_per_practice


@SETTINGS
@given(instances(networks=3))
def test_every_network_has_one_holder_per_specialty_within_the_caps(case):
    graph, labels, problem = case
    result = assign_budgets(graph, labels, problem)
    assert [n.network for n in result.networks] == sorted(set(labels.values()))
    check_invariants(graph, labels, problem, result)


def brute_force(graph, codes, problem):
    """Smallest achievable largest ratio by enumerating every assignment (``None`` if none exists)."""
    willing = [c for c in codes if graph.practice(c).willing]
    adjacency = nx.Graph(graph.layer("adjacency").subgraph(willing))
    if len(willing) > 1 and not nx.is_connected(adjacency):  # the rule: fall back to the network's own Delaunay
        points = graph.xy[[graph.index[c] for c in willing]]
        adjacency.add_edges_from((willing[a], willing[b]) for a, b in delaunay_edges(points))
    turnover = {c: graph.practice(c).turnover for c in codes}
    choices = []
    for specialty in problem.specialties:
        budget = specialty.budget
        alone = [(c,) for c in willing
                 if graph.practice(c).list_size >= problem.min_list_size and budget <= problem.risk_cap * turnover[c]]
        holders = alone
        for size in range(2, problem.max_consortium_size + 1):
            if holders:
                break
            holders = [group for group in itertools.combinations(willing, size)
                       if nx.is_connected(adjacency.subgraph(group))
                       and budget <= problem.risk_cap * sum(turnover[c] for c in group)]
        choices.append([(group, budget / sum(turnover[c] for c in group)) for group in holders])
    best = None
    for pick in itertools.product(*choices):
        counts: dict[str, int] = {}
        for group, _ in pick:
            for code in group:
                counts[code] = counts.get(code, 0) + 1
        if max(counts.values(), default=0) <= problem.max_per_practice:
            largest = max(ratio for _, ratio in pick)
            best = largest if best is None else min(best, largest)
    return best


@SETTINGS
@given(instances(networks=1))
def test_one_network_matches_brute_force(case):
    graph, labels, problem = case
    result = assign_budgets(graph, labels, problem)
    expected = brute_force(graph, graph.codes, problem)
    network = result.networks[0]
    if expected is None:
        assert network.status == "INFEASIBLE"
    else:
        assert network.status == "OPTIMAL"
        assert math.isclose(network.largest_ratio, expected, rel_tol=1e-6)
    check_invariants(graph, labels, problem, result)
