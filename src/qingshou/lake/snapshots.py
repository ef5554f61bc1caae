"""Snapshot partitions of the lake: write one day atomically, read one day, find the day before.

Layout: ``<root>/snapshots/as_of=YYYY-MM-DD/part-00000.parquet`` — more parts (``part-00001`` …) when a
day holds more than ``rows_per_part`` rows; a day without rows still has one part that carries the columns.
The parts are written exactly as given (the caller sorts), so the same frame always gives the same bytes.

Atomic replacement: ``stage_snapshot`` writes the parts into a hidden sibling folder
``.as_of=D.staged-<token>`` (same file system, so a rename is atomic) and returns a ``StagedPartition``;
readers see nothing new yet. ``StagedPartition.publish`` swaps it in with two renames — the current
partition to ``.as_of=D.old-<token>``, the staged folder to ``as_of=D`` — then deletes the old folder.

* A process that dies before ``publish`` leaves the previous partition untouched; its orphan staged folder
  is deleted by the next write of that day.
* One that dies between the two renames leaves the previous partition under its ``.old`` name: the next read
  or write of that day renames it back (``recover``), so the day again shows the previous partition.
* One that dies after the second rename has published; the next access deletes the leftover ``.old``.

Hidden names (leading dot) are skipped by the globs here and by Spark and Hive-style readers. One writer
per day at a time (the EOD run is the only writer).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

SNAPSHOTS: Final = "snapshots"
ROWS_PER_PART: Final = 1_000_000
_PREFIX: Final = "as_of="
_PART_GLOB: Final = "part-*.parquet"


class SnapshotNotFound(LookupError):
    """The lake holds no snapshot partition for the day asked."""

    def __init__(self, root: Path, as_of: date) -> None:
        super().__init__(f"no snapshot for {as_of.isoformat()} in the lake {root}")
        self.as_of = as_of


def snapshots_dir(root: Path | str) -> Path:
    """``<root>/snapshots``."""
    return Path(root) / SNAPSHOTS


def partition_name(as_of: date) -> str:
    """``as_of=YYYY-MM-DD``."""
    return f"{_PREFIX}{as_of.isoformat()}"


def partition_path(root: Path | str, as_of: date) -> Path:
    """The folder of the ``as_of`` partition (it may not exist)."""
    return snapshots_dir(root) / partition_name(as_of)


def part_name(index: int) -> str:
    """``part-00000.parquet`` for ``index`` 0."""
    return f"part-{index:05d}.parquet"


def _fsync(path: Path) -> None:
    """Flush a file or a folder entry to disk (a rename is durable once its folder is synced)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _siblings(root: Path | str, as_of: date, kind: str) -> list[Path]:
    """Hidden ``.as_of=D.<kind>-<token>`` folders of the day (``staged`` or ``old``)."""
    folder = snapshots_dir(root)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f".{partition_name(as_of)}.{kind}-*"))


def recover(root: Path | str, as_of: date) -> None:
    """Repair what a writer of ``as_of`` that died mid-swap left: an ``.old`` partition whose replacement
    never arrived is renamed back; an ``.old`` one beside a published partition is deleted."""
    target = partition_path(root, as_of)
    for old in _siblings(root, as_of, "old"):
        if target.exists():
            shutil.rmtree(old)
        else:
            os.rename(old, target)


@dataclass(frozen=True, slots=True)
class StagedPartition:
    """A partition written beside its final place: ``publish`` swaps it in, ``discard`` throws it away."""

    staged: Path
    target: Path
    rows: int
    parts: int

    def publish(self) -> Path:
        """Replace the day's partition by the staged one (two renames); return the partition folder."""
        old: Path | None = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{uuid.uuid4().hex}")
            os.rename(self.target, old)
        os.rename(self.staged, self.target)
        _fsync(self.target.parent)
        if old is not None:
            shutil.rmtree(old)
        return self.target

    def discard(self) -> None:
        """Delete the staged folder; the day's partition stays as it was."""
        shutil.rmtree(self.staged, ignore_errors=True)


def _check_day(frame: pl.DataFrame, as_of: date) -> None:
    """A frame with an ``as_of`` column must hold that day only."""
    if "as_of" in frame.columns and frame.height:
        days = frame.get_column("as_of").unique().to_list()
        if days != [as_of]:
            raise ValueError(f"the snapshot for {as_of.isoformat()} holds rows for {sorted(map(str, days))}")


def stage_snapshot(
    root: Path | str, as_of: date, frame: pl.DataFrame, rows_per_part: int = ROWS_PER_PART
) -> StagedPartition:
    """Write ``frame`` as the ``as_of`` partition into a hidden staging folder (nothing published yet)."""
    if rows_per_part < 1:
        raise ValueError(f"rows_per_part must be positive, got {rows_per_part}")
    _check_day(frame, as_of)
    recover(root, as_of)
    for stale in _siblings(root, as_of, "staged"):
        shutil.rmtree(stale)
    target = partition_path(root, as_of)
    staged = target.with_name(f".{target.name}.staged-{uuid.uuid4().hex}")
    staged.mkdir(parents=True)
    try:
        starts = range(0, frame.height, rows_per_part) if frame.height else range(1)
        for index, start in enumerate(starts):
            path = staged / part_name(index)
            frame.slice(start, rows_per_part).write_parquet(path, compression="zstd", statistics=True)
            _fsync(path)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return StagedPartition(staged, target, frame.height, len(starts))


def write_snapshot(
    root: Path | str, as_of: date, frame: pl.DataFrame, rows_per_part: int = ROWS_PER_PART
) -> Path:
    """Stage and publish ``frame`` as the ``as_of`` partition; return its folder."""
    return stage_snapshot(root, as_of, frame, rows_per_part).publish()


def read_snapshot(root: Path | str, as_of: date) -> pl.DataFrame:
    """The ``as_of`` snapshot, parts in order; ``SnapshotNotFound`` when the lake has none for that day."""
    recover(root, as_of)
    folder = partition_path(root, as_of)
    parts = sorted(folder.glob(_PART_GLOB)) if folder.is_dir() else []
    if not parts:
        raise SnapshotNotFound(Path(root), as_of)
    return pl.read_parquet(parts, hive_partitioning=False)


def previous_snapshot(root: Path | str, as_of: date) -> pl.DataFrame | None:
    """The snapshot of the day before ``as_of``, or None when the lake has none for that day."""
    try:
        return read_snapshot(root, as_of - timedelta(days=1))
    except SnapshotNotFound:
        return None


def snapshot_dates(root: Path | str) -> list[date]:
    """Every day the lake holds a published snapshot for, in order."""
    folder = snapshots_dir(root)
    if not folder.is_dir():
        return []
    days = []
    for entry in folder.glob(f"{_PREFIX}*"):
        try:
            days.append(date.fromisoformat(entry.name.removeprefix(_PREFIX)))
        except ValueError:
            continue
    return sorted(days)


def export_snapshot(root: Path | str, as_of: date, out: Path | str) -> int:
    """Write the ``as_of`` snapshot as the single Parquet file ``out`` (replaced atomically); return rows."""
    frame = read_snapshot(root, as_of)
    destination = Path(out)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.write_parquet(temporary, compression="zstd", statistics=True)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return frame.height
