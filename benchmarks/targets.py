"""The targets of the default effort (issue 10) in one table, before and after a change, in the same run.

Usage (from the repository root, with the peers' venv, see ``benchmarks/README.md``)::

    /work/venv-bench/bin/python benchmarks/targets.py --before /work/before           # everything, ~20 min
    /work/venv-bench/bin/python benchmarks/targets.py --instances sub-icbs --icbs QE1  # a few minutes

Four parts (``--instances``), each run by ``benchmarks/peers/run_one.py`` in its own interpreter like
``grouping.py``, every grouping measured by the same :func:`clusterkit.metrics.grouping.evaluate_grouping`:

``england``
    All of England at the default effort: solver seconds, weighted km, groups in band and connected
    (targets: <= 30 s, <= 1.40 km, 100% in band where feasible, 100% connected).
``sub-icbs``
    Every sub-ICB of each ICB of ``--icbs``: the default against the exact method's proven optimum (gap
    ``--exact-gap``), the gap in % and the seconds of each (targets: within 1%, <= 2 s each).
``within-none``
    Each ICB of ``--within-none`` (about 200 practices) grouped whole (``--within none``): the default against
    the best proven lower bound, the band-constrained p-median without contiguity (target: <= 1.05 x, <= 5 s).
``maxp``
    spopt MaxP against the default on each ICB of ``--icbs``: time ratio, km, share in band (target: >= 10 x
    faster, lower km, 100% in band).

The reference values (optima and bounds) do not depend on the code measured: they are computed once with
the code after, and kept in ``--optima`` (JSON) for the next run; ``--fresh-optima`` recomputes them.
``--before PATH`` adds the same rows run with the code of another checkout (``PYTHONPATH=PATH``).
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from grouping import BENCH_PYTHON, Row, launch, measure  # noqa: E402
from peers.instances import default_data_path, load_instance  # noqa: E402

log = logging.getLogger("benchmarks.targets")

PARTS = ("england", "sub-icbs", "within-none", "maxp")


@dataclass(frozen=True)
class Runner:
    """How every run of this benchmark is launched."""

    python: str
    data: str
    seed: int
    workers: int
    timeout: float
    exact_time_limit: float
    exact_gap: float
    folder: Path

    def run(self, method: str, instance: str, code: str | None = None, label: str = "after") -> Row:
        """Run ``method`` on ``instance`` with the clusterkit of ``code`` (None: the one on the path)."""
        graph = _graph(instance, self.data)
        row = Row(method, instance, len(graph), "skipped")
        out = self.folder / f"{instance.replace('/', '-')}--{method}--{label}.json"
        out.unlink(missing_ok=True)
        timeout = self.timeout + (self.exact_time_limit if method.startswith(("clusterkit-exact", "pmedian")) else 0)
        payload, outcome, elapsed = launch(self.python, method, instance, out, seed=self.seed, data=self.data,
                                           timeout=timeout, budget_seconds=10.0,
                                           exact_time_limit=self.exact_time_limit, workers=self.workers,
                                           exact_gap=self.exact_gap, code=code)
        row.process_seconds = elapsed
        if outcome == "timeout":
            row.outcome = "timeout"
        else:
            measure(graph, row, payload or {})
        km = row.metrics["weighted_km"] if row.metrics else row.bound
        log.info("%s (%s) on %s: %s km in %s s", method, label, instance, _format(km, ".3f"),
                 _format(row.seconds, ".1f"))
        return row


_GRAPHS: dict[str, Any] = {}


def _graph(instance: str, data: str) -> Any:
    if instance not in _GRAPHS:
        _GRAPHS[instance] = load_instance(instance, data)
    return _GRAPHS[instance]


def _format(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def _km(row: Row | None) -> float | None:
    return row.metrics["weighted_km"] if row is not None and row.metrics else None


def _share(row: Row | None, key: str) -> str:
    return f"{row.metrics[key]:.0%}" if row is not None and row.metrics else "—"


def sub_icbs(icb: str, data: str) -> list[str]:
    """The sub-ICBs of ``icb`` in the practice file, as instance names ``ICB/SUB``, sorted."""
    return [f"{icb}/{code}" for code in sorted(_graph(icb, data).areas("sub_icb"))]


def reference(runner: Runner, optima: dict[str, Any], method: str, instance: str, fresh: bool) -> dict[str, Any]:
    """The proven value of ``instance`` by ``method`` (exact optimum or p-median bound), from ``optima`` or run."""
    key = f"{instance}#{method}"
    known = optima.get(key)
    if known and known.get("value") is not None and not fresh and known.get("exact_gap", 1.0) <= runner.exact_gap:
        return known
    row = runner.run(method, instance, label="reference")
    value = _km(row) if method == "clusterkit-exact" else row.bound
    optima[key] = {"value": value, "status": row.status, "bound": row.bound, "gap": row.gap,
                   "seconds": row.seconds, "exact_gap": runner.exact_gap, "outcome": row.outcome}
    return optima[key]


def _versions(columns: list[tuple[str, str | None]]) -> list[str]:
    return [label for label, _ in columns]


def england_table(rows: dict[tuple[str, str, str], Row], columns: list[tuple[str, str | None]],
                  methods: list[str]) -> list[str]:
    """All of England at the default effort."""
    lines = ["| code | effort | time s | weighted km | in band % | connected % |", "|---|---|---:|---:|---:|---:|"]
    for method in methods:
        for label in _versions(columns):
            row = rows.get((method, "england", label))
            lines.append(f"| {label} | {_effort(method)} | {_format(row.seconds if row else None, '.1f')} | "
                         f"{_format(_km(row), '.3f')} | {_share(row, 'in_band_share')} | "
                         f"{_share(row, 'connected_share')} |")
    return lines


def _effort(method: str) -> str:
    return {"clusterkit-heuristic": "default"}.get(method, method.replace("clusterkit-heuristic-", ""))


def gap_table(rows: dict[tuple[str, str, str], Row], references: dict[str, dict[str, Any]], instances: list[str],
              columns: list[tuple[str, str | None]], methods: list[str], what: str) -> tuple[list[str], dict]:
    """One line per instance: the proven reference and each code's km, gap (or ratio) and seconds."""
    header = ["instance", "practices", what]
    for method in methods:
        for label in _versions(columns):
            header += [f"{label} {_effort(method)} km", "gap %" if what == "optimum km" else "x bound", "s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    worst: dict[str, dict[str, float]] = {}
    for instance in instances:
        known = references[instance]
        value = known.get("value")
        status = known.get("status") or known.get("outcome")
        cells = [instance, f"{rows_practices(rows, instance):,}",
                 f"{_format(value, '.3f')} ({status}, {_format(known.get('seconds'), '.0f')} s)"]
        for method in methods:
            for label in _versions(columns):
                row = rows.get((method, instance, label))
                km = _km(row)
                seconds = row.seconds if row else None
                if km is not None and value:
                    measure_ = (km / value - 1.0) * 100.0 if what == "optimum km" else km / value
                    text = f"{measure_:+.2f}" if what == "optimum km" else f"{measure_:.3f}"
                    mine = worst.setdefault(f"{label} {_effort(method)}", {"gap": -1e9, "seconds": 0.0})
                    mine["gap"] = max(mine["gap"], measure_)
                    mine["seconds"] = max(mine["seconds"], seconds or 0.0)
                else:
                    text = "—"
                cells += [_format(km, ".3f"), text, _format(seconds, ".2f")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines, worst


def rows_practices(rows: dict[tuple[str, str, str], Row], instance: str) -> int:
    """Practices of an instance (from any row run on it)."""
    return next((row.practices_total for (_, name, _), row in rows.items() if name == instance), 0)


def maxp_table(rows: dict[tuple[str, str, str], Row], icbs: list[str], columns: list[tuple[str, str | None]]) -> list[str]:
    """spopt MaxP against the default on each ICB."""
    header = ["ICB", "MaxP km", "MaxP in band", "MaxP s"]
    for label in _versions(columns):
        header += [f"{label} km", f"{label} in band", f"{label} s", f"MaxP time / {label}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for icb in icbs:
        maxp = rows.get(("spopt-maxp", icb, "peer"))
        cells = [icb, _format(_km(maxp), ".3f"), _share(maxp, "in_band_share"),
                 _format(maxp.seconds if maxp else None, ".1f")]
        for label in _versions(columns):
            row = rows.get(("clusterkit-heuristic", icb, label))
            ratio = (maxp.seconds / row.seconds if maxp and row and maxp.seconds and row.seconds else None)
            cells += [_format(_km(row), ".3f"), _share(row, "in_band_share"),
                      _format(row.seconds if row else None, ".1f"), _format(ratio, ".1f")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default=",".join(PARTS), help=f"parts to run, comma list of {', '.join(PARTS)}")
    parser.add_argument("--methods", default="clusterkit-heuristic",
                        help="clusterkit heuristic rows, comma list (clusterkit-heuristic = the default effort, "
                             "clusterkit-heuristic-quick, ...); MaxP is always against the default")
    parser.add_argument("--before", default=None, help="a checkout whose code gives the 'before' columns")
    parser.add_argument("--icbs", default="QOP,QE1", help="ICBs whose sub-ICBs meet the exact optima, and for MaxP")
    parser.add_argument("--within-none", default="QE1", help="ICBs (~200 practices) grouped whole against the bound")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--python", default=str(BENCH_PYTHON if BENCH_PYTHON.exists() else sys.executable))
    parser.add_argument("--data", default=str(default_data_path()), help="gp_practices_england.csv")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0, help="cap on one run's wall time (s)")
    parser.add_argument("--exact-time-limit", type=float, default=300.0, help="exact and p-median limit (s)")
    parser.add_argument("--exact-gap", type=float, default=1e-6, help="gap at which an optimum counts as proven")
    parser.add_argument("--optima", type=Path, default=BENCHMARKS / "results" / "optima.json",
                        help="JSON of proven references, read and updated")
    parser.add_argument("--fresh-optima", action="store_true", help="recompute every reference")
    parser.add_argument("--markdown", type=Path, default=BENCHMARKS / "results" / "targets.md")
    parser.add_argument("--json", type=Path, default=BENCHMARKS / "results" / "targets.json")
    parser.add_argument("--keep-runs", type=Path, default=None, help="folder for each run's JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for; print and write the tables; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    arguments = parse_arguments(argv)
    parts = [part.strip() for part in arguments.instances.split(",") if part.strip()]
    for part in parts:
        if part not in PARTS:
            raise SystemExit(f"unknown part {part!r}; choose from {', '.join(PARTS)}")
    methods = [m.strip() for m in arguments.methods.split(",") if m.strip()]
    icbs = [code.strip() for code in arguments.icbs.split(",") if code.strip()]
    whole = [code.strip() for code in arguments.within_none.split(",") if code.strip()]
    columns: list[tuple[str, str | None]] = [("before", arguments.before)] if arguments.before else []
    columns.append(("after", None))
    folder = arguments.keep_runs or Path(tempfile.mkdtemp(prefix="targets-runs-"))
    folder.mkdir(parents=True, exist_ok=True)
    runner = Runner(arguments.python, arguments.data, arguments.seed, arguments.workers, arguments.timeout,
                    arguments.exact_time_limit, arguments.exact_gap, folder)
    optima: dict[str, Any] = {}
    if arguments.optima.exists():
        optima = json.loads(arguments.optima.read_text(encoding="utf-8"))
    rows: dict[tuple[str, str, str], Row] = {}

    def run_all(instance: str, these: list[str]) -> None:
        for method in these:
            for label, code in columns:
                rows[(method, instance, label)] = runner.run(method, instance, code, label)

    sections = [f"Measured {date.today().isoformat()}, seed {arguments.seed}, {arguments.workers} workers. "
                f"Command: `python benchmarks/targets.py {' '.join(shlex.quote(a) for a in (argv or sys.argv[1:]))}`",
                ""]
    if "england" in parts:
        run_all("england", methods)
        sections += ["England at the default effort (target: <= 30 s, <= 1.40 km, in band, connected):", ""]
        sections += england_table(rows, columns, methods) + [""]
    if "sub-icbs" in parts:
        instances = [name for icb in icbs for name in sub_icbs(icb, arguments.data)]
        references = {name: reference(runner, optima, "clusterkit-exact", name, arguments.fresh_optima)
                      for name in instances}
        arguments.optima.parent.mkdir(parents=True, exist_ok=True)
        arguments.optima.write_text(json.dumps(optima, indent=1, sort_keys=True), encoding="utf-8")
        for name in instances:
            run_all(name, methods)
        lines, worst = gap_table(rows, references, instances, columns, methods, "optimum km")
        sections += [f"Every sub-ICB of {', '.join(icbs)} against the exact method's proven optimum "
                     "(target: within 1%, <= 2 s each):", ""] + lines + [""]
        sections += [f"- {name}: worst gap {value['gap']:+.2f}%, slowest {value['seconds']:.2f} s"
                     for name, value in worst.items()] + [""]
    if "within-none" in parts:
        references = {icb: reference(runner, optima, "pmedian-bound-whole", icb, arguments.fresh_optima)
                      for icb in whole}
        arguments.optima.write_text(json.dumps(optima, indent=1, sort_keys=True), encoding="utf-8")
        for icb in whole:
            run_all(icb, methods)
        lines, _ = gap_table(rows, references, whole, columns, methods, "p-median bound km")
        sections += ["Whole ICBs with `--within none` against the p-median lower bound (no contiguity) "
                     "(target: <= 1.05 x the bound, <= 5 s):", ""] + lines + [""]
    if "maxp" in parts:
        for icb in icbs:
            rows[("spopt-maxp", icb, "peer")] = runner.run("spopt-maxp", icb, label="peer")
            if ("clusterkit-heuristic", icb, "after") not in rows:
                run_all(icb, ["clusterkit-heuristic"])
        sections += ["spopt MaxP against the default on each ICB (target: >= 10 x faster, lower km, 100% in band):",
                     ""] + maxp_table(rows, icbs, columns) + [""]
    text = "\n".join(sections)
    print(text)
    for path in (arguments.markdown, arguments.json):
        path.parent.mkdir(parents=True, exist_ok=True)
    arguments.markdown.write_text(text, encoding="utf-8")
    arguments.json.write_text(json.dumps({"|".join(key): row.__dict__ for key, row in rows.items()}, indent=1,
                                         sort_keys=True, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
