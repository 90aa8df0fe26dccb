"""A full disk (issue 14): every writing command ends in one line, leaves nothing half-written, and a sweep
cut short by it resumes, once there is room, to exactly the results of an uninterrupted one.

The disk is a 300 KiB tmpfs where this machine lets the tests mount one (root with CAP_SYS_ADMIN, as on
the development machine); elsewhere the command runs under a file-size limit (RLIMIT_FSIZE), which
fails writes the same way (EFBIG instead of ENOSPC).
"""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "market.initial_customers=300", "--set", "market.market_potential=900", "--no-progress"]
SWEEP = ["sweep", "baseline", "--param", "policy.codification=0,1", "--samples", "8", "--steps", "30", *SMALL]
FILE_LIMIT = 40_000  # bytes per file when no tmpfs can be mounted (a sweep's step parts are ~54 KB)


class SmallDisk:
    """A folder on a disk that fills up: ``run(argv)`` runs ``python run.py argv`` against it."""

    def __init__(self, path: Path, mounted: bool):
        self.path, self.mounted = path, mounted

    def run(self, argv: list[str], limited: bool = True) -> subprocess.CompletedProcess:
        def file_limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

        preexec = file_limit if limited and not self.mounted else None
        return subprocess.run(
            [sys.executable, "run.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600, preexec_fn=preexec
        )

    def grow(self) -> None:
        """Room again: a bigger tmpfs (or, without one, no file-size limit on the next run)."""
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,size=64m", str(self.path)], check=True)

    def contents(self) -> list[str]:
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*"))


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk"
    path.mkdir()
    mounted = (
        shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield SmallDisk(path, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _one_line_error(out: subprocess.CompletedProcess) -> str:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "baseline", "--steps", "30", *SMALL],
        ["compare", "baseline", "km", "--reps", "2", "--steps", "30", *SMALL],
    ],
    ids=["run", "compare"],
)
def test_run_and_compare_on_a_full_disk_say_so_and_leave_nothing(disk, argv):
    out = disk.run([*argv, "--out", str(disk.path / "out")])
    line = _one_line_error(out)
    assert "the disk is full" in line if disk.mounted else "file-size limit" in line, line
    assert disk.contents() == []  # no report, no hidden staging folder


def test_a_sweep_cut_short_by_a_full_disk_resumes_identical(disk, tmp_path):
    folder = disk.path / "sweep"
    out = disk.run([*SWEEP, "--out", str(folder)])
    line = _one_line_error(out)
    assert "run the same command again to finish" in line, line
    disk.grow()
    again = disk.run([*SWEEP, "--out", str(folder)], limited=False)
    assert again.returncode == 0, again.stderr
    clean = disk.run([*SWEEP, "--out", str(tmp_path / "clean")], limited=False)
    assert clean.returncode == 0, clean.stderr

    from sim.experiments.results import load_sweep

    resumed, whole = load_sweep(folder), load_sweep(tmp_path / "clean")
    assert resumed.complete and resumed.n_runs == whole.n_runs == 8
    cols = [c for c in whole.runs.columns if c != "duration"]  # wall-clock seconds
    assert resumed.runs[cols].equals(whole.runs[cols])
    assert resumed.steps.equals(whole.steps)
