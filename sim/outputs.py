"""Output folders: named, checked before any work, written atomically."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

OUTPUTS = Path("outputs")


class InputError(ValueError):
    """Bad input from a user (a flag, a parameter range, a query): one line, exit code 2."""


class OutputError(InputError):
    """An output folder that cannot be used; reported before any run starts."""


def default_dir(command: str, names: list[str] | tuple[str, ...]) -> Path:
    """``outputs/<command>-<scenario(s)>-<timestamp>/``."""
    label = "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", Path(str(n)).stem) for n in names)[:80] or "run"
    return OUTPUTS / f"{command}-{label}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def prepare(out: str | Path | None, command: str, names=(), exist_ok: bool = True) -> Path:
    """Create (or reuse) the output folder and prove it is writable, before any work is done."""
    path = Path(out) if out is not None else default_dir(command, list(names))
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out {path}: is a file, expected a folder")
    if path.exists() and not exist_ok and any(path.iterdir()):
        raise OutputError(f"--out {path}: folder is not empty, expected a new or empty folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"--out {path}: cannot write there ({exc.strerror or exc}), expected a writable folder") from None
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that it is either complete or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_table(df: pd.DataFrame, path_stem: Path, formats=("parquet", "csv")) -> list[Path]:
    """A DataFrame as Parquet and/or CSV, each written atomically."""
    paths = []
    for fmt in formats:
        path = path_stem.with_suffix(f".{fmt}")
        tmp = path.with_name(f".{path.name}.tmp")
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        os.replace(tmp, path)
        paths.append(path)
    return paths
