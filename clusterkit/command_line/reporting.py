"""How a command reports: logging on stderr, clusterkit's errors as one line and an exit code, the progress
bar, and the lines printed once a run's outputs are in place.

Imports click and clusterkit's errors only (``clusterkit --help`` stays fast); the rest is imported where used.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from clusterkit.errors import ClusterkitError, InputError, StorageError, Terminated
from clusterkit.progress import Progress
from clusterkit.summaries import grouping_text

__all__ = ["PARAMETERS", "command_line", "configure_logging", "finish", "flag_of", "progress_bar",
           "report_grouping", "reports_errors"]


def configure_logging(verbosity: int) -> None:
    level = {-2: logging.CRITICAL, -1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-2, min(verbosity, 2)), logging.DEBUG
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("clusterkit: %(message)s"))
    handler.setLevel(level)  # libraries that set their own loggers' levels (Dask's) are held to ours too
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def flag_of(source: str | None) -> str | None:
    """The command-line flag(s) of a library parameter named as an error's source (``time_limit`` ->
    ``--time-limit``, ``icb/sub_icb`` -> ``--icb/--sub-icb``); None when the source is a file or unknown."""
    if not source:
        return None
    first, _, rest = source.partition(" ")
    names = first.split("/")
    if not all(name in PARAMETERS for name in names):
        return None
    flags = "/".join("--" + name.replace("_", "-") for name in names)
    return f"{flags} {rest}" if rest else flags


#: Library parameters that errors may name as their source, shown as flags on the command line.
PARAMETERS = frozenset({
    "band", "band_for", "soft", "penalty", "contiguity", "within", "cross_penalty", "max_diameter_km", "count",
    "centres", "objective", "weight", "current", "move_penalty", "method", "seed", "effort", "restarts", "workers",
    "solver", "time_limit", "gap", "icb", "sub_icb", "specialties", "risk_cap", "max_per_practice", "min_list_size",
    "max_consortium_size", "schedule", "variance", "loss_threshold", "preferences", "consortia", "groups", "format",
    "tiers", "order", "fixed", "weights", "move_penalties", "members", "keep", "min_vi", "weight_jitter",
    "scheduler",
})


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn clusterkit's errors into one line on stderr and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        verbosity = (context.find_root().obj or {}).get("verbosity", 0)
        try:
            if isinstance(kwargs.get("formats"), str):  # --format, checked before any work
                from geodata.write.outputs import parse_formats

                kwargs["formats"] = parse_formats(kwargs["formats"])
            return command(*args, **kwargs)
        except ClusterkitError as error:
            if isinstance(error, InputError) and flag_of(error.source):
                error = error.with_source(flag_of(error.source))
            if verbosity >= 2:
                raise
            click.echo(f"clusterkit: error: {error}", err=True)
            context.exit(error.exit_code)
        except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM (Terminated)
            stopped = "terminated" if isinstance(error, Terminated) else "interrupted"
            click.echo(f"clusterkit: {stopped}; --out was left as it was (or never made)", err=True)
            context.exit(143 if isinstance(error, Terminated) else 130)
        except OSError as error:  # the machine, not the request: one line, exit 4
            storage = StorageError.from_os_error(error, "cannot read or write")
            if verbosity >= 2:
                raise storage from error
            click.echo(f"clusterkit: error: {storage}", err=True)
            context.exit(storage.exit_code)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as error:  # a bug: say so in one line, keep the traceback for -vv
            if verbosity >= 2:
                raise
            click.echo(f"clusterkit: internal error: {type(error).__name__}: {error} (run with -vv for details)", err=True)
            context.exit(1)

    return wrapper


def command_line() -> str:
    """The command as typed (for summary.json)."""
    import shlex

    argv = (click.get_current_context().find_root().obj or {}).get("argv", sys.argv[1:])
    return shlex.join(["clusterkit", *argv])


@contextlib.contextmanager
def progress_bar(description: str, unit: str) -> Iterator[Progress]:
    """A progress bar on stderr for work over a second (hidden by -q), fed ``(done, total, note)`` by a run."""
    from tqdm import tqdm

    verbosity = (click.get_current_context().find_root().obj or {}).get("verbosity", 0)
    with tqdm(total=None, desc=description, unit=unit, delay=1.0, leave=False, file=sys.stderr,
              disable=True if verbosity < 0 else None) as bar:

        def progress(done: int, total: int, note: str = "") -> None:
            if bar.total != total:
                bar.total = total
            if note:  # a new note with no step done (an exact run's phase) is drawn at once, past the delay
                shown = not bar.disable and time.time() - getattr(bar, "start_t", time.time()) >= bar.delay
                bar.set_postfix_str(note, refresh=done == bar.n and shown)
            bar.update(done - bar.n)

        yield progress


def report_grouping(folder: Path, run: Any, written: list[Path], inputs_written: tuple[str, ...] = ()) -> None:
    """Print a grouping run whose outputs are in place; exit with the run's status (1 when a rule is unmet)."""
    if run.summary.get("best_effort"):
        click.echo(f"clusterkit: {run.summary['best_effort']}; --best-effort: grouped with a soft band instead",
                   err=True)
    finish(run, grouping_text(run.result, run.metrics, run.extra["problem"]), written, folder, inputs_written)


def finish(run: Any, text: str, written: list[Path], folder: Path, inputs_written: tuple[str, ...] = ()) -> None:
    """Print a run whose outputs are in place, the rule it leaves unmet, and exit with its status."""
    click.echo(text)
    click.echo(f"wrote {', '.join([*inputs_written, *(path.name for path in written)])} to {folder}")
    if run.unmet:
        click.echo(f"clusterkit: {run.unmet}", err=True)
    if run.exit_status:
        click.get_current_context().exit(run.exit_status)
