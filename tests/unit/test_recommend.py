"""The report's recommendations (analytics.recommend) on hand-built months: each rule fires with the figures
that justify it and stays silent just inside its threshold; no recommendation without evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from qingshou.analytics.contract import (
    TABLES,
    Figure,
    Kind,
    MonthData,
    Recommendation,
)
from qingshou.analytics.format import value_text
from qingshou.analytics.ops_contacts import with_differences
from qingshou.analytics.recommend import DEFAULT_THRESHOLDS, UnknownThreshold, recommend
from qingshou.risk.evaluation import wilson
from report_support import contract_table, hand_month, pricing_row

MONTH = date(2026, 5, 1)


def month(
    figures: tuple[Figure, ...] = (), month_day: date = MONTH, **rows: list[dict[str, Any]]
) -> MonthData:
    return hand_month(figures, month_day, **rows)


def keys(found: tuple[Recommendation, ...]) -> list[str]:
    return [item.key for item in found]


def assert_justified(found: tuple[Recommendation, ...]) -> None:
    """Every recommendation has evidence traced to a table, and its figures are in both sentences."""
    assert found
    for item in found:
        assert item.evidence, item.key
        for figure in item.evidence:
            assert figure.table in TABLES
            text = value_text(figure.kind, figure.value)
            assert figure.value is not None
            if figure.key.endswith(".loans") or "numerator" in figure.key or "denominator" in figure.key:
                continue  # counts are in the sentence too, checked by the rule's own test
            assert text in item.zh, (item.key, text, item.zh)
            assert text in item.en, (item.key, text, item.en)


def test_an_empty_month_recommends_nothing() -> None:
    assert recommend(month()) == ()


def test_provision_coverage_below_150_percent() -> None:
    low = Figure(
        "provision_coverage", "拨备覆盖率", "provision coverage", Kind.RATIO, 1.2345, "stock_by_class"
    )
    found = recommend(month((low,)))
    assert keys(found) == ["provision_coverage_low"]
    assert "123.45%" in found[0].zh
    assert "150.00%" in found[0].zh
    assert found[0].evidence == (low,)
    assert_justified(found)
    ok = Figure("provision_coverage", "拨备覆盖率", "provision coverage", Kind.RATIO, 1.5, "stock_by_class")
    assert recommend(month((ok,))) == ()
    missing = Figure(
        "provision_coverage", "拨备覆盖率", "provision coverage", Kind.RATIO, None, "stock_by_class"
    )
    assert recommend(month((missing,))) == ()


def test_capacity_and_limitation_from_operating_pressure() -> None:
    found = recommend(
        month(
            operating_pressure=[
                {"item": "人均在案案件", "value": 250, "capacity": 200, "utilisation": 1.25},
                {"item": "积压案件", "value": 10, "capacity": 100, "utilisation": 0.1},
                {"item": "30天内届满的诉讼时效", "value": 7},
                {"item": "legal deadlines in 30 days", "value": 3},
            ]
        )
    )
    assert keys(found) == ["limitation_expiries", "capacity_short"]
    limitation, capacity = found
    assert "7" in limitation.zh
    assert limitation.evidence[0].row == "30天内届满的诉讼时效"
    assert [figure.value for figure in capacity.evidence] == [250, 200, 1.25]
    assert "125.00%" in capacity.en
    assert "250" in capacity.zh
    assert_justified(found)
    quiet = month(
        operating_pressure=[
            {"item": "人均在案案件", "value": 200, "capacity": 200, "utilisation": 1.0},
            {"item": "30天内届满的诉讼时效", "value": 0},
        ]
    )
    assert recommend(quiet) == ()


def cohort(bucket: str, loans: int, rate: float | None) -> dict[str, Any]:
    return {"bucket": bucket, "loans": loans, "cure_rate": rate}


def test_cure_rate_fell_against_the_previous_month() -> None:
    before = month(
        recovery_by_cohort=[cohort("M1", 100, 0.60), cohort("M2", 50, 0.30)], month_day=date(2026, 4, 1)
    )
    now = month(recovery_by_cohort=[cohort("M1", 100, 0.50), cohort("M2", 50, 0.26)])
    found = recommend(now, previous=before)
    assert keys(found) == ["cure_rate_fell"]
    (fell,) = found
    assert "M1" in fell.zh
    assert "60.00%" in fell.zh
    assert "50.00%" in fell.zh
    assert "10.00%" in fell.zh
    assert "2026-04" in fell.en
    assert "2026-05" in fell.en
    assert [figure.value for figure in fell.evidence] == [0.50, 0.60]
    assert_justified(found)


def test_without_the_previous_month_a_low_cure_rate_fires() -> None:
    now = month(recovery_by_cohort=[cohort("M1", 100, 0.21), cohort("M2", 50, 0.12), cohort("M3", 5, 0.0)])
    found = recommend(now)
    # M3 has too few loans (min_loans); M1 is above the floor.
    assert keys(found) == ["cure_rate_low"]
    assert found[0].evidence[1].value == 0.12
    assert "12.00%" in found[0].zh
    assert_justified(found)


def test_roll_forward_above_the_maximum() -> None:
    found = recommend(
        month(
            roll_rates=[
                {"from_bucket": "M1", "to_bucket": "M2", "loans": 40, "rate": 0.35},
                {"from_bucket": "M1", "to_bucket": "M0", "loans": 60, "rate": 0.65},
                {"from_bucket": "M2", "to_bucket": "M3", "loans": 20, "rate": 0.30},
                {"from_bucket": "M0", "to_bucket": "M1", "loans": 20, "rate": 0.90},
            ]
        )
    )
    assert keys(found) == ["roll_forward_high"]
    assert found[0].evidence[0].row == "M1→M2"
    assert "35.00%" in found[0].zh
    assert_justified(found)


def agency(name: str, contacts: int, rpc: float, kept: float) -> dict[str, Any]:
    return {"agency": name, "contacts": contacts, "rpc_rate": rpc, "kept_rate": kept}


def test_an_agency_far_below_its_peers() -> None:
    found = recommend(
        month(
            ops_by_agency=[
                agency("甲公司", 100, 0.40, 0.60),
                agency("乙公司", 100, 0.42, 0.50),
                agency("丙公司", 100, 0.38, 0.20),
                agency("丁公司", 5, 0.01, 0.01),  # too few contacts to judge
                agency("未委外", 500, 0.01, 0.01),  # cases worked in-house: not a peer
            ]
        )
    )
    assert keys(found) == ["agency_below_peers"]
    (below,) = found
    assert below.evidence[0].row == "丙公司"
    assert below.evidence[1].value == pytest.approx(0.55)
    assert "20.00%" in below.zh
    assert "55.00%" in below.zh
    assert_justified(found)
    # two agencies are not enough peers
    assert (
        recommend(month(ops_by_agency=[agency("甲公司", 100, 0.4, 0.6), agency("丙公司", 100, 0.4, 0.1)]))
        == ()
    )


def stock(label: str, name: str, loans: int, balance: int, dpd30: float) -> dict[str, Any]:
    return {label: name, "loans": loans, "balance_fen": balance, "dpd30_ratio": dpd30}


def test_a_channel_with_high_dpd30() -> None:
    found = recommend(
        month(
            stock_by_channel=[
                stock("channel", "线上", 100, 8_000_000, 0.02),
                stock("channel", "代理", 100, 2_000_000, 0.12),
            ],
            stock_by_product=[stock("product", "P1", 100, 1_000_000, 0.05)],
        )
    )
    # book = (0.02*8 + 0.12*2) / 10 = 0.04; 代理 0.12 = 3×; the single product equals its book.
    assert keys(found) == ["dimension_high_risk"]
    assert found[0].evidence[0].row == "代理"
    assert found[0].evidence[1].value == pytest.approx(0.04)
    assert "3.0" in found[0].zh
    assert_justified(found)


def test_fpd_and_entry_rate_from_flow_rates() -> None:
    rows = [
        {
            "indicator": "fpd",
            "numerator": 8,
            "denominator": 100,
            "numerator_fen": 80_000,
            "denominator_fen": 1_000_000,
            "rate": 0.08,
        },
        {"indicator": "entry_rate", "numerator": 5, "denominator": 100, "rate": 0.05},
        {"indicator": "cure_M1", "numerator": 50, "denominator": 100, "rate": 0.5},
    ]
    found = recommend(month(flow_rates=rows))
    assert keys(found) == ["fpd_high"]
    (fpd,) = found
    assert fpd.zh.startswith("首期逾期率（FPD）为 8.00%")
    assert "8 / 100 笔，金额 800.00 / 10,000.00 元" in fpd.zh
    assert "8 / 100 loans, 800.00 / 10,000.00 yuan" in fpd.en
    assert [figure.value for figure in fpd.evidence] == [0.08, 8, 100, 80_000, 1_000_000]
    assert_justified(found)
    rows[1]["rate"] = 0.15
    # same priority: the larger excess (entry 15 % vs 10 %, FPD 8 % vs 5 %) first
    found = recommend(month(flow_rates=rows))
    assert keys(found) == ["entry_rate_high", "fpd_high"]
    assert "5 / 100 笔" in found[0].zh
    assert len(found[0].evidence) == 3  # no amounts in the row: none cited


def test_a_vintage_worse_than_the_others() -> None:
    def row(vintage: date, mob: int, ever: float) -> dict[str, Any]:
        return {
            "vintage": vintage,
            "months_on_book": mob,
            "disbursed_fen": 1_000_000,
            "dpd30_ever_ratio": ever,
        }

    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    found = recommend(
        month(
            vintage=[
                row(jan, 1, 0.01),
                row(jan, 2, 0.02),
                row(feb, 1, 0.01),
                row(feb, 2, 0.02),
                row(mar, 2, 0.05),
            ]
        )
    )
    # mar at MOB 2: 5 % against the mean 2 % of jan and feb; jan / feb at MOB 2 are at or below the others.
    assert keys(found) == ["vintage_loss_high"]
    assert found[0].evidence[0].row == "2026-03 MOB 2"
    assert found[0].evidence[1].value == pytest.approx(0.02)
    assert_justified(found)


def test_cost_above_recovery() -> None:
    found = recommend(
        month(
            cost_to_collect=[
                {"category": "信函", "cost_fen": 150_000, "recovered_fen": 100_000, "cost_ratio": 1.5},
                {"category": "委外佣金", "cost_fen": 50_000, "recovered_fen": 1_000_000, "cost_ratio": 0.05},
                {"category": "法务费用", "cost_fen": 10_000, "recovered_fen": 0, "cost_ratio": None},
            ]
        )
    )
    assert keys(found) == ["cost_above_recovery"]
    assert "1,500.00" in found[0].zh
    assert "1,000.00" in found[0].zh
    assert "150.00%" in found[0].zh
    assert_justified(found)


grade = pricing_row


def test_pricing_and_a_declined_grade() -> None:
    """C4: grade E needs 27.00 % but the cap is 24.00 %: the domain declines it, so it is named as declined and
    left out of the suggested rates (a declined grade has no price); A is priced at 8.00 %."""
    found = recommend(
        month(
            pricing=[
                grade("A", "0.0800", "approve"),
                grade("E", "0.2400", "decline", pd_=0.4, loss="0.2", required="0.2700"),
            ]
        )
    )
    assert keys(found) == ["policy_grade_capped", "risk_based_pricing"]
    declined, pricing = found
    assert declined.evidence[0].row == "E"
    for text in ("40.00%", "20.00%", "27.00%", "24.00%"):
        assert text in declined.zh
        assert text in declined.en
    assert "拒绝" in declined.zh
    assert "decline" in declined.en
    assert [figure.value for figure in pricing.evidence] == ["0.0800"]
    assert [figure.kind for figure in pricing.evidence] == [Kind.RATE]
    assert "A 级 8.00%" in pricing.zh
    assert "24.00%" not in pricing.en
    assert_justified(found)
    assert keys(recommend(month(pricing=[grade("A", "0.0800", "approve")]))) == ["risk_based_pricing"]


def test_priority_order_and_the_cap_per_rule() -> None:
    found = recommend(
        month(
            (Figure("provision_coverage", "拨备覆盖率", "coverage", Kind.RATIO, 1.0, "stock_by_class"),),
            cost_to_collect=[
                {"category": f"c{n}", "cost_fen": 100 * n, "recovered_fen": 10, "cost_ratio": 10.0 * n}
                for n in range(1, 6)
            ],
            pricing=[grade("A", "0.0800", "approve")],
        )
    )
    assert keys(found) == ["provision_coverage_low", *["cost_above_recovery"] * 3, "risk_based_pricing"]
    # within a rule, the largest excess first
    assert [item.evidence[0].row for item in found[1:4]] == ["c5", "c4", "c3"]
    assert [item.priority for item in found] == sorted(item.priority for item in found)


def test_thresholds_are_configurable() -> None:
    data = month(flow_rates=[{"indicator": "FPD", "numerator": 8, "denominator": 100, "rate": 0.08}])
    assert recommend(data, thresholds={"fpd_max": 0.10}) == ()
    assert keys(recommend(data, thresholds={"fpd_max": 0.01})) == ["fpd_high"]
    assert set(DEFAULT_THRESHOLDS) >= {"fpd_max", "provision_coverage_min"}
    with pytest.raises(UnknownThreshold, match="fdp_max"):
        recommend(data, thresholds={"fdp_max": 0.1})


def arm(segment: str, name: str, cases: int, cured: int) -> dict[str, Any]:
    """A ``champion_challenger`` row: the cure rate with its Wilson interval (``risk.evaluation.wilson``); the
    difference columns are filled by ``with_differences`` as the operations metrics do."""
    interval = wilson(cured, cases)
    return {
        "segment": segment,
        "arm": name,
        "cases": cases,
        "cured": cured,
        "cure_rate": interval.estimate,
        "ci_low": interval.low,
        "ci_high": interval.high,
    }


def arms(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows with each challenger's difference from its champion (``ops_contacts.with_differences``)."""
    frame = contract_table("champion_challenger", list(rows)).frame
    return with_differences(frame.drop("difference", "diff_low", "diff_high")).to_dicts()


def test_a_challenger_wins_only_when_the_difference_interval_excludes_zero() -> None:
    """Newcombe's interval of the difference (hand-worked, z = 1.959964):

    - 早期: challenger-1 102 / 200 = 0.51 (Wilson 0.441186–0.578437) vs champion 80 / 200 = 0.40 (0.334606–
      0.469163). The Wilson intervals overlap (0.441 < 0.469), yet d = 0.11, L = 0.11 − √(0.068814² +
      0.069163²) = 0.012435 > 0, U = 0.11 + √(0.068437² + 0.065394²) = 0.204658: promote.
    - 早期: challenger-2 90 / 200 = 0.45: d = 0.05, interval −0.046544–0.145242 holds 0: nothing.
    - 晚期: challenger-1 15 / 100 = 0.15 (0.093060–0.232836) vs champion 30 / 100 = 0.30 (0.218949–0.395849):
      d = −0.15, L = −0.15 − √(0.056940² + 0.095849²) = −0.261486, U = −0.15 + √(0.082836² + 0.081051²) =
      −0.034108 < 0: stop.
    - 晚期: challenger-2 has 5 cases (below ``min_loans``): not judged."""
    rows = arms(
        arm("早期", "champion", 200, 80),
        arm("早期", "challenger-1", 200, 102),
        arm("早期", "challenger-2", 200, 90),
        arm("晚期", "champion", 100, 30),
        arm("晚期", "challenger-1", 100, 15),
        arm("晚期", "challenger-2", 5, 0),
    )
    by_arm = {(row["segment"], row["arm"]): row for row in rows}
    promoted = by_arm[("早期", "challenger-1")]
    assert (promoted["diff_low"], promoted["diff_high"]) == (
        pytest.approx(0.012435, abs=1e-6),
        pytest.approx(0.204658, abs=1e-6),
    )
    assert promoted["ci_low"] < by_arm[("早期", "champion")]["ci_high"]  # the Wilson intervals overlap
    stopped = by_arm[("晚期", "challenger-1")]
    assert (stopped["diff_low"], stopped["diff_high"]) == (
        pytest.approx(-0.261486, abs=1e-6),
        pytest.approx(-0.034108, abs=1e-6),
    )
    assert by_arm[("早期", "champion")]["difference"] is None
    found = recommend(month(champion_challenger=rows))
    assert keys(found) == ["challenger_differs", "challenger_differs"]
    stop, promote = found  # the larger distance from 0 first: 3.41 points, then 1.24
    assert "升级为冠军" in promote.zh
    assert "promote" in promote.en
    assert "1.24%–20.47%" in promote.zh
    assert "11.00%" in promote.en
    assert [figure.row for figure in promote.evidence] == ["早期 · challenger-1"] * 4 + ["早期 · champion"]
    assert [figure.key.rsplit(".", 1)[1] for figure in promote.evidence] == [
        "cure_rate",
        "difference",
        "diff_low",
        "diff_high",
        "cure_rate",
    ]
    assert "停止" in stop.zh
    assert "-26.15%–-3.41%" in stop.en
    assert promote.evidence[2].value == pytest.approx(0.012435, abs=1e-6)
    assert_justified(found)


def test_no_challenger_verdict_without_a_champion_or_an_arm() -> None:
    """A segment without a champion, and cases without an arm, get no difference and no recommendation."""
    rows = arms(
        arm("新客", "challenger-1", 200, 150), arm("未分配", "", 200, 10), arm("未分配", "x", 200, 190)
    )
    assert all(row["difference"] is None for row in rows)
    assert recommend(month(champion_challenger=rows)) == ()
