"""The overdue book's metrics (issue 7, ``analytics.book``) on small hand-built books with answers worked by hand.

The main book has eleven loans at the end of May 2025 and ten at the end of June (one settled, one written
off on 15 June, one new); every figure below is worked out by hand in the comments (amounts in fen).

    loan  May-end: bucket class bal      June-end: bucket class bal     provision May → June
    L1    M0  normal        100000       M0  normal        90000        0 → 0
    L2    M0  normal        200000       M1  special        200000      0 → 4000
    L3    M0  normal         50000       M0  normal         45000       0 → 0
    L4    M1  special        80000       M0  normal         75000       1600 → 0
    L5    M2  special        60025       M3  special        60025       1201 (1200.5 half-up) → 1201
    L6    M4  substandard    40000       M5  substandard    40000       10000 → 10000
    L7    M7+ doubtful       30000       M7+ loss           28000       15000 → 28000
    L8    M0  normal         70000       (balance 0: settled)           0
    L9    M7+ loss           20000       (written off 2025-06-15)       20000 → released
    L10   —                              M0  normal        100000       new loan
    L11   M0  normal         50000       M1  special        50000       0 → 1000  (first due 2025-06-10)
    L12   M0  normal         50000       M0  normal         45000       0 → 0     (first due 2025-06-12)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from qingshou.analytics import flows
from qingshou.analytics.book import BookFrames, label_zh, metrics_of
from qingshou.analytics.contract import TABLES, Metrics, Table, check_table
from qingshou.analytics.pricing import PricingParameters, pricing
from qingshou.analytics.vintage import vintage
from qingshou.domain.pricing import GradeBand, Lender, PricingError, PricingPolicy, price_grade

MAY, JUNE = date(2025, 5, 31), date(2025, 6, 30)

# loan, product, dpd, delinquent, bucket, class, stage, balance, overdue
MAY_ROWS = [
    ("L1", "P1", 0, False, "M0", "normal", 1, 100000, 0),
    ("L2", "P1", 0, False, "M0", "normal", 1, 200000, 0),
    ("L3", "P2", 0, False, "M0", "normal", 1, 50000, 0),
    ("L4", "P1", 10, True, "M1", "special_mention", 2, 80000, 5000),
    ("L5", "P2", 45, True, "M2", "special_mention", 2, 60025, 12000),
    ("L6", "P1", 100, True, "M4", "substandard", 3, 40000, 20000),
    ("L7", "P2", 331, True, "M7+", "doubtful", 3, 30000, 25000),
    ("L8", "P1", 0, False, "M0", "normal", 1, 70000, 0),
    ("L9", "P1", 400, True, "M7+", "loss", 3, 20000, 30000),
    ("L11", "P2", 0, False, "M0", "normal", 1, 50000, 0),
    ("L12", "P2", 0, False, "M0", "normal", 1, 50000, 0),
]
JUNE_ROWS = [
    ("L1", "P1", 0, False, "M0", "normal", 1, 90000, 0),
    ("L2", "P1", 20, True, "M1", "special_mention", 2, 200000, 8000),
    ("L3", "P2", 0, False, "M0", "normal", 1, 45000, 0),
    ("L4", "P1", 0, False, "M0", "normal", 1, 75000, 0),
    ("L5", "P2", 75, True, "M3", "special_mention", 2, 60025, 20000),
    ("L6", "P1", 130, True, "M5", "substandard", 3, 40000, 25000),
    ("L7", "P2", 361, True, "M7+", "loss", 3, 28000, 27000),
    ("L8", "P1", 0, False, "M0", "normal", 1, 0, 0),
    ("L9", "P1", 430, True, "M7+", "loss", 3, 20000, 31000),
    ("L10", "P1", 0, False, "M0", "normal", 1, 100000, 0),
    ("L11", "P2", 20, True, "M1", "special_mention", 2, 50000, 4000),
    ("L12", "P2", 0, False, "M0", "normal", 1, 45000, 0),
]
# loan, branch, channel, disbursed_on, principal, first due, credit score
LOAN_ROWS = [
    ("L1", "BJ", "app", date(2024, 1, 5), 120000, date(2024, 2, 5), 780),
    ("L2", "BJ", "app", date(2024, 3, 1), 240000, date(2024, 4, 1), 710),
    ("L3", "SH", "branch", date(2024, 2, 1), 60000, date(2024, 3, 1), 690),
    ("L4", "SH", "app", date(2024, 2, 1), 90000, date(2024, 3, 1), 640),
    ("L5", "SH", "branch", date(2024, 2, 1), 70000, date(2024, 3, 1), 610),
    ("L6", "BJ", "branch", date(2023, 6, 1), 50000, date(2023, 7, 1), 590),
    ("L7", "BJ", "app", date(2023, 1, 1), 40000, date(2023, 2, 1), None),
    ("L8", "BJ", "app", date(2024, 1, 1), 80000, date(2024, 2, 1), 800),
    ("L9", "BJ", "app", date(2022, 1, 1), 30000, date(2022, 2, 1), 500),
    ("L10", "SH", "app", date(2025, 6, 5), 100000, date(2025, 7, 5), 760),
    ("L11", "SH", "app", date(2025, 5, 10), 50000, date(2025, 6, 10), 700),
    ("L12", "SH", "branch", date(2025, 5, 12), 50000, date(2025, 6, 12), 720),
]


def snapshot(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "loan_id": pl.String,
            "product_id": pl.String,
            "dpd": pl.Int32,
            "delinquent": pl.Boolean,
            "bucket": pl.String,
            "classification": pl.String,
            "stage": pl.Int8,
            "outstanding_principal_fen": pl.Int64,
            "total_overdue_fen": pl.Int64,
        },
        orient="row",
    )


def loans(rows: list[tuple[object, ...]] = LOAN_ROWS) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={
            "loan_id": pl.String,
            "branch": pl.String,
            "channel": pl.String,
            "disbursed_on": pl.Date,
            "principal_fen": pl.Int64,
            "first_due_date": pl.Date,
            "credit_score": pl.Int64,
        },
        orient="row",
    )
    return frame.with_columns(pl.lit(None, pl.Date).alias("restructured_on"), pl.lit("P").alias("product_id"))


def history(*days: tuple[date, pl.DataFrame]) -> pl.DataFrame:
    columns = ["loan_id", "dpd", "outstanding_principal_fen", "total_overdue_fen"]
    return pl.concat([frame.select(columns).with_columns(pl.lit(day).alias("as_of")) for day, frame in days])


def ids(*names: str) -> pl.DataFrame:
    return pl.DataFrame({"loan_id": list(names)}, schema={"loan_id": pl.String})


NO_CASH = pl.DataFrame(schema={"loan_id": pl.String, "paid_on": pl.Date, "amount_fen": pl.Int64})


def book(*, reserves_fen: int | None = None, with_previous: bool = True) -> BookFrames:
    may, june = snapshot(MAY_ROWS), snapshot(JUNE_ROWS)
    days = ((MAY, may), (JUNE, june)) if with_previous else ((JUNE, june),)
    return BookFrames(
        month=date(2025, 6, 1),
        as_of=JUNE,
        previous_as_of=MAY if with_previous else None,
        current=june,
        previous=may if with_previous else None,
        history=history(*days),
        loans=loans(),
        writeoffs=pl.DataFrame({"loan_id": ["L9"], "written_off_on": [date(2025, 6, 15)]}),
        # L3 has nothing due in June (a quarterly schedule), L6/L7/L9/L10 neither.
        due_loans=ids("L1", "L2", "L4", "L5", "L8", "L11", "L12"),
        cash=NO_CASH,
        reserves_fen=reserves_fen,
    )


@pytest.fixture(scope="module")
def june() -> Metrics:
    return metrics_of(book())


def rows(table: Table) -> list[dict[str, object]]:
    return table.frame.to_dicts()


def close(expected: list[dict[str, object]]) -> list[dict[str, object]]:
    """``expected`` with every float compared approximately (the frame divides in floating point)."""
    return [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in row.items()} for row in expected]


def by(table: Table, column: str) -> dict[object, dict[str, object]]:
    return {row[column]: row for row in table.frame.to_dicts()}


def figure(metrics: Metrics, key: str) -> int | float | None:
    return next(f.value for f in metrics.figures if f.key == key)


def test_every_book_table_is_produced_in_its_contract_shape(june: Metrics) -> None:
    """The twelve tables of the brief, each passing ``check_table``."""
    assert set(june.tables) == {
        "stock_by_bucket",
        "stock_by_class",
        "stock_by_stage",
        "stock_by_product",
        "stock_by_branch",
        "stock_by_channel",
        "roll_rates",
        "migration_rates",
        "flow_rates",
        "vintage",
        "credit_loss",
        "pricing",
    }
    for key, table in june.tables.items():
        assert table.key == key
        assert key in TABLES
        check_table(table)


def test_stock_by_bucket_excludes_settled_and_written_off_loans(june: Metrics) -> None:
    """June's book: L8 (balance 0) and L9 (written off) are off it; total 733025."""
    assert rows(june.tables["stock_by_bucket"]) == close(
        [
            {
                "bucket": "M0",
                "loans": 5,
                "balance_fen": 355000,
                "overdue_fen": 0,
                "balance_share": 355000 / 733025,
            },
            {
                "bucket": "M1",
                "loans": 2,
                "balance_fen": 250000,
                "overdue_fen": 12000,
                "balance_share": 250000 / 733025,
            },
            {
                "bucket": "M3",
                "loans": 1,
                "balance_fen": 60025,
                "overdue_fen": 20000,
                "balance_share": 60025 / 733025,
            },
            {
                "bucket": "M5",
                "loans": 1,
                "balance_fen": 40000,
                "overdue_fen": 25000,
                "balance_share": 40000 / 733025,
            },
            {
                "bucket": "M7+",
                "loans": 1,
                "balance_fen": 28000,
                "overdue_fen": 27000,
                "balance_share": 28000 / 733025,
            },
        ]
    )


def test_class_and_stage_provisions_round_half_up_per_loan(june: Metrics) -> None:
    """special mention 200000×2% + 60025×2% (1200.5 → 1201) + 50000×2% = 6201; loss 28000 × 100 %."""
    assert rows(june.tables["stock_by_class"]) == [
        {
            "classification": "normal",
            "loans": 5,
            "balance_fen": 355000,
            "provision_rate": 0.0,
            "provision_fen": 0,
        },
        {
            "classification": "special_mention",
            "loans": 3,
            "balance_fen": 310025,
            "provision_rate": 0.02,
            "provision_fen": 6201,
        },
        {
            "classification": "substandard",
            "loans": 1,
            "balance_fen": 40000,
            "provision_rate": 0.25,
            "provision_fen": 10000,
        },
        {
            "classification": "doubtful",
            "loans": 0,
            "balance_fen": 0,
            "provision_rate": 0.5,
            "provision_fen": 0,
        },
        {
            "classification": "loss",
            "loans": 1,
            "balance_fen": 28000,
            "provision_rate": 1.0,
            "provision_fen": 28000,
        },
    ]
    assert rows(june.tables["stock_by_stage"]) == [
        {"stage": "1", "loans": 5, "balance_fen": 355000, "provision_fen": 0},
        {"stage": "2", "loans": 3, "balance_fen": 310025, "provision_fen": 6201},
        {"stage": "3", "loans": 2, "balance_fen": 68000, "provision_fen": 38000},
    ]


def test_summary_figures_and_the_reserves_note(june: Metrics) -> None:
    """逾期率 = balance of delinquent loans (L2, L5, L6, L7, L11: 378025) / 733025; DPD30+ = L5+L6+L7 = 128025;
    DPD90+ = NPL = L6+L7 = 68000; provisions 44201; without reserves the two ratios are absent, with a note."""
    assert figure(june, "total_balance_fen") == 733025
    assert figure(june, "overdue_balance_fen") == 378025
    assert figure(june, "overdue_rate") == pytest.approx(378025 / 733025)
    assert figure(june, "dpd30_ratio") == pytest.approx(128025 / 733025)
    assert figure(june, "dpd90_ratio") == pytest.approx(68000 / 733025)
    assert figure(june, "npl_ratio") == pytest.approx(68000 / 733025)
    assert figure(june, "reference_provision_fen") == 44201
    assert not any(f.key == "provision_coverage" for f in june.figures)
    assert any("reserves not supplied" in note.en for note in june.notes)
    assert any("未提供贷款损失准备" in note.zh for note in june.notes)
    with_reserves = metrics_of(book(reserves_fen=102000))
    assert figure(with_reserves, "provision_coverage") == pytest.approx(1.5)  # 102000 / 68000
    assert figure(with_reserves, "loan_provision_ratio") == pytest.approx(102000 / 733025)
    assert not any("reserves not supplied" in note.en for note in with_reserves.notes)


def test_stock_by_dimension_ratios(june: Metrics) -> None:
    """By product: P1 = L1 L2 L4 L6 L10 (505000; overdue L2+L6 = 240000; DPD30+ and NPL = L6 40000);
    P2 = L3 L5 L7 L11 L12 (228025; overdue 138025; DPD30+ 88025; DPD90+ and NPL = L7 28000)."""
    products = by(june.tables["stock_by_product"], "product")
    assert products["P1"] == {
        "product": "P1",
        "loans": 5,
        "balance_fen": 505000,
        "overdue_fen": 33000,
        "overdue_rate": 240000 / 505000,
        "dpd30_ratio": 40000 / 505000,
        "dpd90_ratio": 40000 / 505000,
        "npl_ratio": 40000 / 505000,
    }
    assert products["P2"]["overdue_rate"] == pytest.approx(138025 / 228025)
    assert products["P2"]["dpd30_ratio"] == pytest.approx(88025 / 228025)
    assert products["P2"]["npl_ratio"] == pytest.approx(28000 / 228025)
    branches = by(june.tables["stock_by_branch"], "branch")
    assert branches["BJ"]["balance_fen"] == 90000 + 200000 + 40000 + 28000
    assert branches["SH"]["balance_fen"] == 45000 + 75000 + 60025 + 100000 + 50000 + 45000
    channels = by(june.tables["stock_by_channel"], "channel")
    assert channels["branch"]["loans"] == 4
    assert channels["app"]["loans"] == 6


def test_roll_rate_matrix_worked_by_hand(june: Metrics) -> None:
    """From M0 at May-end (L1 L2 L3 L8 L11 L12: 520000): stay 200000, roll to M1 250000, settled 70000;
    M7+ (L7 30000, L9 20000): stay 0.6, written off 0.4."""
    assert rows(june.tables["roll_rates"]) == close(
        [
            {
                "from_bucket": "M0",
                "to_bucket": "M0",
                "loans": 3,
                "balance_fen": 200000,
                "rate": 200000 / 520000,
            },
            {
                "from_bucket": "M0",
                "to_bucket": "M1",
                "loans": 2,
                "balance_fen": 250000,
                "rate": 250000 / 520000,
            },
            {
                "from_bucket": "M0",
                "to_bucket": "settled",
                "loans": 1,
                "balance_fen": 70000,
                "rate": 70000 / 520000,
            },
            {"from_bucket": "M1", "to_bucket": "M0", "loans": 1, "balance_fen": 80000, "rate": 1.0},
            {"from_bucket": "M2", "to_bucket": "M3", "loans": 1, "balance_fen": 60025, "rate": 1.0},
            {"from_bucket": "M4", "to_bucket": "M5", "loans": 1, "balance_fen": 40000, "rate": 1.0},
            {"from_bucket": "M7+", "to_bucket": "M7+", "loans": 1, "balance_fen": 30000, "rate": 0.6},
            {"from_bucket": "M7+", "to_bucket": "written_off", "loans": 1, "balance_fen": 20000, "rate": 0.4},
        ]
    )


def test_migration_rates_worked_by_hand(june: Metrics) -> None:
    """正常类: opening 520000, reductions L1 10000 + L3 5000 + L8 70000 (settled) + L12 5000 = 90000,
    downgraded L2 + L11 = 250000 → 250000 / 430000. 关注类: 140025 − 5000; L4 upgraded, L5 stays → 0.
    次级类: 40000, none → 0. 可疑类: L7 30000 − 2000 repaid, now loss at 28000 → 28000 / 28000.
    正常贷款迁徙率: nothing from normal or special mention reached NPL → 0 / (430000 + 135025)."""
    assert rows(june.tables["migration_rates"]) == close(
        [
            {
                "indicator": "normal",
                "numerator_fen": 250000,
                "denominator_fen": 430000,
                "rate": 250000 / 430000,
            },
            {"indicator": "special_mention", "numerator_fen": 0, "denominator_fen": 135025, "rate": 0.0},
            {"indicator": "substandard", "numerator_fen": 0, "denominator_fen": 40000, "rate": 0.0},
            {"indicator": "doubtful", "numerator_fen": 28000, "denominator_fen": 28000, "rate": 1.0},
            {"indicator": "normal_loans", "numerator_fen": 0, "denominator_fen": 565025, "rate": 0.0},
        ]
    )


def test_migration_rate_of_the_rules_worked_example() -> None:
    """rules-cn §7.3: opening 正常 10,000 yuan, 800 migrated down, 600 reduced by repayment → 800 / 9,400."""
    may = snapshot(
        [
            ("N1", "P", 0, False, "M0", "normal", 1, 80000, 0),
            ("N2", "P", 0, False, "M0", "normal", 1, 60000, 0),
            ("N3", "P", 0, False, "M0", "normal", 1, 860000, 0),
        ]
    )
    june = snapshot(
        [
            ("N1", "P", 20, True, "M1", "special_mention", 2, 80000, 3000),
            ("N3", "P", 0, False, "M0", "normal", 1, 860000, 0),
        ]
    )
    no_writeoffs = pl.DataFrame(schema={"loan_id": pl.String, "written_off_on": pl.Date})
    moves = flows.transitions(may, june, no_writeoffs, since=MAY)
    normal = by(flows.migration_rates(moves), "indicator")["normal"]
    assert (normal["numerator_fen"], normal["denominator_fen"]) == (80000, 940000)
    assert round(float(normal["rate"]) * 100, 1) == 8.5  # type: ignore[arg-type]


def test_flow_rates_worked_by_hand(june: Metrics) -> None:
    """入催率: current at May-end with something due in June: L1 L2 L8 L11 L12 (470000); delinquent now: L2, L11
    (250000 now). C-M1: all six May M0 loans (520000) → M1 250000. FPD: first due in June L11, L12 (principal
    50000 each), L11 delinquent → 1/2. Cures: M1 (L4) cured; M2, M4, M7+ none. Flow to loss: the full chain
    M0 … M7+ had no M3, M5, M6 balance at May-end → null."""
    table = by(june.tables["flow_rates"], "indicator")
    assert table["entry_rate"] == {
        "indicator": "entry_rate",
        "numerator": 2,
        "denominator": 5,
        "numerator_fen": 250000,
        "denominator_fen": 470000,
        "rate": 250000 / 470000,
    }
    assert (table["c_m1"]["numerator"], table["c_m1"]["denominator"]) == (2, 6)
    assert table["c_m1"]["rate"] == pytest.approx(250000 / 520000)
    assert table["fpd"] == {
        "indicator": "fpd",
        "numerator": 1,
        "denominator": 2,
        "numerator_fen": 50000,
        "denominator_fen": 100000,
        "rate": 0.5,
    }
    assert table["cure_M1"]["rate"] == 1.0
    assert table["cure_M1"]["numerator"] == 1
    assert table["cure_M2"]["rate"] == 0.0
    assert table["cure_M4"]["rate"] == 0.0
    assert (table["cure_M7+"]["denominator"], table["cure_M7+"]["denominator_fen"]) == (2, 50000)
    assert table["flow_to_loss"]["rate"] is None
    assert [row["indicator"] for row in rows(june.tables["flow_rates"])] == [
        "entry_rate",
        "c_m1",
        "fpd",
        "cure_M1",
        "cure_M2",
        "cure_M4",
        "cure_M7+",
        "flow_to_loss",
    ]


def test_flow_to_loss_multiplies_the_chain(june: Metrics) -> None:
    """M0→M1 = 250000/520000; then M1→M2 = 0 (L4 cured); a chain through a bucket empty at May-end: null."""
    rolls = june.tables["roll_rates"].frame
    assert flows.flow_to_loss(rolls, ("M0", "M1"))["rate"][0] == pytest.approx(250000 / 520000)
    assert flows.flow_to_loss(rolls, ("M0", "M1", "M2"))["rate"][0] == 0.0
    assert flows.flow_to_loss(rolls, ("M2", "M3", "M4"))["rate"][0] is None


def test_credit_loss_drivers_add_up_to_the_charge(june: Metrics) -> None:
    """Opening 1600 + 1201 + 10000 + 15000 + 20000 = 47801; closing 44201; new delinquencies L2 4000 + L11 1000;
    downgrade L7 doubtful → loss 28000 − 15000; cure L4 −1600; write-off L9 −20000."""
    assert {row["driver"]: row["amount_fen"] for row in rows(june.tables["credit_loss"])} == {
        "opening": 47801,
        "new_loans": 0,
        "new_delinquencies": 5000,
        "downgrades": 13000,
        "cures_and_recoveries": -1600,
        "settlements": 0,
        "write_offs": -20000,
        "closing": 44201,
        "charge": -3600,
    }


def test_first_month_has_no_flows_and_says_so() -> None:
    """Without a previous month-end the flow tables are empty (right shape) and a note says why."""
    metrics = metrics_of(book(with_previous=False))
    for key in ("roll_rates", "migration_rates", "flow_rates", "credit_loss"):
        assert metrics.tables[key].frame.is_empty()
        check_table(metrics.tables[key])
    assert any("no previous month-end" in note.en for note in metrics.notes)
    assert any("无上月末快照" in note.zh for note in metrics.notes)


def test_empty_month_gives_empty_tables_and_null_ratios() -> None:
    """A month whose snapshots hold no loan: every table empty and valid, every ratio figure null."""
    empty = snapshot([])
    frames = BookFrames(
        month=date(2025, 6, 1),
        as_of=JUNE,
        previous_as_of=MAY,
        current=empty,
        previous=empty,
        history=history((MAY, empty), (JUNE, empty)),
        loans=loans([]),
        writeoffs=pl.DataFrame(schema={"loan_id": pl.String, "written_off_on": pl.Date}),
        due_loans=ids(),
        cash=NO_CASH,
    )
    metrics = metrics_of(frames)
    for key, table in metrics.tables.items():
        check_table(table)
        if key not in ("migration_rates", "flow_rates", "credit_loss"):
            assert table.frame.is_empty(), key
    assert all(row["rate"] is None for row in rows(metrics.tables["flow_rates"]))
    assert all(row["amount_fen"] == 0 for row in rows(metrics.tables["credit_loss"]))
    for key in ("overdue_rate", "dpd30_ratio", "dpd90_ratio", "npl_ratio"):
        assert figure(metrics, key) is None
    assert figure(metrics, "total_balance_fen") == 0


def test_zero_balance_denominators_are_null() -> None:
    """A loan with only overdue interest left (balance 0) stays on the book: every ratio over its bucket's
    balance is null, never NaN."""
    may = snapshot([("Z1", "P", 200, True, "M7+", "loss", 3, 0, 5000)])
    june = snapshot([("Z1", "P", 230, True, "M7+", "loss", 3, 0, 5000)])
    frames = BookFrames(
        month=date(2025, 6, 1),
        as_of=JUNE,
        previous_as_of=MAY,
        current=june,
        previous=may,
        history=history((MAY, may), (JUNE, june)),
        loans=loans([("Z1", "BJ", "app", date(2024, 1, 1), 10000, date(2024, 2, 1), 700)]),
        writeoffs=pl.DataFrame(schema={"loan_id": pl.String, "written_off_on": pl.Date}),
        due_loans=ids(),
        cash=NO_CASH,
    )
    metrics = metrics_of(frames)
    for table in metrics.tables.values():
        check_table(table)
    assert rows(metrics.tables["stock_by_bucket"])[0]["balance_share"] is None
    assert rows(metrics.tables["roll_rates"])[0]["rate"] is None
    assert by(metrics.tables["migration_rates"], "indicator")["normal"]["rate"] is None
    assert by(metrics.tables["stock_by_product"], "product")["P"]["overdue_rate"] is None
    assert figure(metrics, "overdue_rate") is None


def test_vintage_curves_ever_and_current() -> None:
    """Vintage 2025-04 (V1, V2: 200000 disbursed): May-end V1 dpd 35 (95000) → 0.475 current and ever; June-end
    V1 cured, V2 dpd 95 (95000) → current DPD30+ and DPD90+ 0.475, ever DPD30+ 0.95 (V1 keeps its May balance).
    Vintage 2025-05 (V3) stays current; OLD (2024) is before the history and not shown."""
    rows_by_day = {
        date(2025, 4, 30): [("V1", 0, 100000), ("V2", 0, 100000), ("OLD", 120, 5000)],
        date(2025, 5, 31): [("V1", 35, 95000), ("V2", 0, 95000), ("V3", 0, 200000), ("OLD", 150, 5000)],
        date(2025, 6, 30): [("V1", 0, 90000), ("V2", 95, 95000), ("V3", 0, 190000)],
    }
    stacked = pl.concat(
        pl.DataFrame(
            values,
            schema={"loan_id": pl.String, "dpd": pl.Int32, "outstanding_principal_fen": pl.Int64},
            orient="row",
        ).with_columns(pl.lit(day).alias("as_of"))
        for day, values in rows_by_day.items()
    )
    cohorts = pl.DataFrame(
        {
            "loan_id": ["V1", "V2", "V3", "OLD"],
            "disbursed_on": [date(2025, 4, 10), date(2025, 4, 20), date(2025, 5, 3), date(2024, 1, 1)],
            "principal_fen": [100000, 100000, 200000, 10000],
        }
    )
    table = vintage(stacked, cohorts)
    check_table(table)
    assert [
        (
            r["vintage"],
            r["months_on_book"],
            r["disbursed_fen"],
            r["dpd30_ever_ratio"],
            r["dpd90_ever_ratio"],
            r["dpd30_current_ratio"],
            r["dpd90_current_ratio"],
        )
        for r in rows(table)
    ] == [
        (date(2025, 4, 1), 0, 200000, 0.0, 0.0, 0.0, 0.0),
        (date(2025, 4, 1), 1, 200000, 0.475, 0.0, 0.475, 0.0),
        (date(2025, 4, 1), 2, 200000, 0.95, 0.475, 0.475, 0.475),
        (date(2025, 5, 1), 0, 200000, 0.0, 0.0, 0.0, 0.0),
        (date(2025, 5, 1), 1, 200000, 0.0, 0.0, 0.0, 0.0),
    ]


PRICING_HISTORY = {
    date(2024, 6, 30): [
        ("P1", 0, 100000),
        ("P2", 0, 60000),
        ("P3", 0, 80000),
        ("P4", 100, 9000),
        ("P5", 10, 20000),
    ],
    date(2025, 3, 31): [
        ("P1", 0, 90000),
        ("P2", 95, 50000),
        ("P3", 0, 70000),
        ("P4", 190, 9000),
        ("P5", 100, 10000),
    ],
    date(2025, 6, 30): [
        ("P1", 0, 80000),
        ("P2", 120, 50000),
        ("P3", 0, 60000),
        ("P4", 280, 9000),
        ("P5", 200, 10000),
    ],
}


def pricing_history(days: dict[date, list[tuple[str, int, int]]]) -> pl.DataFrame:
    return pl.concat(
        pl.DataFrame(
            values,
            schema={"loan_id": pl.String, "dpd": pl.Int32, "outstanding_principal_fen": pl.Int64},
            orient="row",
        ).with_columns(pl.lit(day).alias("as_of"))
        for day, values in days.items()
    )


SCORES = pl.DataFrame({"loan_id": ["P1", "P2", "P3", "P4", "P5"], "credit_score": [760, 720, 705, None, 500]})
CASH = pl.DataFrame(
    {
        "loan_id": ["P2", "P2", "P5"],
        "paid_on": [date(2025, 3, 1), date(2025, 4, 15), date(2025, 3, 31)],
        "amount_fen": [5000, 10000, 7000],
    }
)


def test_pricing_pd_lgd_and_the_legal_cap() -> None:
    """Cohort at 2024-06-30 (dpd ≤ 90): P1 (A), P2 P3 (B), P5 (E); P4 already past 90 is left out. Defaulted
    later: P2 (2025-03-31, EAD 50000, 10000 paid after: the 5000 before and P5's payment on its default day do
    not count), P5 (EAD 10000, nothing after). With min_defaults 1: LGD B = 0.8, E = 1.0, A pooled
    1 − 10000/60000. 12 months observed, so the annual PD is the PD (domain.pricing). Default policy (C4
    licensed cap 24 %, funding 3 % + operating 2 % + margin 2 % = 7 %): A: 0 + 7 % = 0.0700, approve;
    B: 0.5 × 0.8 = 0.40, required 0.4700 > 0.24 → decline, quoted at the cap 0.2400; E: 1 × 1 + 7 % = 1.0700
    → decline. Rates are decimal strings (C9)."""
    parameters = PricingParameters(min_defaults=1)
    table = pricing(pricing_history(PRICING_HISTORY), SCORES, CASH, parameters)
    check_table(table)
    grades = by(table, "grade")
    assert list(grades) == ["A", "B", "E"]
    assert grades["A"]["loans"] == 1
    assert grades["A"]["pd"] == 0.0
    assert grades["A"]["lgd"] == pytest.approx(1 - 10000 / 60000)
    shown = ("expected_loss_rate", "funding_rate", "operating_rate", "margin_rate", "required_rate", "rate")
    assert [grades["A"][name] for name in shown] == ["0.000000", "0.03", "0.02", "0.02", "0.0700", "0.0700"]
    assert grades["A"]["decision"] == "approve"
    assert grades["B"]["loans"] == 2
    assert grades["B"]["pd"] == 0.5
    assert grades["B"]["lgd"] == pytest.approx(0.8)
    assert (grades["B"]["expected_loss_rate"], grades["B"]["required_rate"]) == ("0.400000", "0.4700")
    assert (grades["B"]["rate"], grades["B"]["decision"]) == ("0.2400", "decline")
    assert (grades["E"]["pd"], grades["E"]["lgd"]) == (1.0, 1.0)
    assert (grades["E"]["required_rate"], grades["E"]["rate"], grades["E"]["decision"]) == (
        "1.0700",
        "0.2400",
        "decline",
    )


def test_pricing_rate_equals_the_domain_rule() -> None:
    """Every priced grade's rate is ``domain.pricing.price_grade`` of its PD and LGD (C4, C9): the table never
    prices on its own."""
    parameters = PricingParameters(min_defaults=1)
    for row in rows(pricing(pricing_history(PRICING_HISTORY), SCORES, CASH, parameters)):
        lgd = (
            Decimal(1) - Decimal(10000) / Decimal(60000) if row["grade"] == "A" else Decimal(str(row["lgd"]))
        )
        price = price_grade(
            GradeBand(str(row["grade"]), Decimal(str(row["pd"]))),
            PricingPolicy(lgd=lgd),
            term_months=12,
        )
        assert (row["required_rate"], row["rate"], row["decision"]) == (
            str(price.required_rate),
            str(price.annual_rate),
            price.decision.value,
        )


def test_pricing_falls_back_to_the_default_lgd_and_needs_history() -> None:
    """Fewer defaults than ``min_defaults`` (30 by default): the policy's LGD 45 %; with a 50 % cap grade B
    (PD 0.5) is 0.5 × 0.45 + 7 % = 0.2950, approved. One month-end only: no PD, no rate, no decision."""
    wide = PricingParameters(policy=PricingPolicy(licensed_cap=Decimal("0.5")))
    table = pricing(pricing_history(PRICING_HISTORY), SCORES, CASH, wide)
    grades = by(table, "grade")
    assert all(row["lgd"] == 0.45 for row in grades.values())
    assert (grades["B"]["expected_loss_rate"], grades["B"]["rate"]) == ("0.225000", "0.2950")
    assert grades["B"]["decision"] == "approve"
    single = pricing(
        pricing_history({date(2025, 6, 30): PRICING_HISTORY[date(2025, 6, 30)]}),
        SCORES,
        CASH,
        PricingParameters(),
    )
    check_table(single)
    assert all(row["pd"] is None and row["rate"] is None and row["decision"] is None for row in rows(single))


def test_pricing_annualises_a_pd_observed_over_fewer_months() -> None:
    """History 2024-06-30 → 2025-03-31: 9 months. Grade B's PD 0.5 over 9 months is a one-year PD of
    1 − 0.5^(12/9) = 1 − 0.396850 = 0.603150 (domain.pricing.annual_pd, constant hazard); × LGD 0.45 =
    0.271417; + 7 % = 0.341417, rounded up to a basis point: 0.3415 (cap 50 %)."""
    nine = {day: PRICING_HISTORY[day] for day in (date(2024, 6, 30), date(2025, 3, 31))}
    wide = PricingParameters(policy=PricingPolicy(licensed_cap=Decimal("0.5")))
    grades = by(pricing(pricing_history(nine), SCORES, CASH, wide), "grade")
    assert grades["B"]["pd"] == 0.5
    assert (grades["B"]["expected_loss_rate"], grades["B"]["required_rate"]) == ("0.271417", "0.3415")
    assert (grades["B"]["rate"], grades["B"]["decision"]) == ("0.3415", "approve")


def test_pricing_private_lender_cap_is_four_times_the_lpr() -> None:
    """C4: a private lender's cap is 4 × the one-year LPR (0.03 → 0.12): grade A at 7 % is approved, grade B
    (0.5 × 0.45 + 7 % = 0.2950) is declined and quoted at 0.1200; without the LPR the parameters are refused."""
    private = PricingParameters(policy=PricingPolicy(lender=Lender.PRIVATE), lpr=Decimal("0.03"))
    grades = by(pricing(pricing_history(PRICING_HISTORY), SCORES, CASH, private), "grade")
    assert (grades["A"]["rate"], grades["A"]["decision"]) == ("0.0700", "approve")
    assert (grades["B"]["required_rate"], grades["B"]["rate"]) == ("0.2950", "0.1200")
    assert grades["B"]["decision"] == "decline"
    with pytest.raises(PricingError, match="LPR"):
        PricingParameters(policy=PricingPolicy(lender=Lender.PRIVATE))


def test_grades_follow_the_configured_bands() -> None:
    """Bands are parameters: with one band at 700 every scored loan below it is unscored."""
    parameters = PricingParameters(grades=(("good", 700),), min_defaults=1)
    grades = by(pricing(pricing_history(PRICING_HISTORY), SCORES, CASH, parameters), "grade")
    assert list(grades) == ["good", "unscored"]
    assert grades["good"]["loans"] == 3
    assert grades["unscored"]["loans"] == 1


def test_labels_have_chinese_names(june: Metrics) -> None:
    """Every code label of the book's tables has a Chinese name for the report; bucket names stay as they are."""
    for key in (
        "stock_by_class",
        "stock_by_stage",
        "roll_rates",
        "migration_rates",
        "flow_rates",
        "credit_loss",
    ):
        frame = june.tables[key].frame
        for column in frame.select(pl.col(pl.String)).iter_columns():
            for value in column.to_list():
                assert value.startswith("M") or label_zh(value) != value, (key, value)
    assert label_zh("cure_M2") == "M2治愈率"
    assert label_zh("written_off") == "核销"
