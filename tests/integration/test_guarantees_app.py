"""Guarantees against the store (issue 6 "Guarantors and write-off"; C7 guarantee period, C8 contact rules):
a guarantee recorded with a new guarantor party, a demand on the period's last day kept and one the day after
refused with its reason, general vs joint guarantees (art. 693), the EOD reminder written once per guarantee
and day, the guarantor contacted through the one C8 check from the workbench's contact form, and scope (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from qingshou import config
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.forms import ContactForm as ContactFormView
from qingshou.apps.cases.services.contacts import ContactForm, record_contact
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.guarantees import services
from qingshou.apps.guarantees.eod import remind
from qingshou.apps.guarantees.models import Guarantee, GuaranteeReminder
from qingshou.apps.loans.models import Loan
from qingshou.apps.loans.selectors import business_calendar
from qingshou.domain.guarantees import GuaranteeError
from qingshou.store import Store
from workbench_book import DAY, Book, local
from writeoff_support import recovery_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]
#: The loans' last installment is due 2026-01-01: no agreed period → the period ends 2026-07-01 (C7).
LAST_DAY = date(2026, 7, 1)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())

    def move(day: date) -> None:
        monkeypatch.setenv("QINGSHOU_TODAY", day.isoformat())

    return move


@pytest.fixture
def book(today: Any) -> Book:
    return recovery_book()


def guarantee(book: Book, kind: str = "joint", **fields: Any) -> Guarantee:
    return services.record_guarantee(
        book.users["c1"],
        book.cases["B1"].pk,
        "L1",
        kind=kind,
        guarantor=services.GuarantorInput(name="李四", phone="13900001111"),
        **fields,
    )


def test_a_guarantee_makes_a_guarantor_party_and_is_audited(book: Book) -> None:
    made = guarantee(book, cap=Decimal("50000"))
    party = made.party
    assert (party.kind, party.borrower_id, party.name, party.relation) == (
        "guarantor",
        "B1",
        "李四",
        "保证人",
    )
    assert made.cap_fen == 5_000_000
    [event] = AuditEvent.objects.filter(action="guarantee.record")
    assert event.detail["period_last_day"] == LAST_DAY.isoformat()
    assert event.detail["agreed"] is False
    with pytest.raises(GuaranteeError, match="already guarantees"):
        services.record_guarantee(
            book.users["c1"], book.cases["B1"].pk, "L1", kind="joint", party_id=party.pk
        )


def test_a_guarantee_is_refused_for_a_debtor_party_another_borrower_or_out_of_scope(book: Book) -> None:
    c1 = book.users["c1"]
    with pytest.raises(GuaranteeError, match="not a guarantor"):
        services.record_guarantee(c1, book.cases["B1"].pk, "L1", kind="joint", party_id=book.parties["B1"].pk)
    with pytest.raises(GuaranteeError, match="not one of the borrower's"):
        services.record_guarantee(c1, book.cases["B1"].pk, "L1", kind="joint", party_id=book.parties["B2"].pk)
    with pytest.raises(GuaranteeError, match="not the borrower's"):
        services.record_guarantee(
            c1,
            book.cases["B1"].pk,
            "L2",
            kind="joint",
            guarantor=services.GuarantorInput("李四", "13900001111"),
        )
    with pytest.raises(GuaranteeError, match="not in your scope"):
        services.record_guarantee(
            book.users["c3"],
            book.cases["B1"].pk,
            "L1",
            kind="joint",
            guarantor=services.GuarantorInput("李四", "139"),
        )
    with pytest.raises(GuaranteeError, match="does not record"):
        services.record_guarantee(
            book.users["auditor"],
            book.cases["B1"].pk,
            "L1",
            kind="joint",
            guarantor=services.GuarantorInput("李四", "13900001111"),
        )
    with pytest.raises(GuaranteeError, match="not a phone number"):
        services.record_guarantee(
            c1, book.cases["B1"].pk, "L1", kind="joint", guarantor=services.GuarantorInput("李四", "call me")
        )
    assert not Guarantee.objects.exists()


def test_c7_a_demand_on_the_last_day_is_kept_the_day_after_is_refused(book: Book) -> None:
    made = guarantee(book)
    c1 = book.users["c1"]
    late = LAST_DAY + timedelta(days=1)
    with pytest.raises(GuaranteeError, match="guarantee period ended on 2026-07-01") as refused:
        services.record_demand(
            c1, made.pk, on=late, channel="letter", evidence="EMS 1234", delivered=True, today=late
        )
    assert refused.value.field == "on"
    kept = services.record_demand(
        c1, made.pk, on=LAST_DAY, channel="letter", evidence="EMS 1234", delivered=True, today=late
    )
    assert (kept.preserves, kept.act) == (True, "demand")
    assert AuditEvent.objects.filter(action="guarantee.demand").count() == 1


def test_c7_an_acceleration_moves_the_period_earlier(book: Book) -> None:
    """Called early on 2025-08-31: + 6 months = 2026-02-28 (clamp), a Saturday that is an adjusted workday
    (调休) in China's 2026 calendar, so the period ends that day and is not moved."""
    Loan.objects.filter(loan_id="L1").update(accelerated_on=date(2025, 8, 31))
    made = guarantee(book)
    with pytest.raises(GuaranteeError, match="ended on 2026-02-28"):
        services.record_demand(
            book.users["c1"], made.pk, on=date(2026, 3, 1), channel="sms", evidence="log", delivered=True
        )
    assert services.record_demand(
        book.users["c1"], made.pk, on=date(2026, 2, 28), channel="sms", evidence="log", delivered=True
    ).preserves


def test_art_693_a_demand_does_not_preserve_a_general_guarantee_a_suit_does(book: Book) -> None:
    made = guarantee(book, kind="general")
    c1 = book.users["c1"]
    letter = services.record_demand(c1, made.pk, on=DAY, channel="letter", evidence="EMS 1", delivered=True)
    suit = services.record_demand(
        c1, made.pk, on=DAY, act="suit", channel="court", evidence="(2026)京0105民初1号", delivered=False
    )
    assert (letter.preserves, suit.preserves) == (False, True)
    with pytest.raises(GuaranteeError, match="in the future"):
        services.record_demand(
            c1, made.pk, on=DAY + timedelta(days=1), channel="sms", evidence="x", delivered=True
        )
    with pytest.raises(GuaranteeError, match="evidence"):
        services.record_demand(c1, made.pk, on=DAY, channel="sms", evidence=" ", delivered=True)
    with pytest.raises(GuaranteeError, match="not in your scope"):
        services.record_demand(book.users["c3"], made.pk, on=DAY, channel="sms", evidence="x", delivered=True)


@pytest.mark.django_db(transaction=True)
def test_the_eod_reminder_is_written_once_per_guarantee_and_day(book: Book) -> None:
    made = guarantee(book)
    other = services.record_guarantee(
        book.users["c3"],
        book.cases["B3"].pk,
        "L3",
        kind="joint",
        guarantor=services.GuarantorInput("王五", "13700002222"),
    )
    services.record_demand(
        book.users["c3"], other.pk, on=DAY, channel="letter", evidence="EMS 9", delivered=True
    )  # preserved: no reminder
    calendar = business_calendar()
    first = LAST_DAY - timedelta(days=30)  # 2026-06-01, the 30-day reminder
    with Store(config.adbc_uri()) as store:
        with store.transaction():
            assert remind(store, first - timedelta(days=1), calendar, (30, 7)) == []
        with store.transaction():
            assert remind(store, first, calendar, (30, 7)) == [made.pk]
        with store.transaction():
            assert remind(store, first, calendar, (30, 7)) == [made.pk]  # the rerun of the day
        with store.transaction():
            assert remind(store, first + timedelta(days=1), calendar, (30, 7)) == []  # already reminded
        with store.transaction():
            assert remind(store, LAST_DAY - timedelta(days=7), calendar, (30, 7)) == [made.pk]
        with store.transaction():
            assert remind(store, LAST_DAY + timedelta(days=1), calendar, (30, 7)) == []  # over
    rows = list(
        GuaranteeReminder.objects.order_by("as_of").values_list(
            "guarantee_id", "case_id", "as_of", "days_left"
        )
    )
    assert rows == [
        (made.pk, book.cases["B1"].pk, first, 30),
        (made.pk, book.cases["B1"].pk, LAST_DAY - timedelta(days=7), 7),
    ]


def test_c8_the_guarantor_is_offered_on_the_contact_form_and_checked(book: Book) -> None:
    made = guarantee(book)
    case = book.cases["B1"]
    form = ContactFormView(case=case)
    assert made.party_id in [party.pk for party in form.fields["party"].queryset]
    night = record_contact(
        book.users["c1"],
        case.pk,
        ContactForm(party_id=made.party_id, loan_id="L1", channel="call", result="no_answer"),
        now=local(23),
    )
    assert not night.allowed  # C8: quiet hours apply to a guarantor too
    assert night.attempt.party_kind == "guarantor"
    assert night.attempt.outcome in {"defer", "refuse"}
    ContactParty.objects.filter(pk=made.party_id).update(stop_requested=True)
    stopped = record_contact(
        book.users["c1"],
        case.pk,
        ContactForm(party_id=made.party_id, loan_id="L1", channel="call", result="no_answer"),
        now=local(10),
    )
    assert (stopped.allowed, stopped.attempt.outcome) == (False, "refuse")  # a guarantor who asked to stop


def test_the_case_section_shows_the_guarantor_masked_and_out_of_scope_is_404(
    book: Book, client_for: Any
) -> None:
    made = guarantee(book)
    case = book.cases["B1"]
    page = client_for(book.users["c1"]).get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="guarantees"' in html
    assert f'data-guarantee="{made.pk}"' in html
    assert "13900001111" not in html.split('id="guarantees"')[1]  # masked in the section
    assert "2026-07-01" in html
    assert "保证期间届满" in html  # Chinese by default (the app's own catalogue)
    outsider: Client = client_for(book.users["c3"])
    assert outsider.get(f"/guarantees/case/{case.pk}/").status_code == 404
    posted = outsider.post(
        f"/guarantees/{made.pk}/demand/",
        {
            "case_id": case.pk,
            "demand-on": DAY.isoformat(),
            "demand-act": "demand",
            "demand-channel": "sms",
            "demand-evidence": "x",
            "demand-delivered": "on",
        },
    )
    assert posted.status_code == 404
    refused = client_for(book.users["c1"]).post(
        f"/guarantees/{made.pk}/demand/",
        {
            "case_id": case.pk,
            "demand-on": (DAY + timedelta(days=3)).isoformat(),
            "demand-act": "demand",
            "demand-channel": "sms",
            "demand-evidence": "x",
            "demand-delivered": "on",
        },
    )
    assert refused.status_code == 422
    assert "in the future" in refused.content.decode()
    ok = client_for(book.users["c1"]).post(
        f"/guarantees/{made.pk}/demand/",
        {
            "case_id": case.pk,
            "demand-on": DAY.isoformat(),
            "demand-act": "demand",
            "demand-channel": "sms",
            "demand-evidence": "短信日志 1",
            "demand-delivered": "on",
        },
    )
    assert ok.status_code == 200
    assert 'data-preserved="yes"' in ok.content.decode()


def test_recording_a_guarantee_from_the_case_page(book: Book, client_for: Any) -> None:
    case = book.cases["B1"]
    client = client_for(book.users["c1"])
    bad = client.post(f"/guarantees/case/{case.pk}/add/", {"guarantee-loan": "L1", "guarantee-kind": "joint"})
    assert bad.status_code == 422
    done = client.post(
        f"/guarantees/case/{case.pk}/add/",
        {
            "guarantee-loan": "L1",
            "guarantee-kind": "joint",
            "guarantee-name": "赵六",
            "guarantee-phone": "13811112222",
            "guarantee-agreed_end": "2027-01-01",
        },
    )
    assert done.status_code == 200
    made = Guarantee.objects.get()
    assert (made.agreed_end, made.party.name) == (date(2027, 1, 1), "赵六")
    assert "2027-01-01" in done.content.decode()
    assert client_for(book.users["auditor"]).post(f"/guarantees/case/{case.pk}/add/", {}).status_code == 403


def test_cli_guarantees_due_lists_unpreserved_periods_ending_soon(book: Book) -> None:
    import json

    from click.testing import CliRunner

    from qingshou.cli import build

    made = guarantee(book)
    preserved = services.record_guarantee(
        book.users["c3"],
        book.cases["B3"].pk,
        "L3",
        kind="joint",
        guarantor=services.GuarantorInput("王五", "13700002222"),
    )
    services.record_demand(
        book.users["c3"], preserved.pk, on=DAY, channel="letter", evidence="EMS 9", delivered=True
    )
    soon = CliRunner().invoke(build(), ["guarantees", "due", "--as-of", "2026-06-01", "--json"])
    assert soon.exit_code == 0, soon.output
    assert json.loads(soon.output)["guarantees"] == [
        {
            "guarantee_id": made.pk,
            "loan_id": "L1",
            "kind": "joint",
            "last_day": "2026-07-01",
            "days_left": 30,
            "agreed": False,
        }
    ]
    later = CliRunner().invoke(
        build(), ["guarantees", "due", "--as-of", "2026-05-31", "--within", "30", "--json"]
    )
    assert json.loads(later.output)["guarantees"] == []
