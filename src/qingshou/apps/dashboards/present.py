"""What the dashboard templates show: the contract's tables, figures and recommendations as text, in the page's
language (Chinese unless English is active), every value through ``analytics.format.value_text`` — the same
text the monthly report prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.utils import translation

from qingshou.analytics.contract import (
    SECTION_TITLES,
    TABLES,
    Figure,
    Kind,
    Recommendation,
    Section,
    Table,
)
from qingshou.analytics.format import value_text

#: Column kinds shown right-aligned.
NUMERIC: Final = frozenset({Kind.COUNT, Kind.DAYS, Kind.FEN, Kind.RATIO, Kind.RATE})

#: The dashboard pages besides the overview (URL slug = the section's value), in the report's order.
PAGES: Final = (Section.BOOK, Section.STRATEGIES, Section.IMPACT, Section.RECOMMENDATIONS)


def chinese() -> bool:
    """Whether the page is in Chinese (the default) rather than English."""
    return (translation.get_language() or "zh-hans").lower().startswith("zh")


def pick(zh: str, en: str) -> str:
    """The text of the page's language."""
    return zh if chinese() else en


def section_title(section: Section) -> str:
    zh, en = SECTION_TITLES[section]
    return pick(zh, en)


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class TableView:
    key: str
    title: str
    definition: str
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]


def table_view(table: Table) -> TableView:
    """A contract table as header and rows of text (money in yuan, ratios as percentages, null as —)."""
    spec = table.spec
    kinds = [(column.name, column.kind, column.kind in NUMERIC) for column in spec.columns]
    header = tuple(Cell(pick(column.zh, column.en), column.kind in NUMERIC) for column in spec.columns)
    rows = tuple(
        tuple(Cell(value_text(kind, row[name]), numeric) for name, kind, numeric in kinds)
        for row in table.frame.iter_rows(named=True)
    )
    return TableView(
        spec.key, pick(spec.zh, spec.en), pick(spec.definition_zh, spec.definition_en), header, rows
    )


@dataclass(frozen=True, slots=True)
class FigureView:
    key: str
    label: str
    text: str
    table: str  # the TABLES key it is traced to
    section: str  # that table's section (the page it is on), "" when unknown
    row: str


def figure_view(figure: Figure) -> FigureView:
    spec = TABLES.get(figure.table)
    return FigureView(
        figure.key,
        pick(figure.zh, figure.en),
        value_text(figure.kind, figure.value),
        figure.table,
        spec.section.value if spec is not None and spec.section in PAGES else "",
        figure.row,
    )


@dataclass(frozen=True, slots=True)
class RecommendationView:
    key: str
    priority: int
    text: str
    evidence: tuple[FigureView, ...]


def recommendation_view(item: Recommendation) -> RecommendationView:
    return RecommendationView(
        item.key,
        item.priority,
        pick(item.zh, item.en),
        tuple(figure_view(figure) for figure in item.evidence),
    )
