"""The lake: Parquet history beside the relational store (issue 3), one folder per table and date.

``snapshots`` holds the EOD snapshot of every loan, one partition per day:
``<lake>/snapshots/as_of=YYYY-MM-DD/part-NNNNN.parquet``. A partition is written into a hidden sibling
folder and swapped in with renames, so readers see the old partition or the new one, never a half-written
one. The lake root comes from ``qingshou.config.lake_path()``; this package takes it as an argument and
knows nothing of the engine or the store.
"""

from qingshou.lake.snapshots import (
    SnapshotNotFound,
    StagedPartition,
    export_snapshot,
    partition_path,
    previous_snapshot,
    read_snapshot,
    snapshot_dates,
    stage_snapshot,
    write_snapshot,
)

__all__ = [
    "SnapshotNotFound",
    "StagedPartition",
    "export_snapshot",
    "partition_path",
    "previous_snapshot",
    "read_snapshot",
    "snapshot_dates",
    "stage_snapshot",
    "write_snapshot",
]
