"""A run killed at any point leaves --out as it was, no stray file and no process behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
@pytest.mark.parametrize("delay", [2.2, 3.0], ids=["loading-or-searching", "searching"])
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_killed_run_leaves_out_and_the_machine_as_they_were(nhs_practices_csv: Path, tmp_path: Path,
                                                              signal_number: int, delay: float) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "groups.csv").write_text("previous run")
    (out / "summary.json").write_text("previous run")
    command = [sys.executable, str(REPOSITORY / "cli.py"), "group", str(nhs_practices_csv), "--icb", "QOP",
               "--workers", "2", "--effort", "thorough", "--overwrite", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    family = _descendants(process.pid)
    if process.poll() is not None:
        pytest.fail(f"the run ended before the signal: {process.stderr.read()[-500:]}")
    sent = time.monotonic()
    process.send_signal(signal_number)
    try:
        _, stderr = process.communicate(timeout=10)  # a script waiting on the pipes is not left hanging
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the run did not stop within 10 s of the signal")
    stopped_in = time.monotonic() - sent
    print(f"stopped {stopped_in:.2f} s after {signal.Signals(signal_number).name}")
    assert stopped_in < 3.0, "a stop is prompt (about a second; 3 s on a loaded machine)"
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in family if _alive(pid)], "no worker outlives the run"
    assert {p.name: p.read_text() for p in out.iterdir()} == {"groups.csv": "previous run",
                                                               "summary.json": "previous run"}
    if signal_number == signal.SIGKILL:
        # a killed process cleans nothing: its hidden staging is recognised and removed by the next run
        assert all(p.name.startswith(".out.staging-") for p in tmp_path.iterdir() if p.name != "out")
        rerun = subprocess.run([*command[:4], "--sub-icb", "00T", "--overwrite", "--out", str(out)],
                               capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert (out / "summary.json").read_text() != "previous run"
    else:
        assert process.returncode == (130 if signal_number == signal.SIGINT else 143)
        assert "--out was left as it was" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no stray file beside --out"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
@pytest.mark.parametrize("scheduler", [None, "local"], ids=["pool", "dask"])
def test_ctrl_c_cancels_an_ensemble_on_a_pool_or_on_dask(nhs_practices_csv: Path, tmp_path: Path,
                                                         scheduler: str | None) -> None:
    if scheduler:
        pytest.importorskip("distributed", reason="the dask extra is not installed")
    out = tmp_path / "out"
    command = [sys.executable, str(REPOSITORY / "cli.py"), "ensemble", str(nhs_practices_csv), "--icb", "QOP",
               "--members", "64", "--workers", "2", "--out", str(out)] + (["--scheduler", scheduler] if scheduler else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6.0)  # past reading, and (on Dask) past starting the cluster: members are running
    family = _descendants(process.pid)
    if process.poll() is not None:
        pytest.fail(f"the run ended before the signal: {process.stderr.read()[-500:]}")
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the ensemble did not stop within 20 s of Ctrl-C")
    stopped_in = time.monotonic() - sent
    print(f"stopped {stopped_in:.2f} s after SIGINT ({scheduler or 'pool'})")
    assert process.returncode == 130, stderr[-500:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert stopped_in < 10.0, "the outstanding members are cancelled, not waited for"
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in family if _alive(pid)], "no worker outlives the run"
    assert not out.exists() and not list(tmp_path.iterdir()), "nothing half-written"
