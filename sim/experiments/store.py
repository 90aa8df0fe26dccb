"""The results store of a sweep: Parquet parts written atomically, queried in place with DuckDB.

Layout of a sweep folder::

    sweep.json              the manifest: the command's arguments, the identity used to resume
    scenario.toml           the fully resolved scenario every run started from
    design.parquet          one row per run: run_id, point, <one column per parameter>, rep, seed
    runs/part-00000.parquet one row per run of chunk 0: ids, parameters, seed, status, error,
                            duration, summary KPIs
    steps/part-00000.parquet run_id + the step table of every successful run of chunk 0
    ...

A chunk's two parts are written by the worker that ran it, once the whole chunk is done: each
into a hidden temporary file in the same folder, then ``os.replace`` -- steps first, runs last.
The runs part is the commit mark: a chunk counts (for the views and for resuming) only when both
parts exist, so a kill at any moment never shows a half-written or partial chunk.

DuckDB reads the parts in place: :func:`connect` gives a connection with the views ``runs`` and
``steps`` (over the complete chunks only); :func:`query` runs one SQL statement and returns a
DataFrame; ``python run.py query DIR "SQL"`` prints it. Reading the files directly
(``read_parquet('DIR/runs/part-*.parquet')``) is safe for ``runs``; a ``steps`` part may exist a
moment before its ``runs`` part (or without it, after a kill), so join steps with runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from sim.io.errors import InputError
from sim.io.outputs import atomic_path

__all__ = [
    "MANIFEST",
    "SCENARIO",
    "DESIGN",
    "RUNS",
    "STEPS",
    "part_name",
    "write_parquet_atomic",
    "write_chunk",
    "completed_chunks",
    "clean_temporaries",
    "read_manifest",
    "is_store",
    "connect",
    "query",
]

MANIFEST = "sweep.json"
SCENARIO = "scenario.toml"
DESIGN = "design.parquet"
RUNS = "runs"
STEPS = "steps"

_PART = re.compile(r"^part-(\d+)\.parquet$")
_TEMP_PREFIX = ".part-"  # atomic_path's temporaries of the parts: .part-NNNNN.parquet.<pid>.<random>.tmp


def part_name(chunk: int) -> str:
    return f"part-{chunk:05d}.parquet"


# --------------------------------------------------------------------------------------------
# Writing


def write_parquet_atomic(df: pd.DataFrame, path: Path, string_columns: tuple[str, ...] = ()) -> None:
    """Write ``df`` to ``path`` so that the file is either complete or absent.

    The table goes to a uniquely named hidden file beside ``path`` (never matched by the
    ``part-*.parquet`` glob), is flushed to disk, then renamed over ``path`` in one step
    (:func:`sim.io.outputs.atomic_path`).
    ``string_columns`` are stored as strings even when every value is null (so that every part of
    a table has the same schema).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    for name in string_columns:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, pa.field(name, pa.string()), table.column(i).cast(pa.string()))
    with atomic_path(Path(path), fsync=True) as tmp:
        pq.write_table(table, tmp)


def write_chunk(folder: Path, chunk: int, runs: pd.DataFrame, steps: pd.DataFrame) -> None:
    """Write one finished chunk: the steps part first, the runs part (the commit mark) last."""
    folder = Path(folder)
    (folder / RUNS).mkdir(exist_ok=True)
    (folder / STEPS).mkdir(exist_ok=True)
    write_parquet_atomic(steps, folder / STEPS / part_name(chunk))
    write_parquet_atomic(runs, folder / RUNS / part_name(chunk), string_columns=("status", "error"))


def _parts(folder: Path, table: str) -> dict[int, Path]:
    d = Path(folder) / table
    if not d.is_dir():
        return {}
    out = {}
    for p in d.iterdir():
        m = _PART.match(p.name)
        if m:
            out[int(m.group(1))] = p
    return out


def completed_chunks(folder: Path) -> list[int]:
    """Chunks whose runs and steps parts both exist, sorted."""
    steps = _parts(folder, STEPS)
    return sorted(c for c in _parts(folder, RUNS) if c in steps)


def clean_temporaries(folder: Path) -> int:
    """Remove temporary files left by killed writers; returns how many. Call only under the sweep lock."""
    n = 0
    for table in (RUNS, STEPS):
        d = Path(folder) / table
        if d.is_dir():
            for p in d.iterdir():
                if p.name.startswith(_TEMP_PREFIX) and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
    return n


# --------------------------------------------------------------------------------------------
# Reading


def read_manifest(folder: Path) -> dict | None:
    """The folder's sweep.json as a dict, or None if there is none."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable sweep manifest ({exc})") from None


def is_store(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def connect(folder: str | Path):
    """A DuckDB connection (in memory) with the views ``runs`` and ``steps`` over the folder's complete chunks.

    Also ``design`` (every planned run, done or not). Missing runs are those in ``design`` and not
    in ``runs``.
    """
    import duckdb

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder, expected a sweep folder (with {MANIFEST})")
    if not is_store(folder):
        raise InputError(
            f"{folder}: not a sweep folder (no {MANIFEST}); "
            "expected the folder a `sweep` or `sensitivity` command wrote"
        )
    chunks = completed_chunks(folder)
    runs = [folder / RUNS / part_name(c) for c in chunks]
    steps = [folder / STEPS / part_name(c) for c in chunks]
    con = duckdb.connect()
    design = folder / DESIGN
    if design.is_file():
        con.execute(f"CREATE VIEW design AS SELECT * FROM read_parquet({_sql_list([design])})")
    if runs:
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({_sql_list(runs)}, union_by_name = true)")
        con.execute(f"CREATE VIEW steps AS SELECT * FROM read_parquet({_sql_list(steps)}, union_by_name = true)")
    else:  # nothing finished yet: empty views with the key columns
        if design.is_file():
            con.execute(
                "CREATE VIEW runs AS SELECT *, NULL::VARCHAR AS status, NULL::VARCHAR AS error, "
                "NULL::DOUBLE AS duration FROM design WHERE false"
            )
        else:
            con.execute("CREATE VIEW runs AS SELECT NULL::BIGINT AS run_id WHERE false")
        con.execute("CREATE VIEW steps AS SELECT NULL::BIGINT AS run_id, NULL::BIGINT AS step WHERE false")
    return con


def query(folder: str | Path, sql: str) -> pd.DataFrame:
    """Run one SQL statement over the folder's tables (``runs``, ``steps``, ``design``); a DataFrame.

    A bad statement is an :class:`~sim.io.errors.InputError` with DuckDB's message on one line.
    """
    import duckdb

    con = connect(folder)
    try:
        rel = con.sql(sql)
        return rel.df() if rel is not None else pd.DataFrame()
    except duckdb.Error as exc:
        msg = " ".join(str(exc).split())
        raise InputError(f"query: {msg}") from None
    finally:
        con.close()
