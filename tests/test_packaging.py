"""A wheel carries the scenarios: installed outside the checkout, the package loads and runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed (without dependencies) into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves nothing in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "sim", src / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp / "dist"), str(src)],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp / "dist").glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(tmp / "site"), str(wheel)],
        check=True,
        capture_output=True,
    )
    return wheel, tmp / "site", tmp


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_wheel_holds_the_package_and_its_scenarios(installed):
    wheel, _, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "sim/scenarios/baseline.toml" in names and "sim/engine/processes/churn.py" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_installed_package_loads_and_runs_from_another_folder(installed):
    _, site, tmp = installed
    out = _run(
        site,
        tmp,
        "-c",
        "import sim; sc = sim.load_scenario('baseline'); print(sim.__file__, sc.name, len(sim.list_scenarios()))",
    )
    assert out.returncode == 0, out.stderr
    path, name, count = out.stdout.split()
    assert path.startswith(str(site)) and name == "baseline" and int(count) >= 8
    run = _run(
        site,
        tmp,
        "-m",
        "sim",
        "run",
        "baseline",
        "--steps",
        "4",
        "--no-progress",
        "--out",
        str(tmp / "o"),
        "--set",
        "market.initial_customers=300",
        "--set",
        "market.market_potential=600",
    )
    assert run.returncode == 0, run.stderr
    assert (tmp / "o" / "report.html").is_file()


def test_the_console_script_runs(installed):
    _, site, tmp = installed
    script = site / "bin" / "crm-sim"
    assert script.is_file()
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([str(script), "--version"], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split()[-1][0].isdigit(), out.stderr
