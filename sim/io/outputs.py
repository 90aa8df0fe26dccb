"""Output folders: named, checked before any work, written atomically."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pandas as pd

OUTPUTS = Path("outputs")


class InputError(ValueError):
    """Bad input from a user (a flag, a parameter range, a query): one line, exit code 2."""


class OutputError(InputError):
    """An output folder that cannot be used; reported before any run starts."""


def safe_name(name: str) -> str:
    """``name`` with every run of characters other than letters, digits, ``_ . -`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def display_path(path: Path) -> str:
    """A path as shown to people: relative to the working directory if below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
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
        raise OutputError(f"--out {path}: cannot write there ({exc.strerror or exc}), expected a writable folder") from None
    return path


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``path``; on success it replaces ``path``, on failure it is removed."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file so that it is either complete or absent."""
    with _atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a binary file so that it is either complete or absent."""
    with _atomic(path) as tmp:
        tmp.write_bytes(data)


def write_table(df: pd.DataFrame, path_stem: Path, formats=("parquet", "csv")) -> list[Path]:
    """A DataFrame as Parquet and/or CSV, each written atomically."""
    paths = []
    for fmt in formats:
        path = path_stem.with_suffix(f".{fmt}")
        with _atomic(path) as tmp:
            if fmt == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                df.to_csv(tmp, index=False)
        paths.append(path)
    return paths
