"""Why a grouping is impossible, in a planner's terms: the library raises InfeasibleError with the
cause, and ``clusterkit group`` exits 3 printing it and writing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.grouping_checks import ORIGIN, make_graph, practice

from cli import main
from clusterkit.problem.diagnosis import check_feasible, infeasibility_reasons
from clusterkit.errors import InfeasibleError
from clusterkit.heuristic.driver import group_heuristic
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from geodata import write_practices_csv, write_relations_csv
from solvers.grouping.exact import group_practices

X0, Y0 = ORIGIN


def _row(prefix: str, sizes: list[int], sub_icb: str = "00A", dy: float = 0.0) -> list:
    return [practice(f"{prefix}{k}", X0 + 1_200.0 * k, Y0 + dy + (300.0 if k % 2 else 0.0), size, sub_icb=sub_icb)
            for k, size in enumerate(sizes, 1)]


@dataclass(frozen=True)
class Impossible:
    """One impossible request: the graph, the rules, the reason that must be given, and CLI options."""

    id: str
    practices: list
    problem: GroupingProblem
    reason: str
    relations: list = field(default_factory=list)
    options: tuple[str, ...] = ()


CASES = [
    Impossible("area-below-lower-bound",
               _row("S", [9_000, 8_000, 7_310], sub_icb="02A") + _row("T", [12_000] * 3, sub_icb="00T", dy=8_000),
               GroupingProblem(within="sub_icb"),
               "sub-ICB 02A has 24,310 patients in total, below the lower bound 30,000",
               options=("--within", "sub_icb")),
    Impossible("must-link-chain-above-upper-bound",
               _row("M", [20_000, 20_000, 15_000, 9_000, 9_000]),
               GroupingProblem(),
               "must-link chain M1-M2-M3 has 55,000 patients, above the upper bound 50,000",
               relations=[("M1", "M2", "must_link"), ("M2", "M3", "must_link")]),
    Impossible("cannot-split-into-the-band",
               _row("C", [15_000, 10_000, 10_000, 20_000]),
               GroupingProblem(),
               "has 55,000 patients, which cannot be split into groups of 30,000-50,000"),
    Impossible("cannot-link-forced-into-one-group",
               _row("K", [10_000, 12_000, 9_000, 11_000]),
               GroupingProblem(),
               "K1 and K4 cannot link, but the selected area (4 practices around K1) can only form one group of "
               "30,000-50,000, so they would have to share it",
               relations=[("K1", "K4", "cannot_link")]),
    Impossible("count-impossible",
               _row("N", [12_000] * 6),
               GroupingProblem(count=3),
               "--count 3 groups of 30,000-50,000 need 90,000-150,000",
               options=("--count", "3")),
    Impossible("must-link-across-the-boundary",
               _row("S", [16_000, 16_000], sub_icb="02A") + _row("T", [16_000, 16_000], sub_icb="00T", dy=3_000),
               GroupingProblem(within="sub_icb"),
               "must-link chain S2-T1 crosses a sub-ICB boundary, but groups must stay within one (--within sub_icb)",
               relations=[("S2", "T1", "must_link")], options=("--within", "sub_icb")),
]


def _graph(case: Impossible) -> PracticeGraph:
    return make_graph(case.practices, case.relations)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_library_raises_with_the_cause(case: Impossible) -> None:
    graph = _graph(case)
    reasons = infeasibility_reasons(graph, case.problem)
    assert any(case.reason in reason for reason in reasons), reasons
    with pytest.raises(InfeasibleError) as caught:
        group_heuristic(graph, case.problem, seed=0, workers=1)
    assert str(caught.value).startswith("no grouping can meet the rules: ")
    assert any(case.reason in reason for reason in caught.value.reasons)
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("case", CASES[:3], ids=[case.id for case in CASES[:3]])
def test_exact_method_gives_the_same_reason(case: Impossible) -> None:
    with pytest.raises(InfeasibleError) as caught:
        group_practices(_graph(case), case.problem, method="exact", time_limit=5, workers=1)
    assert any(case.reason in reason for reason in caught.value.reasons)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_cli_exits_3_with_the_reason_and_writes_nothing(case: Impossible, tmp_path: Path) -> None:
    graph = _graph(case)
    practices = write_practices_csv(tmp_path / "practices.csv", graph)
    args = ["group", str(practices), "--out", str(tmp_path / "out"), *case.options]
    if case.relations:
        from clusterkit.model.practice import Relation

        relations = [Relation(*sorted((a, b)), kind, 1.0) for a, b, kind in case.relations]
        args += ["--relations", str(write_relations_csv(tmp_path / "relations.csv", relations))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, result.output
    assert case.reason in result.stderr
    assert result.stderr.startswith("clusterkit: error: no grouping can meet the rules: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not (tmp_path / "out").exists(), "an impossible request must leave nothing behind"


def test_feasible_rules_give_no_reason() -> None:
    graph = make_graph(_row("F", [12_000] * 6))
    assert infeasibility_reasons(graph, GroupingProblem()) == []
    check_feasible(graph, GroupingProblem(count=2))  # does not raise


def test_soft_band_lifts_the_band_reasons_but_not_the_must_link_ones() -> None:
    below = CASES[0]
    assert infeasibility_reasons(_graph(below), GroupingProblem(within="sub_icb", soft=True)) == []
    chain = CASES[1]
    reasons = infeasibility_reasons(_graph(chain), GroupingProblem(soft=True))
    assert any(chain.reason in reason for reason in reasons)


def test_every_reason_is_listed_first_one_in_the_message() -> None:
    # two areas below the band: both are named
    practices = (_row("S", [9_000, 8_000], sub_icb="02A") + _row("T", [7_000, 6_000], sub_icb="00T", dy=8_000))
    with pytest.raises(InfeasibleError) as caught:
        check_feasible(make_graph(practices), GroupingProblem(within="sub_icb", band=Band(30_000, 50_000)))
    assert len(caught.value.reasons) == 2
    assert "(and 1 more reason(s))" in str(caught.value)
    assert "sub-ICB 00T has 13,000 patients" in caught.value.reasons[0]
    assert "sub-ICB 02A has 17,000 patients" in caught.value.reasons[1]
