"""The heuristic's progress: one area counts its restarts and oscillations (with the best score so far), several
areas count areas; the counts add up, never go back, end at their total and change nothing in the result; the
command line draws them on stderr, and ``-q`` hides them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.heuristic import group_heuristic
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.synthetic import synthetic_county
from geodata import write_practices_csv

Call = tuple[int, int, str]


@pytest.fixture(scope="module")
def county() -> PracticeGraph:
    return synthetic_county(seed=1).with_adjacency()


def _recorder() -> tuple[list[Call], object]:
    calls: list[Call] = []

    def progress(done: int, total: int, note: str = "") -> None:
        calls.append((done, total, note))

    return calls, progress


def assert_counts_up_to_their_total(calls: list[Call]) -> int:
    """One total, done never decreasing, from at least 1 up to that total; returns the total."""
    assert calls
    totals = {total for _, total, _ in calls}
    assert len(totals) == 1, totals
    done = [count for count, _, _ in calls]
    assert done == sorted(done)
    assert 1 <= done[0] and done[-1] == calls[-1][1]
    return calls[-1][1]


@pytest.mark.parametrize("seed", [0, 7])
def test_one_area_reports_its_restarts_and_the_best_so_far(county: PracticeGraph, seed: int) -> None:
    calls, progress = _recorder()
    grouping = group_heuristic(county, seed=seed, restarts=3, workers=2, progress=progress)
    total = assert_counts_up_to_their_total(calls)
    # the default effort runs each number of groups worth trying with that count held: "7 groups: restart 1 of 3"
    first_run = calls[0][2].partition(": ")[0]
    assert first_run.endswith(" groups") or first_run == "groups floating", calls[0]
    restarts = [note for _, _, note in calls if note.startswith(f"{first_run}: restart ")]
    runs = int(restarts[0].split(" of ")[1].partition(":")[0])
    assert restarts == [note for _, _, note in calls[:runs]] and len(restarts) == runs >= 3
    assert runs < total  # the oscillation of the best start is a step too (standard effort)
    assert all(": best " in note for note in restarts[-1:])
    assert ("ruin and recreate" in [note for _, _, note in calls]) and calls[-2][0] == total - 1
    assert calls[-1][2] == f"search done: best {grouping.objective:.4f}"
    silent = group_heuristic(county, seed=seed, restarts=3, workers=2)
    assert grouping.labels == silent.labels and grouping.objective == silent.objective


def test_several_areas_report_areas_done(county: PracticeGraph) -> None:
    calls, progress = _recorder()
    group_heuristic(county, GroupingProblem(within="sub_icb"), seed=0, effort="quick", workers=2, progress=progress)
    assert assert_counts_up_to_their_total(calls) == len(county.areas("sub_icb")) == 3
    assert [note for _, _, note in calls] == ["", "", ""]  # the count says it all


@pytest.fixture
def eager_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's bar drawn from the start, and on a stream that is not a terminal (as under CliRunner)."""
    import tqdm

    class Eager(tqdm.tqdm):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.update(delay=0, mininterval=0, miniters=1)
            if kwargs.get("disable") is None:
                kwargs["disable"] = False
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm, "tqdm", Eager)


@pytest.mark.usefixtures("eager_bar")
def test_group_shows_restarts_on_stderr_and_quiet_hides_them(tmp_path: Path) -> None:
    practices = write_practices_csv(tmp_path / "county.csv", synthetic_county(seed=1))
    arguments = ["group", str(practices), "--sub-icb", "X1A", "--restarts", "2", "--format", "csv", "--no-maps"]
    runner = CliRunner()
    shown = runner.invoke(main, [*arguments, "--out", str(tmp_path / "shown")])
    assert shown.exit_code == 0, shown.output
    assert "restart 1 of " in shown.stderr and "oscillation 1: best " in shown.stderr
    assert "restart 1 of " not in shown.stdout
    hidden = runner.invoke(main, ["-q", *arguments, "--out", str(tmp_path / "hidden")])
    assert hidden.exit_code == 0, hidden.output
    assert "restart 1 of " not in hidden.stderr and "grouping" not in hidden.stderr
    assert (tmp_path / "shown" / "groups.csv").read_bytes() == (tmp_path / "hidden" / "groups.csv").read_bytes()
