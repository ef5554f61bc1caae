"""Collection operations and their impact (issue 7): what collection did in the month and what it achieved,
what it cost, and what the overdue book does to cash and to the people who work it.

``operations_metrics(sources)`` reads the store and the month-end snapshots once (``ops_read.read_frames``) and
computes, with Polars, the contract's tables ``ops_by_channel``, ``ops_by_path``, ``ops_by_team``,
``ops_by_collector``, ``ops_by_agency``, ``champion_challenger``, ``recovery_by_cohort``,
``legal_and_disposal``, ``cash_flow``, ``cost_to_collect`` and ``operating_pressure`` and the summary figures
(``FIGURES``). ``compute(frames, settings)`` is the same from hand-built frames (the unit tests). Every
definition, with its formula and the attribution choices, is in docs/metrics.md ("Collection operations and
impact").
"""

from __future__ import annotations

from typing import Final

import polars as pl

from qingshou.analytics import ops_contacts, ops_impact
from qingshou.analytics.contract import Figure, Kind, Metrics, Note, Table
from qingshou.analytics.ops_frames import OpsFrames, OpsSettings
from qingshou.analytics.ops_read import read_frames
from qingshou.analytics.sources import Sources

#: Without a previous month-end snapshot.
NO_PREVIOUS_NOTE: Final = Note(
    "无上月末快照：按入催阶段的回收率与预计回收未计算",
    "no previous month-end snapshot: recovery by bucket cohort and expected recoveries not computed",
)

#: The summary figures this module adds (key, Chinese, English).
FIGURES: Final = (
    ("cash_collected", "当月清收现金回收", "cash collected on cases in the month"),
    ("rpc_rate", "本人接通率", "right-party contact rate"),
    ("promise_rate", "承诺率", "promise rate"),
    ("kept_rate", "履约率", "kept rate"),
    ("cost_to_collect_ratio", "清收成本回收比", "cost-to-collect ratio"),
    ("open_cases_per_collector", "人均在案案件", "open cases per collector"),
    ("legal_deadlines_30d", "未来30天法律期限", "legal deadlines in the next 30 days"),
    ("limitation_expiries_30d", "未来30天诉讼时效届满", "limitation expiries in the next 30 days"),
    ("backlog_cases", "积压案件", "backlog cases"),
)


def operations_metrics(sources: Sources, settings: OpsSettings | None = None) -> Metrics:
    """The month's operations tables and figures (module docstring)."""
    chosen = settings or OpsSettings()
    return compute(read_frames(sources, chosen), chosen)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _row(table: Table, label_column: str, label: str, value: str) -> int | float | None:
    found = table.frame.filter(pl.col(label_column) == label)
    if found.height == 0:
        return None
    result = found.get_column(value)[0]
    return None if result is None else result


def figures(tables: dict[str, Table], sums: dict[str, int]) -> tuple[Figure, ...]:
    """The summary figures, each traced to its table (and row)."""
    labels = {key: (zh, en) for key, zh, en in FIGURES}
    cost = tables["cost_to_collect"]
    pressure = tables["operating_pressure"]
    items = {label: label for label, _en in ops_impact.PRESSURE_ITEMS}
    per_collector, backlog, deadlines, expiries = (
        ops_impact.PRESSURE_ITEMS[1][0],
        ops_impact.PRESSURE_ITEMS[5][0],
        ops_impact.PRESSURE_ITEMS[6][0],
        ops_impact.PRESSURE_ITEMS[7][0],
    )
    total = ops_impact.COST_ITEMS[-1][0]
    values: list[tuple[str, Kind, int | float | None, str, str]] = [
        ("cash_collected", Kind.FEN, sums["collected_fen"], "ops_by_channel", ""),
        ("rpc_rate", Kind.RATIO, _rate(sums["rpc"], sums["contacts"]), "ops_by_channel", ""),
        ("promise_rate", Kind.RATIO, _rate(sums["promises"], sums["rpc"]), "ops_by_channel", ""),
        ("kept_rate", Kind.RATIO, _rate(sums["kept"], sums["due"]), "ops_by_channel", ""),
        (
            "cost_to_collect_ratio",
            Kind.RATIO,
            _row(cost, "category", total, "cost_ratio"),
            "cost_to_collect",
            total,
        ),
        (
            "open_cases_per_collector",
            Kind.COUNT,
            _row(pressure, "item", per_collector, "value"),
            "operating_pressure",
            items[per_collector],
        ),
        (
            "legal_deadlines_30d",
            Kind.COUNT,
            _row(pressure, "item", deadlines, "value"),
            "operating_pressure",
            deadlines,
        ),
        (
            "limitation_expiries_30d",
            Kind.COUNT,
            _row(pressure, "item", expiries, "value"),
            "operating_pressure",
            expiries,
        ),
        (
            "backlog_cases",
            Kind.COUNT,
            _row(pressure, "item", backlog, "value"),
            "operating_pressure",
            backlog,
        ),
    ]
    return tuple(
        Figure(key, labels[key][0], labels[key][1], kind, value, table, row)
        for key, kind, value, table, row in values
    )


def compute(frames: OpsFrames, settings: OpsSettings | None = None) -> Metrics:
    """The tables and figures from ``frames`` (pure: no store, no lake)."""
    chosen = settings or OpsSettings()
    all_facts, payments, contacts = ops_contacts.facts(frames, chosen)
    tables = {
        **ops_contacts.ops_tables(all_facts),
        "champion_challenger": ops_contacts.champion_challenger(frames, payments),
        "recovery_by_cohort": ops_impact.recovery_by_cohort(frames),
        "legal_and_disposal": ops_impact.legal_and_disposal(frames),
        "cash_flow": ops_impact.cash_flow(frames),
        "cost_to_collect": ops_impact.cost_to_collect(frames, contacts, payments, chosen),
        "operating_pressure": ops_impact.operating_pressure(frames, contacts, chosen),
    }
    notes = [] if frames.previous() is not None else [NO_PREVIOUS_NOTE]
    return Metrics(tables=tables, figures=figures(tables, ops_contacts.totals(all_facts)), notes=tuple(notes))
