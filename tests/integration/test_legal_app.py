"""Legal recovery against the store (issue 6 "Legal cases"): opening a case scoped to who may work it; stages
recorded with their days, illegal moves refused, a suit / payment order / enforcement application interrupting
limitation (C7); 宣布提前到期 through the domain, visible in the quote; court fees posted as costs of
enforcement and allocated first (C5), idempotently; preservation measures, renewals, release; the doubled
interest of a judgment; the legal calendar scoped like the other pages (out of scope or without the right:
404); the EOD reminder step idempotent; the ``qingshou legal`` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from legal_support import DAY, Book, legal_book
from qingshou import config
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.legal import services
from qingshou.apps.legal.eod import RecordLegalReminders, record_reminders
from qingshou.apps.legal.models import LegalCase, LegalFee, Preservation, Reminder, StageChange
from qingshou.apps.legal.selectors import calendar
from qingshou.apps.loans import models as loans
from qingshou.apps.loans.selectors import quote
from qingshou.apps.loans.services.charges import AccelerationRefused, accelerate, post_charge
from qingshou.apps.loans.services.payments import post_payment
from qingshou.cli import build
from qingshou.domain.errors import DomainError
from qingshou.domain.legal import LegalError
from qingshou.store import Store
from workbench_support import create_user

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal
ClientFor = Callable[[Any], Client]


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    return legal_book()


def lawsuit(book: Book, borrower: str = "B1", loans_: tuple[str, ...] = ("L1",), **fields: Any) -> LegalCase:
    return services.open_case(
        book.users["legal"],
        book.cases[borrower].pk,
        "lawsuit",
        list(loans_),
        on=DAY - timedelta(days=60),
        court="北京市朝阳区人民法院",
        **fields,
    )


def walk(book: Book, legal_case: LegalCase, *steps: tuple[str, date]) -> LegalCase:
    for stage, day in steps:
        legal_case = services.advance(book.users["legal"], legal_case.pk, stage, day)
    return legal_case


# --- opening and scope -------------------------------------------------------------------------------------


def test_a_legal_officer_opens_a_case_whose_claim_defaults_to_the_payoff(book: Book) -> None:
    opened = services.open_case(book.users["legal"], book.cases["B1"].pk, "lawsuit", ["L1"], note="起诉")
    payoff = quote("L1", DAY).payoff_amount
    assert (opened.stage, opened.opened_on, opened.claim_fen) == ("preparation", DAY, int(payoff * 100))
    assert [loan.loan_id for loan in opened.loans.all()] == ["L1"]
    assert list(opened.history.values_list("to_stage", flat=True)) == ["preparation"]
    assert AuditEvent.objects.filter(action="legal.open", target_id=str(opened.pk)).count() == 1


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("c1", "does not work legal cases"),  # sees the case, has no legal right
        ("c2", "not in your scope"),
        ("sup2", "not in your scope"),
        ("auditor", "does not work legal cases"),  # read-only
    ],
)
def test_only_who_may_work_legal_cases_open_them(book: Book, username: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        services.open_case(book.users[username], book.cases["B1"].pk, "lawsuit", ["L1"], claim=D("1000"))
    assert not LegalCase.objects.exists()


def test_opening_names_bad_loans_and_claims(book: Book) -> None:
    legal = book.users["legal"]
    with pytest.raises(LegalError, match="L2 are not the borrower's"):
        services.open_case(legal, book.cases["B1"].pk, "lawsuit", ["L1", "L2"])
    with pytest.raises(LegalError, match="at least one loan"):
        services.open_case(legal, book.cases["B1"].pk, "lawsuit", [" "])
    with pytest.raises(LegalError, match="claim"):
        services.open_case(legal, book.cases["B1"].pk, "lawsuit", ["L1"], claim=D(0))
    with pytest.raises(LegalError, match="after today"):
        services.open_case(legal, book.cases["B1"].pk, "lawsuit", ["L1"], on=DAY + timedelta(days=1))


# --- stages and limitation (C7) ----------------------------------------------------------------------------


def test_stages_record_their_days_and_a_suit_interrupts_limitation(book: Book) -> None:
    """C7: the suit filed and the enforcement application each interrupt every loan of the case."""
    case = lawsuit(book)
    before = quote("L1", DAY).limitation
    case = walk(book, case, ("filed", DAY - timedelta(days=50)))
    assert case.filed_on == DAY - timedelta(days=50)
    rows = loans.LimitationInterruption.objects.filter(loan_id="L1")
    assert [(row.kind, row.on) for row in rows] == [("suit_filed", DAY - timedelta(days=50))]
    assert "北京市朝阳区人民法院" in rows[0].evidence
    after = quote("L1", DAY).limitation
    assert after.last_interruption is not None
    assert after.last_interruption.kind == "suit_filed"
    assert after.expires_on > before.expires_on  # restarted: 3 years from the filing
    case = walk(
        book,
        case,
        ("accepted", DAY - timedelta(days=45)),
        ("hearing", DAY - timedelta(days=30)),
        ("judgment", DAY - timedelta(days=20)),
    )
    case = services.advance(
        book.users["legal"],
        case.pk,
        "effective",
        DAY - timedelta(days=10),
        performance_due_on=DAY - timedelta(days=5),
        judgment_principal=D("100000"),
        judgment_interest=D("5000"),
        judgment_costs=D("2300"),
    )
    case = walk(book, case, ("enforcement_applied", DAY))
    kinds = list(loans.LimitationInterruption.objects.filter(loan_id="L1").values_list("kind", flat=True))
    assert kinds == ["suit_filed", "enforcement_applied"]
    assert list(StageChange.objects.filter(legal_case=case).values_list("to_stage", flat=True)) == [
        "preparation",
        "filed",
        "accepted",
        "hearing",
        "judgment",
        "effective",
        "enforcement_applied",
    ]


def test_a_payment_order_interrupts_as_a_payment_order(book: Book) -> None:
    case = services.open_case(
        book.users["legal"], book.cases["B1"].pk, "payment_order", ["L1"], claim=D("5000")
    )
    walk(book, case, ("filed", DAY))
    assert list(loans.LimitationInterruption.objects.values_list("kind", flat=True)) == ["payment_order"]


def test_illegal_moves_and_days_are_refused_and_change_nothing(book: Book) -> None:
    case = services.open_case(
        book.users["legal"], book.cases["B1"].pk, "demand_letter", ["L1"], claim=D("5000")
    )
    with pytest.raises(LegalError, match="has no hearing stage"):
        services.advance(book.users["legal"], case.pk, "hearing", DAY)
    suit = lawsuit(book)
    with pytest.raises(LegalError, match="cannot move from preparation to judgment"):
        services.advance(book.users["legal"], suit.pk, "judgment", DAY)
    with pytest.raises(LegalError, match="before the previous stage"):
        services.advance(book.users["legal"], suit.pk, "filed", DAY - timedelta(days=61))
    with pytest.raises(LegalError, match="after today"):
        services.advance(book.users["legal"], suit.pk, "filed", DAY + timedelta(days=1))
    with pytest.raises(LegalError, match="终本"):
        services.advance(book.users["legal"], suit.pk, "closed", DAY, outcome="terminated")
    with pytest.raises(DomainError, match="does not work"):
        services.advance(book.users["c1"], suit.pk, "filed", DAY)
    with pytest.raises(DomainError, match="not in your scope"):
        services.advance(book.users["sup2"], suit.pk, "filed", DAY)
    assert LegalCase.objects.get(pk=suit.pk).stage == "preparation"
    assert not loans.LimitationInterruption.objects.exists()


def test_a_terminated_enforcement_resumes(book: Book) -> None:
    case = services.open_case(
        book.users["legal"],
        book.cases["B1"].pk,
        "enforcement",
        ["L1"],
        claim=D("5000"),
        on=DAY - timedelta(days=30),
    )
    case = walk(
        book, case, ("enforcement_applied", DAY - timedelta(days=9)), ("enforcement", DAY - timedelta(days=8))
    )
    case = services.advance(
        book.users["legal"], case.pk, "closed", DAY - timedelta(days=5), outcome="terminated"
    )
    assert (case.stage, case.outcome, case.closed_on) == ("closed", "terminated", DAY - timedelta(days=5))
    case = walk(book, case, ("enforcement_applied", DAY))
    assert (case.stage, case.outcome, case.closed_on) == ("enforcement_applied", "", None)


# --- acceleration (宣布提前到期) -------------------------------------------------------------------------------


def test_acceleration_through_the_domain_is_visible_in_the_quote(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C7: the loan called early on DAY: every installment is due, limitation starts the next day."""
    before = quote("L9", DAY)
    assert before.overdue_principal < before.outstanding_principal
    case = lawsuit(book, "B9", ("L9",))
    with pytest.raises(LegalError, match="reason"):
        services.accelerate(book.users["legal"], case.pk, DAY, note=" ")
    assert services.accelerate(book.users["legal"], case.pk, DAY, note="诉前宣布提前到期") == ["L9"]
    loan = loans.Loan.objects.get(loan_id="L9")
    assert (loan.accelerated_on, loan.acceleration_reason) == (DAY, "legal")
    after = quote("L9", DAY)
    assert after.overdue_principal == after.outstanding_principal == before.outstanding_principal
    assert after.total_overdue > before.total_overdue
    assert after.limitation.start == DAY + timedelta(days=1)
    assert services.accelerate(book.users["legal"], case.pk, DAY, note="again") == []  # same day: no-op
    monkeypatch.setenv("QINGSHOU_TODAY", (DAY + timedelta(days=1)).isoformat())
    with pytest.raises(AccelerationRefused, match="already called early"):
        accelerate("L9", DAY + timedelta(days=1), "legal")


def test_acceleration_refusals(book: Book) -> None:
    with pytest.raises(AccelerationRefused, match="disbursed"):
        accelerate("L9", date(2025, 9, 1), "legal")
    with pytest.raises(AccelerationRefused, match="reason"):
        accelerate("L9", DAY, "")
    with pytest.raises(DomainError, match="after today"):
        accelerate("L9", DAY + timedelta(days=1), "legal")
    assert accelerate("L9", DAY, "legal") is True
    assert accelerate("L9", DAY - timedelta(days=3), "legal") is True  # an earlier call moves it earlier
    assert loans.Loan.objects.get(loan_id="L9").accelerated_on == DAY - timedelta(days=3)


# --- fees as costs (C5) ------------------------------------------------------------------------------------


def test_the_acceptance_fee_is_posted_as_a_cost_and_allocated_first(book: Book) -> None:
    """C5: costs of enforcement come first in the waterfall: a payment smaller than the fee pays only it."""
    case = lawsuit(book, claim=D("150000"))
    filed = DAY - timedelta(days=5)
    fee = services.post_fee(book.users["legal"], case.pk, "acceptance", filed)
    assert (fee.kind, fee.basis_fen, fee.fee_fen, fee.loan_id) == ("acceptance", 15_000_000, 330_000, "L1")
    charge = loans.Charge.objects.get(charge_id=fee.charge_id)
    assert (charge.kind, charge.amount_fen, charge.posted_on) == ("costs", 330_000, filed)
    assert quote("L1", DAY).costs == D("3300.00")
    posted = post_payment("L1", "PAY-1", D("1000"), DAY)
    assert [(row.component.value, row.charge_id, row.amount) for row in posted.allocations] == [
        ("costs", fee.charge_id, D("1000.00"))
    ]
    stored = loans.Allocation.objects.filter(payment_id="PAY-1")
    assert [(row.component, row.amount_fen) for row in stored] == [("costs", 100_000)]
    assert quote("L1", DAY).costs == D("2300.00")


def test_fees_are_idempotent_and_a_different_figure_is_refused(book: Book) -> None:
    case = lawsuit(book, claim=D("150000"))
    first = services.post_fee(
        book.users["legal"], case.pk, "acceptance", DAY, reductions=["simplified", "mediation"]
    )
    assert (first.fee_fen, first.reductions) == (165_000, "mediation,simplified")  # halved once
    again = services.post_fee(
        book.users["legal"], case.pk, "acceptance", DAY, reductions=["mediation", "simplified"]
    )
    assert again.pk == first.pk
    assert loans.Charge.objects.count() == 1
    with pytest.raises(LegalError, match="already posted"):
        services.post_fee(book.users["legal"], case.pk, "acceptance", DAY)
    with pytest.raises(LegalError, match="only the 受理费"):
        services.post_fee(book.users["legal"], case.pk, "enforcement", DAY, reductions=["mediation"])
    enforcement = services.post_fee(book.users["legal"], case.pk, "enforcement", DAY, basis=D("150000"))
    assert enforcement.fee_fen == 215_000
    lawyer = services.post_fee(
        book.users["legal"], case.pk, "lawyer", DAY, amount=D("8000"), reference="INV-7"
    )
    assert (lawyer.fee_fen, lawyer.charge_id) == (800_000, f"legal:{case.pk}:lawyer:INV-7")
    with pytest.raises(LegalError, match="reference"):
        services.post_fee(book.users["legal"], case.pk, "lawyer", DAY, amount=D("1"))
    assert quote("L1", DAY).costs == D("3300.00") / 2 + D("2150.00") + D("8000.00")


def test_charge_posting_is_idempotent_by_id(book: Book) -> None:
    assert post_charge("L1", "C-1", "costs", D("10"), DAY).created is True
    assert post_charge("L1", "C-1", "costs", D("10"), DAY).created is False
    with pytest.raises(DomainError, match="cannot be reused"):
        post_charge("L1", "C-1", "costs", D("11"), DAY)
    with pytest.raises(DomainError, match="after today"):
        post_charge("L1", "C-2", "costs", D("10"), DAY + timedelta(days=1))
    assert loans.Charge.objects.count() == 1


# --- preservation ------------------------------------------------------------------------------------------


def test_preservation_terms_renewals_and_release(book: Book) -> None:
    case = lawsuit(book)
    legal = book.users["legal"]
    measure = services.record_preservation(
        legal, case.pk, "bank_deposit", "工行账户 6222…", date(2025, 3, 20), amount=D("150000")
    )
    assert (measure.term_months, measure.expires_on, measure.renewal_due_on) == (
        12,
        date(2026, 3, 19),
        date(2026, 3, 12),
    )
    with pytest.raises(LegalError, match="at most 12 months"):
        services.record_preservation(legal, case.pk, "bank_deposit", "x", DAY, months=13)
    fee = services.post_fee(legal, case.pk, "preservation", DAY, preservation_id=measure.pk)
    assert fee.fee_fen == 127_000
    renewal = services.renew_preservation(legal, measure.pk, DAY)
    assert (renewal.start_on, renewal.expires_on, renewal.renewed_from_id) == (
        date(2026, 3, 20),
        date(2027, 3, 19),
        measure.pk,
    )
    with pytest.raises(LegalError, match="already renewed"):
        services.renew_preservation(legal, measure.pk, DAY)
    released = services.release_preservation(legal, renewal.pk, DAY)
    assert released.released_on == DAY
    with pytest.raises(LegalError, match="released"):
        services.renew_preservation(legal, renewal.pk, DAY)


def test_a_lapsed_measure_cannot_be_renewed(book: Book) -> None:
    case = lawsuit(book)
    measure = services.record_preservation(
        book.users["legal"], case.pk, "movable", "车辆 京A", date(2024, 3, 1)
    )
    assert measure.expires_on == date(2026, 2, 28)
    with pytest.raises(LegalError, match="lapsed"):
        services.renew_preservation(book.users["legal"], measure.pk, DAY)
    assert Preservation.objects.count() == 1


# --- delay interest ----------------------------------------------------------------------------------------


def test_the_doubled_interest_of_the_judgment(book: Book, client_for: ClientFor) -> None:
    case = lawsuit(book, "B9", ("L9",))
    assert services.delay_interest(case, DAY) is None
    case = walk(book, case, ("filed", DAY - timedelta(days=58)), ("accepted", DAY - timedelta(days=57)))
    case = services.advance(
        book.users["legal"],
        case.pk,
        "effective",
        DAY - timedelta(days=40),
        performance_due_on=DAY - timedelta(days=29),
        judgment_principal=D("100000"),
        judgment_interest=D("0"),
        judgment_costs=D("2300"),
    )
    result = services.delay_interest(case, DAY)
    assert result is not None
    assert (result.days, result.amount) == (30, D("525.00"))  # costs excluded by default
    page = client_for(book.users["auditor"]).get(reverse("legal:detail", args=[case.pk])).content.decode()
    assert 'id="delay-interest">¥525.00' in page
    post_payment("L9", "PAY-9", D("40000"), DAY - timedelta(days=9))
    result = services.delay_interest(LegalCase.objects.get(pk=case.pk), DAY)
    assert result is not None
    assert result.amount == D("100000") * D("0.000175") * 21 + D("60000") * D("0.000175") * 9


# --- pages -------------------------------------------------------------------------------------------------


def test_the_calendar_shows_every_deadline_of_the_users_scope(book: Book, client_for: ClientFor) -> None:
    suit = lawsuit(book, "B1", ("L1",))
    walk(book, suit, ("filed", DAY - timedelta(days=50)), ("accepted", DAY - timedelta(days=40)))
    services.schedule_hearing(book.users["legal"], suit.pk, DAY + timedelta(days=5))
    services.record_preservation(book.users["legal"], suit.pk, "bank_deposit", "账户", date(2025, 4, 1))
    other = lawsuit(book, "B3", ("L3",))
    walk(book, other, ("filed", DAY - timedelta(days=50)), ("accepted", DAY - timedelta(days=40)))
    services.schedule_hearing(book.users["legal"], other.pk, DAY + timedelta(days=6))
    kinds = {(row.kind, row.legal_case_id) for row in calendar(book.users["legal"], DAY, 1500)}
    assert kinds == {
        ("hearing", suit.pk),
        ("preservation_expiry", suit.pk),
        ("limitation_expiry", suit.pk),
        ("hearing", other.pk),
        ("limitation_expiry", other.pk),
    }
    assert {row.legal_case_id for row in calendar(book.users["sup1"], DAY, 1500)} == {suit.pk}
    page = client_for(book.users["legal"]).get(reverse("legal:calendar"), {"days": "1500"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "法务日历" in body
    assert body.count('data-kind="hearing"') == 2
    near = client_for(book.users["legal"]).get(reverse("legal:calendar"), {"days": "10"}).content.decode()
    assert near.count('data-kind="hearing"') == 2
    assert 'data-kind="limitation_expiry"' not in near


@pytest.mark.parametrize(
    ("username", "calendar_status", "detail_status"),
    [
        ("legal", 200, 200),
        ("admin", 200, 200),
        ("sup1", 200, 200),
        ("auditor", 200, 200),
        ("c1", 404, 404),  # a collector sees the case but no legal pages
        ("sup2", 200, 404),  # another team's supervisor: the calendar, not this case
        ("ag1", 404, 404),
    ],
)
def test_pages_answer_404_outside_the_scope(
    book: Book, client_for: ClientFor, username: str, calendar_status: int, detail_status: int
) -> None:
    suit = lawsuit(book)
    client = client_for(book.users[username])
    assert client.get(reverse("legal:calendar")).status_code == calendar_status
    assert client.get(reverse("legal:detail", args=[suit.pk])).status_code == detail_status
    post = client.post(reverse("legal:advance", args=[suit.pk]), {"target": "filed", "on": DAY.isoformat()})
    assert post.status_code in ((302,) if username in ("legal", "admin") else (403, 404))
    assert LegalCase.objects.get(pk=suit.pk).stage == (
        "filed" if username in ("legal", "admin") else "preparation"
    )


def test_the_legal_case_page_and_the_case_section(book: Book, client_for: ClientFor) -> None:
    legal = client_for(book.users["legal"])
    section = legal.get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    assert 'id="legal"' in section
    assert "法务" in section
    assert 'action="/legal/case/' in section
    response = legal.post(
        reverse("legal:open", args=[book.cases["B1"].pk]),
        {
            "legal-case_type": "lawsuit",
            "legal-loans": ["L1"],
            "legal-claim": "150000",
            "legal-court": "朝阳法院",
        },
    )
    created = LegalCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("legal:detail", args=[created.pk])
    page = legal.get(reverse("legal:detail", args=[created.pk])).content.decode()
    assert "150,000.00" in page
    assert 'data-stage="preparation"' in page
    assert "¥3,300.00（《诉讼费用交纳办法》第十三条(一)）" in page  # the filing fee on the claim
    legal.post(reverse("legal:advance", args=[created.pk]), {"target": "filed", "on": DAY.isoformat()})
    legal.post(
        reverse("legal:fee", args=[created.pk]), {"kind": "acceptance", "loan": "L1", "on": DAY.isoformat()}
    )
    refused = legal.post(
        reverse("legal:advance", args=[created.pk]), {"target": "judgment", "on": DAY.isoformat()}
    )
    assert refused.status_code == 302
    page = legal.get(reverse("legal:detail", args=[created.pk])).content.decode()
    assert 'data-stage="filed"' in page
    assert 'data-fee="acceptance"' in page
    assert "3,300.00" in page
    assert LegalFee.objects.get().fee_fen == 330_000
    auditor = (
        client_for(book.users["auditor"]).get(reverse("legal:detail", args=[created.pk])).content.decode()
    )
    assert 'id="legal-advance"' not in auditor
    assert 'id="legal-fee"' not in auditor
    collector = (
        client_for(book.users["c1"]).get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    )
    assert 'id="legal"' not in collector


# --- EOD ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_reminder_step_records_each_deadline_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    book = legal_book()
    suit = lawsuit(book)
    walk(book, suit, ("filed", DAY - timedelta(days=50)), ("accepted", DAY - timedelta(days=40)))
    services.schedule_hearing(
        book.users["legal"], suit.pk, DAY + timedelta(days=7)
    )  # enters its window today
    services.record_preservation(book.users["legal"], suit.pk, "bank_deposit", "账户", date(2025, 4, 20))
    # renewal due 2026-04-12: its 30-day window opens on 2026-03-13, not yet
    with Store(config.adbc_uri()) as store:
        with store.transaction():
            first = record_reminders(store, DAY)
        with store.transaction():
            again = record_reminders(store, DAY)
        with store.transaction():
            later = record_reminders(store, DAY + timedelta(days=3))
    assert first == [f"hearing:{suit.pk}:{(DAY + timedelta(days=7)).isoformat()}"]
    assert again == []
    assert later == [f"preservation_expiry:{Preservation.objects.get().pk}:2026-04-19"]
    rows = list(Reminder.objects.order_by("as_of").values_list("kind", "as_of"))
    assert rows == [("hearing", DAY), ("preservation_expiry", DAY + timedelta(days=3))]
    assert RecordLegalReminders.name == "legal reminders"


@pytest.mark.django_db(transaction=True)
def test_the_eod_run_records_the_reminders_with_the_snapshots_limitation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The step runs inside the EOD store transaction: a hearing entering its window, and the limitation
    expiry (from the day's snapshot) of a loan under legal action once inside ``limitation_lead_days``."""
    from django.test import override_settings

    from qingshou.apps.eod.models import LoanStatus
    from qingshou.apps.eod.services.run import STORE_STEPS, run_eod
    from qingshou.apps.notices.services.templates import load_default_templates

    assert any(isinstance(step, RecordLegalReminders) for step in STORE_STEPS)
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "lake"))
    load_default_templates()
    book = legal_book()
    suit = lawsuit(book)
    walk(book, suit, ("filed", DAY - timedelta(days=50)), ("accepted", DAY - timedelta(days=40)))
    services.schedule_hearing(book.users["legal"], suit.pk, DAY + timedelta(days=2))
    with override_settings(QINGSHOU_LEGAL={"limitation_lead_days": 3660}):
        result = run_eod(DAY)
        assert result.as_json()["error_count"] == 0, result.as_json()["errors"]
        expires = LoanStatus.objects.get(loan_id="L1").limitation_expires_on
        run_eod(DAY)  # a rerun adds nothing
    rows = list(Reminder.objects.order_by("kind").values_list("kind", "due_on", "as_of"))
    assert rows == [
        ("hearing", DAY + timedelta(days=2), DAY),
        ("limitation_expiry", expires, DAY),
    ]


# --- CLI ---------------------------------------------------------------------------------------------------


def test_cli_fees_and_calendar(book: Book) -> None:
    runner = CliRunner()
    result = runner.invoke(build(), ["legal", "fees", "--claim", "150000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {row["kind"]: row["amount"] for row in data["fees"]} == {
        "acceptance": "3300.00",
        "preservation": "1270.00",
        "enforcement": "2150.00",
    }
    halved = json.loads(
        runner.invoke(
            build(),
            [
                "legal",
                "fees",
                "--claim",
                "150000",
                "--reduction",
                "mediation",
                "--reduction",
                "simplified",
                "--json",
            ],
        ).output
    )
    assert halved["fees"][0]["amount"] == "1650.00"
    order = json.loads(
        runner.invoke(
            build(), ["legal", "fees", "--claim", "150000", "--type", "payment_order", "--json"]
        ).output
    )
    assert order["fees"][0] == {**order["fees"][0], "kind": "payment_order", "amount": "1100.00"}
    bad = runner.invoke(build(), ["legal", "fees", "--claim", "abc"])
    assert bad.exit_code == 2
    assert "--claim" in bad.output
    suit = lawsuit(book)
    walk(book, suit, ("filed", DAY - timedelta(days=50)), ("accepted", DAY - timedelta(days=40)))
    services.schedule_hearing(book.users["legal"], suit.pk, DAY + timedelta(days=3))
    listed = runner.invoke(build(), ["legal", "calendar", "--days", "30", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)["deadlines"]
    assert [(row["kind"], row["due_on"], row["days_left"], row["reminding"]) for row in rows] == [
        ("hearing", (DAY + timedelta(days=3)).isoformat(), 3, True)
    ]
    text = runner.invoke(build(), ["legal", "calendar"])
    assert text.exit_code == 0
    assert "hearing" in text.output


def test_an_unknown_user_role_sees_no_legal_case(book: Book) -> None:
    field_agent = create_user("field_agent", username="fa")
    lawsuit(book)
    assert calendar(field_agent, DAY, 3000) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"hearing_lead_days": -1}, "between 0 and 3660"),
        ({"hearing_lead_days": "soon"}, "number of days"),
        ({"fee_rounding": "jiao"}, "QINGSHOU_LEGAL"),
        ({"delay_base_includes_costs": "yes"}, "true or false"),
        ({"lead_days": 3}, "unknown keys: lead_days"),
    ],
)
def test_bad_settings_name_the_key(value: dict[str, Any], message: str) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from qingshou.apps.legal.conf import legal_settings

    with override_settings(QINGSHOU_LEGAL=value), pytest.raises(ImproperlyConfigured, match=message):
        legal_settings()


def test_settings_change_rounding_and_the_delay_base(book: Book) -> None:
    from django.test import override_settings

    with override_settings(QINGSHOU_LEGAL={"fee_rounding": "yuan"}):
        assert services.fee_quote("payment_order", D("150001")).amount == D("1100.00")
    assert services.fee_quote("payment_order", D("150001")).amount == D("1100.01")
    case = lawsuit(book)
    walk(book, case, ("filed", DAY - timedelta(days=58)), ("accepted", DAY - timedelta(days=57)))
    case = services.advance(
        book.users["legal"],
        case.pk,
        "effective",
        DAY - timedelta(days=29),
        judgment_principal=D("100000"),
        judgment_costs=D("2300"),
    )
    with override_settings(QINGSHOU_LEGAL={"delay_base_includes_costs": True, "delay_start": "next_day"}):
        result = services.delay_interest(case, DAY)
    assert result is not None
    assert (result.base, result.days) == (D("102300.00"), 29)
