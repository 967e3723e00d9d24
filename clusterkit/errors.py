"""The exceptions users see.

Every error that reaches a user is one of these. ``cli.py`` maps them to exit codes and prints their
message on one line; library callers catch them by type.

Exit codes: 2 for bad input or usage (:class:`InputError`, :class:`SolverError`), 3 for a valid request
that no solution can satisfy (:class:`InfeasibleError`), 4 for the environment: a file or folder that cannot be
read or written, a full disk (:class:`StorageError`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClusterkitError", "InputError", "InfeasibleError", "SolverError", "StorageError", "Terminated"]


class ClusterkitError(Exception):
    """Base class of every error clusterkit raises on purpose."""

    exit_code: int = 1


class InputError(ClusterkitError):
    """Bad input: a file, a row, a column or an option value that cannot be used.

    Parameters
    ----------
    message : str
        What is wrong, in the user's terms, ideally with a hint how to fix it.
    source : str, optional
        The file the problem is in, or the library's parameter (``band``, ``time_limit``; the command line
        shows its flag instead).
    row : int, optional
        1-based line number in a CSV file (the header is line 1) or feature number in a vector file.
    column : str, optional
        The column or attribute name.
    value : object, optional
        The offending value, shown with ``repr``.
    row_label : str
        How to call ``row`` in the message: ``"row"`` for CSV, ``"feature"`` for GeoJSON/GeoPackage.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        row_label: str = "row",
    ) -> None:
        self.detail = message
        self.row_label = row_label
        self.source = source
        self.row = row
        self.column = column
        self.value = value
        where = []
        if source is not None:
            where.append(str(source))
        if row is not None:
            where.append(f"{row_label} {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        text = f"{prefix}: {message}" if prefix else message
        if value is not None:
            shown = repr(value)
            if len(shown) > 60:
                shown = shown[:57] + "...'"
            text = f"{text} (got {shown})"
        super().__init__(text)


    def with_source(self, source: str) -> InputError:
        """The same error naming another source (the CLI names its flag where the library named its parameter)."""
        return InputError(self.detail, source=source, row=self.row, column=self.column, value=self.value,
                          row_label=self.row_label)


class InfeasibleError(ClusterkitError):
    """The request is valid but no solution satisfies its hard rules; the message says why.

    Parameters
    ----------
    message : str
        The first reason, in the user's terms.
    reasons : list of str, optional
        Every reason found (the message shows the first).
    """

    exit_code = 3

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        self.reasons = list(reasons) if reasons else [message]
        super().__init__(message)


class SolverError(ClusterkitError):
    """A solver is unknown, not installed, or failed to run."""

    exit_code = 2


class StorageError(ClusterkitError):
    """The machine, not the request: a file or folder that cannot be read or written, a full disk, no permission.

    Parameters
    ----------
    message : str
        What could not be done, in the user's terms.
    path : str, optional
        The file or folder.
    """

    exit_code = 4

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)

    @classmethod
    def from_os_error(cls, error: OSError, doing: str = "cannot use") -> StorageError:
        """The one line for an :class:`OSError`: what was being done, the path and the system's reason."""
        path = error.filename if error.filename is not None else None
        reason = error.strerror or type(error).__name__
        return cls(f"{doing} ({reason})", None if path is None else str(path))


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM); handled as Ctrl-C is: outputs left as they were."""
