"""A store that checks itself and a query that reads only its folder (issue 14).

Every chunk's parts carry their SHA-256 and row counts (checks/part-NNNNN.json, the chunk's commit mark);
query and resume move what fails (or strays) into quarantine/, resume reruns its runs, `verify` reports.
`query` runs one read-only statement, with DuckDB's file access limited to the files behind its tables."""

from __future__ import annotations

import json
import re
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


def _truncate(part: Path) -> None:
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])


def test_a_truncated_part_is_quarantined_by_query_then_rerun_identically(folder, reference, capsys):
    _truncate(folder / store.RUNS / store.part_name(1))
    with pytest.warns(UserWarning, match=r"1 damaged part \(runs/part-00001.parquet: checksum differs\) left out"):
        assert len(store.query(folder, "SELECT * FROM runs")) == 4  # without repair: left out, not moved
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "runs 6 planned, 4 complete, 2 missing" in out and "damaged: runs/part-00001.parquet" in out
    assert main(["query", str(folder), "SELECT count(*) AS n FROM runs"]) == 0
    out, err = capsys.readouterr()
    assert out.split() == ["n", "4"] and err.count("\n") == 1
    assert "moved to quarantine/; 2 runs missing until the command is resumed" in err
    assert (folder / store.QUARANTINE / store.RUNS / store.part_name(1)).exists()
    assert main(["verify", str(folder)]) == 0  # what is left passes; the 2 runs are missing
    others = {p.name: p.stat().st_mtime_ns for p in (folder / store.RUNS).iterdir()}
    _sweep(folder)  # resume: reruns only chunk 1
    assert {p.name: p.stat().st_mtime_ns for p in (folder / store.RUNS).iterdir() if p.name in others} == others
    pd.testing.assert_frame_equal(_runs(folder), _runs(reference))
    assert main(["verify", str(folder)]) == 0


def test_resume_quarantines_a_truncated_part_and_reruns_its_runs(folder, reference):
    _truncate(folder / store.STEPS / store.part_name(2))
    with pytest.warns(UserWarning, match=r"steps/part-00002.parquet: .* moved to quarantine/; 2 runs rerun now"):
        _sweep(folder)
    pd.testing.assert_frame_equal(_runs(folder), _runs(reference))
    steps = "SELECT * FROM steps ORDER BY run_id, step"
    pd.testing.assert_frame_equal(store.query(folder, steps), store.query(reference, steps))


def test_a_flipped_bit_is_detected(folder, capsys):
    part = folder / store.STEPS / store.part_name(2)
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "parts: 4 ok, 1 damaged, 0 stray" in out and "steps/part-00002.parquet: checksum differs" in out
    assert main(["verify", str(folder), "--repair"]) == 1
    assert main(["verify", str(folder)]) == 0  # quarantined: what is left passes
    assert "(2 in quarantine/)" in capsys.readouterr().out  # both parts of the chunk


def test_a_duplicated_chunk_is_not_counted_twice(folder):
    for table, name in (
        (store.RUNS, store.part_name),
        (store.STEPS, store.part_name),
        (store.CHECKS, store.check_name),
    ):
        shutil.copy(folder / table / name(0), folder / table / name(7))
    with pytest.warns(UserWarning, match="runs/part-00007.parquet: holds other runs than its chunk's"):
        runs = store.query(folder, "SELECT run_id FROM runs")
    assert sorted(runs["run_id"]) == list(range(6))


def test_a_chunk_repeating_runs_is_caught_by_its_run_ids(folder):
    checks = folder / store.CHECKS / store.check_name(2)
    c = json.loads(checks.read_text())
    checks.write_text(json.dumps({**c, "run_ids": [1]}))  # checksums right, a run of chunk 0 claimed
    report = store.verify(folder, repair=False)
    assert report.damaged == {"runs/part-00002.parquet": "holds other runs than its chunk's"}


def test_a_stray_part_is_not_counted_and_is_quarantined(folder, capsys):
    shutil.copy(folder / store.RUNS / store.part_name(0), folder / store.RUNS / store.part_name(9))
    shutil.copy(folder / store.STEPS / store.part_name(0), folder / store.STEPS / store.part_name(9))
    assert sorted(store.query(folder, "SELECT run_id FROM runs")["run_id"]) == list(range(6))
    assert main(["verify", str(folder)]) == 1
    assert "stray: runs/part-00009.parquet" in capsys.readouterr().out
    assert main(["query", str(folder), "SELECT count(*) FROM runs"]) == 0
    assert re.search(r"2 stray parts .* moved to quarantine/; no planned run lost", capsys.readouterr().err)
    assert main(["verify", str(folder)]) == 0


def test_verify_repair_waits_for_a_running_sweep(folder, capsys):
    _truncate(folder / store.RUNS / store.part_name(1))
    with store.writer_lock(folder, "held by this test"):
        assert main(["verify", str(folder), "--repair"]) == 2
        assert "a sweep is writing into this folder" in capsys.readouterr().err
        with pytest.warns(UserWarning, match="left out"):
            store.query(folder, "SELECT 1", repair=True)  # the lock is taken: nothing moved
    assert not (folder / store.QUARANTINE).exists()


def test_an_older_store_without_checks_is_accepted_then_checked(folder, reference, capsys):
    shutil.rmtree(folder / store.CHECKS)
    _truncate(folder / store.RUNS / store.part_name(2))
    assert main(["verify", str(folder)]) == 1
    assert "damaged: runs/part-00002.parquet: unreadable" in capsys.readouterr().out
    assert main(["verify", str(folder), "--repair"]) == 1
    assert "2 chunks from before checks existed now checked" in capsys.readouterr().out
    assert len(list((folder / store.CHECKS).iterdir())) == 2
    _sweep(folder)  # resume: reruns chunk 2's runs
    pd.testing.assert_frame_equal(_runs(folder), _runs(reference))
    assert store.verify(folder, repair=False).clean


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT * FROM read_text('/etc/passwd')", "Permission Error"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Permission Error"),
        ("SELECT * FROM glob('/*')", "Permission Error"),
        ("COPY (SELECT 1) TO 'x.csv'", "COPY statements are refused"),
        ("COPY (SELECT 1) TO '/tmp/x.csv'", "COPY statements are refused"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'", "EXPLAIN ANALYZE COPY statements are refused"),
        ("/* a comment */ EXPLAIN (FORMAT json) COPY (SELECT 1) TO 'x.csv'", "EXPLAIN COPY statements are refused"),
        ("ATTACH 'x.db'", "ATTACH statements are refused"),
        ("INSTALL httpfs", "INSTALL statements are refused"),
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


def test_query_reads_only_the_files_behind_its_tables(reference, capsys):
    assert main(["query", str(reference), f"SELECT * FROM read_text('{reference / store.MANIFEST}')"]) == 2
    assert "Permission Error" in capsys.readouterr().err
    assert main(["query", str(reference), "SELECT count(*) AS n FROM design"]) == 0
    assert capsys.readouterr().out.split() == ["n", "6"]


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
