"""How long small commands take as whole processes, and what they import: this tree against another.

Usage (from the repository root)::

    python benchmarks/startup.py                               # this tree alone
    python benchmarks/startup.py --against ../before --runs 7  # this tree against another checkout

Each command runs as ``python -m cli ...`` (the code of the tree on ``PYTHONPATH``), the two trees in turn
(A B A B ...) after one warm-up each, so that a drifting machine load hits both alike. Prints a Markdown table:
per command, the median wall and CPU seconds of each tree and their ratio (the median of the pairwise ratios),
then, from one ``python -X importtime`` run per tree, the time each command spends importing each heavy library
(the own times of its modules, summed; ``-X importtime`` inflates them). The machine's load inflates the
absolute figures; the ratios are the figures to quote.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from peers.instances import default_data_path  # noqa: E402

#: Libraries whose import takes a noticeable part of a second; reported when a command imports them.
HEAVY = ("numpy", "scipy", "networkx", "pyproj", "pandas", "shapely", "pyogrio", "geopandas", "pulp", "highspy",
         "sklearn", "matplotlib", "folium", "numba", "distributed")


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    """Name -> arguments of ``clusterkit``: the start-up targets of issue 10 and a small grouping."""
    return {
        "--help": ["--help"],
        "validate --icb QOP": ["validate", str(data), "--icb", "QOP"],
        "validate (England)": ["validate", str(data)],
        "group --sub-icb 00T": ["-q", "group", str(data), "--sub-icb", "00T", "--out", str(out / "all"),
                                "--overwrite"],
        "group --sub-icb 00T --format csv": ["-q", "group", str(data), "--sub-icb", "00T", "--format", "csv",
                                             "--out", str(out / "csv"), "--overwrite"],
    }


def run_once(tree: Path, arguments: list[str], importtime: bool = False) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``python -m cli ARGUMENTS`` with ``tree`` on the path, and its stderr."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "cli", *arguments],
                          cwd=tree, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{tree}: clusterkit {' '.join(arguments)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def heavy_imports(stderr: str) -> dict[str, float]:
    """Heavy library -> seconds spent importing its modules (their own times summed), from ``-X importtime``."""
    found: dict[str, float] = {}
    for match in re.finditer(r"import time:\s+(\d+) \|\s+\d+ \| \s*([\w.]+)", stderr):
        library = match.group(2).partition(".")[0]
        if library in HEAVY:
            found[library] = found.get(library, 0.0) + int(match.group(1)) / 1e6
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="Another checkout to compare with (e.g. the code before).")
    parser.add_argument("--data", type=Path, default=default_data_path())
    parser.add_argument("--runs", type=int, default=5, help="Counted runs of each command in each tree.")
    options = parser.parse_args(argv)
    trees = [REPOSITORY] + ([options.against.resolve()] if options.against else [])
    with tempfile.TemporaryDirectory() as scratch:
        table = []
        for name, arguments in commands(options.data, Path(scratch)).items():
            for tree in trees:  # warm-up: disk caches, byte code
                run_once(tree, arguments)
            times: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
            for _ in range(options.runs):
                for tree in trees:
                    times[tree].append(run_once(tree, arguments)[:2])
            imports = {tree: heavy_imports(run_once(tree, arguments, importtime=True)[2]) for tree in trees}
            table.append((name, times, imports))
    print(f"{options.runs} runs per command and tree, alternating; medians; A = {trees[0]}"
          + (f", B = {trees[1]}" if len(trees) > 1 else ""))
    print()
    if len(trees) == 1:
        print("| command | wall s | CPU s | heavy imports (s) |\n| --- | ---: | ---: | --- |")
    else:
        print("| command | A wall s | B wall s | A/B wall | A CPU s | B CPU s | A/B CPU | A imports | B imports |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for name, times, imports in table:
        shown = [", ".join(f"{lib} {seconds:.2f}" for lib, seconds in sorted(imports[tree].items(),
                                                                          key=lambda item: -item[1])) or "none"
                 for tree in trees]
        median = {tree: [statistics.median(run[k] for run in times[tree]) for k in (0, 1)] for tree in trees}
        if len(trees) == 1:
            wall, cpu = median[trees[0]]
            print(f"| `{name}` | {wall:.2f} | {cpu:.2f} | {shown[0]} |")
            continue
        a, b = trees
        ratio = [statistics.median(x[k] / y[k] for x, y in zip(times[a], times[b])) for k in (0, 1)]
        print(f"| `{name}` | {median[a][0]:.2f} | {median[b][0]:.2f} | {ratio[0]:.2f} | {median[a][1]:.2f} | "
              f"{median[b][1]:.2f} | {ratio[1]:.2f} | {shown[0]} | {shown[1]} |")


if __name__ == "__main__":
    main()
