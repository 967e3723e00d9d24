"""The executor seam: the same results whatever runs the tasks, in task positions, never nested pools."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from clusterkit import parallel
from clusterkit.heuristic.tasks import PieceTask, solve_tasks
from clusterkit.parallel import run_tasks
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.pieces import piece_problems
from clusterkit.synthetic import synthetic_county


def _square(number: int) -> int:
    return number * number


def _inner_pool_is_inline(count: int) -> bool:
    """Inside a worker, a nested run_tasks must not start a pool of its own."""
    return parallel._IN_WORKER and sorted(run_tasks(_square, list(range(count)), workers=4)) == [
        (k, k * k) for k in range(count)]


def _fail(number: int) -> int:
    raise ValueError(f"task {number} failed")


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_with_their_task_position(workers: int) -> None:
    assert sorted(run_tasks(_square, [3, 1, 2], workers=workers)) == [(0, 9), (1, 1), (2, 4)]


def test_any_executor_gives_the_same_results() -> None:
    tasks = list(range(7))
    local = sorted(run_tasks(_square, tasks, workers=1))
    with ThreadPoolExecutor(max_workers=3) as threads:
        assert sorted(run_tasks(_square, tasks, executor=threads)) == local
    with ProcessPoolExecutor(max_workers=2) as processes:
        assert sorted(run_tasks(_square, tasks, executor=processes)) == local


def test_pools_do_not_nest() -> None:
    assert all(result for _, result in run_tasks(_inner_pool_is_inline, [3, 4], workers=2))


def test_a_failing_task_raises_here() -> None:
    with pytest.raises(ValueError, match="task [12] failed"):
        list(run_tasks(_fail, [1, 2], workers=2))


def test_heuristic_pieces_are_the_same_on_any_executor() -> None:
    graph = synthetic_county(seed=2).with_adjacency()
    pieces, _ = piece_problems(graph, GroupingProblem(within="sub_icb"))
    tasks = [PieceTask(piece, seed=5 + k, restarts=2, oscillate=0) for k, piece in enumerate(pieces)]
    here = solve_tasks(tasks, workers=1)
    with ThreadPoolExecutor(max_workers=2) as threads:
        elsewhere = solve_tasks(tasks, executor=threads)
    assert len(here) == len(pieces) > 1
    for mine, theirs in zip(here, elsewhere):
        assert mine.name == theirs.name and (mine.unit_group == theirs.unit_group).all()
        assert mine.cost == theirs.cost


def test_tasks_are_spawn_safe() -> None:
    """Pieces travel to processes started afresh (spawn, as on macOS, Windows or a Dask worker)."""
    from multiprocessing import get_context

    graph = synthetic_county(seed=2).with_adjacency()
    pieces, _ = piece_problems(graph, GroupingProblem(within="sub_icb"))
    tasks = [PieceTask(piece, seed=7, restarts=1, oscillate=0) for piece in pieces]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as spawned:
        remote = solve_tasks(tasks, executor=spawned)
    for mine, theirs in zip(solve_tasks(tasks, workers=1), remote):
        assert (mine.unit_group == theirs.unit_group).all() and mine.cost == theirs.cost
