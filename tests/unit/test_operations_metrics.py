"""Collection operations and impact metrics (issue 7, ``analytics.operations``) on a small hand-built month,
every answer worked by hand (docs/metrics.md "Collection operations and impact").

The month is June 2026 (as_of 2026-06-30). Three collectors' people (c1 of 一组, c2 of 二组, ag1 of agency A1
甲公司), three cases of segment S (case 1 of B1 moved from path early to late on 06-15, case 2 of B2 on the
challenger arm cured on 06-20, case 3 of B3 placed with A1), contacts, promises and four cash payments:

| payment | loan | day | fen | case | last touch (any / person) | path on the day | agency |
| --- | --- | --- | --- | --- | --- | --- | --- |
| pay1 | L1 | 06-06 | 10 000 | 1 | a1 call by c1 on 06-05 | early / champion | — |
| pay2 | L2 | 06-18 | 20 000 | 2 | a3 visit by c2 (named by user id) 06-10 | early / challenger | — |
| pay3 | L3 | 06-13 | 5 000 | 3 | a6 call by ag1 on 06-12 | late / champion | 甲公司 |
| pay4 | L4 | 06-20 | 3 000 | — (no case: not collection cash; recovery after write-off) | | | |
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl
import pytest

from qingshou.analytics import ops_frames as f
from qingshou.analytics.contract import TABLES, Table, check_table
from qingshou.analytics.operations import compute
from qingshou.analytics.ops_contacts import wilson
from qingshou.analytics.ops_frames import OpsFrames, OpsSettings, Period, UnitCostError, frame_of

JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))
OPS_KEYS = ("ops_by_channel", "ops_by_path", "ops_by_team", "ops_by_collector", "ops_by_agency")
MY_KEYS = (
    *OPS_KEYS,
    "champion_challenger",
    "recovery_by_cohort",
    "legal_and_disposal",
    "cash_flow",
    "cost_to_collect",
    "operating_pressure",
)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def june() -> OpsFrames:
    users = frame_of(
        [
            (1, "c1", "一组", None, 2, True),
            (2, "c2", "二组", None, 3, True),
            (3, "ag1", None, "A1", 200, False),
        ],
        f.USERS,
    )
    cases = frame_of(
        [
            (1, "B1", d(5, 10), None, "", "S", "late", "champion", "c1", "一组", None),
            (2, "B2", d(6, 2), d(6, 20), "cured", "S", "early", "challenger", "c2", "二组", None),
            (3, "B3", d(4, 1), None, "", "S", "late", "champion", None, None, "A1"),
        ],
        f.CASES,
    )
    events = frame_of(
        [(1, d(5, 10), "S", "early", "champion"), (1, d(6, 15), "S", "late", "champion")], f.EVENTS
    )
    attempts = frame_of(
        [
            (1, "user", "c1", "B1", "L1", "call", "debtor", d(6, 5), "connected"),
            (2, "user", "c1", "B1", "L1", "call", "debtor", d(6, 16), "no_answer"),
            (3, "user", "2", "B2", "L2", "visit", "debtor", d(6, 10), "connected"),
            (4, "engine", "eod:2026-06-02", "B1", "L1", "sms", "debtor", d(6, 3), ""),
            (5, "engine", "eod:2026-06-03", "B2", "L2", "letter", "debtor", d(6, 4), ""),  # never sent
            (6, "user", "ag1", "B3", "L3", "call", "debtor", d(6, 12), "connected"),
            (7, "user", "c1", "B1", "L1", "call", "debtor", d(5, 20), "connected"),  # May: last touch only
            (8, "user", "c1", "B1", "L1", "call", "debtor", d(6, 7), ""),  # no result: did not happen
        ],
        f.ATTEMPTS,
    )
    sent = frame_of(
        [("2026-06-02", "B1", "sms", d(6, 3)), ("2026-06-19", "B2", "letter", d(6, 20))],
        {**f.SENT, "as_of": pl.String()},
    ).with_columns(pl.col("as_of").str.to_date())
    promises = frame_of(
        [
            (1, 1, "B1", "c1", d(6, 5), d(6, 12), "kept"),
            (2, 2, "B2", "c2", d(6, 10), d(6, 15), "broken"),
            (3, 3, "B3", "ag1", d(6, 12), d(7, 5), "pending"),
            (4, 1, "B1", "c1", d(5, 20), d(6, 2), "partly_kept"),
        ],
        f.PROMISES,
    )
    payments = frame_of(
        [
            ("pay1", "L1", "B1", d(6, 6), 10000),
            ("pay2", "L2", "B2", d(6, 18), 20000),
            ("pay3", "L3", "B3", d(6, 13), 5000),
            ("pay4", "L4", "B4", d(6, 20), 3000),
        ],
        f.PAYMENTS,
    )
    placements = frame_of([(3, "A1", "甲公司", d(6, 1), d(8, 29), "active")], f.PLACEMENTS)
    agencies = frame_of([("A1", "甲公司", 10)], f.AGENCIES)
    commission = frame_of([("A1", 3, 5000, 750)], f.COMMISSION)
    costs = frame_of([("L3", d(6, 8), 2000)], f.COSTS)
    legal_cases = frame_of(
        [(1, 3, "hearing", "", 25000, d(6, 1), None, 0, None, d(7, 10), None)], f.LEGAL_CASES
    )
    legal_loans = frame_of([(1, "L3")], f.LEGAL_LOANS)
    preservations = frame_of(
        [
            (1, d(1, 1), 4000, d(12, 31), d(12, 24), True),
            (1, d(6, 5), 8000, d(7, 20), d(7, 13), True),
        ],
        f.PRESERVATIONS,
    )
    disposals = frame_of([(1, d(6, 25), 12000)], f.DISPOSALS)
    writeoffs = frame_of([("L4", d(5, 31), 40000)], f.WRITEOFFS)
    due = frame_of(
        [(d(7, 5, 2025), 1000), (d(5, 10), 80000), (d(6, 10), 100000), (d(7, 10), 90000)], f.DUE_BY_DAY
    )
    cash = frame_of([(d(5, 15), 50000), (d(6, 6), 38000)], f.CASH_BY_DAY)
    may = frame_of(
        [
            ("L1", "M1", True, 50000, d(1, 1, 2029)),
            ("L2", "M2", True, 30000, d(1, 1, 2029)),
            ("L3", "M1", True, 20000, d(1, 1, 2029)),
            ("L5", "M0", False, 0, d(1, 1, 2029)),
        ],
        f.SNAPSHOT,
    )
    now = frame_of(
        [
            ("L1", "M1", True, 45000, d(7, 15)),
            ("L2", "M0", False, 0, d(1, 1, 2029)),
            ("L3", "M2", True, 25000, d(1, 1, 2029)),
            ("L5", "M0", False, 0, d(7, 1)),
        ],
        f.SNAPSHOT,
    )
    history_cash = frame_of(
        [(d(6, 30), "L1", 10000), (d(6, 30), "L2", 20000), (d(6, 30), "L3", 5000), (d(6, 30), "L4", 3000)],
        f.HISTORY_CASH,
    )
    return OpsFrames(
        period=JUNE,
        users=users,
        cases=cases,
        events=events,
        attempts=attempts,
        sent=sent,
        promises=promises,
        payments=payments,
        placements=placements,
        agencies=agencies,
        commission=commission,
        costs=costs,
        legal_cases=legal_cases,
        legal_loans=legal_loans,
        preservations=preservations,
        disposals=disposals,
        writeoffs=writeoffs,
        due_by_day=due,
        cash_by_day=cash,
        history=((d(5, 31), may), (d(6, 30), now)),
        history_cash=history_cash,
    )


@pytest.fixture(scope="module")
def metrics():
    return compute(june())


def rows(table: Table) -> list[tuple[object, ...]]:
    return [
        tuple(round(value, 6) if isinstance(value, float) else value for value in row)
        for row in table.frame.iter_rows()
    ]


def test_every_table_of_the_module_is_produced_in_its_shape(metrics) -> None:
    assert sorted(metrics.tables) == sorted(MY_KEYS)
    for key in MY_KEYS:
        check_table(metrics.tables[key])
        assert metrics.tables[key].frame.columns == [column.name for column in TABLES[key].columns]


def test_by_channel_counts_only_contacts_that_happened(metrics) -> None:
    # a5 (letter never sent) and a8 (no result) are not contacts; a4 (engine SMS, sent) is.
    # promises: p1 and p3 last RPC by call, p2 by visit; due and evaluated: p1 (kept), p4 (call on 05-20), p2
    assert rows(metrics.tables["ops_by_channel"]) == [
        ("外访", 1, 1, 1.0, 1, 1.0, 0, 0.0, 20000),
        ("电话", 3, 2, round(2 / 3, 6), 2, 1.0, 1, 0.5, 15000),
        ("短信", 1, 0, 0.0, 0, None, 0, None, 0),
    ]


def test_by_path_uses_the_assignment_on_the_day(metrics) -> None:
    # case 1 was on early until 06-15: a1, a4, p1, p4 and pay1 are early; a2 (06-16) is late
    assert rows(metrics.tables["ops_by_path"]) == [
        ("early / challenger", 1, 1, 1.0, 1, 1.0, 0, 0.0, 20000),
        ("early / champion", 2, 1, 0.5, 1, 1.0, 1, 0.5, 10000),
        ("late / champion", 2, 1, 0.5, 1, 1.0, 0, None, 5000),
    ]


def test_by_collector_and_team_leave_engine_notices_out(metrics) -> None:
    # the visit names c2 by user id; cash by last person touch; pay4 had no touch
    assert rows(metrics.tables["ops_by_collector"]) == [
        ("ag1", 1, 1, 1.0, 1, 1.0, 0, None, 5000),
        ("c1", 2, 1, 0.5, 1, 1.0, 1, 0.5, 10000),
        ("c2", 1, 1, 1.0, 1, 1.0, 0, 0.0, 20000),
    ]
    assert rows(metrics.tables["ops_by_team"]) == [
        ("一组", 2, 1, 0.5, 1, 1.0, 1, 0.5, 10000),
        ("二组", 1, 1, 1.0, 1, 1.0, 0, 0.0, 20000),
        ("未分配", 1, 1, 1.0, 1, 1.0, 0, None, 5000),
    ]


def test_by_agency_contacts_by_its_users_cash_by_placement(metrics) -> None:
    assert rows(metrics.tables["ops_by_agency"]) == [
        ("甲公司", 1, 1, 1.0, 1, 1.0, 0, None, 5000),
        ("未委外", 3, 2, round(2 / 3, 6), 2, 1.0, 1, round(1 / 3, 6), 30000),
    ]


def test_every_ops_table_adds_up_to_the_month_cash_on_cases(metrics) -> None:
    # pay4 (L4, no case open) is not collection's cash: 10 000 + 20 000 + 5 000
    for key in OPS_KEYS:
        assert metrics.tables[key].frame["collected_fen"].sum() == 35000, key


def test_wilson_interval_against_known_values() -> None:
    low, high = wilson(5, 10) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10) or (0.0, 0.0)
    assert (low, round(high, 4)) == (0.0, 0.2775)
    assert wilson(0, 0) is None


def test_champion_challenger(metrics) -> None:
    """Challenger: case 2 cured (1 / 1): Wilson low l₁ = 1 / (1 + z²), high 1; champion: cases 1 and 3, none
    cured (0 / 2): low 0, high u₂ = (z² / 2) / (1 + z² / 2). The challenger's difference 1 − 0 = 1 with
    Newcombe's interval L = 1 − √((1 − l₁)² + u₂²), U = 1 + √(0² + 0²) = 1; the champion row has none."""
    z2 = 1.959963984540054**2
    low_1, high_2 = 1 / (1 + z2), (z2 / 2) / (1 + z2 / 2)
    newcombe_low = 1 - ((1 - low_1) ** 2 + high_2**2) ** 0.5
    assert round(newcombe_low, 6) == -0.030547  # l₁ = 0.206549, u₂ = 0.657620: the interval holds 0
    assert rows(metrics.tables["champion_challenger"]) == [
        ("S", "challenger", 1, 1, 1.0, round(low_1, 6), 1.0, 20000, 1.0, round(newcombe_low, 6), 1.0),
        ("S", "champion", 2, 0, 0.0, 0.0, round(high_2, 6), 15000, None, None, None),
    ]


def test_recovery_by_cohort(metrics) -> None:
    # May-end M1: L1 50 000 + L3 20 000, cash 15 000; M2: L2 30 000, cash 20 000, cured in June
    assert rows(metrics.tables["recovery_by_cohort"]) == [
        ("M1", 2, 70000, 15000, round(15000 / 70000, 6), 0, 0.0),
        ("M2", 1, 30000, 20000, round(2 / 3, 6), 1, 1.0),
    ]


def test_cash_flow_gap_and_expected_recoveries(metrics) -> None:
    table = metrics.tables["cash_flow"].frame
    assert table.height == 15
    assert table["month"][0] == date(2025, 7, 1)
    assert table.row(0) == (date(2025, 7, 1), 1000, 0, 1000, None)
    assert table.row(10) == (date(2026, 5, 1), 80000, 50000, 30000, None)
    assert table.row(11) == (date(2026, 6, 1), 100000, 38000, 62000, None)
    # rates: M1 15 000 / 70 000 = 3/14, M2 20 000 / 30 000 = 2/3; overdue now M1 45 000, M2 25 000
    m1, m2 = Fraction(3, 14), Fraction(2, 3)
    expected = [45000 * m1 * (1 - m1) ** k + 25000 * m2 * (1 - m2) ** k for k in range(3)]
    assert [round(float(value), 3) for value in expected] == [26309.524, 13132.086, 7804.84]
    assert [table.row(12 + k) for k in range(3)] == [
        (date(2026, 7, 1), 90000, None, None, 26310),
        (date(2026, 8, 1), 0, None, None, 13132),
        (date(2026, 9, 1), 0, None, None, 7805),
    ]


def test_legal_and_disposal(metrics) -> None:
    assert rows(metrics.tables["legal_and_disposal"]) == [
        ("新立法务案件", 1, 25000),
        ("判决（裁决、裁定）", 0, 0),
        ("终结本次执行（终本）", 0, 0),
        ("保全措施（含续行）", 1, 8000),
        ("诉讼及实现债权费用", 1, 2000),
        ("抵押物处置回收", 1, 12000),
        ("核销", 0, 0),
        ("核销后回收", 1, 3000),
    ]


def test_cost_to_collect(metrics) -> None:
    # staff: c1's two calls × 3.00 + c2's visit × 100.00 (ag1's call is the agency's); SMS 1 × 0.05; letter 1 × 5.00
    assert rows(metrics.tables["cost_to_collect"]) == [
        ("委外佣金", 750, 5000, 0.15),
        ("法务费用", 2000, 5000, 0.4),
        ("短信", 5, 0, None),
        ("信函", 500, 0, None),
        ("电子邮件", 0, 0, None),
        ("人工（联系）", 10600, 30000, round(10600 / 30000, 6)),
        ("合计", 13855, 35000, round(13855 / 35000, 6)),
    ]


def test_cost_to_collect_unit_prices_are_configurable() -> None:
    settings = OpsSettings.from_yuan(sms="0.10", letter="8", contact="2.50")
    assert (settings.sms_fen, settings.letter_fen, settings.contact_fen) == (10, 800, 250)
    table = compute(june(), settings).tables["cost_to_collect"].frame
    assert table.filter(pl.col("category") == "人工（联系）")["cost_fen"][0] == 2 * 250 + 10000
    with pytest.raises(UnitCostError, match=r"sms.*not a float"):
        OpsSettings.from_yuan(sms=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sms"):
        OpsSettings.from_yuan(sms="0.001")


@pytest.mark.parametrize(
    ("costs", "key", "reason"),
    [
        ({"sms": 0.05}, "sms", "not a float"),
        ({"letter": "five"}, "letter", "not an amount in yuan"),
        ({"visit": "-1"}, "visit", "non-negative"),
        ({"email": "0.001"}, "email", "whole fen"),
        ({"contact": None}, "contact", "decimal string"),
        ({"fax": "1"}, "fax", "unknown unit cost"),
    ],
)
def test_unit_costs_setting_refuses_floats_and_bad_values(costs: dict, key: str, reason: str) -> None:
    """``QINGSHOU_UNIT_COSTS`` (C9: money never a float): a bad value is an error naming its key."""
    with pytest.raises(UnitCostError, match=reason) as raised:
        OpsSettings.from_unit_costs(costs)
    assert raised.value.key == key


def test_unit_costs_setting_overrides_the_defaults_key_by_key() -> None:
    """Yuan as decimal strings (or whole yuan as int) → fen; keys left out keep their defaults."""
    settings = OpsSettings.from_unit_costs({"sms": "0.08", "visit": 150, "letter": "4.5"})
    assert (settings.sms_fen, settings.visit_fen, settings.letter_fen) == (8, 15000, 450)
    assert (settings.email_fen, settings.contact_fen) == (1, 300)
    assert OpsSettings.from_unit_costs(None) == OpsSettings()


def test_operating_pressure(metrics) -> None:
    # open on 06-30: case 1 (c1) and case 3 (A1); collectors c1 (cap 2) and c2 (cap 3); nobody touched
    # either case in the last 3 days; a hearing on 07-10 and a renewal due 07-13; L1's limitation 07-15
    assert rows(metrics.tables["operating_pressure"]) == [
        ("在案案件（已分配催收员）", 1, 5, 0.2),
        ("人均在案案件", 1, 3, 0.2),
        ("超出容量的催收员", 0, 2, 0.0),
        ("未分配的在案案件", 0, 2, 0.0),
        ("委外在案案件", 1, 10, 0.1),
        ("积压案件", 2, 2, 1.0),
        ("未来30天法律期限", 2, None, None),
        ("未来30天诉讼时效届满", 1, None, None),
    ]


def test_backlog_counts_cases_untouched_for_three_days() -> None:
    frames = june()
    recent = frame_of([(9, "user", "c1", "B1", "L1", "call", "debtor", d(6, 28), "no_answer")], f.ATTEMPTS)
    touched = OpsFrames(**{**_fields(frames), "attempts": pl.concat([frames.attempts, recent])})
    pressure = compute(touched).tables["operating_pressure"].frame
    assert pressure.filter(pl.col("item") == "积压案件").row(0) == ("积压案件", 1, 2, 0.5)


def _fields(frames: OpsFrames) -> dict[str, object]:
    return {name: getattr(frames, name) for name in OpsFrames.__slots__}  # type: ignore[attr-defined]


def test_summary_figures_are_traced_to_their_tables(metrics) -> None:
    figures = {figure.key: figure for figure in metrics.figures}
    assert figures["cash_collected"].value == 35000
    assert figures["rpc_rate"].value == pytest.approx(3 / 5)
    assert figures["promise_rate"].value == pytest.approx(1.0)
    assert figures["kept_rate"].value == pytest.approx(1 / 3)
    assert figures["cost_to_collect_ratio"].value == pytest.approx(13855 / 35000)
    assert (figures["cost_to_collect_ratio"].table, figures["cost_to_collect_ratio"].row) == (
        "cost_to_collect",
        "合计",
    )
    assert figures["open_cases_per_collector"].value == 1
    assert figures["legal_deadlines_30d"].value == 2
    assert figures["limitation_expiries_30d"].value == 1
    for figure in metrics.figures:
        assert figure.table in TABLES


def test_an_empty_month_gives_empty_tables_and_null_ratios() -> None:
    metrics = compute(OpsFrames(period=JUNE))
    for key in MY_KEYS:
        check_table(metrics.tables[key])
    for key in (*OPS_KEYS, "champion_challenger", "recovery_by_cohort"):
        assert metrics.tables[key].frame.height == 0, key
    assert metrics.tables["legal_and_disposal"].frame["count"].sum() == 0
    cash = metrics.tables["cash_flow"].frame
    assert cash.height == 12
    assert cash["collected_fen"].sum() == 0
    cost = metrics.tables["cost_to_collect"].frame
    assert cost["cost_ratio"].null_count() == cost.height  # nothing recovered: every ratio null
    pressure = metrics.tables["operating_pressure"].frame
    assert pressure.filter(pl.col("item") == "人均在案案件")["value"][0] is None
    figures = {figure.key: figure.value for figure in metrics.figures}
    assert figures["cash_collected"] == 0
    assert figures["rpc_rate"] is None
    assert figures["kept_rate"] is None
    assert figures["cost_to_collect_ratio"] is None
    assert [note.en for note in metrics.notes] == [  # no previous snapshot: said so, in both languages
        "no previous month-end snapshot: recovery by bucket cohort and expected recoveries not computed"
    ]
    assert "无上月末快照" in metrics.notes[0].zh


def test_a_team_filter_keeps_only_the_cases_of_the_team() -> None:
    frames = june()
    only = OpsFrames(
        **{**_fields(frames), "cases": frames.cases.filter(pl.col("team") == "一组"), "by_case_only": True}
    )
    channel = compute(only).tables["ops_by_channel"].frame
    # case 1 only: a1, a2 calls and the engine SMS; p1 (and p4 due); pay1
    assert channel["contacts"].sum() == 3
    assert channel["collected_fen"].sum() == 10000
    assert channel["promises"].sum() == 1


def test_recovery_rates_need_consecutive_months() -> None:
    # the lake lacks April and May: March-end → June-end measures no month, so nothing is expected
    frames = june()
    march = frames.history[0][1]
    gap = OpsFrames(**{**_fields(frames), "history": ((d(3, 31), march), frames.history[1])})
    table = compute(gap).tables["cash_flow"].frame
    assert table.filter(pl.col("month") > d(6, 1))["expected_fen"].to_list() == [0, 0, 0]
