"""Specialty budgets: hand-checked values, the seeds' 9-practice scenario, infeasibility reasons, exposure.

The helpers at the top (tiny practices placed in km around a Midlands point) are shared by the other
``test_budgets_*.py`` files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from clusterkit.budgets.candidates import build_instances, connected_subsets, explain_infeasible
from clusterkit.budgets.results import Holding, exposure_table, worst_loss_share
from clusterkit.budgets.problem import BudgetProblem, Consortium, Specialty, budget_ratio, format_money, network_budgets, parse_schedule
from clusterkit.errors import InputError
from clusterkit.model.coordinates import to_wgs84
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Practice
from solvers.door import available_solvers
from solvers.budgets import assign_budgets, build_budget_model, infeasible_core

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples"
NHS_DATA = Path(os.environ.get("CLUSTERKIT_NHS_DATA", REPOSITORY.parent / "shared" / "data" / "nhs"))
NHS_PRACTICES = NHS_DATA / "gp_practices_england.csv"

#: A point in the English Midlands (British National Grid metres) the tiny practices sit around.
ORIGIN = (455_000.0, 330_000.0)


def practice(code: str, list_size: int, x_km: float, y_km: float, *, turnover: float | None = None,
             willing: bool = True, group: str | None = None) -> Practice:
    """A practice ``x_km``, ``y_km`` from :data:`ORIGIN`, turnover £120 a patient unless given."""
    x, y = ORIGIN[0] + 1000.0 * x_km, ORIGIN[1] + 1000.0 * y_km
    lat, lon = to_wgs84(np.array([x]), np.array([y]))
    return Practice(code, f"{code} SURGERY", float(lat[0]), float(lon[0]), x, y, list_size,
                    120.0 * list_size if turnover is None else turnover, "X1A", "QZZ", group, willing)


def graph_of(practices: Sequence[Practice], adjacency: bool = True) -> PracticeGraph:
    """A graph of ``practices`` with its Delaunay adjacency layer."""
    graph = PracticeGraph.from_practices(practices)
    return graph.with_adjacency("delaunay") if adjacency else graph


def seeds_inputs():
    """The seeds' example: 9 practices, 75,000 patients, 7 specialties, as a user would load them."""
    from geodata import load_study_area
    from geodata.read.budgets import read_specialties
    from geodata.read.relations import read_networks

    graph = load_study_area(EXAMPLES / "seeds_practices.csv")
    labels = read_networks(EXAMPLES / "seeds_groups.csv", graph)
    specialties = read_specialties(EXAMPLES / "seeds_specialties.csv", networks=set(labels.values()))
    return graph, labels, specialties


# ---------------------------------------------------------------------------------------- small values
def test_ratio_of_the_8000_patient_practice_for_a_1m_budget_is_1_04():
    assert round(budget_ratio(1_000_000, 8_000 * 120), 2) == 1.04
    assert budget_ratio(1_000_000, 8_000 * 120) == pytest.approx(1.041667, abs=1e-6)
    assert budget_ratio(0, 0) == 0.0 and budget_ratio(5, 0) == float("inf")


def test_money_and_schedule_are_written_as_planners_write_them():
    assert [format_money(v) for v in (1_900_000, 1_400_000, 999_999.75, 600_000, 950)] == [
        "£1.9m", "£1.4m", "£1m", "£600k", "£950"]
    assert parse_schedule("0.1,0.5,1.0") == (0.1, 0.5, 1.0)
    assert parse_schedule("10%, 100%") == (0.1, 1.0)
    for bad in ("0.1,1.5", "-0.1", "a,b", "0.1,,1", ""):
        with pytest.raises(InputError, match="schedule"):
            parse_schedule(bad)


def test_budget_from_a_rate_and_a_network_override():
    problem = BudgetProblem((Specialty("urology", rate_per_1000=13_333.33), Specialty("ENT", budget=600_000),
                             Specialty("urology", budget=1_200_000, network="N2")))
    assert network_budgets(problem, "N1", 75_000) == {"ENT": 600_000.0, "urology": pytest.approx(999_999.75)}
    assert network_budgets(problem, "N2", 75_000)["urology"] == 1_200_000.0


@pytest.mark.parametrize("arguments, option", [
    ({"risk_cap": 0}, "risk_cap"),
    ({"max_per_practice": 0}, "max_per_practice"),
    ({"min_list_size": -1}, "min_list_size"),
    ({"schedule": (0.1, 1.2)}, "schedule"),
    ({"variance": -0.1}, "variance"),
    ({"max_consortium_size": 9}, "max_consortium_size"),
    ({"preferences": (("A", "dermatology", 1.0),)}, "preferences"),
])
def test_problem_rejects_bad_rules(arguments, option):
    with pytest.raises(InputError, match=option):
        BudgetProblem((Specialty("urology", budget=1e6),), **arguments)


def test_problem_rejects_a_specialty_twice_and_a_negative_budget():
    with pytest.raises(InputError, match="twice"):
        BudgetProblem((Specialty("urology", budget=1e6), Specialty("Urology", budget=2e6)))
    with pytest.raises(InputError, match="positive amount"):
        Specialty("urology", budget=-1.0)
    with pytest.raises(InputError, match="a £0 budget would still use up a holder"):  # issue 9: £0 is an error
        Specialty("urology", budget=0.0)
    with pytest.raises(InputError, match="positive amount"):
        Specialty("urology", rate_per_1000=0.0)
    with pytest.raises(InputError, match="either"):
        Specialty("urology", rate_per_1000=1.0, budget=1.0)


def test_connected_subsets_of_a_path():
    path = {"A": {"B"}, "B": {"A", "C"}, "C": {"B", "D"}, "D": {"C"}}
    assert connected_subsets(path, 1) == [("A",), ("B",), ("C",), ("D",)]
    assert connected_subsets(path, 3) == [("A", "B", "C"), ("B", "C", "D")]
    assert connected_subsets(path, 5) == []


# ---------------------------------------------------------------------------------------- the seeds
def test_seeds_scenario_assigns_each_specialty_once_within_the_cap():
    graph, labels, specialties = seeds_inputs()
    assert len(graph) == 9 and graph.population == 75_000
    result = assign_budgets(graph, labels, BudgetProblem(specialties))
    assert result.status == "OPTIMAL"
    holdings = result.holdings
    assert sorted(h.specialty for h in holdings) == sorted(s.name for s in specialties)
    taken = [code for h in holdings for code in h.members]
    assert len(taken) == len(set(taken)), "a practice holds more than one specialty"
    assert all(h.ratio <= 1.0 + 1e-9 for h in holdings)
    assert all(h.list_size >= 3000 for h in holdings if h.kind == "practice")
    # Hand-checked optimum: general surgery, ophthalmology and urology (£1.2m, £1.1m, £1m) fit only the four
    # practices of 9,500+ patients and orthopaedics (£1.9m) needs a pair; keeping Y91004 (£1.14m) out of them
    # forces orthopaedics onto Y91004+Y91007 (ratio 0.99), so the best largest ratio is urology at Y91004.
    assert result.objective == pytest.approx(1_000_000 / 1_140_000)
    assert result.bound == pytest.approx(result.objective, rel=1e-6)
    orthopaedics = next(h for h in holdings if h.specialty == "orthopaedics")
    assert orthopaedics.kind == "consortium" and len(orthopaedics.members) == 2
    assert graph.layer("adjacency").has_edge(*orthopaedics.members)
    urology = next(h for h in holdings if h.specialty == "urology")
    assert urology.interdependence == pytest.approx(1 - urology.list_size / 75_000)


def test_seeds_8000_patient_practice_cannot_hold_urology_at_cap_1_but_can_at_1_05():
    graph, labels, specialties = seeds_inputs()
    assert graph.practice("Y91005").list_size == 8_000
    for cap, expected in ((1.0, None), (1.05, 1.04)):
        instances, _ = build_instances(graph, labels, BudgetProblem(specialties, risk_cap=cap))
        ratios = [round(o.ratio, 2) for o in instances[0].options
                  if o.specialty == "urology" and o.holder.members == ("Y91005",)]
        assert ratios == ([] if expected is None else [expected])


def test_seeds_year_one_exposure_is_ten_percent_of_the_variance():
    graph, labels, specialties = seeds_inputs()
    problem = BudgetProblem(specialties, schedule=(0.1, 0.5, 1.0), variance=0.1)
    result = assign_budgets(graph, labels, problem)
    rows = exposure_table(graph, result.holdings, problem.schedule, problem.variance, problem.loss_threshold)
    urology = [r for r in rows if r.specialty == "urology" and r.level == "holder"]
    assert [r.year for r in urology] == [1, 2, 3]
    assert urology[0].loss == pytest.approx(0.1 * 0.1 * 1_000_000)  # 10% of a ±£100k variance
    assert urology[0].gain == pytest.approx(10_000)
    assert [r.loss for r in urology] == pytest.approx([10_000, 50_000, 100_000])
    assert urology[2].share_of_turnover == pytest.approx(100_000 / 1_140_000)
    assert [r.flagged for r in urology] == [False, False, True]


def test_small_practice_never_holds_alone_and_unwilling_never_holds():
    practices = [practice("A", 12_000, 0, 0), practice("B", 2_000, 1, 0), practice("C", 9_000, 0, 1, willing=False),
                 practice("D", 8_000, 1, 1)]
    graph = graph_of(practices)
    labels = {code: "N1" for code in graph.codes}
    problem = BudgetProblem((Specialty("a", budget=100_000), Specialty("b", budget=90_000),
                             Specialty("c", budget=80_000)))
    result = assign_budgets(graph, labels, problem)
    # three specialties, two practices may hold alone (B is small, C unwilling): infeasible, said before solving
    assert result.status == "INFEASIBLE" and result.networks[0].stages == ()
    assert "need 3 holdings but only 2 of its 4 practices" in result.networks[0].reasons[0]
    assert any("unwilling" in note for note in result.networks[0].notes)
    two = assign_budgets(graph, labels, BudgetProblem(problem.specialties[:2]))
    assert sorted(h.holder for h in two.holdings) == ["A", "D"]


# ---------------------------------------------------------------------------------------- stages
def _three_practices() -> PracticeGraph:
    return graph_of([practice("A", 10_000, 0, 0), practice("B", 7_500, 1, 0), practice("C", 5_000, 0, 1)])


def test_preferences_break_ties_but_never_raise_the_largest_ratio():
    graph = _three_practices()  # turnovers £1.2m, £0.9m, £0.6m
    labels = {code: "N1" for code in graph.codes}
    specialties = (Specialty("big", budget=1_000_000), Specialty("mid", budget=500_000),
                   Specialty("small", budget=300_000))
    # big must go to A (5/6); mid and small on B, C either way keep the largest at 5/6: a tie
    for favourite, other in (("C", "B"), ("B", "C")):
        problem = BudgetProblem(specialties, risk_cap=1.2,
                                preferences=((favourite, "mid", 2.0), ("B", "big", 10.0)))
        result = assign_budgets(graph, labels, problem)
        holders = {h.specialty: h.holder for h in result.holdings}
        assert holders == {"big": "A", "mid": favourite, "small": other}
        assert result.objective == pytest.approx(1_000_000 / 1_200_000)
        assert [s.stage for s in result.networks[0].stages] == ["max_ratio", "preference"]
        assert result.networks[0].stages[1].objective == pytest.approx(2.0)


def test_spread_gives_holdings_to_as_many_practices_as_possible():
    graph = graph_of([practice("A", 10_000, 0, 0), practice("B", 10_000, 1, 0)])
    labels = {"A": "N1", "B": "N1"}
    problem = BudgetProblem((Specialty("x", budget=600_000), Specialty("y", budget=600_000)), max_per_practice=2)
    result = assign_budgets(graph, labels, problem)
    assert sorted(h.holder for h in result.holdings) == ["A", "B"]
    assert result.networks[0].stages[-1].stage == "spread"
    assert result.networks[0].stages[-1].objective == pytest.approx(2.0)


def test_builder_writes_one_constraint_per_rule():
    graph = _three_practices()  # every practice can hold either budget: 3 x 2 options
    instances, _ = build_instances(graph, {c: "N1" for c in graph.codes},
                                   BudgetProblem((Specialty("x", budget=500_000), Specialty("y", budget=300_000))))
    model = build_budget_model(instances[0])
    def names_of(problem):
        found = problem.constraints() if callable(problem.constraints) else problem.constraints.values()
        return {constraint.name for constraint in found}

    names = names_of(model.problem)
    assert len(model.x) == len(instances[0].options) == 6
    assert names == {"one_holder_0", "one_holder_1", "holdings_0", "holdings_1", "holdings_2", "ratio_0", "ratio_1"}
    spread = build_budget_model(instances[0], "spread", min_preference=0.0)
    assert len(spread.spread) == 3 and "preference_floor" in names_of(spread.problem)


@pytest.mark.parametrize("solver", available_solvers())
def test_every_installed_solver_finds_the_seeds_optimum(solver):
    graph, labels, specialties = seeds_inputs()
    result = assign_budgets(graph, labels, BudgetProblem(specialties), solver=solver)
    assert result.status == "OPTIMAL" and result.solver == solver
    assert result.objective == pytest.approx(1_000_000 / 1_140_000)
    assert result.networks[0].stages[0].bound == pytest.approx(result.objective, rel=1e-6)


# ---------------------------------------------------------------------------------------- infeasible
def test_cap_infeasibility_names_network_specialty_budget_and_largest_turnover():
    practices = [practice("P1", 5_000, 0, 0, turnover=600_000), practice("P2", 4_200, 1, 0, turnover=500_000),
                 practice("P3", 3_000, 0, 1, turnover=300_000)]
    graph = graph_of(practices)
    problem = BudgetProblem((Specialty("orthopaedics", budget=1_900_000), Specialty("ENT", budget=300_000)))
    result = assign_budgets(graph, {code: "N3" for code in graph.codes}, problem)
    assert result.status == "INFEASIBLE"
    assert result.networks[0].reasons == (
        "network N3: orthopaedics £1.9m exceeds 1.0 × turnover of every practice and of every consortium of up "
        "to 3 adjacent practices (largest £1.4m)",)


def test_overlapping_consortia_infeasibility_is_proven_by_the_solver_and_explained():
    # A path A-B-C-D; 'wide' (£1.15m) fits only B+C, 'narrow' (£1m) fits A+B, B+C or C+D: they collide.
    practices = [practice(c, 5_000, k, 0, turnover=t) for k, (c, t) in
                 enumerate((("A", 500_000), ("B", 600_000), ("C", 600_000), ("D", 500_000)))]
    graph = graph_of(practices)
    problem = BudgetProblem((Specialty("wide", budget=1_150_000), Specialty("narrow", budget=1_000_000)))
    instances, _ = build_instances(graph, {c: "N1" for c in graph.codes}, problem)
    assert instances[0].reasons == ()  # counting cannot see it
    assert sorted(o.holder.name for o in instances[0].options if o.specialty == "narrow") == ["A+B", "B+C", "C+D"]
    result = assign_budgets(graph, {c: "N1" for c in graph.codes}, problem)
    network = result.networks[0]
    assert network.status == "INFEASIBLE" and network.stages[0].status == "INFEASIBLE"
    assert network.reasons == (
        "network N1: no assignment gives wide £1.15m, narrow £1m a holder each: their possible holders (A, B, C, D, "
        "at most 1 holding each) overlap; allow more holdings per practice or name a consortium",)
    assert infeasible_core(instances[0]) == ("narrow", "wide")
    assert "consortia overlap" in explain_infeasible(instances[0])  # without a core: the generic reason
    # A and D are not adjacent, but a user may name them a consortium (£1m): then it is feasible.
    named = BudgetProblem(problem.specialties, consortia=(Consortium("Edges", ("A", "D")),))
    solved = assign_budgets(graph, {c: "N1" for c in graph.codes}, named)
    assert solved.status == "OPTIMAL"
    assert {h.specialty: h.holder for h in solved.holdings} == {"narrow": "Edges", "wide": "B+C"}


def test_consortia_fall_back_to_the_networks_own_neighbours_and_say_so():
    # N1 = A, C at the two ends, B (another network) between them: A and C are not adjacent.
    practices = [practice("A", 5_000, 0, 0), practice("B", 5_000, 1, 0), practice("C", 5_000, 2, 0)]
    graph = graph_of(practices)
    problem = BudgetProblem((Specialty("x", budget=1_000_000),))
    result = assign_budgets(graph, {"A": "N1", "C": "N1", "B": "N2"}, problem)
    n1 = result.networks[0]
    assert [h.holder for h in n1.holdings] == ["A+C"]
    assert any("not connected on the adjacency layer" in note for note in n1.notes)


def test_ungrouped_practices_are_reported_and_labels_are_checked():
    graph = _three_practices()
    result = assign_budgets(graph, {"A": "N1"}, BudgetProblem((Specialty("x", budget=100_000),)))
    assert result.ungrouped == ("B", "C")
    with pytest.raises(InputError, match="not in the practices file"):
        assign_budgets(graph, {"Z": "N1"}, BudgetProblem((Specialty("x", budget=1),)))
    with pytest.raises(InputError, match="spans networks"):
        assign_budgets(graph, {"A": "N1", "B": "N2"}, BudgetProblem((Specialty("x", budget=1),),
                                                                    consortia=(Consortium("AB", ("A", "B")),)))


# ---------------------------------------------------------------------------------------- exposure
def test_consortium_members_share_exposure_pro_rata_to_list_size():
    graph = graph_of([practice("A", 6_000, 0, 0), practice("B", 3_000, 1, 0)])
    holding = Holding("N1", "urology", 900_000, "A+B", ("A", "B"), "consortium", 1_080_000, 9_000,
                      900_000 / 1_080_000, 0.0, 0.0)
    rows = exposure_table(graph, [holding], (0.1, 1.0), 0.2, 0.1)
    assert [(r.party, r.level, r.year) for r in rows] == [
        ("A+B", "holder", 1), ("A+B", "holder", 2), ("A", "member", 1), ("A", "member", 2),
        ("B", "member", 1), ("B", "member", 2)]
    holder_loss = rows[1].loss
    assert holder_loss == pytest.approx(1.0 * 0.2 * 900_000)
    assert rows[3].loss + rows[5].loss == pytest.approx(holder_loss)
    assert rows[3].loss == pytest.approx(holder_loss * 2 / 3)
    assert rows[1].flagged and not rows[0].flagged
    assert worst_loss_share(holding, (0.1, 1.0), 0.2) == pytest.approx(rows[1].share_of_turnover)


# ---------------------------------------------------------------------------------------- real data
@pytest.mark.skipif(not NHS_PRACTICES.is_file(), reason=f"real NHS data not found at {NHS_DATA} "
                    "(set CLUSTERKIT_NHS_DATA to the folder holding gp_practices_england.csv)")
def test_real_pcns_of_one_icb():
    from geodata import load_study_area
    from geodata.read.budgets import read_specialties
    from geodata.read.relations import read_networks

    graph = load_study_area(NHS_PRACTICES, icb=["QOP"])
    labels = read_networks("current", graph)
    specialties = read_specialties(EXAMPLES / "england_specialties.csv")[:4]
    result = assign_budgets(graph, labels, BudgetProblem(specialties))
    assert len(result.networks) == len(set(labels.values())) > 50
    for network in result.networks:
        if network.holdings:
            assert sorted(h.specialty for h in network.holdings) == sorted(s.name for s in specialties)
            taken = [code for h in network.holdings for code in h.members]
            assert len(taken) == len(set(taken))
            assert max(h.ratio for h in network.holdings) <= 1.0 + 1e-9
        else:
            assert network.status == "INFEASIBLE" and network.reasons[0].startswith(f"network {network.network}: ")
    assert result.status_counts["OPTIMAL"] > 0
