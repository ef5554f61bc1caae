"""The lake's snapshot partitions: layout, exact round trip, atomic replacement, recovery after a crash."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from qingshou.lake import (
    SnapshotNotFound,
    export_snapshot,
    partition_path,
    previous_snapshot,
    read_snapshot,
    snapshot_dates,
    stage_snapshot,
    write_snapshot,
)
from qingshou.lake import snapshots as lake_snapshots

DAY = date(2026, 3, 2)


def frame(day: date = DAY, rows: int = 3, base: int = 0) -> pl.DataFrame:
    """A small snapshot-like frame: dates, fen, Int8, booleans and nulls."""
    return pl.DataFrame(
        {
            "as_of": [day] * rows,
            "loan_id": [f"L{base + i:03d}" for i in range(rows)],
            "dpd": pl.Series([i * 30 for i in range(rows)], dtype=pl.Int32),
            "stage": pl.Series([1 + i % 3 for i in range(rows)], dtype=pl.Int8),
            "delinquent": [i % 2 == 1 for i in range(rows)],
            "total_overdue_fen": pl.Series([10**12 + i for i in range(rows)], dtype=pl.Int64),
            "npl_cured_on": pl.Series([None] * rows, dtype=pl.Date),
        }
    )


def listing(root: Path) -> list[str]:
    """Every entry under the lake, relative, sorted (hidden ones included)."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def test_layout_is_one_hive_partition_per_day(tmp_path: Path) -> None:
    """``<lake>/snapshots/as_of=YYYY-MM-DD/part-00000.parquet`` and nothing else."""
    folder = write_snapshot(tmp_path, DAY, frame())
    assert folder == tmp_path / "snapshots" / "as_of=2026-03-02" == partition_path(tmp_path, DAY)
    assert listing(tmp_path) == [
        "snapshots",
        "snapshots/as_of=2026-03-02",
        "snapshots/as_of=2026-03-02/part-00000.parquet",
    ]


def test_round_trip_keeps_types_values_and_order(tmp_path: Path) -> None:
    """What is read back equals what was written: Date, Int8, Int64 beyond 2³², booleans, nulls."""
    written = frame(rows=5)
    write_snapshot(tmp_path, DAY, written)
    assert_frame_equal(read_snapshot(tmp_path, DAY), written)


def test_large_days_are_split_into_parts_read_back_in_order(tmp_path: Path) -> None:
    """5 rows at 2 rows per part → part-00000..00002; reading concatenates them in order."""
    written = frame(rows=5)
    write_snapshot(tmp_path, DAY, written, rows_per_part=2)
    parts = sorted(p.name for p in partition_path(tmp_path, DAY).iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert_frame_equal(read_snapshot(tmp_path, DAY), written)


def test_an_empty_day_still_carries_its_columns(tmp_path: Path) -> None:
    """A day without rows has one part with the schema, so readers get typed columns."""
    empty = frame().clear()
    write_snapshot(tmp_path, DAY, empty)
    result = read_snapshot(tmp_path, DAY)
    assert result.height == 0
    assert result.schema == empty.schema


def test_rewriting_a_day_replaces_it_exactly(tmp_path: Path) -> None:
    """A second write of the day replaces every part: no part of the first write survives."""
    write_snapshot(tmp_path, DAY, frame(rows=5), rows_per_part=2)
    write_snapshot(tmp_path, DAY, frame(rows=1, base=7), rows_per_part=2)
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=1, base=7))
    assert listing(tmp_path) == [
        "snapshots",
        "snapshots/as_of=2026-03-02",
        "snapshots/as_of=2026-03-02/part-00000.parquet",
    ]


def test_the_same_frame_gives_the_same_bytes(tmp_path: Path) -> None:
    """Idempotence at the byte level: writing the same frame again gives identical files."""
    write_snapshot(tmp_path / "a", DAY, frame(rows=4))
    write_snapshot(tmp_path / "b", DAY, frame(rows=4))
    first = (partition_path(tmp_path / "a", DAY) / "part-00000.parquet").read_bytes()
    second = (partition_path(tmp_path / "b", DAY) / "part-00000.parquet").read_bytes()
    assert first == second


def test_a_staged_partition_is_invisible_until_published(tmp_path: Path) -> None:
    """Staging leaves the published day as it was; ``discard`` throws the staged rows away."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    staged = stage_snapshot(tmp_path, DAY, frame(rows=4, base=10))
    assert staged.staged.name.startswith(".as_of=2026-03-02.staged-")
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    assert snapshot_dates(tmp_path) == [DAY]
    staged.discard()
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    assert not staged.staged.exists()


def test_publish_swaps_the_staged_partition_in(tmp_path: Path) -> None:
    """``publish`` replaces the day and leaves no hidden folder behind."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    stage_snapshot(tmp_path, DAY, frame(rows=4, base=10)).publish()
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=4, base=10))
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["as_of=2026-03-02"]


def test_a_writer_that_died_while_staging_leaves_the_day_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing parts: the previous partition is untouched and nothing staged remains."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    calls = 0
    original = pl.DataFrame.write_parquet

    def failing(self: pl.DataFrame, *args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        stage_snapshot(tmp_path, DAY, frame(rows=5), rows_per_part=2)
    monkeypatch.undo()
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["as_of=2026-03-02"]


def test_an_orphan_staged_folder_is_removed_by_the_next_write(tmp_path: Path) -> None:
    """A process killed after staging (never published, never discarded) leaves a hidden folder that the
    next write of the day deletes; readers never saw it."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    orphan = stage_snapshot(tmp_path, DAY, frame(rows=3, base=50))
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    write_snapshot(tmp_path, DAY, frame(rows=1, base=90))
    assert not orphan.staged.exists()
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["as_of=2026-03-02"]


def test_death_between_the_two_renames_is_recovered_to_the_previous_partition(tmp_path: Path) -> None:
    """The current partition was renamed to ``.old`` and the process died before the staged one moved in:
    the next read renames the previous partition back (the day is never lost)."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    target = partition_path(tmp_path, DAY)
    os.rename(target, target.with_name(f".{target.name}.old-deadbeef"))
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["as_of=2026-03-02"]


def test_a_leftover_old_folder_beside_a_published_day_is_deleted(tmp_path: Path) -> None:
    """Died after publishing but before deleting the old folder: the next access deletes it."""
    write_snapshot(tmp_path, DAY, frame(rows=2))
    leftover = partition_path(tmp_path, DAY).with_name(".as_of=2026-03-02.old-cafe")
    leftover.mkdir()
    (leftover / "part-00000.parquet").write_bytes(b"stale")
    assert_frame_equal(read_snapshot(tmp_path, DAY), frame(rows=2))
    assert not leftover.exists()


def test_rows_of_another_day_are_refused(tmp_path: Path) -> None:
    """The ``as_of`` column must be the partition's day."""
    with pytest.raises(ValueError, match="holds rows for"):
        write_snapshot(tmp_path, DAY, frame(day=date(2026, 3, 1)))
    assert not partition_path(tmp_path, DAY).exists()


def test_previous_snapshot_is_the_day_before_or_none(tmp_path: Path) -> None:
    """as_of − 1 exactly: a gap in the history gives None, not an older day."""
    write_snapshot(tmp_path, date(2026, 3, 1), frame(day=date(2026, 3, 1)))
    previous = previous_snapshot(tmp_path, DAY)
    assert previous is not None
    assert_frame_equal(previous, frame(day=date(2026, 3, 1)))
    assert previous_snapshot(tmp_path, date(2026, 3, 3)) is None
    assert previous_snapshot(tmp_path / "nowhere", DAY) is None


def test_snapshot_dates_lists_published_days_only(tmp_path: Path) -> None:
    """Published days in order; staged folders and foreign entries are not days."""
    for day in (date(2026, 3, 2), date(2026, 2, 28), date(2026, 3, 1)):
        write_snapshot(tmp_path, day, frame(day=day))
    stage_snapshot(tmp_path, date(2026, 3, 3), frame(day=date(2026, 3, 3)))
    (tmp_path / "snapshots" / "as_of=garbage").mkdir()
    assert snapshot_dates(tmp_path) == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert snapshot_dates(tmp_path / "nowhere") == []


def test_export_writes_one_file_with_the_whole_day(tmp_path: Path) -> None:
    """``export_snapshot`` joins the parts into one Parquet file; a missing day is ``SnapshotNotFound``."""
    write_snapshot(tmp_path, DAY, frame(rows=5), rows_per_part=2)
    out = tmp_path / "out" / "day.parquet"
    assert export_snapshot(tmp_path, DAY, out) == 5
    assert_frame_equal(pl.read_parquet(out), frame(rows=5))
    assert [p.name for p in out.parent.iterdir()] == ["day.parquet"]
    with pytest.raises(SnapshotNotFound, match="2026-03-09"):
        export_snapshot(tmp_path, date(2026, 3, 9), out)


def test_rows_per_part_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows_per_part"):
        lake_snapshots.stage_snapshot(tmp_path, DAY, frame(), rows_per_part=0)
