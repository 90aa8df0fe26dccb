"""A wheel carries the scenarios and the app's files: installed into a fresh virtual environment in
another folder, the package loads, runs and serves from there (issue 13)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed into a fresh venv of its own. The venv borrows the
    dependencies of the environment running the tests through a .pth file (no network needed); the
    package itself comes only from the wheel."""
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
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    return wheel, venv, tmp


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / "python"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_wheel_holds_the_package_its_scenarios_and_the_apps_files(installed):
    wheel, _, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "sim/scenarios/baseline.toml" in names and "sim/engine/processes/churn.py" in names
    assert "sim/present/agent_map.vue" in names  # the app's maps
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_installed_package_loads_and_runs_from_another_folder(installed):
    _, venv, tmp = installed
    out = _run(
        venv,
        tmp,
        "-c",
        "import sim, sim.present.app; sc = sim.load_scenario('baseline');"
        " print(sim.__file__, sc.name, len(sim.list_scenarios()))",
    )
    assert out.returncode == 0, out.stderr
    path, name, count = out.stdout.split()
    assert path.startswith(str(venv)) and name == "baseline" and int(count) >= 8
    run = _run(venv, tmp, "-m", "sim", "run", "km", "--steps", "2", "--no-progress", "--out", str(tmp / "o"))
    assert run.returncode == 0, run.stderr
    assert (tmp / "o" / "report.html").is_file()


def test_the_console_script_runs(installed):
    """The done-when of issue 13, word for word: ``crm-sim run baseline --steps 4`` in a fresh venv."""
    _, venv, tmp = installed
    script = venv / "bin" / "crm-sim"
    assert script.is_file()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = subprocess.run([str(script), "--version"], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split()[-1][0].isdigit(), out.stderr
    run = subprocess.run(
        [str(script), "run", "baseline", "--steps", "4", "--no-progress"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp / "outputs").is_dir() and any((tmp / "outputs").glob("run-baseline-*/report.html"))
