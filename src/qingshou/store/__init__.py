"""Bulk Arrow I/O with the database by table name, through ADBC (SQLite and PostgreSQL), without Django.

``Store`` opens the database an ADBC URI names (``qingshou.config.adbc_uri()`` gives the one Django uses),
reads query results as Polars frames cast to a given schema, and writes frames in bulk: each write stages
the frame in a temporary table with ``adbc_ingest`` and moves it with set-based ``UPDATE`` / ``INSERT``.
Writes happen inside :meth:`Store.transaction`, one transaction for the whole unit of work.
"""

from qingshou.store.database import Dialect, Store, UpsertResult, dialect_of

__all__ = ["Dialect", "Store", "UpsertResult", "dialect_of"]
