"""A finished (or partial) sweep read back from its folder: tables, SQL, the manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments import store as storage
from sim.io.errors import InputError


class SweepResult:
    """A sweep's results store (a folder): ``runs``, ``steps``, ``design``, ``sql()``, ``manifest``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.manifest = storage.read_manifest(self.folder)
        if self.manifest is None:
            raise InputError(f"{self.folder}: not a sweep folder (no {storage.MANIFEST})")
        self._cache: dict[str, pd.DataFrame] = {}

    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL (DuckDB) over the tables ``runs``, ``steps`` and ``design``."""
        return storage.query(self.folder, query)

    def _table(self, name: str, order: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self.sql(f"SELECT * FROM {name} ORDER BY {order}")
        return self._cache[name]

    @property
    def runs(self) -> pd.DataFrame:
        """One row per stored run, sorted by run_id."""
        return self._table("runs", "run_id")

    @property
    def steps(self) -> pd.DataFrame:
        """run_id + the step table of every successful run, sorted by run_id and step."""
        return self._table("steps", "run_id, step")

    @property
    def design(self) -> pd.DataFrame:
        """Every planned run: run_id, point, parameters, rep, seed."""
        return self._table("design", "run_id")

    @property
    def n_runs(self) -> int:
        return int(self.manifest["n_runs"])

    @property
    def n_done(self) -> int:
        return int(self.sql("SELECT count(*) FROM runs").iloc[0, 0])

    @property
    def n_failed(self) -> int:
        return int(self.sql("SELECT count(*) FROM runs WHERE status = 'failed'").iloc[0, 0])

    @property
    def complete(self) -> bool:
        return self.n_done == self.n_runs

    def __repr__(self) -> str:
        return f"SweepResult({str(self.folder)!r}, runs={self.n_done}/{self.n_runs}, failed={self.n_failed})"


def load_sweep(folder: str | Path) -> SweepResult:
    """Open the results store a sweep (or sensitivity analysis) wrote."""
    return SweepResult(folder)
