"""The public API of STYLE.md's shapes resolves from the package, and the core imports no solver or format."""

from __future__ import annotations

import subprocess
import sys

import clusterkit


def test_every_public_name_resolves() -> None:
    for name in clusterkit.__all__:
        assert getattr(clusterkit, name) is not None, name


def test_the_core_imports_neither_solvers_nor_geodata() -> None:
    code = ("import sys, clusterkit, clusterkit.heuristic, clusterkit.metrics, clusterkit.budgets, clusterkit.parallel;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('solvers', 'geodata', 'pulp')))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"
