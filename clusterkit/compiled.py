"""The switch of the compiled search core: on when numba is installed, unless ``CLUSTERKIT_COMPILED=0``.

The compiled core (:mod:`clusterkit.heuristic.kernels`) makes the same decisions as the pure-Python search
it replaces, on the same group score (:mod:`clusterkit.problem.score_terms`), so a seed gives the same
grouping either way; the switch only changes the speed. Small runs keep the Python path: loading the
compiled kernels (numba's import and its on-disk cache) costs more than they save there.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["ENVIRONMENT_VARIABLE", "MIN_PRACTICES", "compiled_enabled", "use_compiled"]

#: Environment variable that turns the compiled core off (``0``) or on (anything else; the default).
ENVIRONMENT_VARIABLE = "CLUSTERKIT_COMPILED"

#: Runs of fewer practices than this keep the Python path (loading the kernels, about a second, would not pay).
MIN_PRACTICES = 120


def compiled_enabled() -> bool:
    """Whether the compiled core may be used: numba installed and ``CLUSTERKIT_COMPILED`` not ``0``."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    return importlib.util.find_spec("numba") is not None


def use_compiled(practices: int) -> bool:
    """Whether a run (or a piece) of ``practices`` practices is searched by the compiled core."""
    return practices >= MIN_PRACTICES and compiled_enabled()
