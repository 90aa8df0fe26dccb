"""The results store of a sweep: Parquet parts written atomically, queried in place with DuckDB.

Layout of a sweep folder::

    sweep.json              the manifest: the command's arguments, the identity used to resume
    scenario.toml           the fully resolved scenario every run started from
    design.parquet          one row per run: run_id, point, <one column per parameter>, rep, seed
    runs/part-00000.parquet one row per run of chunk 0: ids, parameters, seed, status, error,
                            duration, summary KPIs
    steps/part-00000.parquet run_id + the step table of every successful run of chunk 0
    checks/part-00000.json  the chunk's checksums (SHA-256 and row count of both parts, its run ids)
    quarantine/             parts that failed their checks, moved aside (their runs are rerun)
    ...

A chunk's two parts are written by the worker that ran it, once the whole chunk is done: each
into a hidden temporary file in the same folder, then ``os.replace`` -- steps first, runs next, and
the chunk's checks file last. The checks file is the commit mark: a chunk counts (for the views and
for resuming) only when all three exist, so a kill at any moment never shows a half-written or
partial chunk. The store checks itself (:func:`verify`): before a query and before resuming, every
part is compared with its checksum; a damaged part, a stray part (no checks file) or a chunk that
repeats runs of another is moved into ``quarantine/`` and, on resume, its runs are run again.
(A store written before checks files existed has none: its chunks count when both parts exist.)

DuckDB reads the parts in place: :func:`connect` gives a connection with the views ``runs`` and
``steps`` (over the complete chunks only); :func:`query` runs one SQL statement and returns a
DataFrame; ``python run.py query DIR "SQL"`` prints it. Reading the files directly
(``read_parquet('DIR/runs/part-*.parquet')``) is safe for ``runs``; a ``steps`` part may exist a
moment before its ``runs`` part (or without it, after a kill), so join steps with runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
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
    "verify",
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
CHECKS = "checks"
QUARANTINE = "quarantine"

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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_name(chunk: int) -> str:
    return f"part-{chunk:05d}.json"


def write_chunk(folder: Path, chunk: int, runs: pd.DataFrame, steps: pd.DataFrame) -> None:
    """Write one finished chunk: the steps part first, the runs part next, its checks (the commit mark) last."""
    from sim.io.outputs import atomic_write_text

    folder = Path(folder)
    for d in (RUNS, STEPS, CHECKS):
        (folder / d).mkdir(exist_ok=True)
    write_parquet_atomic(steps, folder / STEPS / part_name(chunk))
    write_parquet_atomic(runs, folder / RUNS / part_name(chunk), string_columns=("status", "error"))
    checks = {
        "runs": {"sha256": sha256(folder / RUNS / part_name(chunk)), "rows": len(runs)},
        "steps": {"sha256": sha256(folder / STEPS / part_name(chunk)), "rows": len(steps)},
        "run_ids": [int(i) for i in runs["run_id"]] if "run_id" in runs else [],
    }
    atomic_write_text(folder / CHECKS / check_name(chunk), json.dumps(checks) + "\n")


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


def _checked(folder: Path) -> bool:
    """Whether the store writes checks files (every store since checks existed)."""
    return (Path(folder) / CHECKS).is_dir()


def completed_chunks(folder: Path) -> list[int]:
    """Chunks whose runs and steps parts (and checks file, in a checked store) all exist, sorted."""
    steps = _parts(folder, STEPS)
    done = [c for c in _parts(folder, RUNS) if c in steps]
    if _checked(folder):
        checks = Path(folder) / CHECKS
        done = [c for c in done if (checks / check_name(c)).is_file()]
    return sorted(done)


@dataclass
class Verification:
    """What :func:`verify` found: chunks that pass, and the parts that did not (with why)."""

    ok: list[int] = field(default_factory=list)
    damaged: dict[str, str] = field(default_factory=dict)  # part -> why
    incomplete: list[str] = field(default_factory=list)  # parts without their checks file: not counted
    quarantined: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.damaged

    def line(self) -> str:
        """One line for the user; empty when all is well."""
        if self.clean:
            return ""
        bits = [f"{part} ({why})" for part, why in self.damaged.items()]
        moved = f"; moved to {QUARANTINE}/, their runs count as missing" if self.quarantined else "; left out"
        return f"store: {len(bits)} chunk(s) failed their checks: " + ", ".join(bits) + moved


def _check_chunk(folder: Path, c: int, seen: set[int]) -> str | None:
    """Why chunk ``c`` fails its checks, or None."""
    import pyarrow.parquet as pq

    try:
        checks = json.loads((folder / CHECKS / check_name(c)).read_text())
        for table in (RUNS, STEPS):
            path = folder / table / part_name(c)
            if sha256(path) != checks[table]["sha256"]:
                return f"{table} part: checksum differs"
            if pq.ParquetFile(path).metadata.num_rows != checks[table]["rows"]:
                return f"{table} part: row count differs"
        ids = set(checks.get("run_ids", []))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable: {' '.join(str(exc).split())[:80]}"
    except Exception as exc:  # noqa: BLE001 -- pyarrow's errors on a damaged file
        return f"unreadable: {type(exc).__name__}"
    if ids & seen:
        return f"repeats {len(ids & seen)} run(s) of another chunk"
    seen |= ids
    return None


def verify(folder: str | Path, repair: bool = True) -> Verification:
    """Check every part against its chunk's checksums; with ``repair``, move what fails into quarantine/.

    A store without checks files (written before they existed) is accepted as it is.
    """
    folder = Path(folder)
    out = Verification()
    if not _checked(folder):
        out.ok = completed_chunks(folder)
        return out
    bad: dict[int, str] = {}
    seen: set[int] = set()
    for c in completed_chunks(folder):
        why = _check_chunk(folder, c, seen)
        if why is None:
            out.ok.append(c)
        else:
            bad[c] = why
            out.damaged[f"{RUNS}/{part_name(c)}"] = why
    # parts without a checks file: a chunk cut off before its commit mark, or a file put there by hand
    unchecked = sorted({c for table in (RUNS, STEPS) for c in _parts(folder, table)} - set(out.ok) - set(bad))
    out.incomplete = [f"{table}/{part_name(c)}" for c in unchecked for table in (RUNS, STEPS)
                      if (folder / table / part_name(c)).exists()]  # fmt: skip
    if repair:  # only under the sweep's lock: no writer is between a part and its checks file
        for c in [*bad, *unchecked]:
            out.quarantined += _quarantine(folder, c)
    return out


def _quarantine(folder: Path, c: int) -> list[str]:
    """Move chunk ``c``'s files into quarantine/ (never deleted: a user may want to look)."""
    moved = []
    for table, name in ((RUNS, part_name(c)), (STEPS, part_name(c)), (CHECKS, check_name(c))):
        path = folder / table / name
        if path.exists():
            dest = folder / QUARANTINE / table
            dest.mkdir(parents=True, exist_ok=True)
            target = dest / name
            n = 1
            while target.exists():
                target = dest / f"{name}.{n}"
                n += 1
            shutil.move(str(path), target)
            moved.append(f"{table}/{name}")
    return moved


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


def connect(folder: str | Path, sandbox: bool = True, repair: bool = False):
    """A DuckDB connection (in memory) with the views ``runs`` and ``steps`` over the folder's complete chunks.

    Also ``design`` (every planned run, done or not). Missing runs are those in ``design`` and not
    in ``runs``. ``sandbox``: the connection reads only inside the folder, writes no file, installs or
    loads no extension, and its configuration is locked (``query --unsafe`` lifts this). Parts that fail
    their checks are left out (and, with ``repair``, moved into quarantine/), with a warning.
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
    report = verify(folder, repair=repair)
    if report.line():
        import warnings

        warnings.warn(report.line(), UserWarning, stacklevel=2)
    chunks = report.ok
    runs = [folder / RUNS / part_name(c) for c in chunks]
    steps = [folder / STEPS / part_name(c) for c in chunks]
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
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
    if sandbox:
        inside = str(folder.resolve()).replace("'", "''").rstrip("/") + "/"
        con.execute(f"SET allowed_directories = ['{inside}']")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


#: What ``query`` runs without ``--unsafe``: one statement that reads (SELECT, WITH, FROM, DESCRIBE,
#: SUMMARIZE, SHOW are all SELECT to DuckDB; EXPLAIN shows a plan).
READ_ONLY = ("SELECT", "EXPLAIN")


def check_read_only(sql: str) -> None:
    """One reading statement, or a one-line InputError naming what was refused and why."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InputError(f"query: {' '.join(str(exc).split())}") from None
    if len(statements) != 1:
        raise InputError(f"query: {len(statements)} statements, expected exactly one (a SELECT)")
    kind = statements[0].type.name
    if kind not in READ_ONLY:
        raise InputError(
            f"query: {kind} statements are refused, expected a read-only query "
            "(SELECT, WITH, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN); --unsafe runs anything DuckDB can"
        )


def query(folder: str | Path, sql: str, unsafe: bool = False) -> pd.DataFrame:
    """Run one read-only SQL statement over the folder's tables (``runs``, ``steps``, ``design``); a
    DataFrame. ``unsafe``: any statement DuckDB can run, with access to every file the user can reach.

    A bad or refused statement is an :class:`~sim.io.errors.InputError` with the reason on one line.
    """
    import duckdb

    if not unsafe:
        check_read_only(sql)
    con = connect(folder, sandbox=not unsafe)
    try:
        rel = con.sql(sql)
        return rel.df() if rel is not None else pd.DataFrame()
    except duckdb.Error as exc:
        msg = " ".join(str(exc).split())
        raise InputError(f"query: {msg}") from None
    finally:
        con.close()
