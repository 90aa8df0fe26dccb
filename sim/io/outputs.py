"""Output folders: named, checked before any work, written atomically."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.io.errors import OutputError

OUTPUTS = Path("outputs")


def safe_name(name: str) -> str:
    """``name`` with every run of characters other than letters, digits, ``_ . -`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def display_path(path: Path) -> str:
    """A path as shown to people: relative to the working directory if below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # not below it; a symlink loop
        return str(path)


def default_dir(command: str, names: list[str] | tuple[str, ...]) -> Path:
    """``outputs/<command>-<scenario(s)>-<timestamp>/``."""
    label = "-".join(safe_name(Path(str(n)).stem) for n in names)[:80] or "run"
    return OUTPUTS / f"{command}-{label}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def prepare(out: str | Path | None, command: str, names=()) -> Path:
    """Create (or reuse) the output folder and prove it is writable, before any work is done."""
    path = Path(out) if out is not None else default_dir(command, list(names))
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out {path}: is a file, expected a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"--out {path}: cannot write there ({exc.strerror or exc}), expected a writable folder"
        ) from None
    return path


def target(out: str | Path | None, command: str, names=()) -> Path:
    """Where a one-shot command's outputs go: ``--out`` if given, else the default folder. Refused (one line,
    before any work) if it is a file or a folder that already holds something: a run never mixes its files
    with another's."""
    path = Path(out) if out is not None else default_dir(command, list(names))
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out {path}: is a file, expected a folder")
    try:
        full = path.is_dir() and any(path.iterdir())
    except OSError as exc:
        raise OutputError(f"--out {path}: cannot read it ({exc.strerror or exc}), expected a writable folder") from None
    if full:
        raise OutputError(f"--out {path}: exists and is not empty, expected a new or empty folder")
    return path


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield a hidden folder beside ``final`` to write into; when the block ends without an error it becomes
    ``final`` (one rename), otherwise it is removed: a command that fails leaves nothing behind."""
    final = Path(final)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        prepare(tmp, "")
    except OutputError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"--out {final}: cannot write there, expected a writable folder") from None
    try:
        yield tmp
        if final.is_dir():
            final.rmdir()  # empty (target() checked); fails loudly if something appeared meanwhile
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def moved(path: Path, staging: Path, final: Path) -> Path:
    """Where a file written into the staging folder is after the move."""
    return Path(final) / Path(path).relative_to(staging)


def command_line() -> str:
    """The command line that made the outputs, as the user would type it."""
    return (
        "python run.py " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("run.py") else " ".join(sys.argv)
    )


@contextmanager
def atomic_path(path: Path, fsync: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    The name is unique (``.<name>.<pid>.<random>.tmp``), so concurrent writers never share a
    temporary, and ends in ``.tmp``, so readers and globs of the final names never see it.
    ``fsync``: the data reaches the disk before the rename (a crash leaves the old file or the new).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file so that it is either complete or absent."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a binary file so that it is either complete or absent."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _json_default(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return str(x)


def strict(data):
    """``data`` with every NaN or infinity as None, so the JSON is strict (no ``NaN`` tokens)."""
    if isinstance(data, dict):
        return {k: strict(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [strict(v) for v in data]
    if isinstance(data, (float, np.floating)):
        return float(data) if np.isfinite(data) else None
    return data


def write_json(path: Path, data) -> None:
    """``data`` as indented strict JSON (numpy numbers as numbers, NaN as null, anything else as its
    text), atomically."""
    atomic_write_text(path, json.dumps(strict(data), indent=2, default=_json_default, allow_nan=False) + "\n")


def write_table(df: pd.DataFrame, path_stem: Path, formats=("parquet", "csv")) -> list[Path]:
    """A DataFrame as Parquet and/or CSV, each written atomically."""
    paths = []
    for fmt in formats:
        path = path_stem.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            if fmt == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                df.to_csv(tmp, index=False)
        paths.append(path)
    return paths
