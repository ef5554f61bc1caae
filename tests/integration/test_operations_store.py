"""The operations metrics' reads on a real store and lake (issue 7, ``analytics.operations``): the demo-sized
book of ``report_support`` (simulated, loaded, EOD at four month-ends) plus a collector of team R2组 who worked
one open case in June (a connected call, a kept promise), an engine SMS the outbox sent, an agency placement
with its commission row and a legal case with a preservation measure and a hearing — every figure checked
against an independent ORM query. Portable SQL: the module runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from django.db.models import Sum

from qingshou.analytics.contract import check_table
from qingshou.analytics.operations import operations_metrics
from qingshou.analytics.sources import Sources
from report_support import ReportBook, report_book

__all__ = ["report_book"]
pytestmark = [pytest.mark.db, pytest.mark.django_db]

JUNE = date(2026, 6, 1)
AS_OF = date(2026, 6, 30)


@dataclass
class Worked:
    """What the module added to the book."""

    book: ReportBook
    case_id: int
    borrower_id: str
    team_id: int
    engine_notice: str


def _moment(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _add_work(borrower_id: str, case: Any) -> None:
    from qingshou.apps.cases.models import Promise
    from qingshou.apps.contacts.models import ContactAttempt, ContactParty

    party = ContactParty.objects.filter(borrower_id=borrower_id, kind="debtor").first()
    assert party is not None
    ContactAttempt.objects.create(
        initiator="user",
        initiator_id="r2c",
        borrower_id=borrower_id,
        loan_id=case.lead_loan_id,
        party=party,
        party_kind="debtor",
        channel="call",
        address=party.phone or "x",
        time_zone="Asia/Shanghai",
        planned_at=_moment(date(2026, 6, 15), 2),
        local_day=date(2026, 6, 15),
        profile="cn",
        outcome="allow",
        reason="ok",
        attempted_at=_moment(date(2026, 6, 15), 2),
        result="connected",
    )
    Promise.objects.create(
        case=case,
        amount_fen=1000,
        due_on=date(2026, 6, 20),
        status="kept",
        created_by="r2c",
        taken_on=date(2026, 6, 15),
    )


def _send_one_engine_notice() -> str:
    """Mark one of June's engine notices as sent by the outbox (the backfilled book sent nothing): its
    channel ("" when the book planned none)."""
    from qingshou.apps.contacts.models import ContactAttempt
    from qingshou.apps.notices.models import Outbox

    attempt = (
        ContactAttempt.objects.filter(
            initiator="engine",
            channel__in=("sms", "email", "letter"),
            outcome="allow",
            local_day__range=(JUNE, AS_OF),
        )
        .order_by("id")
        .first()
    )
    if attempt is None:
        return ""
    eod_day = date.fromisoformat(attempt.initiator_id.removeprefix("eod:"))
    Outbox.objects.create(
        key=f"r2:{attempt.pk}",
        as_of=eod_day,
        action_key="r2/notice",
        borrower_id=attempt.borrower_id,
        loan_id=attempt.loan_id,
        channel=attempt.channel,
        audience="debtor",
        recipient="x",
        template_code="r2",
        status="sent",
        sent_at=_moment(attempt.local_day, 1),
    )
    return attempt.channel


def _add_agency_and_legal(case: Any, by: Any) -> None:
    from qingshou.apps.accounts.models import Agency
    from qingshou.apps.agencies.models import AgencyContract, CommissionRow, Placement
    from qingshou.apps.legal.models import LegalCase, Preservation

    agency = Agency.objects.create(agency_id="R2A", name="乙公司")
    contract = AgencyContract.objects.create(
        agency=agency,
        number="R2-1",
        licence="L",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        capacity=7,
        tiers={"mode": "whole", "buckets": {"*": [{"upto": None, "rate": "0.10"}]}},
    )
    placement = Placement.objects.create(
        case=case,
        agency=agency,
        contract=contract,
        placed_on=date(2026, 6, 1),
        term_ends_on=date(2026, 8, 29),
        cohort="2026-06",
        method="manual",
        bucket="M1",
        balance_fen=1000,
    )
    CommissionRow.objects.create(
        placement=placement,
        agency=agency,
        month="2026-06",
        recovered_fen=4000,
        recovered_before_fen=0,
        commission_fen=400,
    )
    legal = LegalCase.objects.create(
        case=case,
        case_type="lawsuit",
        stage="hearing",
        claim_fen=50000,
        opened_on=date(2026, 6, 3),
        hearing_on=date(2026, 7, 10),
        opened_by=by,
    )
    legal.loans.add(case.lead_loan_id)
    Preservation.objects.create(
        legal_case=legal,
        asset_kind="bank_deposit",
        description="账户",
        amount_fen=30000,
        start_on=date(2026, 6, 5),
        term_months=12,
        expires_on=date(2027, 6, 4),
        renewal_due_on=date(2027, 5, 28),
        created_by=by,
    )


@pytest.fixture(scope="module")
def worked(report_book: ReportBook, django_db_blocker: Any) -> Iterator[Worked]:
    """The book plus the module's rows, committed (ADBC reads them); flushed with the book."""
    from qingshou.apps.accounts.models import Team
    from qingshou.apps.cases.models import Case
    from workbench_support import create_user

    with django_db_blocker.unblock():
        case = (
            Case.objects.filter(opened_on__lte=date(2026, 6, 1))
            .exclude(closed_on__lte=AS_OF)
            .order_by("id")
            .first()
        )
        assert case is not None, "the demo book has a case open all June"
        team = Team.objects.create(name="R2组")
        collector = create_user("collector", username="r2c", team=team, max_open_cases=1)
        Case.objects.filter(pk=case.pk).update(collector=collector, team=team)
        _add_work(case.borrower_id, case)
        notice = _send_one_engine_notice()
        _add_agency_and_legal(case, collector)
        yield Worked(report_book, case.pk, case.borrower_id, team.pk, notice)


def _sources(worked: Worked, **filters: str) -> Sources:
    return worked.book.sources(JUNE, filters=filters)


def _cash(**loan_filter: Any) -> int:
    """June's cash payments (all of them: the cash-flow table's collected)."""
    from qingshou.apps.loans.models import Payment

    total = Payment.objects.filter(kind="cash", paid_on__range=(JUNE, AS_OF), **loan_filter).aggregate(
        total=Sum("amount_fen")
    )["total"]
    return int(total or 0)


def _collection_cash(**loan_filter: Any) -> int:
    """June's cash paid while the borrower had a case open (the payment day within the case's days)."""
    from django.db.models import Exists, OuterRef, Q

    from qingshou.apps.cases.models import Case
    from qingshou.apps.loans.models import Payment

    open_case = Case.objects.filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=OuterRef("paid_on")),
        borrower_id=OuterRef("loan__borrower_id"),
        opened_on__lte=OuterRef("paid_on"),
    )
    total = (
        Payment.objects.filter(kind="cash", paid_on__range=(JUNE, AS_OF), **loan_filter)
        .filter(Exists(open_case))
        .aggregate(total=Sum("amount_fen"))["total"]
    )
    return int(total or 0)


def _row(metrics: Any, key: str, column: str, label: str) -> dict[str, Any]:
    frame = metrics.tables[key].frame.filter(pl.col(column) == label)
    assert frame.height == 1, (key, label, metrics.tables[key].frame)
    return frame.row(0, named=True)


def test_every_table_reads_from_the_store_in_its_shape(worked: Worked) -> None:
    metrics = operations_metrics(_sources(worked))
    assert len(metrics.tables) == 11
    for table in metrics.tables.values():
        check_table(table)
    figures = {figure.key: figure.value for figure in metrics.figures}
    assert figures["cash_collected"] == _collection_cash() > 0
    assert figures["cash_collected"] < _cash()  # the performing loans' instalments are not collection's
    for key in ("ops_by_channel", "ops_by_path", "ops_by_team", "ops_by_collector", "ops_by_agency"):
        assert metrics.tables[key].frame["collected_fen"].sum() == figures["cash_collected"], key


def _people_contacts(**where: Any) -> int:
    """June's contacts a person made (allowed, result recorded), by the ORM."""
    from qingshou.apps.contacts.models import ContactAttempt

    return (
        ContactAttempt.objects.filter(outcome="allow", local_day__range=(JUNE, AS_OF), **where)
        .exclude(initiator="engine")
        .exclude(result="")
        .count()
    )


def test_contacts_promises_and_attribution(worked: Worked) -> None:
    metrics = operations_metrics(_sources(worked))
    mine = _row(metrics, "ops_by_collector", "collector", "r2c")
    assert (mine["contacts"], mine["right_party_contacts"], mine["promises"], mine["promises_kept"]) == (
        1,
        1,
        1,
        1,
    )
    assert (mine["rpc_rate"], mine["promise_rate"], mine["kept_rate"]) == (1.0, 1.0, 1.0)
    team = _row(metrics, "ops_by_team", "team", "R2组")
    assert team["contacts"] == 1
    channel = metrics.tables["ops_by_channel"].frame
    assert channel["contacts"].sum() == _people_contacts() + 1
    assert channel["right_party_contacts"].sum() == _people_contacts(result="connected", party_kind="debtor")
    assert worked.engine_notice, "the demo book's June plan has engine notices"
    label = {"sms": "短信", "email": "电子邮件", "letter": "信函"}[worked.engine_notice]
    assert _row(metrics, "ops_by_channel", "channel", label)["contacts"] == 1
    unit = {"sms": 5, "email": 1, "letter": 500}[worked.engine_notice]
    assert _row(metrics, "cost_to_collect", "category", label)["cost_fen"] == unit
    agency = _row(metrics, "ops_by_agency", "agency", "乙公司")
    assert agency["contacts"] == 0  # the calls on the case were in-house collectors'
    assert agency["collected_fen"] == _case_cash(worked)


def _case_cash(worked: Worked) -> int:
    """June's cash on the case's borrower's loans while the case was open (and placed: 06-01 … 08-29)."""
    from qingshou.apps.cases.models import Case

    case = Case.objects.get(pk=worked.case_id)
    end = min(AS_OF, case.closed_on) if case.closed_on else AS_OF
    total = 0
    from qingshou.apps.loans.models import Payment

    for payment in Payment.objects.filter(
        kind="cash", loan__borrower_id=worked.borrower_id, paid_on__range=(max(JUNE, case.opened_on), end)
    ):
        total += payment.amount_fen
    return total


def test_cash_flow_matches_the_schedule_and_the_payments(worked: Worked) -> None:
    from qingshou.apps.loans.models import Installment

    metrics = operations_metrics(_sources(worked))
    frame = metrics.tables["cash_flow"].frame
    june = frame.filter(pl.col("month") == JUNE).row(0, named=True)
    due = Installment.objects.filter(due_date__range=(JUNE, AS_OF)).aggregate(
        p=Sum("principal_due_fen"), i=Sum("interest_due_fen")
    )
    assert june["contractual_fen"] == int(due["p"] or 0) + int(due["i"] or 0)
    assert june["collected_fen"] == _cash()
    assert june["gap_fen"] == june["contractual_fen"] - june["collected_fen"]
    future = frame.filter(pl.col("month") > JUNE)
    assert future["month"].to_list() == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    assert future["expected_fen"].null_count() == 0
    assert frame.height == 15


def test_recovery_by_cohort_starts_from_the_previous_month_end(worked: Worked) -> None:
    sources = _sources(worked)
    metrics = operations_metrics(sources)
    previous = sources.snapshot(date(2026, 5, 31), ["loan_id", "bucket", "delinquent", "total_overdue_fen"])
    expected = previous.filter(pl.col("delinquent")).group_by("bucket").agg(pl.len().alias("loans"))
    table = metrics.tables["recovery_by_cohort"].frame
    assert dict(table.select("bucket", "loans").iter_rows()) == dict(expected.iter_rows())
    assert table["overdue_fen"].sum() == previous.filter(pl.col("delinquent"))["total_overdue_fen"].sum()
    cohort = previous.filter(pl.col("delinquent"))["loan_id"].to_list()
    assert table["collected_fen"].sum() == _cash(loan_id__in=cohort)


def test_legal_costs_and_pressure(worked: Worked) -> None:
    metrics = operations_metrics(_sources(worked))
    assert _row(metrics, "legal_and_disposal", "item", "新立法务案件")["amount_fen"] == 50000
    assert _row(metrics, "legal_and_disposal", "item", "保全措施（含续行）")["count"] == 1
    commission = _row(metrics, "cost_to_collect", "category", "委外佣金")
    assert (commission["cost_fen"], commission["recovered_fen"], commission["cost_ratio"]) == (400, 4000, 0.1)
    staff = _row(metrics, "cost_to_collect", "category", "人工（联系）")
    assert staff["cost_fen"] == 300 * _people_contacts()  # calls at 3.00 yuan each
    from qingshou.apps.cases.models import Case

    pressure = metrics.tables["operating_pressure"].frame
    items = {row[0]: row[1:] for row in pressure.iter_rows()}
    open_with_collector = (
        Case.objects.filter(opened_on__lte=AS_OF, collector__isnull=False)
        .exclude(closed_on__lte=AS_OF)
        .count()
    )
    capacity = 3 * 200 + 1  # rc1…rc3 at the default cap, r2c at 1
    assert items["在案案件（已分配催收员）"] == (
        open_with_collector,
        capacity,
        open_with_collector / capacity,
    )
    assert items["委外在案案件"] == (1, 7, 1 / 7)
    assert items["未来30天法律期限"][0] >= 1  # the hearing on 07-10


def test_filters_restrict_loans_and_cases(worked: Worked) -> None:
    from qingshou.apps.loans.models import Loan

    product = Loan.objects.order_by("loan_id").values_list("product_id", flat=True).first()
    assert product is not None
    by_product = operations_metrics(_sources(worked, product=product))
    figures = {figure.key: figure.value for figure in by_product.figures}
    assert figures["cash_collected"] == _collection_cash(loan__product_id=product)
    for team in ("R2组", str(worked.team_id)):
        by_team = operations_metrics(_sources(worked, team=team))
        collectors = by_team.tables["ops_by_collector"].frame
        assert collectors["contacts"].sum() == _people_contacts(borrower_id=worked.borrower_id)
        assert collectors["collected_fen"].sum() == _case_cash(worked)
        assert by_team.tables["champion_challenger"].frame["cases"].sum() == 1
