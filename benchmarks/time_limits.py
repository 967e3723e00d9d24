"""Time limits are limits: the wall time of whole `clusterkit group --method exact` commands against their limit.

Usage (from the repository root)::

    python benchmarks/time_limits.py                      # QOP's sub-ICBs at 10 s and 30 s
    python benchmarks/time_limits.py --limits 30,60 --icb QOP

Each command is timed from the outside (wall clock of the process: reading the national file, the heuristic
warm start, the column generation of every sub-ICB, the writing), and the table shows the status and the
gap it reached. The target (issue 9): the whole command ends within a few percent of ``--time-limit`` plus
the seconds it takes to read the input.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from peers.instances import default_data_path  # noqa: E402

REPOSITORY = BENCHMARKS.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", default="10,30", help="comma list of --time-limit values (s)")
    parser.add_argument("--icb", default="QOP")
    parser.add_argument("--data", default=str(default_data_path()))
    arguments = parser.parse_args(argv)
    rows = []
    for limit in (float(text) for text in arguments.limits.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "out"
            command = [sys.executable, str(REPOSITORY / "cli.py"), "-q", "group", arguments.data, "--icb", arguments.icb,
                       "--within", "sub_icb", "--method", "exact", "--gap", "0.01", "--time-limit", f"{limit:g}",
                       "--out", str(out)]
            started = time.perf_counter()
            finished = subprocess.run(command, capture_output=True, text=True)
            wall = time.perf_counter() - started
            summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
        rows.append((limit, wall, summary.get("seconds"), finished.returncode, summary.get("status"), summary.get("gap")))
    print("| --time-limit s | command wall s | wall / limit | method s (summary) | exit | status | gap |")
    print("| ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for limit, wall, seconds, code, status, gap in rows:
        gap_text = "—" if gap is None else f"{gap:.2%}"
        print(f"| {limit:g} | {wall:.1f} | {wall / limit:.3f} | {seconds} | {code} | {status} | {gap_text} |")


if __name__ == "__main__":
    main()
