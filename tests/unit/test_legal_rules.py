"""Legal recovery rules (issue 6, ``qingshou.domain.legal``): court fees by 《诉讼费用交纳办法》 at every band edge
and the reference's worked examples, halving once, the payment order's third; preservation terms by
民诉法解释 第四百八十五条 and their renewal; the enforcement application deadline (C7); the doubled interest for
delayed performance (法释〔2014〕8号); the stage machine of each case type and the limitation interruptions its
stages record (C7). Fees posted as costs rank first in the waterfall (C5: tested in the integration tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.legal import (
    MAX_TERM_MONTHS,
    AssetKind,
    CaseType,
    DelayStart,
    FeeKind,
    FeeRounding,
    LegalError,
    Outcome,
    Reduction,
    Stage,
    acceptance_fee,
    check_stage_date,
    check_transition,
    court_fee,
    delay_interest,
    enforcement_application_deadline,
    enforcement_fee,
    filing_fee_kind,
    interruption_kind,
    next_stages,
    payment_order_fee,
    preservation_fee,
    preservation_term,
    renewal_deadline,
    renewal_term,
    stages_of,
)
from qingshou.domain.limitation import INTERRUPTION_KINDS

D = Decimal

# --- 受理费, 第十三条(一): every band at its edges ------------------------------------------------------------

#: (claim, exact fee): the lower edge, just above it and the upper edge of every band, from the quick
#: formulas of the reference (x·2.5% − 200, x·2% + 300, …) — independent of the band table in the code.
ACCEPTANCE_EDGES = [
    ("0.01", "50"),
    ("10000", "50"),
    ("10000.01", "50.00025"),
    ("55000", "1175"),  # 55,000 × 2.5 % − 200
    ("100000", "2300"),  # [V-sec] several pages
    ("100000.01", "2300.0002"),
    ("150000", "3300"),  # the reference's worked example
    ("200000", "4300"),
    ("200000.01", "4300.00015"),
    ("500000", "8800"),
    ("500000.01", "8800.0001"),
    ("1000000", "13800"),
    ("1000000.01", "13800.00009"),
    ("2000000", "22800"),
    ("2000000.01", "22800.00008"),
    ("3000000", "30800"),  # [V-sec] m.64365.com
    ("5000000", "46800"),
    ("5000000.01", "46800.00007"),
    ("10000000", "81800"),
    ("10000000.01", "81800.00006"),
    ("20000000", "141800"),
    ("20000000.01", "141800.00005"),
    ("30000000", "191800"),  # x·0.5 % + 41,800
]


@pytest.mark.parametrize(("claim", "fee"), ACCEPTANCE_EDGES)
def test_the_acceptance_fee_is_cumulative_by_band(claim: str, fee: str) -> None:
    assert acceptance_fee(D(claim)) == D(fee)


def quick_acceptance(x: Decimal) -> Decimal:
    """The reference's quick-calculation form (derived independently of the band table)."""
    forms = [
        (D(10_000), D(0), D(50)),
        (D(100_000), D("0.025"), D(-200)),
        (D(200_000), D("0.02"), D(300)),
        (D(500_000), D("0.015"), D(1_300)),
        (D(1_000_000), D("0.01"), D(3_800)),
        (D(2_000_000), D("0.009"), D(4_800)),
        (D(5_000_000), D("0.008"), D(6_800)),
        (D(10_000_000), D("0.007"), D(11_800)),
        (D(20_000_000), D("0.006"), D(21_800)),
    ]
    for top, rate, constant in forms:
        if x <= top:
            return x * rate + constant
    return x * D("0.005") + D(41_800)


@given(st.integers(min_value=1, max_value=5_000_000_000))
def test_the_bands_equal_the_quick_formulas(fen: int) -> None:
    claim = D(fen) / 100
    assert acceptance_fee(claim) == quick_acceptance(claim)


def test_the_rounded_fee_keeps_two_decimals_by_default_or_whole_yuan() -> None:
    assert court_fee(FeeKind.ACCEPTANCE, D("10000.01")).amount == D("50.00")
    assert court_fee(FeeKind.ACCEPTANCE, D("10000.20")).amount == D("50.01")  # 50.005 → half up
    assert court_fee(FeeKind.ACCEPTANCE, D("123456.78"), rounding=FeeRounding.YUAN).amount == D("2769.00")
    assert court_fee(FeeKind.ACCEPTANCE, D("123456.78")).amount == D("2769.14")  # 2,769.1356


# --- halving and the payment order ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reductions", "fee"),
    [
        ((), "3300.00"),
        ((Reduction.MEDIATION,), "1650.00"),
        ((Reduction.WITHDRAWAL,), "1650.00"),
        ((Reduction.SIMPLIFIED,), "1650.00"),
        # 民诉法解释 第二百零六条: halved once — 简易程序 + 调解 is ½, not ¼
        ((Reduction.SIMPLIFIED, Reduction.MEDIATION), "1650.00"),
        ((Reduction.SIMPLIFIED, Reduction.MEDIATION, Reduction.WITHDRAWAL), "1650.00"),
    ],
)
def test_the_acceptance_fee_is_halved_only_once(reductions: tuple[Reduction, ...], fee: str) -> None:
    assert court_fee(FeeKind.ACCEPTANCE, D(150_000), reductions=reductions).amount == D(fee)


def test_halving_rounds_once_after_the_half() -> None:
    # 10,000.30 → 50.0075 exact; ½ = 25.00375 → 25.00 (rounding the full fee first would give 25.01)
    assert court_fee(FeeKind.ACCEPTANCE, D("10000.30"), reductions=[Reduction.MEDIATION]).amount == D("25.00")


@pytest.mark.parametrize("kind", [FeeKind.PAYMENT_ORDER, FeeKind.PRESERVATION, FeeKind.ENFORCEMENT])
def test_only_the_acceptance_fee_is_halved(kind: FeeKind) -> None:
    with pytest.raises(LegalError, match="only the 受理费"):
        court_fee(kind, D(150_000), reductions=[Reduction.MEDIATION])


@pytest.mark.parametrize(
    ("claim", "fee"),
    [("150000", "1100.00"), ("10000", "16.67"), ("100000", "766.67"), ("3000000", "10266.67")],
)
def test_a_payment_order_pays_a_third_of_the_scale(claim: str, fee: str) -> None:
    """第十四条(三): 150,000 → 3,300 / 3 = 1,100 (the reference's example)."""
    assert payment_order_fee(D(claim)) == acceptance_fee(D(claim)) / 3
    assert court_fee(FeeKind.PAYMENT_ORDER, D(claim)).amount == D(fee)


# --- 申请费, 第十四条 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        ("10000", "50"),
        ("10000.01", "50.00015"),
        ("150000", "2150"),  # the reference's example
        ("500000", "7400"),  # x·1.5 % − 100
        ("500000.01", "7400.0001"),
        ("5000000", "52400"),  # x·1 % + 2,400
        ("5000000.01", "52400.00005"),
        ("10000000", "77400"),  # x·0.5 % + 27,400
        ("10000000.01", "77400.00001"),
        ("20000000", "87400"),  # x·0.1 % + 67,400
    ],
)
def test_the_enforcement_application_fee(amount: str, fee: str) -> None:
    assert enforcement_fee(D(amount)) == D(fee)


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        ("0", "30"),  # no amount involved
        ("1000", "30"),
        ("1000.01", "30.0001"),
        ("100000", "1020"),  # x·1 % + 20
        ("100000.01", "1020.00005"),
        ("150000", "1270"),  # the reference's example
        ("895998", "4999.990"),
        ("896000", "5000"),  # the cap is reached at 896,000
        ("896001", "5000"),
        ("50000000", "5000"),
    ],
)
def test_the_preservation_fee_is_capped_at_5000(amount: str, fee: str) -> None:
    assert preservation_fee(D(amount)) == D(fee)


@pytest.mark.parametrize("bad", [D(0), D(-1), D("NaN")])
def test_a_fee_needs_a_positive_amount(bad: Decimal) -> None:
    with pytest.raises(LegalError):
        acceptance_fee(bad)
    with pytest.raises(LegalError):
        enforcement_fee(bad)


def test_a_fee_names_its_article_and_an_unknown_kind_is_refused() -> None:
    fee = court_fee("enforcement", D(150_000))
    assert (fee.kind, fee.amount, fee.article) == (
        FeeKind.ENFORCEMENT,
        D("2150.00"),
        "《诉讼费用交纳办法》第十四条(一)",
    )
    with pytest.raises(LegalError, match="fee kind must be one of"):
        court_fee("lawyer", D(1))


def test_each_case_type_files_with_its_own_fee() -> None:
    assert filing_fee_kind(CaseType.LAWSUIT) is FeeKind.ACCEPTANCE
    assert filing_fee_kind(CaseType.PAYMENT_ORDER) is FeeKind.PAYMENT_ORDER
    assert filing_fee_kind(CaseType.ENFORCEMENT) is FeeKind.ENFORCEMENT
    assert filing_fee_kind(CaseType.DEMAND_LETTER) is None
    assert filing_fee_kind(CaseType.ARBITRATION) is None  # the arbitration commission's own schedule


# --- preservation terms (民诉法解释 第四百八十五条, 保全规定 第十八条) ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "months", "expires"),
    [
        (AssetKind.BANK_DEPOSIT, 12, date(2025, 3, 14)),
        (AssetKind.MOVABLE, 24, date(2026, 3, 14)),
        (AssetKind.IMMOVABLE, 36, date(2027, 3, 14)),
        (AssetKind.OTHER_RIGHT, 36, date(2027, 3, 14)),
    ],
)
def test_each_asset_kind_has_its_legal_maximum(kind: AssetKind, months: int, expires: date) -> None:
    """The start day counts: 1 year from 15 Mar 2024 ends on 14 Mar 2025; renewal due 7 days before."""
    assert MAX_TERM_MONTHS[kind] == months
    term = preservation_term(kind, date(2024, 3, 15))
    assert (term.months, term.expires_on) == (months, expires)
    assert term.renewal_due == date(expires.year, 3, 7)
    assert preservation_term(kind, date(2024, 3, 15), months).expires_on == expires
    with pytest.raises(LegalError, match="at most"):
        preservation_term(kind, date(2024, 3, 15), months + 1)


def test_a_shorter_term_and_month_ends() -> None:
    assert preservation_term(AssetKind.BANK_DEPOSIT, date(2024, 1, 31), 1).expires_on == date(2024, 2, 28)
    assert preservation_term(AssetKind.BANK_DEPOSIT, date(2024, 2, 29), 12).expires_on == date(2025, 2, 27)
    with pytest.raises(LegalError, match="months ≥ 1"):
        preservation_term(AssetKind.MOVABLE, date(2024, 1, 1), 0)
    with pytest.raises(LegalError, match="asset kind"):
        preservation_term("car", date(2024, 1, 1))


@pytest.mark.parametrize(
    ("renewed_on", "ok"),
    [(date(2025, 3, 7), True), (date(2025, 3, 14), True), (date(2025, 3, 15), False)],
)
def test_a_renewal_is_made_before_expiry_and_starts_the_next_day(renewed_on: date, ok: bool) -> None:
    """Renewal by the expiry day (after the 7-day deadline it is late but still possible); after expiry the
    measure has lapsed (查封规定 第二十七条)."""
    if not ok:
        with pytest.raises(LegalError, match="lapsed"):
            renewal_term(AssetKind.BANK_DEPOSIT, date(2025, 3, 14), renewed_on)
        return
    term = renewal_term(AssetKind.BANK_DEPOSIT, date(2025, 3, 14), renewed_on)
    assert (term.start, term.expires_on, term.renewal_due) == (
        date(2025, 3, 15),
        date(2026, 3, 14),
        date(2026, 3, 7),
    )


def test_a_renewal_is_again_at_most_the_maximum_and_renewals_chain_without_limit() -> None:
    with pytest.raises(LegalError, match="at most 12 months"):
        renewal_term(AssetKind.BANK_DEPOSIT, date(2025, 3, 14), date(2025, 3, 1), 13)
    expiry = date(2025, 3, 14)
    for _round in range(5):
        expiry = renewal_term(AssetKind.IMMOVABLE, expiry, expiry).expires_on
    assert expiry == date(2040, 3, 14)


def test_the_renewal_deadline_is_seven_days_before_expiry_by_default() -> None:
    assert renewal_deadline(date(2025, 3, 14)) == date(2025, 3, 7)
    assert renewal_deadline(date(2025, 3, 14), 0) == date(2025, 3, 14)
    with pytest.raises(LegalError):
        renewal_deadline(date(2025, 3, 14), -1)


# --- the enforcement application deadline (C7) ---------------------------------------------------------------


def test_the_enforcement_deadline_is_two_years_then_the_next_business_day() -> None:
    """C7: performance due 2024-03-15 → 2026-03-15, a Sunday → Monday 16 March."""
    calendar = BusinessCalendar.of([2026])
    deadline = enforcement_application_deadline(date(2024, 3, 15), calendar)
    assert (deadline.unadjusted_on, deadline.expires_on, deadline.calendar_confirmed) == (
        date(2026, 3, 15),
        date(2026, 3, 16),
        True,
    )
    weekday = enforcement_application_deadline(date(2024, 3, 17), calendar)
    assert weekday.expires_on == date(2026, 3, 17)
    holiday = enforcement_application_deadline(
        date(2024, 10, 1), BusinessCalendar.of([2026], holidays=[date(2026, 10, d) for d in range(1, 8)])
    )
    assert holiday.expires_on == date(2026, 10, 8)
    leap = enforcement_application_deadline(date(2024, 2, 29), calendar)
    assert leap.unadjusted_on == date(2026, 2, 28)  # a Saturday → Monday 2 March
    assert leap.expires_on == date(2026, 3, 2)


def test_an_uncovered_year_is_flagged_not_guessed() -> None:
    deadline = enforcement_application_deadline(date(2030, 3, 15), BusinessCalendar.of([2026]))
    assert (deadline.expires_on, deadline.calendar_confirmed) == (date(2032, 3, 15), False)


# --- the doubled interest for delayed performance (法释〔2014〕8号) ----------------------------------------------


def test_the_reference_example_100000_for_30_days_is_525() -> None:
    result = delay_interest(D(100_000), date(2025, 1, 1), date(2025, 1, 30))
    assert (result.days, result.amount, result.unpaid) == (30, D("525.00"), D("100000.00"))
    later = delay_interest(D(100_000), date(2025, 1, 1), date(2025, 1, 30), start=DelayStart.NEXT_DAY)
    assert (later.first_day, later.days, later.amount) == (date(2025, 1, 2), 29, D("507.50"))


def test_nothing_accrues_before_the_first_day() -> None:
    assert delay_interest(D(100_000), date(2025, 1, 1), date(2024, 12, 31)).amount == D("0.00")
    assert delay_interest(D(100_000), date(2025, 1, 1), date(2025, 1, 1), start="next_day").days == 0


def test_payments_reduce_the_base_after_their_day_and_go_to_the_debt_first() -> None:
    """第三条: a part paid accrues to its payment day; 第四条: payments go to the judgment debt first."""
    due = date(2025, 1, 1)
    result = delay_interest(D(100_000), due, date(2025, 1, 20), [(date(2025, 1, 10), D(40_000))])
    # 1–10 Jan: 10 days on 100,000 = 175; 11–20 Jan: 10 days on 60,000 = 105
    assert (result.days, result.amount, result.unpaid) == (20, D("280.00"), D("60000.00"))
    paid_off = delay_interest(D(100_000), due, date(2025, 3, 1), [(date(2025, 1, 5), D(100_000))])
    assert (paid_off.days, paid_off.amount, paid_off.unpaid) == (5, D("87.50"), D("0.00"))


def test_a_payment_within_the_performance_period_never_accrues() -> None:
    result = delay_interest(
        D(100_000),
        date(2025, 1, 1),
        date(2025, 1, 30),
        [(date(2024, 12, 20), D(50_000)), (date(2025, 1, 1), D(50_000))],
    )
    assert (result.amount, result.unpaid) == (D("0.00"), D("0.00"))


def test_suspended_periods_are_not_counted() -> None:
    result = delay_interest(
        D(100_000), date(2025, 1, 1), date(2025, 1, 30), suspended=[(date(2025, 1, 11), date(2025, 1, 20))]
    )
    assert (result.days, result.amount) == (20, D("350.00"))
    with pytest.raises(LegalError, match="suspended"):
        delay_interest(
            D(1), date(2025, 1, 1), date(2025, 1, 2), suspended=[(date(2025, 1, 5), date(2025, 1, 1))]
        )


def test_bad_delay_inputs_are_refused() -> None:
    with pytest.raises(LegalError, match="base"):
        delay_interest(D(-1), date(2025, 1, 1), date(2025, 1, 2))
    with pytest.raises(LegalError, match="delay start"):
        delay_interest(D(1), date(2025, 1, 1), date(2025, 1, 2), start="tomorrow")
    with pytest.raises(LegalError, match="payment"):
        delay_interest(D(1), date(2025, 1, 1), date(2025, 1, 2), [(date(2025, 1, 2), D(-1))])


# --- the stage machine -------------------------------------------------------------------------------------

LAWSUIT_PATH = [
    Stage.FILED,
    Stage.ACCEPTED,
    Stage.HEARING,
    Stage.JUDGMENT,
    Stage.EFFECTIVE,
    Stage.ENFORCEMENT_APPLIED,
    Stage.ENFORCEMENT,
]
PATHS = {
    CaseType.LAWSUIT: LAWSUIT_PATH,
    CaseType.ARBITRATION: LAWSUIT_PATH,
    CaseType.SECURITY_REALISATION: LAWSUIT_PATH,
    CaseType.PAYMENT_ORDER: [
        Stage.FILED,
        Stage.ACCEPTED,
        Stage.EFFECTIVE,
        Stage.ENFORCEMENT_APPLIED,
        Stage.ENFORCEMENT,
    ],
    CaseType.ENFORCEMENT: [Stage.ENFORCEMENT_APPLIED, Stage.ENFORCEMENT],
    CaseType.DEMAND_LETTER: [Stage.FILED],
}


@pytest.mark.parametrize("case_type", list(CaseType))
def test_every_type_walks_its_own_path_to_closed(case_type: CaseType) -> None:
    current = Stage.PREPARATION
    for stage in PATHS[case_type]:
        check_transition(case_type, current, stage)
        current = stage
    final = Outcome.TERMINATED if current is Stage.ENFORCEMENT else Outcome.RECOVERED
    check_transition(case_type, current, Stage.CLOSED, outcome=final)
    assert stages_of(case_type) == (Stage.PREPARATION, *PATHS[case_type], Stage.CLOSED)


@pytest.mark.parametrize(
    ("case_type", "current", "target", "message"),
    [
        (CaseType.DEMAND_LETTER, Stage.FILED, Stage.HEARING, "has no hearing stage"),
        (CaseType.DEMAND_LETTER, Stage.PREPARATION, Stage.ENFORCEMENT_APPLIED, "has no enforcement_applied"),
        (CaseType.PAYMENT_ORDER, Stage.ACCEPTED, Stage.HEARING, "has no hearing stage"),
        (CaseType.PAYMENT_ORDER, Stage.ACCEPTED, Stage.JUDGMENT, "has no judgment stage"),
        (CaseType.ENFORCEMENT, Stage.PREPARATION, Stage.FILED, "has no filed stage"),
        (
            CaseType.LAWSUIT,
            Stage.FILED,
            Stage.JUDGMENT,
            "cannot move from filed to judgment; allowed next: accepted",
        ),
        (CaseType.LAWSUIT, Stage.PREPARATION, Stage.ACCEPTED, "cannot move from preparation to accepted"),
        (CaseType.LAWSUIT, Stage.EFFECTIVE, Stage.HEARING, "cannot move from effective to hearing"),
        (CaseType.LAWSUIT, Stage.ENFORCEMENT, Stage.EFFECTIVE, "allowed next: closed"),
        (
            CaseType.SECURITY_REALISATION,
            Stage.HEARING,
            Stage.EFFECTIVE,
            "cannot move from hearing to effective",
        ),
        (CaseType.LAWSUIT, Stage.HEARING, Stage.HEARING, "cannot move from hearing to hearing"),
    ],
)
def test_illegal_transitions_are_refused_with_the_reason(
    case_type: CaseType, current: Stage, target: Stage, message: str
) -> None:
    with pytest.raises(LegalError, match=message):
        check_transition(case_type, current, target)


def test_shortcuts_each_type_allows() -> None:
    check_transition(CaseType.LAWSUIT, Stage.ACCEPTED, Stage.EFFECTIVE)  # 调解书 before a hearing
    check_transition(CaseType.LAWSUIT, Stage.HEARING, Stage.EFFECTIVE)  # 调解书 at the hearing
    check_transition(CaseType.SECURITY_REALISATION, Stage.ACCEPTED, Stage.JUDGMENT)  # ruling without hearing
    assert next_stages(CaseType.DEMAND_LETTER, Stage.FILED) == (Stage.CLOSED,)
    assert next_stages(CaseType.LAWSUIT, Stage.ACCEPTED) == (Stage.HEARING, Stage.EFFECTIVE, Stage.CLOSED)


def test_closing_needs_an_outcome_and_terminated_only_from_enforcement() -> None:
    with pytest.raises(LegalError, match="needs its outcome"):
        check_transition(CaseType.LAWSUIT, Stage.FILED, Stage.CLOSED)
    with pytest.raises(LegalError, match="终本"):
        check_transition(CaseType.LAWSUIT, Stage.JUDGMENT, Stage.CLOSED, outcome=Outcome.TERMINATED)
    with pytest.raises(LegalError, match="outcome must be one of"):
        check_transition(CaseType.LAWSUIT, Stage.FILED, Stage.CLOSED, outcome="won")
    with pytest.raises(LegalError, match="only when closing"):
        check_transition(CaseType.LAWSUIT, Stage.FILED, Stage.ACCEPTED, outcome=Outcome.RECOVERED)
    for outcome in (Outcome.RECOVERED, Outcome.WITHDRAWN):
        check_transition(CaseType.LAWSUIT, Stage.FILED, Stage.CLOSED, outcome=outcome)


def test_a_terminated_enforcement_may_resume_and_other_closed_cases_stay_closed() -> None:
    check_transition(
        CaseType.LAWSUIT, Stage.CLOSED, Stage.ENFORCEMENT_APPLIED, current_outcome=Outcome.TERMINATED
    )
    with pytest.raises(LegalError, match="nothing"):
        check_transition(
            CaseType.LAWSUIT, Stage.CLOSED, Stage.ENFORCEMENT_APPLIED, current_outcome=Outcome.RECOVERED
        )
    with pytest.raises(LegalError, match="cannot move from closed"):
        check_transition(CaseType.LAWSUIT, Stage.CLOSED, Stage.FILED, current_outcome=Outcome.TERMINATED)


def test_unknown_types_and_stages_are_named() -> None:
    with pytest.raises(LegalError, match="case type must be one of"):
        check_transition("mediation", Stage.PREPARATION, Stage.FILED)
    with pytest.raises(LegalError, match="stage must be one of"):
        check_transition(CaseType.LAWSUIT, Stage.PREPARATION, "won")


def test_stage_days_never_go_back_or_into_the_future() -> None:
    check_stage_date(date(2025, 1, 1), date(2025, 1, 1))
    with pytest.raises(LegalError, match="before the previous stage"):
        check_stage_date(date(2025, 1, 2), date(2025, 1, 1))
    with pytest.raises(LegalError, match="after today"):
        check_stage_date(None, date(2025, 1, 3), today=date(2025, 1, 2))


@pytest.mark.parametrize(
    ("case_type", "stage", "kind"),
    [
        (CaseType.LAWSUIT, Stage.FILED, "suit_filed"),
        (CaseType.ARBITRATION, Stage.FILED, "suit_filed"),
        (CaseType.SECURITY_REALISATION, Stage.FILED, "suit_filed"),
        (CaseType.PAYMENT_ORDER, Stage.FILED, "payment_order"),
        (CaseType.DEMAND_LETTER, Stage.FILED, "demand_delivered"),
        (CaseType.LAWSUIT, Stage.ENFORCEMENT_APPLIED, "enforcement_applied"),
        (CaseType.ENFORCEMENT, Stage.ENFORCEMENT_APPLIED, "enforcement_applied"),
        (CaseType.LAWSUIT, Stage.ACCEPTED, None),
        (CaseType.LAWSUIT, Stage.JUDGMENT, None),
        (CaseType.PAYMENT_ORDER, Stage.EFFECTIVE, None),
    ],
)
def test_the_stages_that_interrupt_limitation(case_type: CaseType, stage: Stage, kind: str | None) -> None:
    """C7: a suit, a payment order, an enforcement application (and a delivered demand) interrupt."""
    assert interruption_kind(case_type, stage) == kind
    assert kind is None or kind in INTERRUPTION_KINDS


# --- a court fee as a cost of enforcement ranks first (C5) ----------------------------------------------------


def test_c5_a_court_fee_posted_as_a_cost_is_paid_before_anything_else() -> None:
    """C5: 实现债权的费用 (court, preservation, enforcement fees) come first in the waterfall."""
    from qingshou.domain.ledger import replay
    from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod
    from qingshou.domain.policy import Component, ProductPolicy
    from qingshou.domain.schedule import build_schedule

    terms = LoanTerms(
        loan_id="L",
        product_id="P",
        principal=D("12000.00"),
        annual_rate=D("0.12"),
        disbursed_on=date(2025, 1, 1),
        term_months=3,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    fee = court_fee(FeeKind.ACCEPTANCE, D("12000.00"))  # 50 + 2,000 × 2.5 % = 100
    assert fee.amount == D("100.00")
    charge = Charge("legal:1:acceptance", ChargeKind.COST, date(2025, 5, 1), fee.amount)
    ledger = replay(
        terms,
        build_schedule(terms),
        [Payment("P-1", date(2025, 5, 2), D("150.00"))],
        [charge],
        ProductPolicy.build("P"),
        BusinessCalendar.of([2025]),
        date(2025, 5, 2),
    )
    first = ledger.allocations[0]
    assert (first.component, first.charge_id, first.amount) == (
        Component.COSTS,
        charge.charge_id,
        D("100.00"),
    )
    assert all(row.component is not Component.COSTS for row in ledger.allocations[1:])
