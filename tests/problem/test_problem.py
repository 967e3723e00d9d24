"""The grouping problem: bands, validated rules, and the result every method returns."""

from __future__ import annotations

import json
import math

import pytest

from clusterkit.errors import InputError
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.model.partition import UNGROUPED
from clusterkit.model.partition import Partition
from clusterkit.results import Grouping, Outcome


@pytest.mark.parametrize("text, band", [
    ("30000:50000", Band(30_000, 50_000)),
    ("30k:50k", Band(30_000, 50_000)),
    ("30,000-50,000", Band(30_000, 50_000)),
    (" 20000 : 20000 ", Band(20_000, 20_000)),
    ("0:1.5k", Band(0, 1_500)),
])
def test_band_parse(text: str, band: Band) -> None:
    assert Band.parse(text) == band


@pytest.mark.parametrize("text, fragment", [
    ("50000:30000", "lower bound exceeds its upper bound"),
    ("30000", "a band is written lower:upper"),
    ("a:b", "a band is written lower:upper"),
    ("30000.5:50000", "a band is written lower:upper"),
    ("0:0", "upper bound must be positive"),
    ("nan:50000", "a band is written lower:upper"),
])
def test_band_parse_errors_name_the_option(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        Band.parse(text, option="--band-for 11N")
    assert caught.value.source == "--band-for 11N"


def test_band_contains_and_outside() -> None:
    band = Band(30_000, 50_000)
    assert band.contains(30_000) and band.contains(50_000) and not band.contains(50_001)
    assert (band.outside(25_000), band.outside(40_000), band.outside(52_000)) == (5_000, 0, 2_000)
    assert str(band) == "30000:50000"
    with pytest.raises(InputError, match="negative"):
        Band(-1, 10)


@pytest.mark.parametrize("options, source", [
    ({"objective": "fastest"}, "objective"),
    ({"within": "region"}, "within"),
    ({"weight": 1.5}, "weight"),
    ({"weight": -0.1}, "weight"),
    ({"weight": math.nan}, "weight"),
    ({"penalty": -1.0}, "penalty"),
    ({"cross_penalty": -1.0}, "cross_penalty"),
    ({"move_penalty": math.nan}, "move_penalty"),
    ({"max_diameter_km": 0.0}, "max_diameter_km"),
    ({"count": 0}, "count"),
])
def test_problem_rejects_bad_rules_naming_the_option(options: dict, source: str) -> None:
    with pytest.raises(InputError) as caught:
        GroupingProblem(**options)
    assert caught.value.source == source


def test_problem_normalises_codes_and_reports_parameters() -> None:
    problem = GroupingProblem(band_for={"11n": Band(20_000, 50_000)}, centres=("b2", "A1", "B2"),
                              current={"A1": "P1", "B2": "P1"})
    assert dict(problem.band_for) == {"11N": Band(20_000, 50_000)}
    assert problem.centres == ("A1", "B2")
    assert problem.band_of("11N", "QOP") == Band(20_000, 50_000)
    assert problem.band_of("00T", "11N") == Band(20_000, 50_000)  # an ICB code works too
    assert problem.band_of("00T", "QOP") == Band(30_000, 50_000)
    assert problem.band_of(None, None) == Band(30_000, 50_000)
    values = problem.to_dict()
    assert values["band"] == "30000:50000" and values["band_for"] == {"11N": "20000:50000"}
    assert values["current"] == "2 practices" and values["centres"] == ["A1", "B2"]
    json.dumps(values)  # JSON-ready
    with pytest.raises(TypeError):
        problem.band_for["X"] = Band(1, 2)  # type: ignore[index]


def test_grouping_groups_and_status() -> None:
    grouping = Grouping(Partition({"C3": "G2", "A1": "G1", "B2": "G1", "D4": UNGROUPED}), Outcome("FEASIBLE", 1.0),
                        unwilling=("D4",))
    assert grouping.groups == {"G1": ("A1", "B2"), "G2": ("C3",)}
    assert grouping.bound is None and grouping.gap is None  # unknown, never invented
    with pytest.raises(ValueError, match="unknown status"):
        Grouping(Partition({}), Outcome("SOLVED", None))
    with pytest.raises(TypeError):
        grouping.labels["A1"] = "G3"  # type: ignore[index]
