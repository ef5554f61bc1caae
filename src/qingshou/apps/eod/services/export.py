"""The export use case: one day's snapshot from the lake as a single Parquet file for other tools
(``qingshou snapshot export``). The columns are ``engine.schema.SNAPSHOT`` (docs/data-format.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from qingshou import config
from qingshou.apps.loans.errors import NotFound
from qingshou.lake import SnapshotNotFound, export_snapshot


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The file written and how many snapshot rows it holds."""

    as_of: date
    out: Path
    rows: int

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        return {"as_of": self.as_of.isoformat(), "out": str(self.out), "rows": self.rows}


def export_day(as_of: date, out: Path | str, *, lake: Path | str | None = None) -> ExportResult:
    """Write the ``as_of`` snapshot to ``out`` (replaced atomically); ``NotFound`` when the lake (default
    ``config.lake_path()``) holds no snapshot for that day — run ``qingshou eod --as-of`` first."""
    root = Path(lake) if lake is not None else config.lake_path()
    destination = Path(out).resolve()
    try:
        rows = export_snapshot(root, as_of, destination)
    except SnapshotNotFound as error:
        raise NotFound(f"{error}: run `qingshou eod --as-of {as_of}` first", field="as_of") from error
    return ExportResult(as_of, destination, rows)
