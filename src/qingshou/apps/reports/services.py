"""Generating the monthly 逾期贷款清收报告 (issue 7): one use case, ``generate``.

``generate(month, out_dir, lang, reserves)`` opens the lake (``config.lake_path()``) and the store (the
database Django uses, through ADBC), builds the month's ``MonthData`` (``analytics.month.build_month``) —
and, when the lake has an earlier month-end, the previous month's too, so the recommendations can compare
cure rates month over month — then writes into ``out_dir``:

- ``qingshou-report-YYYY-MM-<lang>.xlsx`` — the data behind every table and chart (``xlsx.write``);
- ``charts-<lang>/<chart>.png`` — every ``contract.CHARTS`` entry (``charts.render``);
- ``qingshou-report-YYYY-MM-<lang>.html`` — self-contained (CSS inline, charts as data URIs);
- ``qingshou-report-YYYY-MM-<lang>.pdf`` — the same sections, tables and charts, CJK font embedded;

and records a ``ReportRun`` (month, language, who, the files with their SHA-256) with an audit event, in one
transaction after the files are written.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from qingshou import config
from qingshou.analytics import format as labels
from qingshou.analytics import month as month_metrics
from qingshou.analytics import recommend
from qingshou.analytics.contract import CHARTS, MonthData
from qingshou.analytics.sources import NoSnapshot, Sources, sources_for
from qingshou.apps.audit.services import record
from qingshou.apps.reports import charts, content, html, pdf, xlsx
from qingshou.apps.reports.conf import month_settings
from qingshou.apps.reports.models import ReportRun
from qingshou.domain.errors import DomainError, MoneyError
from qingshou.domain.money import fen, money
from qingshou.store import Store

Progress = Callable[[str, int, int | None], None]

#: Django translation codes of the report's languages.
TRANSLATION = {"zh": "zh-hans", "en": "en"}


class ReportError(DomainError):
    """Bad input to the report (month, language, reserves): the message names the field."""

    code = "invalid_report"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


class NoSnapshotInMonth(ReportError):
    """The lake has no snapshot in the month asked for."""

    code = "no_snapshot"


@dataclass(frozen=True, slots=True)
class ReportResult:
    run: ReportRun
    data: MonthData
    files: Mapping[str, Path]  # "xlsx", "html", "pdf", "chart:<key>"

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run.pk,
            "month": f"{self.run.month:%Y-%m}",
            "as_of": self.run.as_of.isoformat(),
            "lang": self.run.lang,
            "out_dir": self.run.out_dir,
            "files": self.run.files,
            "recommendations": self.run.recommendations,
            "seconds": round(self.run.seconds, 2),
        }


def reserves_fen(text: str | None) -> int | None:
    """The ``--reserves`` amount (yuan, at most two decimals, not negative) as fen; ``None`` when absent."""
    if text is None or not str(text).strip():
        return None
    try:
        amount = money(str(text))
    except MoneyError as error:
        raise ReportError(f"reserves: {error}", field="reserves") from None
    if amount < 0:
        raise ReportError(f"reserves: must not be negative, got {text}", field="reserves")
    return fen(amount)


def _noop(step: str, completed: int, total: int | None) -> None:
    return None


def _thresholds() -> Mapping[str, float] | None:
    value: Mapping[str, float] | None = getattr(settings, "QINGSHOU_REPORT_THRESHOLDS", None)
    return value


def month_data(sources: Sources, *, compare: bool = True, progress: Progress = _noop) -> MonthData:
    """The month's ``MonthData``; with ``compare`` and an earlier month-end, recommendations that compare
    with the previous month (``recommend(data, previous=...)``)."""
    steps = 2 if compare and sources.previous_as_of is not None else 1
    progress("metrics", 0, steps)
    chosen = month_settings()
    data = month_metrics.build_month(sources, chosen)
    previous: MonthData | None = None
    if steps == 2 and sources.previous_as_of is not None:
        progress("metrics", 1, steps)
        earlier = sources_for(
            sources.previous_as_of,
            sources.lake,
            sources.store,
            months=max(len(sources.history) - 1, 1),
            filters=sources.filters,
        )
        previous = month_metrics.build_month(earlier, chosen)
    progress("metrics", steps, steps)
    found = recommend.recommend(data, previous=previous, thresholds=_thresholds())
    return replace(data, recommendations=found)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render(data: MonthData, out_dir: Path, lang: str, progress: Progress = _noop) -> dict[str, Path]:
    """Write the XLSX, the charts, the HTML and the PDF of ``data`` in ``lang`` into ``out_dir``."""
    if lang not in TRANSLATION:
        raise ReportError(f"lang: must be one of {', '.join(TRANSLATION)}, got {lang!r}", field="lang")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"qingshou-report-{data.month:%Y-%m}-{lang}"
    files: dict[str, Path] = {}
    with translation.override(TRANSLATION[lang]), labels.language(lang):
        pngs: dict[str, bytes] = {}
        chart_dir = out_dir / f"charts-{lang}"
        chart_dir.mkdir(exist_ok=True)
        for index, spec in enumerate(CHARTS.values()):
            progress("charts", index, len(CHARTS))
            pngs[spec.key] = charts.render(spec, data.tables[spec.table], lang)
            path = chart_dir / f"{spec.key}.png"
            path.write_bytes(pngs[spec.key])
            files[f"chart:{spec.key}"] = path
        progress("charts", len(CHARTS), len(CHARTS))
        document = content.document(data, lang, pngs)
        writers: list[tuple[str, Callable[[Path], Path]]] = [
            ("xlsx", lambda path: xlsx.write(data, lang, path)),
            ("html", lambda path: html.write(document, path)),
            ("pdf", lambda path: pdf.write(document, path)),
        ]
        for index, (name, write) in enumerate(writers):
            progress("files", index, len(writers))
            files[name] = write(out_dir / f"{stem}.{name}")
        progress("files", len(writers), len(writers))
    return files


def generate(
    month: date,
    out_dir: Path | str,
    lang: str = "zh",
    reserves: str | Decimal | None = None,
    *,
    requested_by: Any = None,
    lake: Path | str | None = None,
    uri: str | None = None,
    compare: bool = True,
    progress: Progress | None = None,
) -> ReportResult:
    """Generate the report of ``month`` (any day in it) into ``out_dir`` and record the run.

    ``requested_by``: the user (or ``None`` for the command line, recorded as ``cli``). Raises
    ``NoSnapshotInMonth`` when the lake has no snapshot in the month, ``ReportError`` for bad input."""
    started = time.perf_counter()
    report = progress or _noop
    if lang not in TRANSLATION:
        raise ReportError(f"lang: must be one of {', '.join(TRANSLATION)}, got {lang!r}", field="lang")
    reserves_amount = reserves_fen(None if reserves is None else str(reserves))
    root = Path(lake) if lake is not None else config.lake_path()
    folder = Path(out_dir)
    with Store(uri or config.adbc_uri()) as store:
        try:
            sources = sources_for(month, root, store, reserves_fen=reserves_amount)
        except NoSnapshot as error:
            raise NoSnapshotInMonth(str(error), field="month") from None
        data = month_data(sources, compare=compare, progress=report)
    files = render(data, folder, lang, report)
    listed = [
        {"name": str(path.relative_to(folder)), "sha256": _sha256(path), "bytes": path.stat().st_size}
        for path in files.values()
    ]
    who = requested_by.get_username() if getattr(requested_by, "is_authenticated", False) else "cli"
    with transaction.atomic():
        run = ReportRun.objects.create(
            month=data.month,
            as_of=data.as_of,
            lang=lang,
            requested_by=who,
            out_dir=str(folder.resolve()),
            reserves_fen=reserves_amount,
            files=listed,
            recommendations=len(data.recommendations),
            seconds=time.perf_counter() - started,
        )
        record(
            requested_by,
            "report.generate",
            run,
            {"month": f"{data.month:%Y-%m}", "lang": lang, "files": [item["name"] for item in listed]},
        )
    return ReportResult(run, data, files)
