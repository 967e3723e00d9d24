"""The seeded synthetic county and the example script that writes it."""

from __future__ import annotations

import runpy
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import REPOSITORY
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.model.coordinates import in_uk
from clusterkit.model.practice import RELATION_KINDS
from clusterkit.synthetic import SYNTHETIC_ICB, synthetic_county, synthetic_relations
from geodata import read_practices, read_relations

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)


def test_same_seed_same_county() -> None:
    first, second = synthetic_county(seed=11), synthetic_county(seed=11)
    assert first.practices == second.practices
    assert [dict(p.attributes) for p in first.practices] == [dict(p.attributes) for p in second.practices]
    assert synthetic_relations(first, seed=11) == synthetic_relations(second, seed=11)
    other = synthetic_county(seed=12)
    assert [p.list_size for p in other.practices] != [p.list_size for p in first.practices]


@settings(max_examples=25, deadline=None)
@given(SEEDS)
def test_county_is_plausible(seed: int) -> None:
    county = synthetic_county(seed=seed)
    assert 80 <= len(county) <= 110
    assert 5_000 <= np.median(county.list_sizes) <= 13_000
    assert county.list_sizes.min() >= 900
    assert sorted(county.areas("sub_icb")) == ["X1A", "X2B", "X3C"]
    assert all(len(codes) >= 10 for codes in county.areas("sub_icb").values())
    assert {p.icb for p in county.practices} == {SYNTHETIC_ICB}
    assert all(in_uk(p.lat, p.lon) for p in county.practices)
    assert all(p.turnover == p.list_size * 120.0 for p in county.practices)
    assert 1 <= sum(not p.willing for p in county.practices) <= len(county) // 20
    for group, codes in county.areas("group").items():
        assert group, "every synthetic practice has a current group"
        assert len({county.practice(code).sub_icb for code in codes}) == 1, "today's groups sit in one sub-ICB"
    assert county.meta["seed"] == seed


@settings(max_examples=15, deadline=None)
@given(SEEDS)
def test_relations_are_valid(seed: int) -> None:
    county = synthetic_county(seed=seed)
    relations = synthetic_relations(county, seed=seed)
    kinds = Counter(r.kind for r in relations)
    assert set(kinds) <= set(RELATION_KINDS)
    assert kinds["alignment"] > 0 and kinds["shared_staff"] > 0
    assert kinds["must_link"] <= 2 and kinds["cannot_link"] <= 1
    for relation in relations:
        assert relation.a < relation.b and relation.a in county.index and relation.b in county.index
        if relation.kind == "alignment":
            assert 0.0 <= relation.value <= 1.0
        if relation.kind == "shared_staff":
            assert relation.resource and relation.value > 0
    keys = [(r.a, r.b, r.kind, r.resource) for r in relations]
    assert len(keys) == len(set(keys)), "no relation is repeated"
    must = {(r.a, r.b) for r in relations if r.kind == "must_link"}
    assert not must & {(r.a, r.b) for r in relations if r.kind == "cannot_link"}


def test_fixed_size_and_too_small() -> None:
    assert len(synthetic_county(seed=0, n_practices=30)) == 30
    with pytest.raises(ValueError, match="at least 3 practices"):
        synthetic_county(n_practices=2)


def test_county_adjacency_is_connected() -> None:
    county = synthetic_county(seed=4).with_adjacency(connect=False)
    assert len(county.components()) == 1


def test_example_script_writes_files_that_load_back(tmp_path: Path, capsys) -> None:
    example = runpy.run_path(str(REPOSITORY / "examples" / "make_synthetic_county.py"))
    assert example["main"](["--out", str(tmp_path), "--seed", "7"]) == 0
    assert "county_practices.csv" in capsys.readouterr().out
    expected = synthetic_county(seed=7)
    loaded = read_practices(tmp_path / "county_practices.csv")
    assert loaded.codes == expected.codes
    assert [p.list_size for p in loaded.practices] == [p.list_size for p in expected.practices]
    assert [(p.sub_icb, p.icb, p.group, p.willing) for p in loaded.practices] == [
        (p.sub_icb, p.icb, p.group, p.willing) for p in expected.practices]
    assert np.allclose(loaded.xy, expected.xy, atol=0.5)  # 6 decimals of a degree are about 0.1 m
    relations = read_relations(tmp_path / "county_relations.csv", loaded)
    assert relations == synthetic_relations(expected, seed=7)


def test_the_federation_story_runs_and_alignment_gains(capsys) -> None:
    story = runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples" / "federation_story.py"))
    story["main"](["--seed", "1"])
    printed = capsys.readouterr().out
    assert "| alignment kept inside groups |" in printed and "geographic → aligned" in printed
    row = next(line for line in printed.splitlines() if line.startswith("| alignment kept"))
    today, geographic, aligned = (int(cell.strip().rstrip("%")) for cell in row.split("|")[2:5])
    assert aligned > geographic, "weighting alignment keeps more of it inside groups"
