"""One month's metrics, recommendations included: what the report and the dashboards render (issue 7).

``build_month`` runs the metric modules over the same ``Sources`` — ``book`` (the overdue book from the
lake's month-end snapshots: stock, flows, vintages, credit loss, pricing) and ``operations`` (what collection
did, from the store: contacts, promises, cash, agencies, legal, costs, capacity) and ``ops_plan`` (the
optimised daily plan against the strategy's, from ``qs_plan_run``) — checks that together they
produce every table of the contract exactly once and in its shape, then derives the recommendations.
"""

from __future__ import annotations

from qingshou.analytics import book, operations, ops_plan, recommend
from qingshou.analytics.contract import TABLES, MonthData, Table, check_table
from qingshou.analytics.sources import Sources


class IncompleteMonth(RuntimeError):
    """The metric modules did not produce the contract's tables exactly once (a programming error)."""


def build_month(sources: Sources) -> MonthData:
    """The ``MonthData`` of ``sources.month``."""
    parts = (
        book.book_metrics(sources),
        operations.operations_metrics(sources),
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
