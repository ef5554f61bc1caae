"""Early-warning rule triggers and watch-list rules (issue 8) on hand-built frames: no database.

Each borrower below has one loan of 12 monthly installments of 1,100.00 yuan due on the 15th from 2026-01-15;
the day is 2026-06-30 (C1: the end of the day), so the last cycle's installment is the one due 2026-06-15.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from qingshou.risk import warning
from qingshou.risk.warning import Facts, WarningSettings, features, watch_day

DAY = date(2026, 6, 30)
AMOUNT = 110_000
DUES = [date(2026, month, 15) for month in range(1, 13)]


def snapshot_row(
    borrower: str, *, delinquent: bool = False, dpd: int = 0, payoff: int = 800_000
) -> dict[str, Any]:
    return {
        "as_of": DAY,
        "loan_id": f"L-{borrower}",
        "borrower_id": borrower,
        "product_id": "P1",
        "dpd": dpd,
        "delinquent": delinquent,
        "payoff_amount_fen": payoff,
        "outstanding_principal_fen": 700_000 if payoff else 0,
        "borrower_worst_dpd": dpd,
    }


def on_time(borrower: str, until: date = DAY) -> list[dict[str, Any]]:
    """Every installment due by ``until`` paid in full on its due date (C2: on time)."""
    return [
        {"loan_id": f"L-{borrower}", "paid_on": due, "amount_fen": AMOUNT} for due in DUES if due <= until
    ]


def build(
    borrowers: list[str],
    *,
    payments: list[dict[str, Any]] | None = None,
    snapshot: list[dict[str, Any]] | None = None,
    **frames: list[dict[str, Any]],
) -> tuple[pl.DataFrame, Facts]:
    loans = [
        {
            "loan_id": f"L-{b}",
            "borrower_id": b,
            "product_id": "P1",
            "principal_fen": 1_200_000,
            "disbursed_on": date(2025, 12, 15),
        }
        for b in borrowers
    ]
    installments = [
        {"loan_id": f"L-{b}", "due_date": due, "amount_fen": AMOUNT} for b in borrowers for due in DUES
    ]
    paid = payments if payments is not None else [row for b in borrowers for row in on_time(b)]
    schemas = {"promises": warning.PROMISES, "parties": warning.PARTIES, "events": warning.EVENTS}
    extra = {name: pl.DataFrame(rows, schema=schemas[name]) for name, rows in frames.items()}
    facts = Facts.of(
        loans=pl.DataFrame(loans),
        installments=pl.DataFrame(installments),
        payments=pl.DataFrame(paid, schema=warning.PAYMENTS),
        borrowers=pl.DataFrame(
            [{"borrower_id": b, "credit_score": 700, "monthly_income_fen": 1_000_000} for b in borrowers]
        ),
        **extra,
    )
    rows = snapshot if snapshot is not None else [snapshot_row(b) for b in borrowers]
    return pl.DataFrame(rows), facts


def fired(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("borrower_id", "triggers").iter_rows())


def test_c2_paying_every_installment_on_its_due_date_fires_nothing() -> None:
    """C2: paying on the due date is on time — no missed auto-debit, no partial payment."""
    snapshot, facts = build(["A"])
    row = features(snapshot, facts, DAY).row(0, named=True)
    assert row["triggers"] == ""
    assert row["rule_points"] == 0
    assert row["days_late_max"] == 0
    assert row["late_installments"] == 0


def test_model_features_of_a_hand_example() -> None:
    """Months on book, income ÷ next installment, outstanding ÷ principal, product, credit score."""
    snapshot, facts = build(["A"])
    row = features(snapshot, facts, DAY).row(0, named=True)
    assert row["months_on_book"] == 6  # 2025-12-15 → 2026-06-30
    assert row["income_ratio"] == pytest.approx(1_000_000 / 110_000)
    assert row["utilisation"] == pytest.approx(700_000 / 1_200_000)
    assert (row["credit_score"], row["product_id"], row["lead_loan_id"]) == (700, "P1", "L-A")
    assert row["days_late_mean"] == 0


def test_c2_missed_auto_debit_when_the_last_installment_was_paid_after_its_due_date() -> None:
    """C2: the installment of 06-15 paid on 06-18 was not covered at the end of its due date: the auto-debit
    failed (the borrower is current again, so collection does not see it)."""
    late = [r for r in on_time("A") if r["paid_on"] != date(2026, 6, 15)]
    late.append({"loan_id": "L-A", "paid_on": date(2026, 6, 18), "amount_fen": AMOUNT})
    snapshot, facts = build(["A"], payments=late)
    row = features(snapshot, facts, DAY).row(0, named=True)
    assert row["triggers"] == warning.MISSED_AUTO_DEBIT
    assert row["days_late_max"] == 3
    assert row["rule_points"] == 30


def test_c2_missed_auto_debit_while_the_installment_is_unpaid_within_grace() -> None:
    """C2: with grace, an installment unpaid after its due date is not delinquent yet: the borrower is current
    and the missed auto-debit fires (days late counted to the day)."""
    day = date(2026, 7, 16)
    snapshot, facts = build(
        ["A"], snapshot=[{**snapshot_row("A", dpd=1), "as_of": day}], payments=on_time("A", date(2026, 6, 15))
    )
    row = features(snapshot, facts, day).row(0, named=True)
    assert row["triggers"] == warning.MISSED_AUTO_DEBIT
    assert row["days_late_max"] == 1


def test_partial_payment_in_the_last_cycle() -> None:
    """Paid in the cycle, but less than the installment (the rest was prepaid earlier): partial payment only."""
    paid = [r for r in on_time("A") if r["paid_on"] < date(2026, 5, 15)]
    paid += [
        {"loan_id": "L-A", "paid_on": date(2026, 5, 15), "amount_fen": AMOUNT + 60_000},
        {"loan_id": "L-A", "paid_on": date(2026, 6, 15), "amount_fen": 50_000},
    ]
    snapshot, facts = build(["A"], payments=paid)
    assert fired(features(snapshot, facts, DAY)) == {"A": warning.PARTIAL_PAYMENT}


def test_broken_promise_counts_within_90_days_only() -> None:
    snapshot, facts = build(
        ["A", "B"],
        promises=[
            {"borrower_id": "A", "broken_on": DAY - timedelta(days=89)},
            {"borrower_id": "B", "broken_on": DAY - timedelta(days=90)},
        ],
    )
    assert fired(features(snapshot, facts, DAY)) == {"A": warning.BROKEN_PROMISE, "B": ""}


def test_contact_changes_need_two_parties_added_in_30_days_besides_the_first() -> None:
    """The loader adds a debtor party per new phone: the borrower's first party is not a change."""
    parties = [
        {"borrower_id": "A", "party_id": 1, "created_on": DAY - timedelta(days=200)},
        {"borrower_id": "A", "party_id": 2, "created_on": DAY - timedelta(days=20)},
        {"borrower_id": "A", "party_id": 3, "created_on": DAY - timedelta(days=5)},
        {"borrower_id": "B", "party_id": 4, "created_on": DAY - timedelta(days=10)},
        {"borrower_id": "B", "party_id": 5, "created_on": DAY - timedelta(days=3)},
    ]
    snapshot, facts = build(["A", "B"], parties=parties)
    frame = features(snapshot, facts, DAY)
    assert fired(frame) == {"A": warning.CONTACT_CHANGES, "B": ""}
    assert dict(frame.select("borrower_id", "contact_changes_30d").iter_rows()) == {"A": 2, "B": 1}


def test_external_events_in_the_window_fire_their_kind() -> None:
    events = [
        {"borrower_id": "A", "kind": "court_record", "occurred_on": DAY - timedelta(days=10)},
        {"borrower_id": "A", "kind": "other_bank_npl", "occurred_on": DAY},
        {"borrower_id": "B", "kind": "enforcement_list", "occurred_on": DAY - timedelta(days=90)},
        {"borrower_id": "C", "kind": "other", "occurred_on": DAY},
        {"borrower_id": "C", "kind": "court_record", "occurred_on": DAY + timedelta(days=1)},
    ]
    snapshot, facts = build(["A", "B", "C"], events=events)
    frame = features(snapshot, facts, DAY)
    assert fired(frame) == {"A": "court_record;other_bank_npl", "B": "", "C": ""}
    assert frame.filter(pl.col("borrower_id") == "A").get_column("rule_points").item() == 40 + 50


def test_c3_delinquent_and_paid_off_borrowers_are_not_current() -> None:
    """C3: a delinquent borrower is collection's; a paid-off one is off the book."""
    events = [{"borrower_id": b, "kind": "court_record", "occurred_on": DAY} for b in ("A", "B", "C")]
    rows = [snapshot_row("A"), snapshot_row("B", delinquent=True, dpd=3), snapshot_row("C", payoff=0)]
    snapshot, facts = build(["A", "B", "C"], snapshot=rows, events=events)
    assert features(snapshot, facts, DAY).get_column("borrower_id").to_list() == ["A"]


def test_weights_and_thresholds_come_from_settings() -> None:
    settings = WarningSettings.of({"weights": {"court_record": 99}, "event_days": 5})
    events = [
        {"borrower_id": "A", "kind": "court_record", "occurred_on": DAY - timedelta(days=4)},
        {"borrower_id": "B", "kind": "court_record", "occurred_on": DAY - timedelta(days=6)},
    ]
    snapshot, facts = build(["A", "B"], events=events)
    frame = features(snapshot, facts, DAY, settings)
    assert dict(frame.select("borrower_id", "rule_points").iter_rows()) == {"A": 99, "B": 0}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colour": 1}, "unknown setting 'colour'"),
        ({"exit_days": -1}, "exit_days"),
        ({"weights": {"fax": 1}}, "unknown trigger"),
        ({"entry_probability_ppm": 2_000_000}, "entry_probability_ppm"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(values: dict[str, Any], message: str) -> None:
    with pytest.raises(warning.WarningSettingsError, match=message):
        WarningSettings.of(values)


# ------------------------------------------------------------------------------------- the watch list


def today_frame(rows: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"borrower_id": b, "lead_loan_id": f"L-{b}", "triggers": t, "rule_points": 40 if t else 0}
            for b, t in rows.items()
        ]
    )


def entry(borrower: str, *, opened: date, seen: date, entry_id: int = 1, **more: Any) -> dict[str, Any]:
    row = dict.fromkeys(warning.ENTRIES)
    row.update(
        id=entry_id,
        borrower_id=borrower,
        lead_loan_id=f"L-{borrower}",
        status="open",
        opened_on=opened,
        last_seen_on=seen,
        close_reason="",
        triggers="court_record",
        rule_points=40,
        reasons="",
        updated_on=seen,
    )
    row.update(more)
    return row


def entries(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=warning.ENTRIES)


NO_SCORES = pl.DataFrame(schema=warning.SCORES)
NOBODY = pl.DataFrame(
    schema={
        "borrower_id": pl.String(),
        "lead_loan_id": pl.String(),
        "triggers": pl.String(),
        "rule_points": pl.Int32(),
    }
)


def test_a_trigger_opens_an_entry_and_lists_the_borrower() -> None:
    snapshot = pl.DataFrame([snapshot_row("A"), snapshot_row("B")])
    day = watch_day(today_frame({"A": "court_record", "B": ""}), NO_SCORES, snapshot, entries(), DAY)
    assert day.upsert.select("borrower_id", "status", "opened_on", "id").rows() == [("A", "open", DAY, None)]
    assert dict(day.listed.select("borrower_id", "watch_listed").iter_rows()) == {"A": True, "B": False}
    assert day.listed.get_column("warning_score").null_count() == 2  # no model: no score


def test_the_model_probability_at_the_threshold_opens_an_entry() -> None:
    snapshot = pl.DataFrame([snapshot_row("A"), snapshot_row("B")])
    scores = pl.DataFrame(
        [
            {
                "borrower_id": "A",
                "points": 480,
                "probability_ppm": 200_000,
                "reasons": "credit_score",
                "model_version": 2,
            },
            {
                "borrower_id": "B",
                "points": 600,
                "probability_ppm": 199_999,
                "reasons": "",
                "model_version": 2,
            },
        ],
        schema=warning.SCORES,
    )
    day = watch_day(today_frame({"A": "", "B": ""}), scores, snapshot, entries(), DAY)
    assert day.upsert.select("borrower_id", "points", "probability_ppm", "reasons").rows() == [
        ("A", 480, 200_000, "credit_score")
    ]
    assert dict(day.listed.select("borrower_id", "warning_score").iter_rows()) == {"A": 480, "B": 600}


def test_an_entry_stays_open_until_no_condition_held_for_exit_days() -> None:
    settings = WarningSettings(exit_days=30)
    snapshot = pl.DataFrame([snapshot_row("A"), snapshot_row("B")])
    stored = entries(
        entry("A", opened=DAY - timedelta(days=60), seen=DAY - timedelta(days=29), entry_id=1),
        entry("B", opened=DAY - timedelta(days=60), seen=DAY - timedelta(days=30), entry_id=2),
    )
    day = watch_day(today_frame({"A": "", "B": ""}), NO_SCORES, snapshot, stored, DAY, settings)
    assert day.upsert.select("borrower_id", "status", "close_reason", "closed_on").rows() == [
        ("A", "open", "", None),
        ("B", "closed", "cured", DAY),
    ]


def test_c3_an_entry_closes_when_the_borrower_goes_delinquent_or_pays_off() -> None:
    """C3: a delinquent borrower leaves the list (collection takes over); a paid-off one leaves it too."""
    snapshot = pl.DataFrame([snapshot_row("A", delinquent=True, dpd=1), snapshot_row("B", payoff=0)])
    stored = entries(
        entry("A", opened=DAY - timedelta(days=5), seen=DAY - timedelta(days=1), entry_id=1),
        entry("B", opened=DAY - timedelta(days=5), seen=DAY - timedelta(days=1), entry_id=2),
    )
    day = watch_day(
        NOBODY,
        NO_SCORES,
        snapshot,
        stored,
        DAY,
    )
    assert day.upsert.select("borrower_id", "status", "close_reason").rows() == [
        ("A", "closed", "delinquent"),
        ("B", "closed", "paid_off"),
    ]


def test_a_held_borrower_is_left_alone_and_a_trigger_keeps_the_entry_seen() -> None:
    snapshot = pl.DataFrame([snapshot_row("A"), snapshot_row("B")])
    stored = entries(
        entry("A", opened=DAY - timedelta(days=90), seen=DAY - timedelta(days=40), entry_id=1),
        entry("B", opened=DAY - timedelta(days=90), seen=DAY - timedelta(days=40), entry_id=2),
    )
    held = pl.Series("borrower_id", ["A"])
    day = watch_day(today_frame({"A": "", "B": "court_record"}), NO_SCORES, snapshot, stored, DAY, held=held)
    assert day.upsert.select("borrower_id", "status", "last_seen_on", "prior_seen_on").rows() == [
        ("B", "open", DAY, DAY - timedelta(days=40))
    ]


def test_a_rerun_of_the_day_gives_the_same_entries() -> None:
    """Running the rules again over what the first run of the day wrote changes nothing; an entry the first
    run opened that no longer holds is deleted."""
    snapshot = pl.DataFrame([snapshot_row("A"), snapshot_row("B")])
    first = watch_day(
        today_frame({"A": "court_record", "B": "court_record"}), NO_SCORES, snapshot, entries(), DAY
    )
    written = first.upsert.with_columns(pl.Series("id", [1, 2], pl.Int64))
    again = watch_day(today_frame({"A": "court_record", "B": ""}), NO_SCORES, snapshot, written, DAY)
    assert again.delete == [2]
    assert (
        again.upsert.drop("id").rows() == first.upsert.filter(pl.col("borrower_id") == "A").drop("id").rows()
    )
