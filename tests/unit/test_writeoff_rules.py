"""Write-off (核销) rules (issue 6 "Guarantors and write-off"): eligibility on configurable grounds (C6 loss
class, 终本 with days past due, debtor deceased / bankrupt, C7 limitation expired, small balance), the reasons
when refused, the amounts written off vs tracked off-balance (C4 penalty and compound stay owed), and the
recovery after write-off (cash after the write-off day, by month)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from qingshou.domain.policy import LoanClass
from qingshou.domain.writeoff import (
    Ground,
    PaymentFact,
    WriteOffError,
    WriteOffFacts,
    WriteOffRules,
    eligibility,
    parse_month,
    parse_rules,
    recovered_after,
    recoveries_by_month,
    writeoff_amounts,
)

D = Decimal
AS_OF = date(2026, 3, 10)
FACTS = WriteOffFacts(
    loan_id="L1",
    loan_class=LoanClass.DOUBTFUL,
    dpd=300,
    outstanding_principal=D("50000.00"),
    overdue_interest=D("1200.00"),
    limitation_expires_on=date(2028, 1, 1),
)
ALL = parse_rules({"small_balance_cap": "10000", "small_balance_dpd": 180})


def test_not_eligible_lists_why_each_enabled_ground_fails() -> None:
    result = eligibility(FACTS, AS_OF, ALL)
    assert not result.eligible
    assert result.grounds == ()
    assert [reason.split(":")[0] for reason in result.refusals] == [ground.value for ground in Ground]
    assert "可疑 doubtful" in result.refusals[0]


@pytest.mark.parametrize(
    ("change", "ground"),
    [
        ({"loan_class": LoanClass.LOSS}, Ground.LOSS_CLASS),
        ({"enforcement_terminated": True, "dpd": 180}, Ground.ENFORCEMENT_TERMINATED),
        ({"debtor_deceased": True}, Ground.DEBTOR_DECEASED),
        ({"debtor_bankrupt": True}, Ground.DEBTOR_BANKRUPT),
        ({"limitation_expires_on": date(2026, 3, 9)}, Ground.LIMITATION_EXPIRED),
        ({"outstanding_principal": D("10000.00"), "dpd": 180}, Ground.SMALL_BALANCE),
    ],
)
def test_each_ground_at_its_boundary(change: dict[str, object], ground: Ground) -> None:
    result = eligibility(replace(FACTS, **change), AS_OF, ALL)  # type: ignore[arg-type]
    assert result.eligible
    assert result.grounds == (ground,)
    assert result.refusals == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enforcement_terminated": True, "dpd": 179}, "179 days past due, below 180"),
        ({"limitation_expires_on": AS_OF}, "runs until 2026-03-10"),  # expires at the end of the day: not yet
        ({"outstanding_principal": D("10000.01"), "dpd": 400}, "10000.01 is above 10000.00"),
        ({"outstanding_principal": D("100.00"), "dpd": 179}, "small_balance: 179 days past due"),
    ],
)
def test_just_short_of_a_ground(change: dict[str, object], reason: str) -> None:
    result = eligibility(replace(FACTS, **change), AS_OF, ALL)  # type: ignore[arg-type]
    assert not result.eligible
    assert any(reason in text for text in result.refusals), result.refusals


def test_several_grounds_and_disabled_grounds() -> None:
    facts = replace(FACTS, loan_class=LoanClass.LOSS, debtor_deceased=True)
    assert eligibility(facts, AS_OF, ALL).grounds == (Ground.LOSS_CLASS, Ground.DEBTOR_DECEASED)
    only_loss = parse_rules({"grounds": ["loss_class"]})
    assert eligibility(replace(FACTS, debtor_deceased=True), AS_OF, only_loss).refusals == (
        "loss_class: the loan is classified 可疑 doubtful, not 损失 loss",
    )
    assert Ground.SMALL_BALANCE not in parse_rules({}).enabled  # no cap: the ground is off
    assert eligibility(FACTS, AS_OF, WriteOffRules(grounds=frozenset())).refusals == (
        "no write-off ground is enabled",
    )


def test_nothing_on_balance_is_never_eligible() -> None:
    facts = replace(
        FACTS, loan_class=LoanClass.LOSS, outstanding_principal=D("0.00"), overdue_interest=D("0.00")
    )
    result = eligibility(facts, AS_OF, ALL)
    assert not result.eligible
    assert result.refusals == ("nothing on balance to write off",)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"grounds": ["loss_class", "luck"]}, "grounds"),
        ({"grounds": "loss_class"}, "grounds"),
        ({"enforcement_dpd": -1}, "enforcement_dpd"),
        ({"enforcement_dpd": 1.5}, "enforcement_dpd"),
        ({"small_balance_cap": 1000.5}, "small_balance_cap"),  # C9: never a float
        ({"small_balance_cap": "12.345"}, "small_balance_cap"),
        ({"small_balance_cap": "abc"}, "small_balance_cap"),
        ({"typo": 1}, "typo"),
    ],
)
def test_rules_are_validated_naming_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(WriteOffError) as caught:
        parse_rules(raw)
    assert caught.value.field == field


def test_amounts_written_off_and_tracked_off_balance() -> None:
    amounts = writeoff_amounts(D("50000.00"), D("1200.00"), D("300.10"), D("20.05"), D("15.00"), D("500.00"))
    assert amounts.written_off == D("51200.00")  # principal + interest receivable
    assert amounts.off_balance == D("835.15")  # penalty + compound + fees + costs stay owed (账销案存)
    assert amounts.total_claim == D("52035.15")
    with pytest.raises(WriteOffError, match="penalty"):
        writeoff_amounts(D("1"), D("0"), D("-0.01"), D("0"))


def test_recovery_after_write_off_is_cash_after_the_day_by_month() -> None:
    payments = [
        PaymentFact(date(2026, 3, 10), D("100.00")),  # on the write-off day: already in the amounts
        PaymentFact(date(2026, 3, 11), D("200.00")),
        PaymentFact(date(2026, 3, 31), D("50.50")),
        PaymentFact(date(2026, 4, 1), D("1000.00")),
        PaymentFact(date(2026, 4, 2), D("999.00"), kind="waiver"),  # non-cash recovers nothing
    ]
    assert recovered_after(payments, date(2026, 3, 10)) == D("1250.50")
    assert recoveries_by_month(payments, date(2026, 3, 10)) == {
        "2026-03": D("250.50"),
        "2026-04": D("1000.00"),
    }


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_parse_month(text: str, first: date, last: date) -> None:
    assert parse_month(text) == (first, last)


@pytest.mark.parametrize("text", ["2026-13", "2026", "26-01", "2026-1x", ""])
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(WriteOffError, match="YYYY-MM"):
        parse_month(text)
