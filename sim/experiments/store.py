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
part is compared with its checksum and its run ids with the chunk the design planned; a damaged part,
a stray part (no checks file) or a chunk that repeats runs of another is moved into ``quarantine/``
(under the folder's lock, so never while a sweep writes; a query that finds the lock taken only leaves
them out) and, on resume, its runs are run again.
A store written before checks files existed has none: a chunk whose two parts are readable and hold
the runs the design planned for it is accepted, and given its checks file at the first repair
(resume, ``verify --repair`` or ``query``); from then on it is checked like any other.

DuckDB reads the parts in place: :func:`connect` gives a connection with the views ``runs`` and
``steps`` (over the complete chunks only); :func:`query` runs one SQL statement and returns a
DataFrame; ``python run.py query DIR "SQL"`` prints it. Reading the files directly
(``read_parquet('DIR/runs/part-*.parquet')``) is safe for ``runs``; a ``steps`` part may exist a
moment before its ``runs`` part (or without it, after a kill), so join steps with runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
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
    "CHECKS",
    "QUARANTINE",
    "LOCK",
    "part_name",
    "write_parquet_atomic",
    "write_chunk",
    "completed_chunks",
    "planned_chunks",
    "writer_lock",
    "Busy",
    "verify",
    "verify_for_reading",
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
LOCK = ".sweep.lock"  # held by whoever changes the folder: a sweep, a repair

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


def _write_checks(folder: Path, chunk: int, run_ids: list[int]) -> None:
    """The chunk's commit mark: the SHA-256 and row count of both its parts, and its run ids."""
    import pyarrow.parquet as pq

    from sim.io.outputs import atomic_write_text

    checks = {
        table: {"sha256": sha256(path), "rows": pq.ParquetFile(path).metadata.num_rows}
        for table, path in ((t, folder / t / part_name(chunk)) for t in (RUNS, STEPS))
    }
    checks["run_ids"] = [int(i) for i in run_ids]
    (folder / CHECKS).mkdir(exist_ok=True)
    atomic_write_text(folder / CHECKS / check_name(chunk), json.dumps(checks) + "\n")


def write_chunk(folder: Path, chunk: int, runs: pd.DataFrame, steps: pd.DataFrame) -> None:
    """Write one finished chunk: the steps part first, the runs part next, its checks (the commit mark) last."""
    folder = Path(folder)
    for d in (RUNS, STEPS, CHECKS):
        (folder / d).mkdir(exist_ok=True)
    write_parquet_atomic(steps, folder / STEPS / part_name(chunk))
    write_parquet_atomic(runs, folder / RUNS / part_name(chunk), string_columns=("status", "error"))
    _write_checks(folder, chunk, list(runs["run_id"]) if "run_id" in runs else [])


@contextlib.contextmanager
def writer_lock(folder: Path, busy: str) -> Iterator[int | None]:
    """Hold the folder's lock (its descriptor; None where the platform has no advisory locks) while
    changing the folder; :class:`Busy` with the message ``busy`` when another process holds it."""
    try:
        import fcntl
    except ImportError:
        yield None
        return
    fd = os.open(Path(folder) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Busy(busy) from None
        yield fd
    finally:
        os.close(fd)


class Busy(InputError):
    """Another process (a sweep) holds the folder's lock."""


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


def planned_chunks(folder: Path) -> dict[int, list[int]]:
    """The run ids the design puts in each chunk (from the manifest's chunk starts); empty if unknown."""
    import pyarrow.parquet as pq

    manifest = read_manifest(folder) or {}
    starts = manifest.get("chunk_starts")
    try:
        ids = pq.read_table(Path(folder) / DESIGN, columns=["run_id"]).column(0).to_pylist()
    except Exception:  # noqa: BLE001 -- no design (yet), or an unreadable one: run ids are not checked
        return {}
    if not isinstance(starts, list):
        return {}
    bounds = [*starts, len(ids)]
    return {c: ids[a:b] for c, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))}


@dataclass
class Verification:
    """What :func:`verify` found: chunks that pass, the parts that did not (with why), what it moved."""

    ok: list[int] = field(default_factory=list)
    damaged: dict[str, str] = field(default_factory=dict)  # a failing part -> why (one per chunk)
    stray: list[str] = field(default_factory=list)  # parts no checks file commits: not counted
    quarantined: list[str] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)  # chunks of an older store given checks files now
    lost_runs: int = 0  # planned runs the failing chunks held: missing until rerun

    @property
    def clean(self) -> bool:
        return not self.damaged and not self.stray

    def line(self, resuming: bool = False) -> str:
        """One line for the user on what was found and done; empty when all is well."""
        found = []
        if self.damaged:
            found.append(_count(len(self.damaged), "damaged part") + f" ({_listed(self.damaged)})")
        if self.stray and self.quarantined:  # without a repair, a part without checks may be in progress
            found.append(_count(len(self.stray), "stray part") + f" ({', '.join(self.stray)})")
        bits = []
        if found:
            then = "rerun now" if resuming else "missing until the command is resumed"
            if self.quarantined:
                runs = f"{_count(self.lost_runs, 'run')} {then}" if self.lost_runs else "no planned run lost"
                bits.append(f"{' and '.join(found)} moved to {QUARANTINE}/; {runs}")
            else:
                bits.append(f"{' and '.join(found)} left out; {_count(self.lost_runs, 'run')} missing "
                            "(resuming the command or verify --repair moves them aside)")  # fmt: skip
        if self.adopted:
            bits.append(f"{_count(len(self.adopted), 'chunk')} from before checks existed now checked")
        return "verify: " + "; ".join(bits) if bits else ""


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _listed(why: dict[str, str]) -> str:
    return ", ".join(f"{part}: {reason}" for part, reason in why.items())


def _check_chunk(folder: Path, c: int, checks: dict | None, planned: dict[int, list[int]], seen: set[int]):
    """``(part, why)`` for chunk ``c`` failing its checks (``checks=None``: an older store's chunk,
    checked for readable parts and its run ids only), or None; adds its run ids to ``seen``."""
    import pyarrow.parquet as pq

    part = f"{RUNS}/{part_name(c)}"
    try:
        if checks is None:
            ids = pq.read_table(folder / part, columns=["run_id"]).column(0).to_pylist()
            pq.ParquetFile(folder / STEPS / part_name(c)).metadata  # noqa: B018 -- readable footer
        else:
            for table in (RUNS, STEPS):
                path = folder / table / part_name(c)
                part = f"{table}/{part_name(c)}"
                if sha256(path) != checks[table]["sha256"]:
                    return part, "checksum differs"
                if pq.ParquetFile(path).metadata.num_rows != checks[table]["rows"]:
                    return part, "row count differs"
            ids = checks["run_ids"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return part, f"unreadable: {' '.join(str(exc).split())[:80]}"
    except Exception as exc:  # noqa: BLE001 -- pyarrow's errors on a damaged file
        return part, f"unreadable: {type(exc).__name__}"
    if planned and sorted(ids) != sorted(planned.get(c, [])):
        return f"{RUNS}/{part_name(c)}", "holds other runs than its chunk's"
    if set(ids) & seen:
        return f"{RUNS}/{part_name(c)}", f"repeats {_count(len(set(ids) & seen), 'run')} of another chunk"
    seen |= set(ids)
    return None


def verify(folder: str | Path, repair: bool = True) -> Verification:
    """Check every part against its chunk's checksums and planned runs; with ``repair`` (only under
    :func:`writer_lock`), move what fails and stray parts into quarantine/ and give an older store's
    chunks their checks files."""
    folder = Path(folder)
    out = Verification()
    older = not _checked(folder)
    planned = planned_chunks(folder)
    bad: set[int] = set()
    seen: set[int] = set()
    for c in completed_chunks(folder):
        checks = None
        if not older:
            try:
                checks = json.loads((folder / CHECKS / check_name(c)).read_text())
            except (OSError, ValueError) as exc:
                out.damaged[f"{CHECKS}/{check_name(c)}"] = f"unreadable: {' '.join(str(exc).split())[:80]}"
                bad.add(c)
                continue
        failed = _check_chunk(folder, c, checks, planned, seen)
        if failed is None:
            out.ok.append(c)
        else:
            out.damaged[failed[0]] = failed[1]
            bad.add(c)
    # parts no checks file commits: a chunk cut off before its commit mark, or a file put there by hand
    unchecked = sorted({c for table in (RUNS, STEPS) for c in _parts(folder, table)} - set(out.ok) - bad)
    out.stray = [f"{table}/{part_name(c)}" for c in unchecked for table in (RUNS, STEPS)
                 if (folder / table / part_name(c)).exists()]  # fmt: skip
    out.lost_runs = sum(len(planned.get(c, [])) for c in bad | set(unchecked))
    if repair:
        for c in sorted(bad | set(unchecked)):
            out.quarantined += _quarantine(folder, c)
        if older and out.ok:
            for c in out.ok:
                _write_checks(folder, c, planned.get(c) or _run_ids(folder, c))
            out.adopted = list(out.ok)
    return out


def _run_ids(folder: Path, c: int) -> list[int]:
    import pyarrow.parquet as pq

    return pq.read_table(folder / RUNS / part_name(c), columns=["run_id"]).column(0).to_pylist()


def verify_for_reading(folder: Path) -> Verification:
    """:func:`verify` with repair when no sweep holds the folder (and it is writable), else without."""
    try:
        with writer_lock(folder, "busy"):
            return verify(folder, repair=True)
    except (Busy, OSError):  # a sweep is writing, or a read-only folder: leave out, change nothing
        return verify(folder, repair=False)


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
    in ``runs``. ``sandbox``: the connection reads only the files behind these views, writes no file,
    installs or loads no extension, and its configuration is locked (``query --unsafe`` lifts this).
    Parts that fail their checks are left out, with one warning line; with ``repair`` they are moved
    into quarantine/ when no sweep holds the folder.
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
    report = verify_for_reading(folder) if repair else verify(folder, repair=False)
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
    if sandbox:  # exactly the files behind the views, then no other file, setting or extension
        files = [design] if design.is_file() else []
        con.execute(f"SET allowed_paths = {_sql_list([p.resolve() for p in [*files, *runs, *steps]])}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


#: What ``query`` runs without ``--unsafe``: one statement that reads (SELECT, WITH, FROM, DESCRIBE,
#: SUMMARIZE, SHOW are all SELECT to DuckDB; EXPLAIN shows a plan, and is checked for what it explains:
#: EXPLAIN ANALYZE runs its statement).
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
    text = statements[0].query
    kind, explained = _first_word(text), ""
    if statements[0].type.name == "EXPLAIN":
        lead, text = _explained(text)
        kind, explained = _first_word(text), lead + " "
    try:
        inner = duckdb.extract_statements(text)
    except duckdb.Error:
        inner = []
    if len(inner) != 1 or inner[0].type.name != "SELECT":
        raise InputError(
            f"query: {explained}{kind} statements are refused, expected a read-only query "
            "(SELECT, WITH, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN SELECT); --unsafe runs anything DuckDB can"
        )


def _first_word(sql: str) -> str:
    """The statement's first keyword as written (INSTALL, not DuckDB's type for it, LOAD)."""
    import duckdb

    starts = [i for i, t in duckdb.tokenize(sql) if t.name != "comment"]
    return sql[starts[0] :].split(None, 1)[0].strip("(;").upper() if starts else "empty"


def _explained(sql: str) -> tuple[str, str]:
    """``("EXPLAIN [ANALYZE]", the statement it explains)`` for an EXPLAIN [ANALYZE] [(options)]."""
    import duckdb

    tokens = [i for i, t in duckdb.tokenize(sql) if t.name != "comment"]
    lead, k = "EXPLAIN", 1  # past EXPLAIN
    if k < len(tokens) and sql[tokens[k] :].upper().startswith(("ANALYZE", "ANALYSE")):
        lead, k = "EXPLAIN ANALYZE", k + 1
    if k < len(tokens) and sql[tokens[k]] == "(":  # options, e.g. (FORMAT json)
        depth = 0
        while k < len(tokens):
            depth += (sql[tokens[k]] == "(") - (sql[tokens[k]] == ")")
            k += 1
            if depth == 0:
                break
    return lead, sql[tokens[k] :] if k < len(tokens) else ""


def query(folder: str | Path, sql: str, unsafe: bool = False, repair: bool = False) -> pd.DataFrame:
    """Run one read-only SQL statement over the folder's tables (``runs``, ``steps``, ``design``); a
    DataFrame. ``unsafe``: any statement DuckDB can run, with access to every file the user can reach.
    ``repair``: parts that fail their checks are moved into quarantine/ (see :func:`connect`).

    A bad or refused statement is an :class:`~sim.io.errors.InputError` with the reason on one line.
    """
    import duckdb

    if not unsafe:
        check_read_only(sql)
    con = connect(folder, sandbox=not unsafe, repair=repair)
    try:
        rel = con.sql(sql)
        return rel.df() if rel is not None else pd.DataFrame()
    except duckdb.Error as exc:
        msg = " ".join(str(exc).split())
        raise InputError(f"query: {msg}") from None
    finally:
        con.close()
