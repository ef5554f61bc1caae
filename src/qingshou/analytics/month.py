"""One month's metrics, recommendations included: what the report and the dashboards render (issue 7).

``build_month`` runs the metric modules over the same ``Sources`` — ``book`` (the overdue book from the
lake's month-end snapshots: stock, flows, vintages, credit loss, pricing) and ``operations`` (what collection
did, from the store: contacts, promises, cash, agencies, legal, costs, capacity) and ``ops_plan`` (the
optimised daily plan against the strategy's, from ``qs_plan_run``) — checks that together they
produce every table of the contract exactly once and in its shape, then derives the recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qingshou.analytics import book, operations, ops_plan, recommend
from qingshou.analytics.contract import TABLES, MonthData, Table, check_table
from qingshou.analytics.ops_frames import OpsSettings
from qingshou.analytics.pricing import PricingParameters
from qingshou.analytics.sources import Sources


class IncompleteMonth(RuntimeError):
    """The metric modules did not produce the contract's tables exactly once (a programming error)."""


@dataclass(frozen=True, slots=True)
class MonthSettings:
    """What the apps configure: the operations' unit costs (``QINGSHOU_UNIT_COSTS``) and the pricing policy
    (``QINGSHOU_PRICING``); the defaults when built without Django."""

    ops: OpsSettings = field(default_factory=OpsSettings)
    pricing: PricingParameters = field(default_factory=PricingParameters)


def build_month(sources: Sources, settings: MonthSettings | None = None) -> MonthData:
    """The ``MonthData`` of ``sources.month`` (``settings``: the defaults when ``None``)."""
    chosen = settings or MonthSettings()
    parts = (
        book.book_metrics(sources, chosen.pricing),
        operations.operations_metrics(sources, chosen.ops),
        ops_plan.plan_metrics(sources),
    )
    tables: dict[str, Table] = {}
    for part in parts:
        for key, table in part.tables.items():
            if key in tables:
                raise IncompleteMonth(f"table {key} produced twice")
            check_table(table)
            tables[key] = table
    missing = [key for key in TABLES if key not in tables]
    if missing:
        raise IncompleteMonth(f"tables not produced: {', '.join(missing)}")
    data = MonthData(
        month=sources.month,
        as_of=sources.as_of,
        previous_as_of=sources.previous_as_of,
        filters=dict(sources.filters),
        figures=tuple(figure for part in parts for figure in part.figures),
        tables={key: tables[key] for key in TABLES},
        notes=tuple(note for part in parts for note in part.notes),
    )
    return MonthData(
        month=data.month,
        as_of=data.as_of,
        previous_as_of=data.previous_as_of,
        filters=data.filters,
        figures=data.figures,
        tables=data.tables,
        recommendations=recommend.recommend(data),
        notes=data.notes,
    )
