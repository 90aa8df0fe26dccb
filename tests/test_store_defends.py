"""A store that checks itself and a query that reads only its folder (issue 14).

Every chunk's parts carry their SHA-256 and row counts (checks/part-NNNNN.json, the chunk's commit mark);
query leaves out what fails, resume moves it into quarantine/ and reruns its runs, `verify` reports.
`query` runs one read-only statement, with DuckDB's file access limited to the folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiments import store
from sim.experiments.sweep import sweep

SMALL = {"market.initial_customers": 150, "market.market_potential": 1275, "scenario.warmup": 0}
RANGES = {"market.base_churn": (0.002, 0.01)}


def _sweep(out: Path):
    return sweep("baseline", RANGES, samples=6, steps=3, executor="none", out=out, progress=False, set=SMALL,
                 chunk_size=2)  # fmt: skip


def _runs(folder: Path) -> pd.DataFrame:
    df = store.query(folder, "SELECT * FROM runs")
    return df.drop(columns=["duration"]).sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ref") / "s"
    _sweep(folder)
    return folder


@pytest.fixture
def folder(reference, tmp_path) -> Path:
    copy = tmp_path / "s"
    shutil.copytree(reference, copy)
    return copy


def test_every_chunk_has_its_checks(reference):
    checks = sorted((reference / store.CHECKS).iterdir())
    assert len(checks) == 3 == len(store.completed_chunks(reference))
    c = json.loads(checks[0].read_text())
    assert len(c["runs"]["sha256"]) == 64 and c["runs"]["rows"] == 2 and c["run_ids"] == [0, 1]
    assert store.verify(reference, repair=False).clean


def test_a_truncated_part_is_left_out_then_rerun_identically(folder, reference, capsys):
    part = folder / store.RUNS / store.part_name(1)
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.warns(UserWarning, match=r"1 chunk\(s\) failed their checks: runs/part-00001.parquet"):
        assert len(store.query(folder, "SELECT * FROM runs")) == 4  # the damaged chunk's 2 runs left out
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "6 runs planned, 4 complete, 2 missing" in out and "damaged: runs/part-00001.parquet" in out
    with pytest.warns(UserWarning, match="moved to quarantine"):
        _sweep(folder)  # resume: quarantines and reruns only chunk 1
    assert (folder / store.QUARANTINE / store.RUNS / store.part_name(1)).exists()
    pd.testing.assert_frame_equal(_runs(folder), _runs(reference))
    assert main(["verify", str(folder)]) == 0


def test_a_flipped_bit_is_detected(folder, capsys):
    part = folder / store.STEPS / store.part_name(2)
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    assert main(["verify", str(folder)]) == 1
    assert "steps part: checksum differs" in capsys.readouterr().out
    assert main(["verify", str(folder), "--repair"]) == 1
    assert main(["verify", str(folder)]) == 0  # quarantined: what is left passes


def test_a_duplicated_chunk_is_not_counted_twice(folder, reference):
    for table, name in (
        (store.RUNS, store.part_name),
        (store.STEPS, store.part_name),
        (store.CHECKS, store.check_name),
    ):
        shutil.copy(folder / table / name(0), folder / table / name(7))
    with pytest.warns(UserWarning, match="repeats 2 run"):
        runs = store.query(folder, "SELECT run_id FROM runs")
    assert sorted(runs["run_id"]) == list(range(6))


def test_a_stray_part_without_checks_is_not_counted(folder):
    shutil.copy(folder / store.RUNS / store.part_name(0), folder / store.RUNS / store.part_name(9))
    shutil.copy(folder / store.STEPS / store.part_name(0), folder / store.STEPS / store.part_name(9))
    assert sorted(store.query(folder, "SELECT run_id FROM runs")["run_id"]) == list(range(6))
    report = store.verify(folder, repair=False)
    assert report.clean and "runs/part-00009.parquet" in report.incomplete


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT * FROM read_text('/etc/passwd')", "Permission Error"),
        ("SELECT * FROM read_csv('/etc/hostname')", "Permission Error"),
        ("COPY (SELECT 1) TO 'x.csv'", "COPY statements are refused"),
        ("ATTACH 'x.db'", "ATTACH statements are refused"),
        ("INSTALL httpfs", "LOAD statements are refused"),
        ("LOAD httpfs", "LOAD statements are refused"),
        ("SET enable_external_access = true", "SET statements are refused"),
        ("CREATE TABLE t AS SELECT 1", "CREATE statements are refused"),
        ("SELECT 1; SELECT 2", "2 statements, expected exactly one"),
        ("SELECT * FROM read_parquet('../**/*.parquet')", "Permission Error"),
    ],
)
def test_query_is_sandboxed(reference, sql, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["query", str(reference), sql]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_query_reads_its_folder_and_prints_formats(reference, capsys):
    assert main(["query", str(reference), "SELECT count(*) AS n FROM steps"]) == 0
    assert capsys.readouterr().out.split() == ["n", "24"]  # 6 runs x (3 weeks + row 0)
    sql = "SELECT run_id, retention_rate, NULL::DOUBLE AS nothing FROM runs ORDER BY run_id LIMIT 2"
    assert main(["query", str(reference), sql, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # strict JSON: NaN would not parse here
    assert [r["run_id"] for r in rows] == [0, 1] and rows[0]["nothing"] is None
    assert main(["query", str(reference), sql, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "run_id,retention_rate,nothing"


def test_unsafe_lifts_the_sandbox(reference, tmp_path, capsys):
    target = tmp_path / "all.csv"
    assert main(["query", str(reference), f"COPY (SELECT * FROM runs) TO '{target}'", "--unsafe"]) == 0
    assert len(pd.read_csv(target)) == 6
