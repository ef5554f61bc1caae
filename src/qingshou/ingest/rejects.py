"""Reject files: ``DIR/rejects/<table>.csv`` with row, field, reason, detail and the row's original values.

``row`` is the 1-based number of the data row in the extract file, the header not counted (row 1 is the
first line after the header). The files are UTF-8 with a BOM so spreadsheet programs open Chinese text
correctly, and they can be fixed and loaded again. A table without rejects has no file; a rejects file
left by an earlier run is removed so the folder always describes the last run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

REJECTS_DIR = "rejects"


def rejects_dir(directory: Path) -> Path:
    """Where the rejects of a load of ``directory`` go."""
    return directory / REJECTS_DIR


def clear_rejects(directory: Path, tables: Iterable[str]) -> None:
    """Remove the rejects files an earlier load of ``directory`` left for ``tables`` (and the folder if empty)."""
    folder = rejects_dir(directory)
    for table in tables:
        (folder / f"{table}.csv").unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def write_rejects(directory: Path, rejects: Mapping[str, pl.DataFrame]) -> dict[str, Path]:
    """Write each non-empty rejects frame to ``DIR/rejects/<table>.csv``; return the paths written."""
    written: dict[str, Path] = {}
    for table, frame in rejects.items():
        if frame.height == 0:
            continue
        folder = rejects_dir(directory)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{table}.csv"
        frame.write_csv(path, include_bom=True)
        written[table] = path
    return written
