"""Field visits, the use cases on the store: request from a case, assignment by region to two agents (C8),
scheduling through THE C8 check (quiet hours refused with the reason), the report (promise, contact result,
photos), the strategy's requests from the day's plan (idempotent, also as the EOD step through ADBC), and an
audit event for every change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from field_support import make_case, make_person, png_bytes
from qingshou import config
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Action, Case, PromiseInstalment
from qingshou.apps.contacts.models import ContactAttempt
from qingshou.apps.field import plan as field_plan
from qingshou.apps.field import services
from qingshou.apps.field.models import VisitAgent, VisitRequest
from qingshou.apps.field.services import ReportInput, ScheduleRefused
from qingshou.domain.visits import TOO_FEW_AGENTS, VisitError
from qingshou.store import Store

pytestmark = pytest.mark.db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _agents(visit: VisitRequest) -> list[int]:
    return sorted(VisitAgent.objects.filter(visit=visit).values_list("agent_id", flat=True))


@pytest.mark.django_db
def test_request_copies_the_borrower_address_and_region_and_is_audited() -> None:
    collector = make_person("collector", "c1")
    case = make_case("B1", region="朝阳区", collector=collector)
    visit = services.request_visit(case, collector, "电话失联，核实地址", today=TODAY)
    assert (visit.status, visit.source, visit.region) == ("requested", "user", "朝阳区")
    assert visit.address == "北京市朝阳区建国路88号1单元"
    assert visit.due_by == TODAY + dt.timedelta(days=7)
    [event] = _events("field.visit_requested")
    assert (event.actor_id, event.target_type, event.target_id) == (
        collector.pk,
        "field.visitrequest",
        str(visit.pk),
    )
    assert event.reason == "电话失联，核实地址"


@pytest.mark.django_db
def test_request_refuses_a_second_open_visit_a_closed_case_and_no_reason() -> None:
    collector = make_person("collector", "c1")
    case = make_case("B1", region="朝阳区", collector=collector)
    services.request_visit(case, collector, "核实地址")
    with pytest.raises(VisitError, match="already has an open field visit"):
        services.request_visit(case, collector, "again")
    with pytest.raises(VisitError, match="needs a reason") as error:
        services.request_visit(case, collector, "  ")
    assert error.value.field == "reason"
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=TODAY, close_reason="cured")
    case.refresh_from_db()
    with pytest.raises(VisitError, match="is closed"):
        services.request_visit(case, collector, "too late")


@pytest.mark.django_db
def test_c8_assignment_gives_two_distinct_agents_of_the_region_balancing_load() -> None:
    """Three agents in 朝阳区, one already on an open visit: two new visits go to the two idle agents first,
    then the least loaded; never the same agent twice; 海淀 agents are never sent to 朝阳区."""
    supervisor = make_person("supervisor", "s1")
    busy, idle_a, idle_b = (make_person("field_agent", name, region="朝阳区") for name in ("f1", "f2", "f3"))
    make_person("field_agent", "h1", region="海淀区")
    make_person("field_agent", "h2", region="海淀区")
    old = services.request_visit(make_case("B0", region="朝阳区"), supervisor, "old")
    services.assign_manually(old, [busy.pk, idle_a.pk], supervisor)
    first = services.request_visit(make_case("B1", region="朝阳区"), supervisor, "one")
    second = services.request_visit(make_case("B2", region="朝阳区"), supervisor, "two")

    result = services.assign_visits(timezone.localdate(), by=supervisor)

    # loads busy 1, a 1, b 0 → first: b then busy (id order); second: loads busy 2, a 1, b 1 → a, b
    assert result.assigned == {first.pk: (idle_b.pk, busy.pk), second.pk: (idle_a.pk, idle_b.pk)}
    assert _agents(first) == sorted([idle_b.pk, busy.pk])
    assert _agents(second) == sorted([idle_a.pk, idle_b.pk])
    first.refresh_from_db()
    assert first.status == "assigned"
    assert len(_events("field.visit_assigned")) == 3


@pytest.mark.django_db
def test_c8_a_region_with_one_agent_leaves_the_visit_requested_with_the_reason() -> None:
    supervisor = make_person("supervisor", "s1")
    make_person("field_agent", "x1", region="西城区")
    visit = services.request_visit(make_case("B1", region="西城区"), supervisor, "one")
    result = services.assign_visits(timezone.localdate())
    assert result.unassigned == {visit.pk: TOO_FEW_AGENTS}
    visit.refresh_from_db()
    assert (visit.status, visit.unassigned_reason) == ("requested", TOO_FEW_AGENTS)
    assert _agents(visit) == []
    [event] = _events("field.visit_not_assigned")
    assert event.detail["reason"] == TOO_FEW_AGENTS
    services.assign_visits(timezone.localdate())  # nothing changed: no second event
    assert len(_events("field.visit_not_assigned")) == 1


@pytest.mark.django_db
def test_c8_manual_assignment_refuses_one_agent_and_non_field_agents() -> None:
    supervisor = make_person("supervisor", "s1")
    agent = make_person("field_agent", "f1", region="朝阳区")
    collector = make_person("collector", "c1")
    visit = services.request_visit(make_case("B1", region="朝阳区"), supervisor, "one")
    with pytest.raises(VisitError, match="at least 2 distinct agents"):
        services.assign_manually(visit, [agent.pk], supervisor)
    with pytest.raises(VisitError, match="are not active field agents") as error:
        services.assign_manually(visit, [agent.pk, collector.pk], supervisor)
    assert error.value.field == "agents"
    visit.refresh_from_db()
    assert visit.status == "requested"


@pytest.fixture
def assigned(db: None) -> tuple[VisitRequest, User, User, User]:
    supervisor = make_person("supervisor", "s1")
    one, two = (
        make_person("field_agent", "f1", region="朝阳区"),
        make_person("field_agent", "f2", region="朝阳区"),
    )
    visit = services.request_visit(make_case("B1", region="朝阳区"), supervisor, "核实")
    services.assign_manually(visit, [one.pk, two.pk], supervisor)
    visit.refresh_from_db()
    return visit, supervisor, one, two


@pytest.mark.django_db
def test_c8_a_visit_in_quiet_hours_is_not_scheduled_and_says_why(assigned: Any) -> None:
    visit, _supervisor, one, _two = assigned
    night = dt.datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)
    with pytest.raises(ScheduleRefused) as refused:
        services.schedule_visit(visit, night, one)
    assert refused.value.reason == "quiet_hours"
    assert refused.value.deferred_to == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    visit.refresh_from_db()
    assert (visit.status, visit.scheduled_at) == ("assigned", None)
    attempt = ContactAttempt.objects.get(channel="visit")  # the refusal is a record too
    assert (attempt.outcome, attempt.reason, attempt.collectors) == ("defer", "quiet_hours", 2)
    assert _events("field.visit_schedule_refused")[0].detail["reason"] == "quiet_hours"


@pytest.mark.django_db
def test_c8_a_visit_in_the_window_is_scheduled_with_two_collectors(assigned: Any) -> None:
    visit, _supervisor, one, _two = assigned
    morning = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    services.schedule_visit(visit, morning, one)
    visit.refresh_from_db()
    assert (visit.status, visit.scheduled_at) == ("scheduled", morning)
    assert visit.attempt is not None
    assert (visit.attempt.outcome, visit.attempt.collectors, visit.attempt.address) == (
        "allow",
        2,
        visit.address,
    )


@pytest.mark.django_db
def test_c8_scheduling_an_unassigned_visit_is_refused() -> None:
    supervisor = make_person("supervisor", "s1")
    visit = services.request_visit(make_case("B1", region="朝阳区"), supervisor, "核实")
    with pytest.raises(VisitError, match="a requested visit cannot become scheduled"):
        services.schedule_visit(visit, dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), supervisor)


def _report(at: dt.datetime, attendees: list[int], **changes: Any) -> ReportInput:
    values: dict[str, Any] = {
        "visited_at": at,
        "met": "debtor",
        "address_valid": True,
        "situation": "本人在家，称失业三个月",
        "attendees": attendees,
        "assets_seen": "电动车一辆",
        "stated_reason": "unemployment",
    }
    return ReportInput(**{**values, **changes})


@pytest.mark.django_db
def test_the_report_closes_the_visit_with_promise_contact_result_and_photos(
    assigned: Any, media: Path
) -> None:
    visit, _supervisor, one, two = assigned
    services.schedule_visit(visit, dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), one)
    photo = SimpleUploadedFile("door.png", png_bytes(), content_type="image/png")
    report = _report(
        dt.datetime(2026, 3, 2, 10, 20, tzinfo=SHANGHAI),
        [one.pk, two.pk],
        promise_amount_fen=120_050,
        promise_due_on=dt.date(2026, 3, 10),
        photos=[photo],
        photo_types=["image/png"],
    )
    filed = services.file_report(visit, one, report)

    visit.refresh_from_db()
    assert visit.status == "visited"
    assert sorted(filed.attendees.values_list("pk", flat=True)) == sorted([one.pk, two.pk])
    assert filed.promise is not None
    assert (filed.promise.amount_fen, filed.promise.due_on, filed.promise.taken_on) == (
        120_050,
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 2),
    )
    [instalment] = PromiseInstalment.objects.filter(promise=filed.promise)
    assert (instalment.seq, instalment.amount_fen) == (1, 120_050)
    assert visit.attempt is not None
    visit.attempt.refresh_from_db()
    assert visit.attempt.result == "connected"
    [stored] = filed.photos.all()
    assert stored.content_type == "image/png"
    assert (media / str(stored.image.name)).read_bytes() == png_bytes()
    assert _events("field.visit_reported")[0].detail["photos"] == 1
    assert _events("promise.create")[0].detail["visit"] == visit.pk


@pytest.mark.django_db
def test_c8_the_report_needs_two_attendees_of_the_visit_and_an_agent_filing(assigned: Any) -> None:
    visit, supervisor, one, _two = assigned
    services.schedule_visit(visit, dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), one)
    at = dt.datetime(2026, 3, 2, 10, 20, tzinfo=SHANGHAI)
    with pytest.raises(VisitError, match="at least 2") as error:
        services.file_report(visit, one, _report(at, [one.pk]))
    assert error.value.field == "agents"
    with pytest.raises(VisitError, match="only an agent of the visit"):
        services.file_report(visit, supervisor, _report(at, [one.pk, supervisor.pk]))
    visit.refresh_from_db()
    assert visit.status == "scheduled"


def _plan_action(case: Case, day: dt.date, step: str, kind: str = "field_visit") -> Action:
    return Action.objects.create(
        as_of=day,
        case=case,
        borrower_id=case.borrower_id,
        loan_id=case.lead_loan_id,
        segment="high",
        path="visit_path",
        arm="champion",
        step=step,
        action=kind,
        priority=1,
        planned_at=dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC),
        outcome="allow",
    )


@pytest.mark.django_db
def test_requests_from_the_plan_are_idempotent_per_day_and_skip_open_visits() -> None:
    collector = make_person("collector", "c1")
    planned, twice, busy, other = (make_case(f"B{n}", region="朝阳区") for n in range(4))
    _plan_action(planned, TODAY, "d30_visit")
    _plan_action(twice, TODAY, "d30_visit")
    _plan_action(twice, TODAY, "d31_visit")
    _plan_action(busy, TODAY, "d30_visit")
    _plan_action(other, TODAY, "d30_sms", kind="sms")
    services.request_visit(busy, collector, "already asked")

    first = field_plan.requests_from_plan(TODAY)
    again = field_plan.requests_from_plan(TODAY)

    assert [v.case_id for v in first] == [planned.pk, twice.pk]
    assert [v.pk for v in again] == [v.pk for v in first]
    visit = first[1]
    assert (visit.source, visit.plan_day, visit.requested_by, visit.status) == (
        "strategy",
        TODAY,
        None,
        "requested",
    )
    assert visit.reason == "high / visit_path / d30_visit"
    assert (visit.address, visit.region) == ("北京市朝阳区建国路88号1单元", "朝阳区")
    assert visit.due_by == TODAY + dt.timedelta(days=7)
    events = _events("field.visit_requested")
    strategy_events = [e for e in events if e.actor_name == "strategy"]
    assert sorted(e.target_id for e in strategy_events) == sorted(str(v.pk) for v in first)
    assert strategy_events[0].detail == {"source": "strategy", "plan_day": TODAY.isoformat()}


class _Context:
    """The little of ``EodContext`` the step reads."""

    def __init__(self, as_of: dt.date, store: Store) -> None:
        self.as_of, self.store = as_of, store
        self.extras: dict[str, Any] = {}


@pytest.mark.django_db(transaction=True)
def test_the_eod_step_makes_the_same_requests_in_the_store_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``RequestFieldVisits`` runs the statement through ADBC inside the run's transaction; run twice, it
    adds nothing."""
    planned = make_case("B1", region="朝阳区")
    _plan_action(planned, TODAY, "d30_visit")
    monkeypatch.setattr(field_plan, "collection_of", lambda context: object())
    step = field_plan.RequestFieldVisits()
    with Store(config.adbc_uri()) as store:
        for expected in (1, 0):
            context = _Context(TODAY, store)
            with store.transaction():
                step(context)  # type: ignore[arg-type]
            assert context.extras[field_plan.VISITS_REQUESTED] == expected
    [visit] = VisitRequest.objects.all()
    assert (visit.case_id, visit.source, visit.plan_day) == (planned.pk, "strategy", TODAY)
    assert visit.created_at is not None
    assert AuditEvent.objects.filter(action="field.visit_requested", target_id=str(visit.pk)).count() == 1


@pytest.mark.django_db
def test_the_eod_step_does_nothing_on_a_skipped_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(field_plan, "collection_of", lambda context: None)
    context = _Context(TODAY, store=None)  # type: ignore[arg-type]
    field_plan.RequestFieldVisits()(context)  # type: ignore[arg-type]
    assert context.extras == {}


@pytest.mark.django_db
def test_a_field_agent_reveals_the_phone_of_their_open_visits_only() -> None:
    """Masked by default everywhere; an agent on the visit may reveal (audited), another agent gets 404, and
    once the visit is closed the assigned agents lose the borrower too."""
    from django.http import Http404

    from qingshou.apps.accounts.services import reveal

    supervisor = make_person("supervisor", "sup")
    one, two = (make_person("field_agent", f"agent-{n}", region="朝阳区") for n in (1, 2))
    stranger = make_person("field_agent", "agent-3", region="朝阳区")
    case = make_case("B1", region="朝阳区")
    visit = services.request_visit(case, supervisor, "核实地址")
    services.assign_manually(visit, [one.pk, two.pk], supervisor)
    assert reveal(one, case.borrower, "phone", "上门前确认联系方式") == "13812345678"
    assert AuditEvent.objects.filter(actor=one, action="reveal").count() == 1
    with pytest.raises(Http404):
        reveal(stranger, case.borrower, "phone", "好奇")
    services.cancel_visit(visit, supervisor, "债务人已还款")
    with pytest.raises(Http404):
        reveal(two, case.borrower, "phone", "复核")
