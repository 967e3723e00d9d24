"""Files as NHS England and ONS publish them: a CSV, or a zip archive holding exactly one CSV.

A file is taken for a zip by its content (it starts with ``PK``), not by its name, so a renamed download
still reads. A folder stands for every CSV and zip file in it (the postcode lookup split by postcode area).
Every problem is an :class:`~clusterkit.errors.InputError` naming the file (and the CSV inside a zip).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from clusterkit.errors import InputError
from geodata.read.tables import Table, check_file, parse_table, unreadable

__all__ = ["PublishedCsv", "published_csv", "published_csvs"]

#: How a zip archive begins (a local file header; an empty archive starts with its end record).
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")

#: Files a folder of published files may hold, by suffix.
_PUBLISHED_SUFFIXES = (".csv", ".zip")


@dataclass(frozen=True)
class PublishedCsv:
    """One CSV as published: a file of its own, or the one CSV inside a zip archive.

    Attributes
    ----------
    given : str
        The file as the user named it.
    path : Path
        The file on disk.
    member : str or None
        The CSV's name inside the zip (``None``: the file is the CSV).

    Examples
    --------
    >>> import tempfile, zipfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(folder / "lists.zip", "w") as archive:
    ...     archive.writestr("gp-reg-pat-prac-all.csv", "CODE,NUMBER_OF_PATIENTS\\nA81001,3904\\n")
    >>> found = published_csv(folder / "lists.zip")
    >>> found.member, found.table().rows[0][1]["NUMBER_OF_PATIENTS"]
    ('gp-reg-pat-prac-all.csv', '3904')
    """

    given: str
    path: Path
    member: str | None = None

    @property
    def source(self) -> str:
        """How errors name it: the file, and the CSV inside a zip in brackets."""
        return f"{self.given} ({self.member})" if self.member else self.given

    def error(self, message: str) -> InputError:
        """An :class:`InputError` naming this CSV."""
        return InputError(message, source=self.source)

    @contextmanager
    def opened(self) -> Iterator[BinaryIO]:
        """The CSV's bytes as a stream; errors while opening or reading it name the file."""
        try:
            with ExitStack() as stack:
                if self.member is None:
                    stream: BinaryIO = stack.enter_context(self.path.open("rb"))
                else:
                    archive = stack.enter_context(zipfile.ZipFile(self.path))
                    stream = stack.enter_context(archive.open(self.member))
                yield stream
        except OSError as error:
            raise unreadable(error, self.source) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise InputError(f"cannot be read from the zip archive, which is damaged or unsupported ({error})",
                             source=self.source) from None

    def read_bytes(self) -> bytes:
        """Every byte of the CSV."""
        with self.opened() as stream:
            return stream.read()

    def table(self, what: str = "records", encoding: str = "utf-8") -> Table:
        """The CSV as a :class:`~geodata.read.tables.Table` (its rows named by line number)."""
        return parse_table(self.read_bytes(), self.source, encoding=encoding, what=what)


def published_csv(path: str | Path) -> PublishedCsv:
    """The CSV a published file holds: the file itself, or the one CSV of a zip archive.

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, a damaged zip, or a zip holding no CSV or several.
    """
    given = str(path)
    file = check_file(path)
    try:
        with file.open("rb") as stream:
            head = stream.read(4)
    except OSError as error:
        raise unreadable(error, given) from None
    if not head.startswith(_ZIP_SIGNATURES):
        return PublishedCsv(given, file)
    try:
        with zipfile.ZipFile(file) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise InputError(f"is not a readable zip archive ({error})", source=given) from None
    except OSError as error:
        raise unreadable(error, given) from None
    tables = [name for name in names if name.lower().endswith(".csv") and not _is_metadata(name)]
    if len(tables) == 1:
        return PublishedCsv(given, file, tables[0])
    if tables:
        shown = ", ".join(tables[:5]) + (f", ... ({len(tables)} in all)" if len(tables) > 5 else "")
        raise InputError(f"holds {len(tables)} CSV files ({shown}), so which to read is unclear; give the one to "
                         "import, extracted or zipped alone", source=given)
    if "xl/workbook.xml" in names:
        raise InputError("is an Excel workbook, not a CSV or a zip holding one; export it as CSV", source=given)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "") if names else "nothing"
    raise InputError(f"is a zip archive holding no CSV file (it holds {shown})", source=given)


def _is_metadata(name: str) -> bool:
    """A file a zip tool adds beside the content (macOS's ``__MACOSX/`` and ``._`` resource forks)."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._")


def published_csvs(path: str | Path) -> tuple[PublishedCsv, ...]:
    """The CSVs of a published file (one) or of a folder of them (every ``.csv`` and ``.zip`` in it, by name).

    Raises
    ------
    InputError
        For a folder holding no CSV or zip file, and for any file :func:`published_csv` refuses.
    """
    folder = Path(path)
    if not folder.is_dir():
        return (published_csv(path),)
    try:
        entries = sorted(entry for entry in folder.iterdir()
                         if entry.suffix.lower() in _PUBLISHED_SUFFIXES and not entry.name.startswith("."))
    except OSError as error:
        raise unreadable(error, str(path)) from None
    if not entries:
        raise InputError("is a folder holding no CSV or zip file", source=str(path))
    return tuple(published_csv(entry) for entry in entries)
