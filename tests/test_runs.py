"""The run layer: what the CLI and a notebook share (one summary schema, the exit status decided once)."""

from __future__ import annotations

import pytest

from clusterkit.budgets.problem import BudgetProblem, Specialty
from clusterkit.errors import InfeasibleError
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.runs import EXIT_INFEASIBLE, EXIT_OK, EXIT_UNMET, run_budgets, run_grouping
from clusterkit.synthetic import synthetic_county
from tests.budgets.test_budgets import EXAMPLES, seeds_inputs

COMMON = {"clusterkit_version", "command", "created", "inputs", "inputs_sha256", "parameters", "seed", "method",
          "solver", "status", "proven_optimal", "objective", "objective_name", "bound", "gap", "seconds",
          "exit_code", "unmet", "notes"}


@pytest.fixture(scope="module")
def county():
    return synthetic_county(seed=4).with_adjacency()


def test_a_grouping_run_meets_its_rules_and_reports_the_common_schema(county) -> None:
    run = run_grouping(county, workers=1, seed=1)
    assert run.exit_status == EXIT_OK and run.unmet is None
    assert COMMON <= set(run.summary)
    assert run.summary["status"] == "FEASIBLE" and run.summary["proven_optimal"] is False
    assert run.summary["objective"] == pytest.approx(run.result.objective)
    assert run.metrics is not None and run.metrics.groups == len(run.result.groups)


def test_soft_groups_outside_the_band_are_unmet(county) -> None:
    run = run_grouping(county, GroupingProblem(band=Band(70_000, 75_000), soft=True), workers=1)
    assert run.exit_status == EXIT_UNMET and "outside the band (soft mode)" in run.unmet
    assert run.summary["exit_code"] == EXIT_UNMET and run.summary["unmet"] == run.unmet


def test_best_effort_groups_softly_instead_of_raising(county) -> None:
    impossible = GroupingProblem(band=Band(5_000_000, 6_000_000))
    with pytest.raises(InfeasibleError, match="below the lower bound 5,000,000"):
        run_grouping(county, impossible, workers=1)
    run = run_grouping(county, impossible, workers=1, best_effort=True)
    assert run.exit_status == EXIT_UNMET and "below the lower bound" in run.summary["best_effort"]
    assert run.summary["parameters"]["soft"] is True


def test_a_budget_run_reports_the_same_schema_and_its_exit_status() -> None:
    graph, labels, specialties = seeds_inputs()
    run = run_budgets(graph, labels, BudgetProblem(specialties), sources=[EXAMPLES / "seeds_practices.csv"])
    assert COMMON <= set(run.summary) and run.summary["command"] == "budgets"
    assert run.exit_status == EXIT_OK and run.summary["status"] == "OPTIMAL"
    assert len(run.summary["inputs"]) == 1 and len(run.summary["inputs_sha256"]) == 64
    too_big = BudgetProblem((Specialty("orthopaedics", budget=9e7),))
    failed = run_budgets(graph, labels, too_big)
    assert failed.exit_status == EXIT_INFEASIBLE and failed.reasons and "orthopaedics" in failed.reasons[0]
