"""Grouping benchmark: clusterkit's methods against today's PCNs and the peers a planner would pick instead.

Every (method, instance) runs in its own interpreter (``benchmarks/peers/run_one.py``) with a time cap,
and returns labels (practice code -> group); this driver measures every grouping with the same
:func:`clusterkit.metrics.grouping.evaluate_grouping` on the instance's Delaunay graph, prints one table and
writes it as Markdown and JSON.

Usage (from the repository root, with the peers' venv, see ``benchmarks/README.md``)::

    /work/venv-bench/bin/python benchmarks/grouping.py                      # 00T, QOP, england
    /work/venv-bench/bin/python benchmarks/grouping.py --instances 00T --methods pcn,spopt-maxp

Instances, band 30,000-50,000 throughout: ``00T`` (sub-ICB 00T of ICB QOP, 49 practices), ``QOP``
(406 practices; the exact solver runs on each of its sub-ICBs separately) and ``england`` (6,129).
The GerryChain chain runs for as long as the clusterkit heuristic took on the same instance.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from peers.instances import BAND, INSTANCES, default_data_path, instance, load_instance  # noqa: E402
from peers.methods import METHODS  # noqa: E402

log = logging.getLogger("benchmarks.grouping")

RUN_ONE = BENCHMARKS / "peers" / "run_one.py"
BENCH_PYTHON = Path("/work/venv-bench/bin/python")

#: Runs left out by default, with the reason shown in the table (override with ``--skip ""``).
DEFAULT_SKIPS: dict[tuple[str, str], str] = {
    ("clusterkit-exact", "england"): "not run: the exact solver works per area (106 sub-ICBs x 60 s)",
    ("pmedian-bound", "england"): "not run: a national p-median is out of reach of a 60 s limit",
    ("pmedian-bound-whole", "england"): "not run: a national p-median is out of reach of a 60 s limit",
}

#: Notes shown per row in the Markdown (all of them stay in the JSON), and characters per note.
MAX_NOTES = 4
MAX_NOTE_CHARS = 240

LABELS = {
    "clusterkit-heuristic": "clusterkit heuristic (standard)",
    "clusterkit-heuristic-quick": "clusterkit heuristic, --effort quick",
    "clusterkit-heuristic-thorough": "clusterkit heuristic, thorough, inside sub-ICBs",
    "clusterkit-exact": "clusterkit exact (HiGHS)",
    "pmedian-bound": "p-median bound (no contiguity)",
    "pmedian-bound-whole": "p-median bound (no contiguity), whole instance",
    "pcn": "today's PCNs",
    "spopt-maxp": "spopt MaxP (floor 30k)",
    "spopt-regionkmeans": "spopt region k-means",
    "kmeans-constrained": "k-means-constrained (counts)",
    "gerrychain-recom": "GerryChain ReCom",
    "gerrychain-recom-long": "GerryChain ReCom, long chain",
}


@dataclass
class Row:
    """One line of the table: a method's run on an instance and its metrics."""

    method: str
    instance: str
    practices_total: int
    outcome: str  # "ok", "timeout", "failed", "unavailable", "skipped"
    message: str = ""
    seconds: float | None = None
    process_seconds: float | None = None
    status: str | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    metrics: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)


def launch(python: str, method: str, instance: str, out: Path, *, seed: int, data: str, timeout: float,
           budget_seconds: float, exact_time_limit: float, workers: int,
           exact_gap: float = 0.01, code: str | None = None) -> tuple[dict[str, Any] | None, str, float]:
    """Run ``run_one.py`` in its own process group; returns ``(payload, outcome, wall seconds)``.

    ``outcome`` is ``"timeout"`` when the process outlived ``timeout`` (its whole group is then
    killed), else ``"done"``; ``payload`` is the JSON it wrote, or ``None``. ``code`` (a checkout of the
    project) goes first on the run's ``PYTHONPATH``: the clusterkit it runs (e.g. the code before a change).
    """
    command = [python, str(RUN_ONE), "--method", method, "--instance", instance, "--out", str(out),
               "--seed", str(seed), "--data", data, "--budget-seconds", f"{budget_seconds:.3f}",
               "--exact-time-limit", str(exact_time_limit), "--exact-gap", str(exact_gap), "--workers", str(workers)]
    environment = dict(os.environ, PYTHONHASHSEED=str(seed))
    if code is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(code)] + [part for part in
                                                                  [os.environ.get("PYTHONPATH")] if part])
    log.info("running %s on %s (cap %.0f s)", method, instance, timeout)
    stderr_path = out.with_suffix(".stderr.txt")
    start = perf_counter()
    with open(stderr_path, "w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, stdout=stderr, stderr=stderr, env=environment, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None, "timeout", perf_counter() - start
    elapsed = perf_counter() - start
    if out.exists():
        return json.loads(out.read_text(encoding="utf-8")), "done", elapsed
    tail = stderr_path.read_text(encoding="utf-8").strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
    return {"error": tail[0][:300], "error_kind": "failed"}, "done", elapsed


def measure(graph: Any, row: Row, payload: dict[str, Any]) -> None:
    """Fill ``row`` from a run's JSON, with metrics from :func:`clusterkit.metrics.grouping.evaluate_grouping`."""
    from clusterkit.metrics.grouping import evaluate_grouping

    row.versions = payload.get("versions", {})
    if "error" in payload:
        row.outcome = payload.get("error_kind", "failed")
        row.message = payload["error"]
        return
    row.outcome = "ok"
    for name in ("seconds", "status", "objective", "bound", "gap"):
        setattr(row, name, payload.get(name))
    row.notes = list(payload.get("notes", []))
    labels = payload.get("labels") or {}
    if labels:
        row.metrics = evaluate_grouping(graph, labels, BAND).to_dict()


def _number(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def status_text(row: Row) -> str:
    """The table's last column: a failure, or what the method knows of its optimality."""
    if row.outcome == "timeout":
        return f"timeout after {row.process_seconds:.0f} s"
    if row.outcome == "unavailable":
        return "n/a (not importable)"
    if row.outcome in ("failed", "skipped"):
        return row.message if row.outcome == "skipped" else f"failed: {row.message}"
    parts = []
    if row.method.startswith("clusterkit") or row.method.startswith("pmedian-bound") or row.bound is not None:
        parts.append(row.status or "")
        if row.bound is not None:
            parts.append(f"bound {row.bound:.3f}")
        if row.gap is not None:
            parts.append(f"gap {row.gap:.1%}")
    return ", ".join(part for part in parts if part) or "—"


def table(rows: list[Row]) -> str:
    """The Markdown table of every row."""
    header = ["method", "instance", "practices", "groups", "in band %", "connected %", "weighted km", "time s",
              "status / gap"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * 7 + ["---"]) + "|"]
    for row in rows:
        metrics = row.metrics
        if metrics:
            practices = f"{metrics['practices_grouped']:,}"
            if metrics["practices_grouped"] != row.practices_total:
                practices += f" of {row.practices_total:,}"
            cells = [practices, f"{metrics['groups']:,}", f"{metrics['in_band_share']:.0%}",
                     f"{metrics['connected_share']:.0%}", f"{metrics['weighted_km']:.3f}"]
        elif row.method.startswith("pmedian-bound") and row.bound is not None:
            cells = [f"{row.practices_total:,}", "—", "—", "—", f"≥ {row.bound:.3f}"]
        else:
            cells = [f"{row.practices_total:,}", "—", "—", "—", "—"]
        cells.append(_number(row.seconds, ".1f"))
        cells.append(status_text(row))
        lines.append("| " + " | ".join([LABELS.get(row.method, row.method), row.instance] + cells) + " |")
    return "\n".join(lines)


def notes(rows: list[Row]) -> str:
    """One bullet per row that has something to say."""
    lines = []
    for row in rows:
        said = list(row.notes)
        if row.outcome in ("failed", "unavailable") and row.message:
            said.append(row.message)
        if len(said) > MAX_NOTES:
            said = said[:MAX_NOTES] + [f"... {len(said) - MAX_NOTES} more note(s) in the JSON"]
        said = [note if len(note) <= MAX_NOTE_CHARS else note[:MAX_NOTE_CHARS - 3] + "..." for note in said]
        if said:
            lines.append(f"- {LABELS.get(row.method, row.method)}, {row.instance}: " + "; ".join(said))
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default="00T,QOP,england",
                        help=f"comma list of {', '.join(INSTANCES)}, ICB codes (QE1) or ICB/sub-ICB (QE1/00R)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma list of {', '.join(METHODS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--python", default=str(BENCH_PYTHON if BENCH_PYTHON.exists() else sys.executable),
                        help="interpreter for the runs (needs clusterkit and the peers)")
    parser.add_argument("--data", default=str(default_data_path()), help="gp_practices_england.csv")
    parser.add_argument("--peer-timeout", type=float, default=600.0, help="cap on one run's wall time (s)")
    parser.add_argument("--exact-time-limit", type=float, default=60.0, help="exact solver limit per area (s)")
    parser.add_argument("--exact-gap", type=float, default=0.01, help="relative gap the exact solver proves (issue: 1%%)")
    parser.add_argument("--chain-seconds", type=float, default=30.0,
                        help="GerryChain budget when the clusterkit heuristic did not run on the instance")
    parser.add_argument("--long-chain-seconds", type=float, default=60.0,
                        help="budget of the gerrychain-recom-long row (a longer chain, for reference)")
    parser.add_argument("--workers", type=int, default=2, help="processes of the clusterkit heuristic")
    parser.add_argument("--skip", default=None,
                        help='method@instance list to leave out ("" runs everything); default: exact and '
                             'p-median bound on england')
    parser.add_argument("--markdown", type=Path, default=BENCHMARKS / "results" / "grouping.md")
    parser.add_argument("--json", type=Path, default=BENCHMARKS / "results" / "grouping.json")
    parser.add_argument("--keep-runs", type=Path, default=None, help="folder for each run's JSON (with labels)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    arguments = parse_arguments(argv)
    instances = [name.strip() for name in arguments.instances.split(",") if name.strip()]
    methods = [name.strip() for name in arguments.methods.split(",") if name.strip()]
    for name in instances:
        try:
            instance(name)
        except KeyError as error:
            raise SystemExit(str(error.args[0])) from None
    for name in methods:
        if name not in METHODS:
            raise SystemExit(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    ordered = [name for name in METHODS if name in methods]  # the heuristic first: it sets the chain's budget
    if arguments.skip is None:
        skips = dict(DEFAULT_SKIPS)
    else:
        skips = {tuple(item.strip().split("@", 1)): "skipped (--skip)" for item in arguments.skip.split(",") if "@" in item}

    runs = arguments.keep_runs or Path(tempfile.mkdtemp(prefix="grouping-runs-"))
    runs.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    started = perf_counter()
    for instance in instances:
        graph = load_instance(instance, arguments.data)
        areas = len(graph.areas("sub_icb"))
        heuristic_seconds: float | None = None
        for method in ordered:
            row = Row(method, instance, len(graph), "skipped")
            if (method, instance) in skips:
                row.message = skips[(method, instance)]
                rows.append(row)
                continue
            if method == "gerrychain-recom-long":
                budget = arguments.long_chain_seconds
            else:
                budget = heuristic_seconds if heuristic_seconds is not None else arguments.chain_seconds
            timeout = arguments.peer_timeout
            if method in ("clusterkit-exact", "pmedian-bound", "pmedian-bound-whole"):
                timeout += arguments.exact_time_limit * areas
            if method.startswith("gerrychain"):
                timeout += budget
            out = runs / f"{instance}--{method}.json"
            out.unlink(missing_ok=True)
            payload, outcome, elapsed = launch(arguments.python, method, instance, out, seed=arguments.seed,
                                               data=arguments.data, timeout=timeout, budget_seconds=budget,
                                               exact_time_limit=arguments.exact_time_limit, workers=arguments.workers,
                                               exact_gap=arguments.exact_gap)
            row.process_seconds = elapsed
            if outcome == "timeout":
                row.outcome = "timeout"
            else:
                measure(graph, row, payload or {})
            if method == "clusterkit-heuristic" and row.outcome == "ok":
                heuristic_seconds = row.seconds
            if method == "gerrychain-recom" and row.outcome == "ok":
                row.notes.append(f"chain budget {budget:.1f} s = "
                                 + ("the clusterkit heuristic's time" if heuristic_seconds is not None
                                    else "--chain-seconds (heuristic not run)"))
            if method == "gerrychain-recom-long" and row.outcome == "ok":
                row.notes.append(f"chain budget {budget:.0f} s (--long-chain-seconds)")
            log.info("%s on %s: %s", method, instance, status_text(row) if row.outcome != "ok" else
                     f"{row.metrics['weighted_km']:.3f} km in {row.seconds:.1f} s" if row.metrics else "no labels")
            rows.append(row)

    markdown = render(rows, arguments, perf_counter() - started)
    print(table(rows))
    print()
    print(notes(rows))
    for path in (arguments.markdown, arguments.json):
        path.parent.mkdir(parents=True, exist_ok=True)
    arguments.markdown.write_text(markdown, encoding="utf-8")
    arguments.json.write_text(json.dumps([row.__dict__ for row in rows], indent=1, sort_keys=True, default=str),
                              encoding="utf-8")
    if arguments.keep_runs is None:
        shutil.rmtree(runs, ignore_errors=True)
    log.info("wrote %s and %s", arguments.markdown, arguments.json)
    return 0


def render(rows: list[Row], arguments: argparse.Namespace, seconds: float) -> str:
    """The Markdown report: how it was run, the table and the notes."""
    versions: dict[str, str] = {}
    for row in rows:
        versions.update(row.versions)
    command = "python benchmarks/grouping.py " + " ".join(
        shlex.quote(part) for part in sys.argv[1:]) if sys.argv[1:] else "python benchmarks/grouping.py"
    return "\n".join([
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores ({platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}), seed {arguments.seed}, whole run {seconds / 60:.0f} min.",
        f"Command: `{command}`",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items())),
        "",
        table(rows),
        "",
        notes(rows),
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())
