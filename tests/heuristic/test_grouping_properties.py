"""Properties of the heuristic on small random graphs (hypothesis): a partition of the willing,
hard rules kept whenever it says FEASIBLE, links respected, and results that depend on the seed only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.grouping_checks import ORIGIN, assert_valid_grouping, make_graph, practice
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clusterkit.errors import InfeasibleError
from clusterkit.heuristic.driver import group_heuristic
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem

X0, Y0 = ORIGIN
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    graph: PracticeGraph
    problem: GroupingProblem
    #: the band admits one group of every willing practice and there is no cannot-link: a grouping exists
    surely_feasible: bool

    def __repr__(self) -> str:  # what hypothesis prints for a failing case: short and complete
        practices = [(p.code, round(p.x - X0), round(p.y - Y0), p.list_size, p.sub_icb, p.willing)
                     for p in self.graph.practices]
        links = {kind: sorted(self.graph.layer(kind).edges()) for kind in ("must_link", "cannot_link")}
        return f"Case({practices}, {links}, {self.problem}, surely_feasible={self.surely_feasible})"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


@st.composite
def cases(draw: st.DrawFn, links: bool = True) -> Case:
    n = draw(st.integers(6, 14))
    sizes = draw(st.lists(st.integers(3_000, 20_000), min_size=n, max_size=n))
    xs = draw(st.lists(st.integers(0, 20_000), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, 20_000), min_size=n, max_size=n))
    unwilling = set(draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)))
    within = draw(st.sampled_from(["none", "sub_icb"]))
    practices = [practice(f"P{k:02d}", X0 + xs[k], Y0 + ys[k], sizes[k], sub_icb="00W" if xs[k] < 10_000 else "00E",
                          willing=k not in unwilling) for k in range(n)]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda pair: pair[0] != pair[1])
    must = draw(st.lists(pairs, max_size=2)) if links else []
    cannot = draw(st.lists(pairs, max_size=2)) if links else []
    relations: dict[tuple[str, str], str] = {}
    for kind, chosen in (("must_link", must), ("cannot_link", cannot)):
        for a, b in chosen:
            relations.setdefault(tuple(sorted((f"P{a:02d}", f"P{b:02d}"))), kind)
    graph = make_graph(practices, [(a, b, kind) for (a, b), kind in relations.items()])
    willing_total = sum(p.list_size for p in practices if p.willing)
    mode = draw(st.sampled_from(["easy", "random", "soft"]))
    if mode == "easy":  # one group of everyone fits (per area when within)
        areas = [sum(p.list_size for p in practices if p.willing and (within == "none" or p.sub_icb == area))
                 for area in ("00W", "00E")]
        smallest = min([a for a in areas if a > 0] if within != "none" else [willing_total])
        lower = int(smallest * draw(st.floats(0.05, 0.5)))
        band = Band(lower, willing_total)
    else:
        lower = draw(st.integers(5_000, 45_000))
        band = Band(lower, lower + draw(st.integers(0, 30_000)))
    contiguity = draw(st.booleans()) if mode != "easy" else True
    problem = GroupingProblem(band=band, soft=mode == "soft", within=within, contiguity=contiguity)
    crossing = any(kind == "must_link" and graph.practice(a).sub_icb != graph.practice(b).sub_icb
                   for (a, b), kind in relations.items())
    surely = (mode == "easy" and "cannot_link" not in relations.values() and not (within != "none" and crossing))
    return Case(graph, problem, surely_feasible=surely)


def _group(case: Case, seed: int = 0, workers: int = 1):
    return group_heuristic(case.graph, case.problem, seed=seed, restarts=3, workers=workers)


@SETTINGS
@given(case=cases(), seed=st.integers(0, 2**16))
def test_every_grouping_keeps_the_invariants(case: Case, seed: int) -> None:
    try:
        grouping = _group(case, seed)
    except InfeasibleError as error:
        event("infeasible (proven before the search)")
        assert not case.surely_feasible, f"a feasible case was declared infeasible: {error}"
        assert str(error).startswith("no grouping can meet the rules: ") and error.reasons
        return
    event(f"{grouping.status}{' (soft)' if case.problem.soft else ''}")
    assert_valid_grouping(case.graph, grouping, case.problem)
    assert grouping.status in ("FEASIBLE", "NO_SOLUTION")
    if case.surely_feasible:
        assert grouping.status == "FEASIBLE", grouping.notes
    if case.problem.soft:
        assert grouping.status == "FEASIBLE", "a soft band leaves nothing the search cannot meet here"


@SETTINGS
@given(case=cases(), seed=st.integers(0, 2**16))
def test_same_seed_same_labels_whatever_the_workers(case: Case, seed: int) -> None:
    try:
        first = _group(case, seed, workers=1)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            _group(case, seed, workers=2)
        return
    again = _group(case, seed, workers=1)
    parallel = _group(case, seed, workers=2)
    assert dict(first.labels) == dict(again.labels) == dict(parallel.labels)
    assert first.objective == again.objective == parallel.objective
    assert dict(first.centres) == dict(parallel.centres)


@settings(max_examples=30, deadline=None)
@given(case=cases(links=False))
def test_without_links_a_soft_band_always_yields_a_partition(case: Case) -> None:
    problem = GroupingProblem(band=case.problem.band, soft=True, within=case.problem.within)
    grouping = group_heuristic(case.graph, problem, seed=0, restarts=2, workers=1)
    assert_valid_grouping(case.graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
