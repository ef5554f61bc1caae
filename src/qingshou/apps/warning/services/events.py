"""Loading external events (``qingshou watch events load FILE``): a CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX
file, one event a row, read with the extract readers of ``qingshou.ingest`` (every value as text).

Columns (header names trimmed, case-insensitive): ``external_id`` (required, unique: the source's id of the
event), ``borrower_id`` (required, a borrower loaded into the store), ``kind`` (required: a code of
``EventKind`` or its Chinese name: 涉诉, 失信被执行人, 他行不良, 他行逾期, 多头借贷, 其他), ``occurred_on`` (required,
``YYYY-MM-DD``, not after today), ``source`` and ``detail`` (optional text). Other columns are ignored.

Every row is validated; a bad row is written to ``FILE's folder/rejects/external_events.csv`` with ``row``
(1-based, the header not counted), ``field``, ``reason`` and ``detail`` besides the row's values, and the
good rows are kept. An external id already stored is left as it is (loading a file twice changes nothing).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import polars as pl
from django.db import transaction
from django.utils import timezone

from qingshou import clock
from qingshou.apps.audit.services import record
from qingshou.apps.loans.models import Borrower
from qingshou.apps.warning.models import EventKind, ExternalEvent
from qingshou.ingest.errors import ExtractError
from qingshou.ingest.reading import ROW, read_file
from qingshou.ingest.rejects import clear_rejects, write_rejects
from qingshou.risk.warning import EVENT_KINDS

TABLE: Final = "external_events"
REQUIRED: Final = ("external_id", "borrower_id", "kind", "occurred_on")
OPTIONAL: Final = ("source", "detail")
LIMITS: Final = {"external_id": 100, "source": 100, "detail": 1000}
SUFFIXES: Final = (".csv", ".xlsx")
#: Chinese names accepted for the kinds.
KIND_NAMES: Final = {zh: code for code, (zh, _en) in EVENT_KINDS.items()}
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHUNK: Final = 500


@dataclass
class EventLoad:
    """What one load did: rows read, inserted, already stored (by external id), rejected."""

    path: Path
    batch: str
    rows: int = 0
    inserted: int = 0
    already: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    reject_sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0, or 3 when some rows were rejected."""
        return 3 if self.rejected else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "batch": self.batch,
            "rows": self.rows,
            "inserted": self.inserted,
            "already_loaded": self.already,
            "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
            "rejects": self.reject_sample,
            "exit_code": self.exit_code,
        }


def read_events(path: Path, encoding: str = "auto") -> pl.DataFrame:
    """The file's rows as text with ``__row``; ``ExtractError`` when it is unusable (missing, wrong type,
    undecodable, a required column missing). ``auto``: UTF-8 (with or without BOM), else GBK."""
    if not path.is_file():
        raise ExtractError(f"{path}: no such file", field="file")
    if path.suffix.lower() not in SUFFIXES:
        raise ExtractError(f"{path.name}: expected a .csv or .xlsx file", field="file")
    if encoding == "auto" and path.suffix.lower() == ".csv":
        try:
            frame = read_file(path, "utf-8")
        except ExtractError:
            frame = read_file(path, "gbk")
    else:
        frame = read_file(path, "utf-8" if encoding == "auto" else encoding)
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise ExtractError(f"{path.name}: required column(s) missing: {', '.join(missing)}", field=missing[0])
    for name in OPTIONAL:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(name))
    return frame.select(ROW, *REQUIRED, *OPTIONAL).with_columns(
        [pl.col(name).fill_null("").str.strip_chars() for name in (*REQUIRED, *OPTIONAL)]
    )


def _problem(
    row: dict[str, Any], today: date, known: set[str], seen: set[str]
) -> tuple[str, str, str] | None:
    """(field, reason, detail) of the row's first problem, or None."""
    for name in REQUIRED:
        if not row[name]:
            return name, "required", f"{name} is empty"
    for name, limit in LIMITS.items():
        if len(row[name]) > limit:
            return name, "too_long", f"{name} is longer than {limit} characters"
    if row["external_id"] in seen:
        return "external_id", "duplicate", f"external_id {row['external_id']} appears earlier in the file"
    if row["borrower_id"] not in known:
        return "borrower_id", "unknown_borrower", f"no borrower {row['borrower_id']} in the store"
    kind = KIND_NAMES.get(row["kind"], row["kind"].lower())
    if kind not in EventKind.values:
        allowed = ", ".join(EventKind.values)
        return (
            "kind",
            "invalid_choice",
            f"unknown kind {row['kind']!r} (allowed: {allowed} or their Chinese names)",
        )
    return _date_problem(row["occurred_on"], today)


def _date_problem(text: str, today: date) -> tuple[str, str, str] | None:
    try:
        day = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        return "occurred_on", "invalid_date", f"{text!r} is not a date YYYY-MM-DD"
    if day > today:
        return "occurred_on", "future_date", f"{text} is after today {today.isoformat()}"
    return None


def _known_borrowers(ids: list[str]) -> set[str]:
    known: set[str] = set()
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        known.update(Borrower.objects.filter(borrower_id__in=chunk).values_list("borrower_id", flat=True))
    return known


def _stored(ids: list[str]) -> set[str]:
    stored: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stored.update(
            ExternalEvent.objects.filter(external_id__in=chunk).values_list("external_id", flat=True)
        )
    return stored


def load_events(path: Path, *, encoding: str = "auto", actor: Any = None) -> EventLoad:
    """Validate and load the file (module docstring); rejects go to ``rejects/external_events.csv``."""
    frame = read_events(path, encoding)
    today = clock.today()
    batch = f"{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    rows = frame.to_dicts()
    known = _known_borrowers([row["borrower_id"] for row in rows])
    seen: set[str] = set()
    good: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for row in rows:
        problem = _problem(row, today, known, seen)
        if row["external_id"]:
            seen.add(row["external_id"])
        if problem is None:
            good.append(row)
        else:
            name, reason, detail = problem
            values = {key: row[key] for key in (*REQUIRED, *OPTIONAL)}
            rejects.append({"row": row[ROW], "field": name, "reason": reason, "detail": detail, **values})
    result = EventLoad(path=path, batch=batch, rows=len(rows), rejected=len(rejects))
    clear_rejects(path.parent, [TABLE])
    if rejects:
        written = write_rejects(path.parent, {TABLE: pl.DataFrame(rejects)})
        result.rejects_path = written.get(TABLE)
        result.reject_sample = rejects[:20]
    with transaction.atomic():
        stored = _stored([row["external_id"] for row in good])
        now = timezone.now()
        fresh = [
            ExternalEvent(
                external_id=row["external_id"],
                borrower_id=row["borrower_id"],
                kind=KIND_NAMES.get(row["kind"], row["kind"].lower()),
                occurred_on=date.fromisoformat(row["occurred_on"]),
                source=row["source"],
                detail=row["detail"],
                imported_at=now,
                batch=batch,
            )
            for row in good
            if row["external_id"] not in stored
        ]
        ExternalEvent.objects.bulk_create(fresh, batch_size=1000)
        result.inserted, result.already = len(fresh), len(good) - len(fresh)
        record(
            actor,
            "warning.events_load",
            ("warning.externalevent", batch),
            {
                "file": path.name,
                "rows": result.rows,
                "inserted": result.inserted,
                "already_loaded": result.already,
                "rejected": result.rejected,
            },
        )
    return result
