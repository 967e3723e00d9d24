"""What a command imports: ``--help`` none of the numeric, geographic or solver libraries, ``validate`` no solver,
map or table library. Checked on ``sys.modules`` of a fresh interpreter, not by timing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPOSITORY

#: Top-level packages ``clusterkit --help`` must not import (each costs a noticeable part of a second).
NOT_FOR_HELP = ("numpy", "scipy", "networkx", "pyproj", "pandas", "shapely", "pyogrio", "geopandas", "pulp",
                "highspy", "matplotlib", "folium", "sklearn", "numba", "dask", "distributed")

#: Top-level packages ``clusterkit validate`` of a CSV must not import: it needs no solver, table or map library.
NOT_FOR_VALIDATE = ("pandas", "shapely", "pyogrio", "geopandas", "pulp", "highspy", "matplotlib", "folium",
                    "sklearn", "numba", "dask", "distributed")


def _imported_by(*arguments: str) -> set[str]:
    """The top-level packages imported by ``clusterkit ARGUMENTS`` run in a fresh interpreter (exit code 0)."""
    program = ("import sys\n"
               "from click.testing import CliRunner\n"
               "import cli\n"
               f"result = CliRunner().invoke(cli.main, {list(arguments)!r})\n"
               "assert result.exit_code == 0, result.output\n"
               "print(' '.join(sorted({name.partition('.')[0] for name in sys.modules})))\n")
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPOSITORY,
                          env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_help_imports_no_heavy_library() -> None:
    imported = _imported_by("--help")
    assert "click" in imported  # the check sees what was imported
    assert sorted(imported & set(NOT_FOR_HELP)) == []


def test_a_command_help_imports_no_heavy_library() -> None:
    assert sorted(_imported_by("group", "--help") & set(NOT_FOR_HELP)) == []


def test_validate_imports_no_solver_table_or_map_library(tiny_csv: Path) -> None:
    imported = _imported_by("validate", str(tiny_csv), "--icb", "QOP")
    assert {"numpy", "networkx", "scipy"} <= imported  # it did read and triangulate
    assert sorted(imported & set(NOT_FOR_VALIDATE)) == []
