"""The switch of the compiled search core: on when numba is installed, unless ``CLUSTERKIT_COMPILED=0``.

The compiled core (:mod:`clusterkit.heuristic.kernels`) makes the same decisions as the pure-Python search
it replaces, on the same group score (:mod:`clusterkit.problem.score_terms`), so a seed gives the same
grouping either way; the switch only changes the speed. Small runs keep the Python path: loading the
compiled kernels costs more than they save there while numba has not yet compiled them (the first run after
an install compiles them once, 15-20 s, and keeps them on disk); once they are on disk, loading them takes a
fraction of a second and runs from :data:`MIN_CACHED_PRACTICES` practices use them (a sub-ICB of 50 practices
at the default effort: 0.9 s instead of 2.8 s).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

__all__ = ["ENVIRONMENT_VARIABLE", "MIN_CACHED_PRACTICES", "MIN_PRACTICES", "compiled_enabled", "kernels_cached",
           "use_compiled"]

#: Environment variable that turns the compiled core off (``0``) or on (anything else; the default).
ENVIRONMENT_VARIABLE = "CLUSTERKIT_COMPILED"

#: Runs of fewer practices than this keep the Python path while the kernels are not compiled yet (compiling
#: them would not pay).
MIN_PRACTICES = 120

#: Once the kernels are compiled on disk, runs from this many practices use them.
MIN_CACHED_PRACTICES = 30

#: The kernels whose compiled code on disk means a run loads rather than compiles them.
_ENTRY_KERNELS = ("move_pass", "swap_pass", "resplit_cuts")


def compiled_enabled() -> bool:
    """Whether the compiled core may be used: numba installed and ``CLUSTERKIT_COMPILED`` not ``0``."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    return importlib.util.find_spec("numba") is not None


@functools.lru_cache(maxsize=1)
def kernels_cached() -> bool:
    """Whether numba's on-disk cache holds the search kernels (beside their module, or in ``NUMBA_CACHE_DIR``),
    so that a run loads them in a fraction of a second instead of compiling them; found without importing them
    (once per process)."""
    spec = importlib.util.find_spec("clusterkit.heuristic.kernels")
    if spec is None or spec.origin is None:
        return False
    folders = [Path(spec.origin).parent / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        folders.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    for folder in folders:
        try:
            names = {entry.name.split("-")[0] for entry in folder.rglob("kernels.*.nbi")}
        except OSError:
            continue
        if all(f"kernels.{kernel}" in names for kernel in _ENTRY_KERNELS):
            return True
    return False


def use_compiled(practices: int) -> bool:
    """Whether a run (or a piece) of ``practices`` practices is searched by the compiled core: from
    :data:`MIN_PRACTICES` practices, or from :data:`MIN_CACHED_PRACTICES` once the kernels are compiled on disk."""
    if practices < MIN_CACHED_PRACTICES or not compiled_enabled():
        return False
    return practices >= MIN_PRACTICES or kernels_cached()
