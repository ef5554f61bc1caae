"""Field visits asked for by the strategy: the EOD plan's ``field_visit`` actions become visit requests.

One set-based statement does it (``plan_requests_sql``), so the same text serves the EOD step inside the
run's store transaction (``RequestFieldVisits``, through ADBC) and the service ``requests_from_plan(day)``
(through Django's connection). For each case with a ``field_visit`` action on the day (the first step by
name when there are several) it inserts one request — copying the borrower's address and region — unless the
case already has a request from that day's plan or any open visit. Running it twice adds nothing (and the
constraint ``qs_visit_once_per_plan_day`` would refuse a duplicate). Each new request gets an audit event
(actor ``strategy``) written by a second statement in the same transaction.

The step is meant to run right after ``write actions`` (``apps.eod.services.run.STORE_STEPS``); like the
notices it does nothing for a day the collection steps skipped (a backfill older than the latest plan).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from django.db import connection, transaction
from django.utils import timezone

from qingshou.apps.cases.services.daily import WRITE_STORE, collection_of
from qingshou.apps.field.models import VisitRequest
from qingshou.apps.field.services import OPEN, VISIT_DUE_DAYS
from qingshou.store import Dialect

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext

#: The actor name of the audit events of requests made by the strategy.
STRATEGY_ACTOR: Final = "strategy"
#: ``context.extras`` key: how many visit requests the run created.
VISITS_REQUESTED: Final = "field_visits_requested"


def _moment(moment: datetime, dialect: Dialect) -> str:
    """A timestamp literal as Django stores it (SQLite: naive UTC text; PostgreSQL: with the offset)."""
    utc = moment.astimezone(UTC)
    return f"'{utc.replace(tzinfo=None)}'" if dialect is Dialect.SQLITE else f"'{utc.isoformat()}'"


def plan_requests_sql(day: date, now: datetime, dialect: Dialect) -> str:
    """The INSERT … SELECT that turns the day's ``field_visit`` actions into requested visits."""
    stamp = _moment(now, dialect)
    due = (day + timedelta(days=VISIT_DUE_DAYS)).isoformat()
    open_statuses = ", ".join(f"'{status}'" for status in OPEN)
    return f"""
INSERT INTO qs_visit_request (case_id, loan_id, source, requested_by_id, plan_day, reason, address, region,
    status, due_by, unassigned_reason, scheduled_at, attempt_id, cancel_reason, created_at, updated_at)
SELECT a.case_id, a.loan_id, 'strategy', NULL, a.as_of, a.segment || ' / ' || a.path || ' / ' || a.step,
    b.address, b.region, 'requested', '{due}', '', NULL, NULL, '', {stamp}, {stamp}
FROM qs_action a
JOIN qs_borrower b ON b.borrower_id = a.borrower_id
WHERE a.as_of = '{day.isoformat()}' AND a.action = 'field_visit' AND a.case_id IS NOT NULL
  AND a.step = (SELECT MIN(f.step) FROM qs_action f
                WHERE f.as_of = a.as_of AND f.case_id = a.case_id AND f.action = 'field_visit')
  AND NOT EXISTS (SELECT 1 FROM qs_visit_request v WHERE v.case_id = a.case_id
                  AND (v.status IN ({open_statuses}) OR (v.source = 'strategy' AND v.plan_day = a.as_of)))
"""


def audit_sql(day: date, now: datetime, dialect: Dialect) -> str:
    """One audit event per request the day's plan created that has none yet (actor: the strategy)."""
    stamp = _moment(now, dialect)
    detail = json.dumps({"source": "strategy", "plan_day": day.isoformat()})
    cast = "::jsonb" if dialect is Dialect.POSTGRESQL else ""
    target = "CAST(v.id AS TEXT)"
    return f"""
INSERT INTO qs_audit_event (at, actor_id, actor_name, action, target_type, target_id, detail, reason, ip)
SELECT {stamp}, NULL, '{STRATEGY_ACTOR}', 'field.visit_requested', 'field.visitrequest', {target},
    '{detail}'{cast}, v.reason, NULL
FROM qs_visit_request v
WHERE v.source = 'strategy' AND v.plan_day = '{day.isoformat()}'
  AND NOT EXISTS (SELECT 1 FROM qs_audit_event e WHERE e.action = 'field.visit_requested'
                  AND e.target_type = 'field.visitrequest' AND e.target_id = {target})
"""


def requests_from_plan(day: date) -> list[VisitRequest]:
    """Create the visit requests of ``day``'s plan (idempotent); the requests of that plan day, new or not."""
    dialect = Dialect.POSTGRESQL if connection.vendor == "postgresql" else Dialect.SQLITE
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(plan_requests_sql(day, now, dialect))
        cursor.execute(audit_sql(day, now, dialect))
    return list(VisitRequest.objects.filter(source=VisitRequest.Source.STRATEGY, plan_day=day).order_by("id"))


class RequestFieldVisits:
    """EOD store step: the plan's ``field_visit`` actions become visit requests (after ``write actions``)."""

    name, kind = "request field visits", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        if collection_of(context) is None:
            return
        store, now = context.store, timezone.now()
        before = int(store.scalar("SELECT COUNT(*) FROM qs_visit_request") or 0)
        store.execute(plan_requests_sql(context.as_of, now, store.dialect))
        store.execute(audit_sql(context.as_of, now, store.dialect))
        after = int(store.scalar("SELECT COUNT(*) FROM qs_visit_request") or 0)
        context.extras[VISITS_REQUESTED] = after - before
