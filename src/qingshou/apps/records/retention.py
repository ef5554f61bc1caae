"""Retention of collection records (issue 5; rules-cn §6.6; docs/security.md "Retention").

``settings.QINGSHOU_RETENTION`` gives, per record type, the years a record is kept after its case is closed.
A record is past its period on day D when its case closed on or before D − years (same calendar day; 29 Feb
→ 28 Feb) and, for repayment agreements (promises to pay, uploaded repayment-agreement documents), only when
the case closed *settled*: an agreement is kept until the debt is settled, then for the period.

**Guards** (a record is never touched when): its case is open; its borrower has another open case (the
borrower is being collected again and the history is needed); a loan in legal action — there is no legal
app yet, so the open case is the guard (a loan under legal action keeps its case open). Records of a borrower
rather than a case (contact attempts, notices) belong to a closed case when they are dated on or before its
closing day; one dated after the borrower's last closing waits for a later closed case (kept longer, never
purged early). The audit trail is **never** purged (and its triggers would refuse it).

**What happens per type** (and why):

| type | records | action | why |
| --- | --- | --- | --- |
| ``contact_attempts`` | contact attempts, contact notes | attempt's number / address and the note's text blanked; rows kept | the counts and C8 decisions are statistics of conduct with no personal data left; the rows are append-only history other rows point to |
| ``recordings`` | uploaded recordings | file deleted, row deleted | the recording is the personal data; nothing else is left to keep |
| ``promises`` | promises to pay and their instalments | rows deleted | an oral repayment agreement; after settlement + period nothing is owed on it |
| ``visits`` | visit photos; visit reports; visit requests | photos: file and row deleted; report's situation and assets and the visit's address blanked, rows kept | the visit itself (two agents, C8) stays provable; what was seen at the door does not |
| ``documents`` | uploaded documents (not recordings) | file deleted, row deleted | the file is the personal data |
| ``notices`` | notices of the outbox (final statuses only) | recipient, subject, text and figures blanked, the key replaced by its SHA-256; rows kept | the sending and delivery (C7 evidence: dates and status) stay countable |

Work goes in batches (``batch_size``): each batch is one transaction with one audit event
``retention.purge`` (type, action, rows, files); files are deleted after the batch commits. A purged record
no longer matches (deleted, or its personal fields are empty), so a second run finds nothing: the command is
idempotent, and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case, ContactNote, Promise
from qingshou.apps.contacts.models import ContactAttempt
from qingshou.apps.field.models import VisitPhoto, VisitReport, VisitRequest
from qingshou.apps.notices.models import Outbox
from qingshou.apps.records.models import CaseDocument

#: Defaults (years after the case is closed) — rules-cn §6.6 and docs/security.md "Retention".
DEFAULT_YEARS: Final = {
    "contact_attempts": 2,
    "recordings": 2,
    "promises": 2,
    "visits": 2,
    "documents": 3,
    "notices": 3,
}
DEFAULT_BATCH: Final = 1000
TYPES: Final = tuple(DEFAULT_YEARS)
FINAL_NOTICE_STATUSES: Final = ("sent", "delivered", "failed", "undeliverable")

Progress = Callable[[str, int, int], None]


class RetentionError(ValueError):
    """The retention settings are wrong (naming the key)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Years per type and the batch size, validated."""

    years: dict[str, int]
    batch_size: int


def policy() -> Policy:
    """``settings.QINGSHOU_RETENTION`` over the defaults; ``RetentionError`` for an unknown type or a period
    under one year."""
    config = dict(getattr(settings, "QINGSHOU_RETENTION", None) or {})
    batch = int(config.pop("batch_size", DEFAULT_BATCH))
    if batch < 1:
        raise RetentionError("QINGSHOU_RETENTION batch_size must be at least 1")
    years = dict(DEFAULT_YEARS)
    for key, value in config.items():
        if key not in DEFAULT_YEARS:
            raise RetentionError(
                f"QINGSHOU_RETENTION: unknown record type {key!r} (known: {', '.join(TYPES)})"
            )
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RetentionError(f"QINGSHOU_RETENTION {key}: a whole number of years ≥ 1, not {value!r}")
        years[key] = value
    return Policy(years=years, batch_size=batch)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def expired_cases(as_of: date, years: int, *, settled_only: bool = False) -> QuerySet[Case]:
    """Closed cases whose period of ``years`` has passed on ``as_of`` and whose borrower has no open case."""
    open_case = Case.objects.filter(borrower_id=OuterRef("borrower_id"), status=Case.Status.OPEN)
    cases = Case.objects.filter(
        status=Case.Status.CLOSED, closed_on__isnull=False, closed_on__lte=years_before(as_of, years)
    ).filter(~Exists(open_case))
    if settled_only:
        cases = cases.filter(close_reason=Case.CloseReason.SETTLED)
    return cases


@dataclass(frozen=True, slots=True)
class Part:
    """One kind of row a type purges: the rows due, and what to do with a batch of their ids (returns the
    files to delete after the commit)."""

    name: str
    action: str  # "deleted" or "blanked"
    rows: Callable[[], QuerySet[Any]]
    apply: Callable[[list[int]], list[str]]
    #: The file column of the rows, when each row holds a file that is deleted with it.
    file_field: str = ""


def _delete_documents(ids: list[int]) -> list[str]:
    names = [name for name in CaseDocument.objects.filter(pk__in=ids).values_list("file", flat=True) if name]
    CaseDocument.objects.filter(pk__in=ids).delete()
    return names


def _delete_photos(ids: list[int]) -> list[str]:
    names = [name for name in VisitPhoto.objects.filter(pk__in=ids).values_list("image", flat=True) if name]
    VisitPhoto.objects.filter(pk__in=ids).delete()
    return names


def _delete_promises(ids: list[int]) -> list[str]:
    VisitReport.objects.filter(promise_id__in=ids).update(promise=None)
    Promise.objects.filter(pk__in=ids).delete()
    return []


def _blank(model: Any, **values: Any) -> Callable[[list[int]], list[str]]:
    def apply(ids: list[int]) -> list[str]:
        model.objects.filter(pk__in=ids).update(**values)
        return []

    return apply


def _blank_notices(ids: list[int]) -> list[str]:
    for row in Outbox.objects.filter(pk__in=ids).only("pk", "key"):
        digest = hashlib.sha256(row.key.encode()).hexdigest()
        Outbox.objects.filter(pk=row.pk).update(
            key=f"retention:{digest}", recipient="", subject="", content="", payload={}
        )
    return []


def parts(record_type: str, as_of: date, years: int) -> list[Part]:
    """What ``record_type`` purges on ``as_of`` after ``years``."""
    cases = expired_cases(as_of, years)
    case_ids = cases.values("pk")
    if record_type == "contact_attempts":
        by_borrower = cases.filter(borrower_id=OuterRef("borrower_id"), closed_on__gte=OuterRef("local_day"))
        return [
            Part(
                "contact_note",
                "blanked",
                lambda: ContactNote.objects.filter(case_id__in=case_ids).exclude(notes=""),
                _blank(ContactNote, notes=""),
            ),
            Part(
                "contact_attempt",
                "blanked",
                lambda: ContactAttempt.objects.filter(Exists(by_borrower)).exclude(address=""),
                _blank(ContactAttempt, address=""),
            ),
        ]
    if record_type == "recordings":
        return [
            Part(
                "recording",
                "deleted",
                lambda: CaseDocument.objects.filter(case_id__in=case_ids, kind=CaseDocument.Kind.RECORDING),
                _delete_documents,
                "file",
            )
        ]
    if record_type == "promises":
        settled = expired_cases(as_of, years, settled_only=True).values("pk")
        return [
            Part("promise", "deleted", lambda: Promise.objects.filter(case_id__in=settled), _delete_promises)
        ]
    if record_type == "visits":
        return [
            Part(
                "visit_photo",
                "deleted",
                lambda: VisitPhoto.objects.filter(report__visit__case_id__in=case_ids),
                _delete_photos,
                "image",
            ),
            Part(
                "visit_report",
                "blanked",
                lambda: VisitReport.objects.filter(visit__case_id__in=case_ids).filter(
                    ~Q(situation="") | ~Q(assets_seen="")
                ),
                _blank(VisitReport, situation="", assets_seen=""),
            ),
            Part(
                "visit_request",
                "blanked",
                lambda: VisitRequest.objects.filter(case_id__in=case_ids).exclude(address=""),
                _blank(VisitRequest, address=""),
            ),
        ]
    if record_type == "documents":
        settled = expired_cases(as_of, years, settled_only=True).values("pk")
        agreement = CaseDocument.Kind.REPAYMENT_AGREEMENT
        return [
            Part(
                "document",
                "deleted",
                lambda: CaseDocument.objects.filter(
                    Q(case_id__in=case_ids) & ~Q(kind__in=[CaseDocument.Kind.RECORDING, agreement])
                    | Q(case_id__in=settled, kind=agreement)
                ),
                _delete_documents,
                "file",
            )
        ]
    if record_type == "notices":
        by_borrower = cases.filter(borrower_id=OuterRef("borrower_id"), closed_on__gte=OuterRef("as_of"))
        return [
            Part(
                "notice",
                "blanked",
                lambda: Outbox.objects.filter(Exists(by_borrower), status__in=FINAL_NOTICE_STATUSES).exclude(
                    recipient=""
                ),
                _blank_notices,
            )
        ]
    raise RetentionError(f"unknown record type {record_type!r}")


@dataclass(frozen=True, slots=True)
class Line:
    """What one part of a type has (dry run) or had (apply) to purge."""

    type: str
    part: str
    years: int
    closed_on_or_before: date
    action: str
    rows: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "part": self.part,
            "years": self.years,
            "closed_on_or_before": self.closed_on_or_before.isoformat(),
            "action": self.action,
            "rows": self.rows,
            "files": self.files,
        }


def _files_of(part: Part) -> int:
    if not part.file_field:
        return 0
    return int(part.rows().exclude(**{part.file_field: ""}).count())


def plan(as_of: date) -> list[Line]:
    """The dry run: per type and part, how many rows (and files) are past their period on ``as_of``."""
    config = policy()
    lines = []
    for record_type in TYPES:
        years = config.years[record_type]
        for part in parts(record_type, as_of, years):
            lines.append(
                Line(
                    type=record_type,
                    part=part.name,
                    years=years,
                    closed_on_or_before=years_before(as_of, years),
                    action=part.action,
                    rows=part.rows().count(),
                    files=_files_of(part),
                )
            )
    return lines


def _batches(part: Part, size: int) -> Iterator[list[int]]:
    """Ids of the rows still due, a batch at a time, in id order from after the last batch (keyset: a batch
    never rescans the rows already purged)."""
    last = 0
    while True:
        ids = list(part.rows().filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        last = ids[-1]
        yield ids


def apply(as_of: date, progress: Progress | None = None, actor: Any = None) -> list[Line]:
    """Purge what ``plan(as_of)`` lists, batch by batch (one transaction and one audit event each); return
    what was done. Files are deleted after their batch commits."""
    config = policy()
    done: list[Line] = []
    for line in plan(as_of):
        if line.rows == 0:
            done.append(line)
            continue
        part = next(p for p in parts(line.type, as_of, line.years) if p.name == line.part)
        rows = files = 0
        for batch_no, ids in enumerate(_batches(part, config.batch_size), start=1):
            with transaction.atomic():
                names = part.apply(ids)
                record(
                    actor,
                    "retention.purge",
                    ("records.retention", line.type),
                    {
                        "type": line.type,
                        "part": line.part,
                        "action": line.action,
                        "as_of": as_of.isoformat(),
                        "years": line.years,
                        "batch": batch_no,
                        "rows": len(ids),
                        "files": len(names),
                    },
                )
            for name in names:
                default_storage.delete(name)
            rows += len(ids)
            files += len(names)
            if progress is not None:
                progress(f"{line.type}/{line.part}", rows, line.rows)
        done.append(
            Line(line.type, line.part, line.years, line.closed_on_or_before, line.action, rows, files)
        )
    return done
