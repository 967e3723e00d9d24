"""Run one grouping method on one instance in this interpreter and write its labels as JSON.

Launched by ``benchmarks/grouping.py``, one process per (method, instance)::

    python benchmarks/peers/run_one.py --method spopt-maxp --instance 00T --out run.json --seed 0

The JSON holds ``method``, ``instance``, ``seed``, ``labels`` (practice code -> group), ``seconds`` (the
method's own wall time), ``status``, ``objective``, ``bound``, ``gap``, ``notes``, ``versions``, and
``error`` / ``error_kind`` (``unavailable`` or ``failed``) when the method could not run. Exit codes:
0 done, 3 unavailable (library not importable), 1 failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[1]
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

#: Distributions whose versions a run records.
DISTRIBUTIONS = ("clusterkit", "spopt", "libpysal", "k-means-constrained", "ortools", "gerrychain", "highspy", "PuLP",
                 "networkx", "numpy")


def _versions() -> dict[str, str]:
    found = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _write(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    from peers.methods import METHODS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", required=True, choices=sorted(METHODS))
    parser.add_argument("--instance", required=True)
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None, help="practices CSV (default $CLUSTERKIT_NHS_DATA or ../shared)")
    parser.add_argument("--budget-seconds", type=float, default=10.0, help="wall time of an anytime method")
    parser.add_argument("--exact-time-limit", type=float, default=60.0, help="exact solver limit per area (s)")
    parser.add_argument("--exact-gap", type=float, default=0.01, help="relative gap the exact solver proves")
    parser.add_argument("--workers", type=int, default=2, help="processes of the clusterkit heuristic")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the method and write the JSON; returns the exit code."""
    from peers.methods import METHODS, PRELOAD

    arguments = parse_arguments(argv)
    payload: dict[str, Any] = {"method": arguments.method, "instance": arguments.instance, "seed": arguments.seed}
    try:
        for module in PRELOAD.get(arguments.method, ()):
            importlib.import_module(module)
    except ImportError as error:
        payload.update(error=f"{module} not importable: {error}", error_kind="unavailable", versions=_versions())
        _write(arguments.out, payload)
        return 3

    from peers.instances import BAND, default_data_path, load_instance
    from peers.methods import Settings, UnavailableError

    data = arguments.data or str(default_data_path())
    try:
        graph = load_instance(arguments.instance, data)
        settings = Settings(band=BAND, seed=arguments.seed, budget_seconds=arguments.budget_seconds,
                            exact_time_limit=arguments.exact_time_limit, exact_gap=arguments.exact_gap,
                            workers=arguments.workers, data=data)
        result = METHODS[arguments.method](graph, settings)
    except UnavailableError as error:
        payload.update(error=str(error), error_kind="unavailable", versions=_versions())
        _write(arguments.out, payload)
        return 3
    except Exception as error:  # noqa: BLE001 - any failure of a peer is a result to report
        traceback.print_exc()
        message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        payload.update(error=message, error_kind="failed", versions=_versions())
        _write(arguments.out, payload)
        return 1
    payload.update(result.to_dict())
    payload["versions"] = _versions()
    _write(arguments.out, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
