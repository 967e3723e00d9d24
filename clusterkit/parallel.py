"""The one seam between the algorithms and wherever their independent tasks run.

Work that splits into independent tasks (one piece of a decomposed grouping, one network's budgets, later
one seed of an ensemble or one weight of a sweep) is a module-level function applied to small picklable
task dataclasses. :func:`run_tasks` hands them to a local process pool by default, or to any
:class:`concurrent.futures.Executor` (a Dask ``distributed.Client(...).get_executor()`` among them), and
yields each result as it finishes, with the task's position, so that the caller draws progress and
assembles results in task order. Results depend on the tasks only (each carries its own seed), never on
the executor or the number of workers.

Pools do not nest: inside a worker of a pool made here, :func:`run_tasks` runs its tasks in that worker.
Workers die with their parent: they leave Ctrl-C to it (which then terminates them at once, not after their
task), and on Linux the kernel ends them when the parent dies, even by SIGKILL (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TypeVar

from clusterkit.errors import InputError
from clusterkit.signals import held_signals

__all__ = ["SCHEDULER_ENV", "default_workers", "in_worker", "local_pool", "run_tasks", "scheduler_executor"]

#: Environment variable naming the Dask scheduler when ``--scheduler`` is not given.
SCHEDULER_ENV = "CLUSTERKIT_SCHEDULER"

#: Seconds to wait for a Dask scheduler to answer before saying it cannot be reached.
CONNECT_TIMEOUT = 3.0

Task = TypeVar("Task")
Result = TypeVar("Result")

#: Set in the worker processes of a pool made by :func:`run_tasks`: their own tasks then run inline.
_IN_WORKER = False


#: ``prctl`` option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _start_worker() -> None:
    """In each worker of a local pool: no nested pools, Ctrl-C left to the parent, and death with the parent."""
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's terminate() still ends its workers
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def default_workers() -> int:
    """Processes to use when none is asked for: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(function: Callable[[Task], Result], tasks: Sequence[Task], *, executor: Executor | None = None,
              workers: int | None = None) -> Iterator[tuple[int, Result]]:
    """Apply ``function`` to every task; yield ``(position, result)`` as each finishes.

    Parameters
    ----------
    function : callable
        A module-level function (picklable by reference) of one task.
    tasks : sequence
        Picklable task objects.
    executor : concurrent.futures.Executor, optional
        Where to run them (e.g. ``distributed.Client(address).get_executor()``). Default: a local process
        pool of ``workers`` processes, or this process when one worker, one task, or already in a worker.
    workers : int, optional
        Size of the local pool (default :func:`default_workers`); ignored with an ``executor``.

    Yields
    ------
    (int, object)
        The task's position in ``tasks`` and its result, in order of completion (this process: in order).
        A task's exception is raised here, and the tasks not yet started are cancelled.

    Examples
    --------
    >>> sorted(run_tasks(abs, [-2, 3, -5], workers=1))
    [(0, 2), (1, 3), (2, 5)]
    """
    if executor is None:
        workers = default_workers() if workers is None else workers
        if workers <= 1 or len(tasks) <= 1 or _IN_WORKER:
            for position, task in enumerate(tasks):
                yield position, function(task)
            return
        with local_pool(min(workers, len(tasks))) as pool:
            assert pool is not None
            yield from _drain(pool, function, tasks)
        return
    yield from _drain(executor, function, tasks)


def in_worker() -> bool:
    """Whether this process is a worker of a pool made here (where :func:`run_tasks` runs tasks inline)."""
    return _IN_WORKER


@contextmanager
def local_pool(workers: int) -> Iterator[Executor | None]:
    """A local process pool of ``workers`` processes for several rounds of :func:`run_tasks` (``executor=``),
    or None (run inline) for one worker or inside a worker; ended at once, with its workers, on an error,
    Ctrl-C or SIGTERM, and waited for otherwise.

    Examples
    --------
    >>> with local_pool(1) as pool:
    ...     sorted(run_tasks(abs, [-2, 3], executor=pool, workers=1))
    [(0, 2), (1, 3)]
    """
    if workers <= 1 or _IN_WORKER:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker)
    try:
        yield pool
    except BaseException:  # an error, Ctrl-C or SIGTERM: end the workers now, do not wait for their tasks
        for process in list(getattr(pool, "_processes", {}).values()):
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        # the pool's manager thread closes its wake-up pipe as it ends; Python 3.11's exit hook writes to that
        # pipe unlocked, and a run stopped by Ctrl-C while the thread was closing it printed a traceback
        # ("Bad file descriptor") after its one line: let the thread end first (at once: the workers are dead)
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=2.0)
        raise
    pool.shutdown(wait=True)


def _drain(executor: Executor, function: Callable[[Task], Result], tasks: Sequence[Task]) -> Iterator[tuple[int, Result]]:
    futures: dict[Future[Result], int] = {executor.submit(function, task): position for position, task in enumerate(tasks)}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:  # an error, Ctrl-C or a caller that stops early: nothing left running for nobody
        for future in futures:
            future.cancel()


def quiet_dask_logs() -> None:
    """Let only Dask's critical log records through in this process (a local worker, or the run itself).

    A task's own failure still reaches the run as the task's exception; what this hides is the cluster's
    bookkeeping, such as a worker that lost its heartbeat while the cluster was being closed after Ctrl-C.

    Examples
    --------
    >>> import logging
    >>> quiet_dask_logs()
    >>> logging.getLogger("distributed.worker").getEffectiveLevel() == logging.CRITICAL
    True
    """
    for name in ("distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)


@contextmanager
def scheduler_executor(scheduler: str | None, *, workers: int | None = None,
                       timeout: float = CONNECT_TIMEOUT) -> Iterator[Executor | None]:
    """Where tasks run: ``None`` (the local process pool of :func:`run_tasks`), ``"local"`` (a Dask
    ``LocalCluster`` of ``workers`` single-threaded processes, started here and closed at the end) or the
    address of a running Dask scheduler (``tcp://host:8786``).

    Dask's ``distributed`` is an optional extra (``pip install -e ".[dask]"``), imported only here. On an
    error or Ctrl-C inside the block, the tasks still queued or running on the cluster are cancelled.

    Raises
    ------
    InputError
        When the extra is not installed, or the scheduler does not answer within ``timeout`` seconds.

    Examples
    --------
    >>> with scheduler_executor(None) as executor:
    ...     print(executor)
    None
    """
    if scheduler is None or not scheduler.strip():
        yield None
        return
    scheduler = scheduler.strip()
    try:
        import distributed
    except ImportError as error:
        raise InputError('needs Dask, an optional extra: pip install -e ".[dask]" (or pip install distributed)',
                         source="scheduler", value=scheduler) from error
    logging.getLogger("distributed").setLevel(logging.ERROR)  # its start-up chatter is not the planner's news
    cluster = client = None
    try:
        with held_signals():  # a cluster half started by Ctrl-C cannot be closed cleanly: Ctrl-C waits for it
            if scheduler == "local":
                cluster = distributed.LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                                                   processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                client = distributed.Client(cluster, timeout=timeout)
                client.run(quiet_dask_logs)  # the local workers' shutdown chatter is not the planner's news
            else:
                client = distributed.Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        if cluster is not None:
            cluster.close()
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot reach the Dask scheduler within {timeout:g} s ({reason})", source="scheduler",
                         value=scheduler) from None
    except BaseException:  # Ctrl-C or SIGTERM held during the start: close what was started, then stop
        for started in (client, cluster):
            if started is not None:
                started.close()
        raise
    executor = client.get_executor(pure=False)
    try:
        yield executor
    except BaseException:
        quiet_dask_logs()  # a cluster closed mid-run logs lost heartbeats: the planner was told it was stopped
        executor.shutdown(wait=False)  # cancels what is still queued or running on the cluster
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
