"""A run's output set, written whole or not at all.

Files are written into a hidden staging folder beside ``--out`` (``.NAME.staging-PID``, same parent, so the
same file system); when the run has written everything, the staging folder takes the place of ``--out`` in
one step (Linux's ``renameat2(RENAME_EXCHANGE)`` swaps the two folders atomically; elsewhere two renames, the
old set kept aside as ``.NAME.previous-PID`` until the new one is in place). A failure or a signal at any
point before that leaves ``--out`` as it was; with ``--overwrite`` the previous set is replaced whole or kept
whole, and files of the folder that the new set does not replace (a user's own) are kept (hard-linked into the
staged set before the swap). Staging left by a killed run (its process is gone) is recognised and removed by the next run, and a
previous set left aside by a run killed between its two renames is put back.

Checks before any computation: ``--out`` is a folder or does not exist, is empty unless ``overwrite``, and it
and its parent can be written (else :class:`~clusterkit.errors.StorageError`, exit 4).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
from pathlib import Path
from types import TracebackType

from clusterkit.errors import InputError, StorageError

__all__ = ["OutputSet"]

#: A temporary file of :func:`geodata.write.files.atomic_write` (``.NAME.RANDOM.tmp``): never content.
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system or kernel cannot: fall back
        return False
    raise OSError(error, os.strerror(error), str(second))


class OutputSet:
    """The staging folder of one run's outputs; :meth:`commit` puts it in place of ``out``.

    Use as a context manager: the set is committed when the block ends normally and discarded otherwise.

    Parameters
    ----------
    out : path
        The ``--out`` folder.
    overwrite : bool
        Replace a non-empty ``out`` (whole).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> with OutputSet(out) as staging:
    ...     _ = (staging.folder / "groups.csv").write_text("practice_code,group\\n")
    >>> sorted(path.name for path in out.iterdir())
    ['groups.csv']
    """

    def __init__(self, out: str | Path, overwrite: bool = False) -> None:
        if str(out).strip() == "":
            raise InputError("is empty; name the folder for the outputs", source="--out")
        self.given = Path(out)
        self.out = self.given.absolute()
        self.overwrite = overwrite
        parent = self.out.parent
        self._clean_stale(parent)
        if self.out.exists() and not self.out.is_dir():
            raise InputError("exists and is not a folder", source=str(out))
        if self.out.is_dir():
            if any(not _TEMPORARY.match(entry.name) for entry in self.out.iterdir()) and not overwrite:
                raise InputError("output folder is not empty; pass --overwrite to replace its files", source=str(out))
            if not os.access(self.out, os.W_OK | os.X_OK):
                raise StorageError("the output folder cannot be written (permission denied)", str(out))
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.folder = parent / f".{self.out.name}.staging-{os.getpid()}"
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir()
        except OSError as error:
            raise StorageError.from_os_error(error, "cannot create the output folder") from None
        self.committed = False

    def _clean_stale(self, parent: Path) -> None:
        """Remove staging of runs that are gone; put back a previous set a killed run left aside."""
        if not parent.is_dir():
            return
        pattern = re.compile(rf"^\.{re.escape(self.out.name)}\.(staging|previous)-(\d+)$")
        for entry in sorted(parent.iterdir()):
            found = pattern.match(entry.name)
            if not found or _alive(int(found.group(2))):
                continue
            if found.group(1) == "previous" and not self.out.exists():
                entry.rename(self.out)
            else:
                shutil.rmtree(entry, ignore_errors=True)

    def _carry_over(self) -> None:
        """Files of ``out`` that the new set does not replace (the user's own) join the staged set, hard-linked
        (so nothing is copied, and a run killed now leaves the originals untouched)."""
        staged = {entry.name for entry in self.folder.iterdir()}
        for entry in self.out.iterdir():
            if entry.name in staged or _TEMPORARY.match(entry.name):
                continue
            target = self.folder / entry.name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(entry, target)

    def commit(self) -> Path:
        """Put the staged set in place of ``out`` in one step; returns ``out``."""
        try:
            if self.out.is_dir():
                self._carry_over()
            if not self.out.exists():
                os.rename(self.folder, self.out)
            elif _exchange(self.folder, self.out):
                shutil.rmtree(self.folder)  # now the previous set
            else:
                previous = self.out.parent / f".{self.out.name}.previous-{os.getpid()}"
                os.rename(self.out, previous)
                os.rename(self.folder, self.out)
                shutil.rmtree(previous)
        except OSError as error:
            raise StorageError.from_os_error(error, "cannot put the outputs in place") from None
        self.committed = True
        return self.out

    def discard(self) -> None:
        """Remove the staged files; ``out`` stays as it was."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
