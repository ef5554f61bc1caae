"""The collateral app against the store (issue 6 "Collateral"): register → appraise → dispose → sold, the
proceeds posted as cash payments that the ledger allocates by each loan's waterfall (C5), the deficiency left
in the quote, the surplus kept for the owner; idempotent re-runs; transfer in lieu at the reserve price;
illegal auction prices refused; EOD's LTV monitoring with the case event; row-level scope (404); the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from django.urls import reverse

from collateral_support import DAY, collateral_book, snapshot_of
from qingshou import config
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import CaseEvent
from qingshou.apps.collateral import services
from qingshou.apps.collateral.eod import LTV_EXCEEDED, monitor
from qingshou.apps.collateral.models import Collateral, Disposal, LoanToValue, ProceedsAllocation
from qingshou.apps.loans import models as loans
from qingshou.apps.loans.selectors import quote
from qingshou.cli import build
from qingshou.domain.collateral import AuctionError
from qingshou.domain.money import from_fen
from qingshou.store import Store
from workbench_book import Book

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Pins the business day (``QINGSHOU_TODAY``) at ``DAY``; call it with a date to move on."""
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())

    def move(day: date) -> None:
        monkeypatch.setenv("QINGSHOU_TODAY", day.isoformat())

    return move


@pytest.fixture
def book(today: Any) -> Book:
    return collateral_book()


def registered(
    book: Book, loans_: list[tuple[str, int]], value: str, kind: str = "real_estate"
) -> Collateral:
    legal = book.users["legal"]
    item = services.register(
        legal,
        services.Registration(
            kind=kind,
            description="北京市朝阳区某小区1-101",
            owner_name="李四",
            owner_id_number="110101198001011234",
            third_party=True,
            lien_number="京(2025)朝阳区不动产证明第0001号",
            lien_authority="北京市朝阳区不动产登记中心",
            lien_registered_on=date(2025, 1, 2),
            loans=loans_,
        ),
    )
    services.appraise(legal, item.pk, appraised_on=date(2026, 2, 1), value=D(value), appraiser="某评估公司")
    return item


def auction(book: Book, item: Collateral, *starts: str) -> Disposal:
    """Start a disposal and hold rounds at ``starts``; all but the last fail, the last stays pending."""
    legal = book.users["legal"]
    disposal = services.start_disposal(legal, item.pk, started_on=date(2026, 2, 10))
    for number, start in enumerate(starts):
        services.record_round(
            legal, disposal.pk, starting_price=D(start), held_on=date(2026, 2, 20) + timedelta(days=number)
        )
        if number < len(starts) - 1:
            services.record_failed(legal, disposal.pk)
    return disposal


def payoff(loan_id: str, day: date = DAY) -> Decimal:
    return quote(loan_id, day).payoff_amount


def test_sold_with_deficiency_two_loans_by_rank(book: Book) -> None:
    """C5: the net proceeds go to the first lien (L1) up to its payoff, posted as a cash payment the ledger
    allocates by L1's waterfall; the second lien (L2) gets nothing; the deficiencies stay in the quotes."""
    item = registered(book, [("L1", 1), ("L2", 2)], "150000.00")
    before_l1, before_l2 = payoff("L1"), payoff("L2")
    disposal = auction(book, item, "105000.00", "84000.00")  # 70 % exactly, then 20 % lower exactly
    outcome = services.record_sale(
        book.users["legal"], disposal.pk, price=D("90000.00"), costs=D("2000.00"), sold_on=DAY, buyer="王五"
    )
    assert outcome.created
    assert outcome.proceeds.net == D("88000.00")
    assert outcome.proceeds.surplus == 0
    first, second = outcome.proceeds.loans
    assert (first.loan_id, first.applied, first.deficiency) == (
        "L1",
        D("88000.00"),
        before_l1 - D("88000.00"),
    )
    assert (second.loan_id, second.applied, second.deficiency) == ("L2", D("0"), before_l2)
    payment = loans.Payment.objects.get(payment_id=f"collateral:{disposal.pk}:L1")
    assert (payment.amount_fen, payment.paid_on, payment.kind, payment.channel) == (
        8_800_000,
        DAY,
        "cash",
        "collateral",
    )
    assert not loans.Payment.objects.filter(payment_id=f"collateral:{disposal.pk}:L2").exists()
    applied = sum(row.amount_fen for row in loans.Allocation.objects.filter(payment_id=payment.payment_id))
    assert applied == 8_800_000  # allocated in full by the ledger's waterfall
    assert payoff("L1") == before_l1 - D("88000.00")  # the deficiency, visible in the quote
    assert payoff("L2") == before_l2
    rows = {row.loan_id: row for row in ProceedsAllocation.objects.filter(disposal=disposal)}
    assert from_fen(rows["L1"].deficiency_fen) == before_l1 - D("88000.00")
    assert rows["L2"].payment_id == ""
    disposal.refresh_from_db()
    assert (disposal.status, disposal.sold_via, disposal.surplus_fen) == ("sold", "auction", 0)
    assert Collateral.objects.get(pk=item.pk).status == "disposed"
    actions = list(AuditEvent.objects.filter(target_id=str(disposal.pk)).values_list("action", flat=True))
    assert "collateral.sold" in actions


def test_sold_with_surplus_returned_to_the_owner_and_idempotent(book: Book) -> None:
    """The payoff is paid in full (nothing left in the quote), the rest is the owner's surplus; the same sale
    again posts nothing; another price is refused."""
    item = registered(book, [("L3", 1)], "500000.00")
    claim = payoff("L3")
    disposal = auction(book, item, "350000.00")
    outcome = services.record_sale(
        book.users["legal"], disposal.pk, price=D("400000.00"), costs=D("10000.00"), sold_on=DAY
    )
    assert outcome.proceeds.surplus == D("390000.00") - claim
    assert payoff("L3") == 0
    again = services.record_sale(
        book.users["legal"], disposal.pk, price=D("400000.00"), costs=D("10000.00"), sold_on=DAY
    )
    assert not again.created
    assert again.proceeds.surplus == outcome.proceeds.surplus
    assert loans.Payment.objects.filter(payment_id__startswith=f"collateral:{disposal.pk}:").count() == 1
    assert ProceedsAllocation.objects.filter(disposal=disposal).count() == 1
    with pytest.raises(services.CollateralRefused, match="other terms"):
        services.record_sale(
            book.users["legal"], disposal.pk, price=D("410000.00"), costs=D("10000.00"), sold_on=DAY
        )
    services.record_surplus_returned(book.users["legal"], disposal.pk, returned_on=DAY, reference="转账 0001")
    disposal.refresh_from_db()
    assert (disposal.surplus_fen, disposal.surplus_returned_on) == (int((D("390000.00") - claim) * 100), DAY)
    with pytest.raises(services.CollateralRefused, match="returned"):
        services.record_surplus_returned(book.users["legal"], disposal.pk, returned_on=DAY, reference="again")


def test_illegal_prices_are_refused(book: Book) -> None:
    item = registered(book, [("L1", 1)], "150000.00")
    legal = book.users["legal"]
    disposal = services.start_disposal(legal, item.pk, started_on=date(2026, 2, 10))
    with pytest.raises(AuctionError, match="70 %"):
        services.record_round(legal, disposal.pk, starting_price=D("104999.99"), held_on=date(2026, 2, 20))
    services.record_round(legal, disposal.pk, starting_price=D("105000.00"), held_on=date(2026, 2, 20))
    with pytest.raises(AuctionError, match="starting price"):
        services.record_sale(legal, disposal.pk, price=D("104999.99"), sold_on=DAY)
    services.record_failed(legal, disposal.pk)
    with pytest.raises(AuctionError, match="20 %"):
        services.record_round(legal, disposal.pk, starting_price=D("83999.99"), held_on=date(2026, 3, 1))
    with pytest.raises(AuctionError, match="second round"):
        services.record_sale(legal, disposal.pk, price=D("90000.00"), sold_on=DAY, via="sale")


def test_transfer_in_lieu_at_the_last_reserve_price(book: Book) -> None:
    item = registered(book, [("L1", 1)], "150000.00")
    before = payoff("L1")
    disposal = auction(book, item, "105000.00")
    services.record_failed(book.users["legal"], disposal.pk)
    outcome = services.transfer_in_lieu(book.users["legal"], disposal.pk, transferred_on=DAY, taker="本行")
    assert outcome.proceeds.gross == D("105000.00")
    assert payoff("L1") == before - D("105000.00")
    again = services.transfer_in_lieu(book.users["legal"], disposal.pk, transferred_on=DAY, taker="本行")
    assert not again.created
    assert Disposal.objects.get(pk=disposal.pk).status == "transferred"


def test_who_may_manage_and_the_scope(book: Book) -> None:
    with pytest.raises(services.CollateralRefused, match="role"):
        services.register(
            book.users["c1"],
            services.Registration(kind="vehicle", description="x", owner_name="张1", loans=[("L1", 1)]),
        )
    with pytest.raises(services.CollateralRefused, match="scope"):
        services.register(
            book.users["sup1"],
            services.Registration(kind="vehicle", description="x", owner_name="张3", loans=[("L3", 1)]),
        )
    item = services.register(
        book.users["sup1"],
        services.Registration(kind="vehicle", description="京A12345", owner_name="张1", loans=[("L1", 1)]),
    )
    with pytest.raises(services.CollateralRefused, match="scope"):
        services.appraise(book.users["sup2"], item.pk, appraised_on=DAY, value=D("1"), appraiser="x")
    with pytest.raises(services.CollateralRefused, match="after today"):
        services.appraise(
            book.users["sup1"], item.pk, appraised_on=DAY + timedelta(days=1), value=D("1"), appraiser="x"
        )


# --- pages ------------------------------------------------------------------------------------------------


def test_pages_are_scoped(book: Book, client_for: Any) -> None:
    """Collateral of L1 (B1, c1's case): c1, sup1, the legal officer, risk manager and auditor see it; c3,
    sup2 and the agency user get 404; only managers may act."""
    item = registered(book, [("L1", 1)], "150000.00")
    url = reverse("collateral:detail", args=[item.pk])
    for name, code in (
        ("c1", 200),
        ("sup1", 200),
        ("legal", 200),
        ("risk", 200),
        ("auditor", 200),
        ("c3", 404),
        ("sup2", 404),
        ("ag1", 404),
    ):
        assert client_for(book.users[name]).get(url).status_code == code, name
    listed = client_for(book.users["c3"]).get(reverse("collateral:list"))
    assert listed.status_code == 200
    assert f'data-collateral="{item.pk}"' not in listed.content.decode()
    page = client_for(book.users["c1"]).get(url).content.decode()
    assert "李*" in page
    assert "李四" not in page
    assert "110101********1234" in page
    act = reverse("collateral:act", args=[item.pk, "dispose"])
    assert client_for(book.users["c1"]).post(act, {"dispose-started_on": "2026-03-01"}).status_code == 404
    assert client_for(book.users["c3"]).post(act, {"dispose-started_on": "2026-03-01"}).status_code == 404
    case_page = (
        client_for(book.users["c1"]).get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    )
    assert 'id="collateral"' in case_page
    assert f'data-collateral="{item.pk}"' in case_page


def test_the_pages_drive_a_disposal(book: Book, client_for: Any) -> None:
    legal = client_for(book.users["legal"])
    created = legal.post(
        reverse("collateral:register"),
        {"kind": "real_estate", "description": "某房产", "owner_name": "张1", "loans": "L1:1"},
    )
    assert created.status_code == 302
    item = Collateral.objects.get()
    act = lambda name: reverse("collateral:act", args=[item.pk, name])  # noqa: E731
    assert (
        legal.post(
            act("appraise"),
            {
                "appraise-appraised_on": "2026-02-01",
                "appraise-value": "150000.00",
                "appraise-appraiser": "评估",
            },
        ).status_code
        == 302
    )
    assert legal.post(act("dispose"), {"dispose-started_on": "2026-02-10"}).status_code == 302
    refused = legal.post(act("round"), {"round-starting_price": "104999.99", "round-held_on": "2026-02-20"})
    assert refused.status_code == 422
    assert "70 %" in refused.content.decode()
    assert (
        legal.post(
            act("round"), {"round-starting_price": "105000.00", "round-held_on": "2026-02-20"}
        ).status_code
        == 302
    )
    sold = legal.post(
        act("sale"),
        {"sale-via": "auction", "sale-price": "120000.00", "sale-sold_on": DAY.isoformat(), "sale-costs": ""},
    )
    assert sold.status_code == 302
    page = legal.get(reverse("collateral:detail", args=[item.pk])).content.decode()
    assert "120,000.00" in page
    assert f"collateral:{Disposal.objects.get().pk}:L1" in page
    bad = legal.post(
        reverse("collateral:register"),
        {"kind": "real_estate", "description": "x", "owner_name": "y", "loans": "L1:x"},
    )
    assert bad.status_code == 422


# --- EOD monitoring ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_eod_step_writes_ltv_rows_and_an_event_when_a_loan_crosses(book: Book) -> None:
    """Real estate appraised 1,000,000 (haircut 30 %) secures L1 (rank 1) and L2 (rank 2): payoffs 500,000
    and 400,000 → L1 LTV 50 %, covered in full; L2 cumulative LTV 90 % (over 80 %), covered 200,000, shortfall
    200,000, one event on B2's case. The next day L2 is still over: no new event. A rerun replaces the day."""
    item = registered(book, [("L1", 1), ("L2", 2)], "1000000.00")
    Collateral.objects.filter(pk=item.pk).update()
    frame = snapshot_of(DAY, [("L1", "B1", 50_000_000), ("L2", "B2", 40_000_000), ("L3", "B3", 1)])
    with Store(config.adbc_uri()) as store:
        with store.transaction():
            counts = monitor(store, DAY, frame)
        with store.transaction():
            again = monitor(store, DAY, frame)
        with store.transaction():
            later = monitor(store, DAY + timedelta(days=1), frame)
    assert (
        counts == again == {"secured_loans": 2, "over_threshold": 1, "shortfall_fen": 20_000_000, "events": 1}
    )
    assert later["events"] == 0
    rows = {row.loan_id: row for row in LoanToValue.objects.filter(as_of=DAY)}
    assert (rows["L1"].ltv_bp, rows["L1"].covered_fen, rows["L1"].shortfall_fen) == (5000, 50_000_000, 0)
    assert (rows["L2"].ltv_bp, rows["L2"].prior_fen, rows["L2"].covered_fen, rows["L2"].shortfall_fen) == (
        9000,
        50_000_000,
        20_000_000,
        20_000_000,
    )
    assert rows["L2"].over_threshold
    assert not rows["L1"].over_threshold
    events = list(CaseEvent.objects.filter(kind=LTV_EXCEEDED))
    assert [(e.case_id, e.as_of) for e in events] == [(book.cases["B2"].pk, DAY)]
    assert "L2 LTV 90.00%" in events[0].detail


@pytest.mark.django_db(transaction=True)
def test_the_eod_run_includes_the_step(book: Book, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from qingshou.apps.eod.services.run import run_eod
    from qingshou.apps.notices.services.templates import load_default_templates

    load_default_templates()
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "lake"))
    registered(book, [("L1", 1)], "100000.00")
    result = run_eod(DAY)
    assert "monitor collateral" in result.step_seconds
    row = LoanToValue.objects.get(as_of=DAY, loan_id="L1")
    assert from_fen(row.exposure_fen) == payoff("L1")
    assert row.over_threshold  # a 100,000 loan matured with interest and penalty against 100,000 of value


# --- CLI --------------------------------------------------------------------------------------------------


def test_the_cli(book: Book) -> None:
    item = registered(book, [("L1", 1)], "150000.00")
    listed = CliRunner().invoke(build(), ["collateral", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)["collateral"]
    assert [(row["id"], row["owner"], row["appraisal"], row["loans"][0]["loan_id"]) for row in data] == [
        (item.pk, "李*", "150000.00", "L1")
    ]
    assert CliRunner().invoke(build(), ["collateral", "list"]).exit_code == 0
    plan = CliRunner().invoke(build(), ["collateral", "auction-plan", "--appraisal", "150000.00", "--json"])
    assert json.loads(plan.output)["second_round_floor"] == "84000.00"
    bad = CliRunner().invoke(
        build(), ["collateral", "auction-plan", "--appraisal", "150000", "--first-start", "1"]
    )
    assert bad.exit_code == 2
    assert "70 %" in bad.output


def test_the_owner_is_revealed_with_a_reason_and_audited(book: Book, client_for: Any) -> None:
    item = registered(book, [("L1", 1)], "150000.00")
    url = reverse("collateral:reveal", args=[item.pk])
    shown = client_for(book.users["c1"]).post(url, {"field": "owner_id_number", "reason": "核实抵押人"})
    assert shown.status_code == 200
    assert "110101198001011234" in shown.content.decode()
    event = AuditEvent.objects.filter(action="reveal", target_id=str(item.pk)).get()
    assert (event.detail, event.reason) == ({"field": "owner_id_number"}, "核实抵押人")
    assert client_for(book.users["c1"]).post(url, {"field": "owner_name", "reason": " "}).status_code == 403
    assert client_for(book.users["c1"]).post(url, {"field": "description", "reason": "x"}).status_code == 403
    assert (
        client_for(book.users["auditor"]).post(url, {"field": "owner_name", "reason": "x"}).status_code == 403
    )
    assert client_for(book.users["c3"]).post(url, {"field": "owner_name", "reason": "x"}).status_code == 404
    assert AuditEvent.objects.filter(action="reveal", target_id=str(item.pk)).count() == 1
