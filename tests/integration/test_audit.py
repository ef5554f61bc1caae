"""The audit trail (issue 5): ``record``, append-only in the model and in the database (triggers on SQLite
and PostgreSQL refuse UPDATE and DELETE), the auditor's read-only page with filters and pages, the admin
read-only for everyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.models import AppendOnlyError, AuditEvent
from qingshou.apps.audit.services import record
from workbench_support import make_borrower

pytestmark = pytest.mark.db

MakeUser = Callable[..., Any]


@pytest.mark.django_db
def test_record_keeps_actor_action_target_detail_reason(make_user: MakeUser) -> None:
    user = make_user(Role.SUPERVISOR, username="boss")
    borrower = make_borrower("B1")
    event = record(user, "case.assign", borrower, {"to": "wang"}, "workload", ip="192.0.2.1")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.actor_name, stored.action) == (user, "boss", "case.assign")
    assert (stored.target_type, stored.target_id) == ("loans.borrower", "B1")
    assert (stored.detail, stored.reason, stored.ip) == ({"to": "wang"}, "workload", "192.0.2.1")
    assert stored.at is not None


@pytest.mark.django_db
def test_record_by_the_system_and_other_targets() -> None:
    event = record(None, "eod.assign", ("cases.case", 7))
    assert (event.actor, event.actor_name, event.target_type, event.target_id) == (
        None,
        "system",
        "cases.case",
        "7",
    )
    assert record(None, "login", "session").target_type == "session"
    assert record(None, "noop", None).target_type == ""
    with pytest.raises(ValueError, match="action"):
        record(None, "", None)
    with pytest.raises(ValueError, match="reason"):
        record(None, "x", None, reason="r" * 501)
    with pytest.raises(TypeError):
        record(None, "x", 3.5)


@pytest.mark.django_db
def test_record_rolls_back_with_the_service_transaction() -> None:
    def service() -> None:
        with transaction.atomic():
            record(None, "promise.create", ("cases.promise", 1))
            raise RuntimeError("the service failed after recording")

    with pytest.raises(RuntimeError):
        service()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_model_refuses_to_change_or_delete_an_event() -> None:
    event = record(None, "reveal", ("loans.borrower", "B1"), reason="why")
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get().reason == "why"


def _raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE qs_audit_event SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM qs_audit_event WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(sql: str) -> None:
    """The triggers (SQLite here; PostgreSQL under scripts/with-postgres) refuse raw SQL, not just the ORM."""
    event = record(None, "reveal", ("loans.borrower", "B1"), reason="why")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, reason="why").exists()


@pytest.mark.django_db
def test_queryset_update_and_delete_are_refused_by_the_database() -> None:
    record(None, "reveal", ("loans.borrower", "B1"), reason="why")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().reason == "why"


@pytest.mark.django_db
def test_deleting_a_user_leaves_the_trail_untouched(make_user: MakeUser) -> None:
    user = make_user(Role.COLLECTOR, username="leaver")
    user_id = user.pk
    record(user, "reveal", ("loans.borrower", "B1"), reason="why")
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_name) == (user_id, "leaver")


@pytest.mark.django_db(transaction=True)
def test_triggers_are_in_place_after_a_transactional_flush() -> None:
    """Tests flush with DELETE on SQLite: the test support lifts the triggers for the flush only."""
    event = record(None, "reveal", ("loans.borrower", "B1"), reason="why")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM qs_audit_event WHERE id = %s", [event.pk])


# --- the page -------------------------------------------------------------------------------------------------


def _at(day: int, hour: int = 4) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def events() -> None:
    for day, actor, action in [(1, "wang", "reveal"), (2, "wang", "promise.create"), (3, "li", "reveal")]:
        AuditEvent.objects.create(
            at=_at(day), actor_name=actor, action=action, target_type="t", target_id=str(day)
        )


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_audit_page_only_for_auditors_and_admins(
    role: Role, make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    response = client_for(make_user(role)).get(reverse("audit:list"))
    assert response.status_code == (200 if role in {Role.AUDITOR, Role.ADMIN} else 404)


@pytest.mark.django_db
def test_audit_page_needs_login() -> None:
    response = Client().get(reverse("audit:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("query", "targets"),
    [
        ({}, ["3", "2", "1"]),
        ({"actor": "wang"}, ["2", "1"]),
        ({"action": "reveal"}, ["3", "1"]),
        ({"date_from": "2026-03-02"}, ["3", "2"]),
        ({"date_to": "2026-03-02"}, ["2", "1"]),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02", "actor": "wang"}, ["2"]),
        ({"actor": "nobody"}, []),
    ],
)
def test_audit_page_filters(
    query: dict[str, str], targets: list[str], make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    response = client_for(make_user(Role.AUDITOR)).get(reverse("audit:list"), query)
    assert [event.target_id for event in response.context["page"]] == targets


@pytest.mark.django_db
def test_audit_page_days_are_local_days(make_user: MakeUser, client_for: Callable[[Any], Client]) -> None:
    """01:00 on 2 March in Shanghai is 1 March UTC: it belongs to 2 March."""
    AuditEvent.objects.create(
        at=datetime(2026, 3, 1, 17, tzinfo=UTC), actor_name="x", action="a", target_id="late"
    )
    client = client_for(make_user(Role.AUDITOR))
    page = client.get(reverse("audit:list"), {"date_from": "2026-03-02", "date_to": "2026-03-02"}).context[
        "page"
    ]
    assert [event.target_id for event in page] == ["late"]


@pytest.mark.django_db
def test_audit_page_paginates_and_keeps_filters(
    make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    for number in range(55):
        AuditEvent.objects.create(at=_at(1), actor_name="wang", action="reveal", target_id=str(number))
    client = client_for(make_user(Role.AUDITOR))
    first = client.get(reverse("audit:list"), {"actor": "wang"})
    assert len(first.context["page"]) == 50
    assert "actor=wang&amp;page=2" in first.content.decode()
    second = client.get(reverse("audit:list"), {"actor": "wang", "page": 2})
    assert len(second.context["page"]) == 5
    partial = client.get(reverse("audit:list"), {"page": 2}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "<table" in partial.content.decode()


@pytest.mark.django_db
def test_audit_page_is_read_only(make_user: MakeUser, client_for: Callable[[Any], Client]) -> None:
    assert client_for(make_user(Role.AUDITOR)).post(reverse("audit:list"), {}).status_code == 405


@pytest.mark.django_db
def test_audit_page_refuses_a_reversed_date_range(
    make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    response = client_for(make_user(Role.AUDITOR)).get(
        reverse("audit:list"), {"date_from": "2026-03-03", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("events")
def test_admin_shows_events_read_only_even_to_superusers(django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(root)
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert 'name="reason"' not in change.content.decode()
    assert (
        client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.count() == 3
