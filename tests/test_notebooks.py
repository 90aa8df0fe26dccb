"""Every notebook in notebooks/ runs top to bottom (nbclient, the venv's python3 kernel), with small
sizes set through the notebook's own parameters cell (tagged ``parameters``), in a temporary
working directory. Notebooks are stored with their outputs cleared."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 240  # s, per cell
STARTUP_TIMEOUT = 120  # s, kernel start

# Small sizes, set after the notebook's own parameters (like papermill's injected parameters).
SMALL = {
    "01_quickstart.ipynb": {"STEPS": 8, "CUSTOMERS": 1000},
    "02_compare_policies.ipynb": {"REPS": 2, "STEPS": 8, "CUSTOMERS": 1000, "EXECUTOR": "process"},
    "03_sweep_and_sensitivity.ipynb": {
        "SAMPLES": 4,
        "REPS": 1,
        "STEPS": 6,
        "CUSTOMERS": 500,
        "SOBOL_N": 4,
        "WORKERS": 2,
    },
    "04_validation_march1991.ipynb": {"REPS": 4},
    "05_robust_and_optimize.ipynb": {
        "FUTURES": 4,
        "STEPS": 6,
        "CUSTOMERS": 300,
        "TRIALS": 4,
        "REPS": 1,
        "EXECUTOR": "none",
    },
}


def test_every_notebook_is_covered():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_is_stored_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear the outputs before committing"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "one cell tagged 'parameters'"
    for key in SMALL[name]:
        assert f"{key} =" in params[0].source, f"{key} is not a parameter of {name}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = "\n".join(f"{k} = {json.dumps(v)}" for k, v in SMALL[name].items())
    cell = nbformat.v4.new_code_cell("# injected by tests/test_notebooks.py\n" + injected)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(at + 1, cell)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{name} failed:\n{exc}")
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 1, "the notebook shows at least one figure"
    print(f"{name}: {seconds:.1f} s")
