"""The ADBC store: one connection to SQLite or PostgreSQL, Arrow in and out, writes by table name.

The connection runs in autocommit mode and :meth:`Store.transaction` issues ``BEGIN`` / ``COMMIT`` itself
(``BEGIN IMMEDIATE`` on SQLite, so a writer takes the lock before it reads). On SQLite the connection turns on
foreign keys, as Django's does. Reads return Polars frames cast to the schema the caller names, because
SQLite hands dates back as strings, every integer as int64 and an empty result as int64 columns. Writes
stage a frame in a temporary table (``adbc_ingest``: binary COPY on PostgreSQL) and move it with set-based
SQL: an *upsert* counts the staged rows already stored identically (``unchanged``), updates the stored
rows that differ (``UPDATE … FROM``) and inserts the new ones (``INSERT … SELECT … WHERE NOT EXISTS``,
much faster than ``ON CONFLICT`` for millions of rows). Loads do not run concurrently: the SQLite write
lock is taken at ``BEGIN``; on PostgreSQL a concurrent insert of the same key fails the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any

import polars as pl
import pyarrow as pa

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SQLITE_BUSY_TIMEOUT_MS = 60_000


class Dialect(StrEnum):
    """The SQL dialect behind an ADBC URI."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def dialect_of(uri: str) -> Dialect:
    """``postgresql://`` (or ``postgres://``) URIs are PostgreSQL; anything else is a SQLite file."""
    if uri.startswith(("postgresql://", "postgres://")):
        return Dialect.POSTGRESQL
    return Dialect.SQLITE


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one bulk write did: rows staged, of which ``unchanged`` were already stored identically."""

    staged: int
    unchanged: int
    deleted: int = 0

    @property
    def written(self) -> int:
        """Rows inserted or updated (or, for insert-only writes, offered for insertion)."""
        return self.staged - self.unchanged


def _quote(name: str) -> str:
    """A double-quoted identifier; only plain names are accepted (table and column names are ours)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Replace extension columns (PostgreSQL ``numeric`` arrives as an opaque string extension) by storage."""
    columns = []
    for column in table.columns:
        if isinstance(column.type, pa.ExtensionType):
            column = pa.chunked_array(
                [chunk.storage for chunk in column.chunks], type=column.type.storage_type
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def cast_frame(frame: pl.DataFrame, schema: Mapping[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    """Cast the columns ``schema`` names: ISO text to ``Date`` (SQLite), anything else with ``cast``."""
    exprs = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if dtype == pl.Date and frame.schema[name] == pl.String:
            exprs.append(column.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name))
        else:
            exprs.append(column.cast(dtype).alias(name))
    return frame.with_columns(exprs)


def _arrow_for_ingest(frame: pl.DataFrame) -> pa.Table:
    """Arrow with types every ADBC driver ingests: all-null columns as text, no string views."""
    fixed = frame.with_columns(
        pl.col(name).cast(pl.String) for name, dtype in frame.schema.items() if dtype == pl.Null
    )
    return fixed.to_arrow(compat_level=pl.CompatLevel.oldest())


class Store:
    """An ADBC connection to the database ``uri`` names; use it as a context manager to close it."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.dialect = dialect_of(uri)
        if self.dialect is Dialect.POSTGRESQL:
            import adbc_driver_postgresql.dbapi as driver
        else:
            import adbc_driver_sqlite.dbapi as driver
        self._connection = driver.connect(uri, autocommit=True)
        self._column_types: dict[str, dict[str, str]] = {}
        if self.dialect is Dialect.SQLITE:
            self.execute("PRAGMA foreign_keys = ON")
            self.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
            # No dirty page reaches the file before COMMIT. This connection (ADBC's own SQLite) and Django's
            # (Python's sqlite3, another copy of the library) share one process, and POSIX locks do not
            # separate two copies of SQLite in one process (sqlite.org/howtocorrupt.html §2.2): a Django read
            # during a large EOD transaction saw the run's rollback journal as "hot" and rolled back the pages
            # the run had spilled to the file — the day's new cases vanished mid-run and the 1M-loan store went
            # corrupt (docs/benchmarks.md, "Risk (issue 8)"). Unspilled, the file holds only committed pages,
            # so such a rollback rewrites what is already there. WAL is no cure: the ADBC connection's close
            # then deletes the WAL under Django's connection. The cost: the transaction's pages stay in memory.
            self.execute("PRAGMA cache_spill = OFF")

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back by the server)."""
        self._connection.close()

    def execute(self, sql: str) -> None:
        """Run one statement that returns nothing."""
        with self._connection.cursor() as cursor:
            cursor.execute(sql)

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of a query."""
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        self.execute("BEGIN IMMEDIATE" if self.dialect is Dialect.SQLITE else "BEGIN")
        try:
            yield self
            self.execute("COMMIT")  # deferred foreign keys are checked here and may fail
        except BaseException:
            self.execute("ROLLBACK")
            raise

    def read(
        self, sql: str, schema: Mapping[str, pl.DataType | type[pl.DataType]] | None = None
    ) -> pl.DataFrame:
        """The result of ``sql`` as a Polars frame, its columns cast to ``schema`` when given."""
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            table = _plain_arrow(cursor.fetch_arrow_table())
        frame = pl.DataFrame(pl.from_arrow(table))
        return cast_frame(frame, schema) if schema else frame

    def read_table(
        self, table: str, schema: Mapping[str, pl.DataType | type[pl.DataType]], where: str = ""
    ) -> pl.DataFrame:
        """The ``schema`` columns of ``table`` (optionally filtered by a ``where`` SQL condition)."""
        columns = ", ".join(_quote(name) for name in schema)
        condition = f" WHERE {where}" if where else ""
        return self.read(f"SELECT {columns} FROM {_quote(table)}{condition}", schema)

    def decimal_text(self, column: str, places: int) -> str:
        """A select item giving a decimal column as text with ``places`` decimals, under its own name.

        SQLite stores decimals as REAL; PostgreSQL's ``numeric`` prints its scale.
        """
        if self.dialect is Dialect.SQLITE:
            return f"printf('%.{int(places)}f', {_quote(column)}) AS {_quote(column)}"
        return f"CAST(ROUND({_quote(column)}, {int(places)}) AS TEXT) AS {_quote(column)}"

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        *,
        update: bool = True,
        prune_by: str | None = None,
        compare: Sequence[str] | None = None,
    ) -> UpsertResult:
        """Write ``frame`` into ``table`` keyed by ``key`` (a unique constraint of the table).

        Rows already stored with the same values are counted as unchanged and left alone; other rows are
        inserted, or (``update``) their stored row is updated — with ``update=False`` a conflicting row is
        left as stored. ``prune_by`` names a grouping column (e.g. ``loan_id``): stored rows of the groups in
        ``frame`` whose key is not in ``frame`` are deleted, so a group is replaced as a whole. ``compare``
        limits the columns that decide "unchanged" (default: every column of ``frame`` outside the key).
        Call it inside :meth:`transaction`.
        """
        if frame.height == 0:
            return UpsertResult(0, 0)
        stage = f"qs_stage_{table}"
        self._stage(stage, frame)
        try:
            columns = list(frame.columns)
            compared = list(compare) if compare is not None else [c for c in columns if c not in key]
            unchanged = int(self.scalar(self._count_unchanged_sql(table, stage, compared, key)) or 0)
            deleted = self._prune(table, stage, key, prune_by) if prune_by else 0
            update_sql = self._update_sql(table, stage, columns, key) if update else None
            if update_sql and unchanged < frame.height:
                self.execute(update_sql)
            self.execute(self._insert_sql(table, stage, columns, key))
        finally:
            self.execute(f"DROP TABLE {_quote(stage)}")
        return UpsertResult(frame.height, unchanged, deleted)

    def _stage(self, stage: str, frame: pl.DataFrame) -> None:
        """Bulk-copy ``frame`` into the temporary table ``stage`` (PostgreSQL: and give the planner its size)."""
        with self._connection.cursor() as cursor:
            cursor.adbc_ingest(stage, _arrow_for_ingest(frame), mode="replace", temporary=True)
        if self.dialect is Dialect.POSTGRESQL:
            self.execute(f"ANALYZE {_quote(stage)}")

    def _target_types(self, table: str) -> dict[str, str]:
        """PostgreSQL: the SQL type of each column of ``table`` (staged values are cast to it)."""
        if table not in self._column_types:
            rows = self.read(
                "SELECT column_name, data_type FROM information_schema.columns"
                f" WHERE table_schema = current_schema() AND table_name = '{table}'"
            )
            self._column_types[table] = dict(zip(rows["column_name"], rows["data_type"], strict=True))
        return self._column_types[table]

    def _staged(self, table: str, column: str, alias: str = "s") -> str:
        """A staged column as the target column's type."""
        ref = f"{alias}.{_quote(column)}"
        if self.dialect is Dialect.POSTGRESQL:
            return f"CAST({ref} AS {self._target_types(table)[column]})"
        return ref

    def _same(self, left: str, right: str) -> str:
        """Null-safe equality."""
        if self.dialect is Dialect.POSTGRESQL:
            return f"{left} IS NOT DISTINCT FROM {right}"
        return f"{left} IS {right}"

    def _count_unchanged_sql(
        self, table: str, stage: str, compared: Sequence[str], key: Sequence[str]
    ) -> str:
        join = " AND ".join(f"t.{_quote(k)} = {self._staged(table, k)}" for k in key)
        same = [self._same(f"t.{_quote(c)}", self._staged(table, c)) for c in compared]
        condition = " AND ".join(same) if same else "1 = 1"
        return f"SELECT COUNT(*) FROM {_quote(stage)} s JOIN {_quote(table)} t ON {join} WHERE {condition}"

    def _update_sql(self, table: str, stage: str, columns: Sequence[str], key: Sequence[str]) -> str | None:
        """Update the stored rows whose staged row differs (none when every column is in the key)."""
        others = [c for c in columns if c not in key]
        if not others:
            return None
        target = _quote(table)
        assignments = ", ".join(f"{_quote(c)} = {self._staged(table, c)}" for c in others)
        join = " AND ".join(f"{target}.{_quote(k)} = {self._staged(table, k)}" for k in key)
        differs = " OR ".join(
            f"NOT ({self._same(f'{target}.{_quote(c)}', self._staged(table, c))})" for c in others
        )
        return f"UPDATE {target} SET {assignments} FROM {_quote(stage)} s WHERE {join} AND ({differs})"

    def _insert_sql(self, table: str, stage: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """Insert the staged rows whose key is not stored (a plain insert: faster than ``ON CONFLICT``)."""
        target = _quote(table)
        names = ", ".join(_quote(c) for c in columns)
        values = ", ".join(self._staged(table, c) for c in columns)
        stored = " AND ".join(f"t.{_quote(k)} = {self._staged(table, k)}" for k in key)
        return (
            f"INSERT INTO {target} ({names}) SELECT {values} FROM {_quote(stage)} s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {stored})"
        )

    def _prune(self, table: str, stage: str, key: Sequence[str], group: str) -> int:
        """Delete stored rows of the staged groups whose key is not staged; return how many."""
        keys = ", ".join(_quote(k) for k in key)
        self.execute(f"CREATE INDEX {_quote(stage + '_key')} ON {_quote(stage)} ({keys})")
        matched = " AND ".join(f"s.{_quote(k)} = {_quote(table)}.{_quote(k)}" for k in key)
        condition = (
            f"{_quote(group)} IN (SELECT s.{_quote(group)} FROM {_quote(stage)} s)"
            f" AND NOT EXISTS (SELECT 1 FROM {_quote(stage)} s WHERE {matched})"
        )
        count = int(self.scalar(f"SELECT COUNT(*) FROM {_quote(table)} WHERE {condition}") or 0)
        if count:
            self.execute(f"DELETE FROM {_quote(table)} WHERE {condition}")
        return count

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Insert every row of ``frame`` into ``table`` (bulk, no conflict handling); return the row count."""
        if frame.height == 0:
            return 0
        stage = f"qs_stage_{table}"
        self._stage(stage, frame)
        try:
            names = ", ".join(_quote(c) for c in frame.columns)
            values = ", ".join(self._staged(table, c) for c in frame.columns)
            self.execute(f"INSERT INTO {_quote(table)} ({names}) SELECT {values} FROM {_quote(stage)} s")
        finally:
            self.execute(f"DROP TABLE {_quote(stage)}")
        return frame.height
