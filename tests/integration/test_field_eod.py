"""Field visits from the strategy inside a real EOD run: the ``RequestFieldVisits`` step placed after
"write actions" turns the day's ``field_visit`` actions into visit requests in the run's store transaction;
a rerun of the day adds nothing (SQLite and PostgreSQL, ``-m db``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Action
from qingshou.apps.eod.services.run import STORE_STEPS, run_eod
from qingshou.apps.field.models import VisitRequest
from qingshou.apps.field.plan import RequestFieldVisits
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.strategy.services import apply_strategy

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]

__all__ = ["lake", "simulated_book"]  # fixtures

#: The lead's order: the step right after "write actions".
STEPS = tuple(
    step
    for existing in STORE_STEPS
    for step in ((existing, RequestFieldVisits()) if existing.name == "write actions" else (existing,))
)


#: Every delinquent borrower gets a field visit (and a call) every day.
VISIT_EVERY_DAY = """
name: visit_every_day
segments:
  - name: all
    paths:
      - name: daily
        steps:
          - {day: 1, every: 1, action: field_visit, queue: field}
          - {day: 1, every: 1, action: call, queue: early}
"""


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    load_default_templates()
    folder = simulated_book(300, 11)
    load_book(folder)
    return folder


def test_the_days_field_visit_actions_become_requests_once(book: Path) -> None:
    apply_strategy(VISIT_EVERY_DAY, by="test")
    result = run_eod(BOOK_DAY, store_steps=STEPS)
    planned = set(
        Action.objects.filter(as_of=BOOK_DAY, action="field_visit").values_list("case_id", flat=True)
    )
    assert planned
    visits = VisitRequest.objects.filter(source="strategy", plan_day=BOOK_DAY)
    assert set(visits.values_list("case_id", flat=True)) == planned
    assert {visit.status for visit in visits} == {"requested"}
    steps = set(Action.objects.filter(as_of=BOOK_DAY, action="field_visit").values_list("step", flat=True))
    assert {visit.reason for visit in visits} == {f"all / daily / {step}" for step in steps}
    assert result.status == "succeeded"
    first = sorted(visits.values_list("pk", "case_id"))

    run_eod(BOOK_DAY, store_steps=STEPS)

    assert sorted(VisitRequest.objects.values_list("pk", "case_id")) == first
    audited = AuditEvent.objects.filter(action="field.visit_requested", actor_name="strategy")
    assert sorted(int(pk) for pk in audited.values_list("target_id", flat=True)) == [
        pk for pk, _case in first
    ]
