"""The results store: atomic Parquet parts, only complete chunks visible, DuckDB views and the query command."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sim.cli.main import main
from sim.experiments import store as storage
from sim.io.errors import InputError


def _runs(ids, failed=()):
    rows = []
    for i in ids:
        row = {
            "run_id": i,
            "point": i,
            "market.base_churn": 0.001 * i,
            "rep": 0,
            "seed": 7,
            "status": "failed" if i in failed else "ok",
            "duration": 0.1,
        }
        row["error"] = "RuntimeError: boom" if i in failed else None
        if i not in failed:
            row.update(retention_rate=0.5 + 0.01 * i, profit=100.0 * i)
        rows.append(row)
    return pd.DataFrame(rows)


def _steps(ids):
    return pd.DataFrame([{"run_id": i, "step": s, "active_customers": 100 + s} for i in ids for s in range(3)])


def _store(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / storage.MANIFEST).write_text(json.dumps({"format": 1, "command": "sweep", "n_runs": 6}))
    design = pd.DataFrame(
        {"run_id": range(6), "point": range(6), "market.base_churn": np.arange(6) * 0.001, "rep": 0, "seed": 7}
    )
    storage.write_parquet_atomic(design, folder / storage.DESIGN)
    return folder


def test_write_parquet_atomic_leaves_no_partial_file(tmp_path):
    path = tmp_path / "part-00000.parquet"
    storage.write_parquet_atomic(pd.DataFrame({"a": [1, 2]}), path)
    assert pd.read_parquet(path)["a"].tolist() == [1, 2]
    bad = pd.DataFrame({"a": [object(), object()]})  # pyarrow cannot store it: the write fails
    with pytest.raises(pa.ArrowInvalid):
        storage.write_parquet_atomic(bad, path)
    assert pd.read_parquet(path)["a"].tolist() == [1, 2]  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-00000.parquet"]  # no temporary left


def test_only_complete_chunks_are_visible(tmp_path):
    folder = _store(tmp_path / "s")
    storage.write_chunk(folder, 0, _runs([0, 1]), _steps([0, 1]))
    # a kill between the two renames of chunk 1: its steps part exists, its runs part does not
    storage.write_parquet_atomic(_steps([2, 3]), folder / storage.STEPS / storage.part_name(1))
    # a kill in the middle of writing chunk 2: only a hidden temporary file, half written
    (folder / storage.RUNS / ".part-00002.parquet.123.abcd1234.tmp").write_bytes(b"PAR1 half")
    assert storage.completed_chunks(folder) == [0]
    assert storage.query(folder, "SELECT run_id FROM runs ORDER BY 1")["run_id"].tolist() == [0, 1]
    assert storage.query(folder, "SELECT DISTINCT run_id FROM steps ORDER BY 1")["run_id"].tolist() == [0, 1]
    assert storage.query(folder, "SELECT count(*) AS n FROM design")["n"].iloc[0] == 6
    assert storage.clean_temporaries(folder) == 1
    assert not list((folder / storage.RUNS).glob(".*"))


def test_parts_with_different_columns_are_unioned_by_name(tmp_path):
    folder = _store(tmp_path / "s")
    storage.write_chunk(folder, 0, _runs([0], failed=[0]), pd.DataFrame({"run_id": pd.Series([], dtype="int64")}))
    storage.write_chunk(folder, 1, _runs([1, 2]), _steps([1, 2]))
    df = storage.query(folder, "SELECT run_id, status, error, retention_rate FROM runs ORDER BY run_id")
    assert df["status"].tolist() == ["failed", "ok", "ok"]
    assert df["error"].iloc[0] == "RuntimeError: boom" and df["error"].iloc[1:].isna().all()
    assert np.isnan(df["retention_rate"].iloc[0]) and df["retention_rate"].iloc[1] == pytest.approx(0.51)


def test_empty_store_has_empty_views(tmp_path):
    folder = _store(tmp_path / "s")
    assert len(storage.query(folder, "SELECT * FROM runs")) == 0
    assert len(storage.query(folder, "SELECT * FROM steps")) == 0


def test_query_errors_are_one_line(tmp_path):
    folder = _store(tmp_path / "s")
    storage.write_chunk(folder, 0, _runs([0]), _steps([0]))
    with pytest.raises(InputError, match="query: .*runz") as err:
        storage.query(folder, "SELECT * FROM runz")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="not a sweep folder"):
        storage.query(tmp_path, "SELECT 1")
    with pytest.raises(InputError, match="no such folder"):
        storage.query(tmp_path / "nowhere", "SELECT 1")


def test_query_command_prints_a_table(tmp_path, capsys):
    folder = _store(tmp_path / "s")
    storage.write_chunk(folder, 0, _runs([0, 1, 2]), _steps([0, 1, 2]))
    code = main(["query", str(folder), 'SELECT run_id, "market.base_churn", retention_rate FROM runs ORDER BY run_id'])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["run_id", "market.base_churn", "retention_rate"]
    assert [line.split()[0] for line in out[1:]] == ["0", "1", "2"]
    code = main(["query", str(folder), "SELEC nonsense"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: query:") and err.count("\n") == 1
