"""The report's content in one language: what every renderer (HTML, PDF, XLSX) shows, built once.

``document(data, lang, charts)`` turns a ``MonthData`` into a ``Document``: the sections in
``contract.Section`` order, each with its charts, its tables rendered generically from ``TABLES`` (every
cell through ``format.value_text``), the summary's figures and top recommendations, the recommendations
section's findings with their evidence, and the appendix (every table's definition and the formulas'
short form). Chrome strings are gettext-translated: call it inside ``translation.override``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from qingshou.analytics.contract import (
    CHARTS,
    SECTION_TITLES,
    TABLES,
    Figure,
    Kind,
    MonthData,
    Recommendation,
    Section,
    Table,
)
from qingshou.analytics.format import value_text

LANGS = ("zh", "en")
#: How many recommendations the summary repeats.
SUMMARY_RECOMMENDATIONS = 5
#: Rules whose findings are credit-policy findings (shown under their own heading too).
POLICY_RULES = frozenset(
    {"dimension_high_risk", "fpd_high", "entry_rate_high", "vintage_loss_high", "policy_grade_capped"}
)

#: The formulas' short form (docs/metrics.md gives them in full), shown in the appendix.
FORMULAS: tuple[tuple[str, str, str, str], ...] = (
    ("逾期率", "overdue rate", "逾期贷款余额 / 贷款余额", "balance of overdue loans / outstanding principal"),
    (
        "不良贷款率",
        "NPL ratio",
        "(次级 + 可疑 + 损失) 余额 / 贷款余额",
        "(substandard + doubtful + loss) / balance",
    ),
    ("逾期30天以上占比", "DPD30+ ratio", "DPD > 30 的贷款余额 / 贷款余额", "balance with DPD > 30 / balance"),
    (
        "拨备覆盖率",
        "provision coverage",
        "贷款损失准备 / 不良贷款余额（监管要求 ≥ 150%）",
        "loan-loss reserves / NPL balance (regulatory floor 150 %)",
    ),
    ("贷款拨备率", "loan provision ratio", "贷款损失准备 / 贷款余额", "loan-loss reserves / balance"),
    (
        "迁移率 Mn→Mn+1",
        "roll rate Mn→Mn+1",
        "本月末 Mn+1 中上月末为 Mn 的余额 / 上月末 Mn 余额",
        "balance in Mn+1 now that was in Mn last month-end / Mn balance last month-end",
    ),
    (
        "C-M1",
        "C-M1",
        "本月末 M1 中上月末为 M0 的余额 / 上月末 M0 余额",
        "balance in M1 now that was M0 last month-end / M0 balance last month-end",
    ),
    ("滚动至损失", "flow to loss", "∏ 迁移率(Mn→Mn+1)，至核销", "∏ roll(Mn→Mn+1) up to write-off"),
    (
        "入催率",
        "entry rate",
        "当日到期未还金额 / 当日到期金额",
        "amount due on D unpaid at D's end / amount due on D",
    ),
    (
        "FPD",
        "FPD",
        "首期逾期的贷款 / 首期已到期的贷款",
        "loans whose first instalment is overdue / loans whose first instalment fell due",
    ),
    (
        "Vintage",
        "vintage",
        "放款月 m 在账龄 n 时逾期30+/90+余额 / 放款月 m 放款金额",
        "DPD30+/90+ balance of cohort m at MOB n / amount disbursed in m",
    ),
    (
        "回收率",
        "recovery rate",
        "当月现金回收 / 上月末逾期金额",
        "cash collected in the month / overdue at last month-end",
    ),
    (
        "治愈率",
        "cure rate",
        "上月末逾期、本月末不再逾期的笔数 / 上月末逾期笔数",
        "loans overdue last month-end and not now / loans overdue last month-end",
    ),
    (
        "正常类贷款迁徙率",
        "normal-class migration rate",
        "期初正常类向下迁徙金额 / (期初正常类余额 − 期初正常类期间减少金额)",
        "normal downgraded / (opening normal − its reductions in the period)",
    ),
    (
        "关注类贷款迁徙率",
        "special-mention migration rate",
        "期初关注类向下迁徙金额 / (期初关注类余额 − 期初关注类期间减少金额)",
        "special mention downgraded / (opening special mention − its reductions)",
    ),
    (
        "次级类贷款迁徙率",
        "substandard migration rate",
        "期初次级类向下迁徙金额 / (期初次级类余额 − 期初次级类期间减少金额)",
        "substandard downgraded / (opening substandard − its reductions)",
    ),
    (
        "可疑类贷款迁徙率",
        "doubtful migration rate",
        "期初可疑类向下迁徙金额 / (期初可疑类余额 − 期初可疑类期间减少金额)",
        "doubtful downgraded to loss / (opening doubtful − its reductions)",
    ),
    (
        "正常贷款迁徙率",
        "normal-loan migration rate",
        "(期初正常类、关注类中转为不良的金额) / (期初正常类、关注类余额 − 两类期间减少金额)",
        "(normal + special mention turned NPL) / (their opening balance − their reductions)",
    ),
    (
        "建议年利率",
        "suggested rate",
        "年化PD × LGD + 资金成本 + 运营成本 + 目标利润，向上取整到1个基点；超过法定上限（C4）则拒绝准入",
        "annual PD × LGD + funding + operating cost + margin, rounded up to a basis point; declined above the "
        "legal cap (C4)",
    ),
    (
        "挑战者与冠军治愈率之差",
        "challenger − champion cure rate",
        "d = p₁ − p₂；Newcombe 95% 区间 L = d − √((p₁ − l₁)² + (u₂ − p₂)²)，U = d + √((u₁ − p₁)² + (p₂ − l₂)²)"
        "（l、u 为各组 Wilson 区间下、上限）；区间不含 0 才显著",
        "d = p₁ − p₂; Newcombe's 95 % interval L = d − √((p₁ − l₁)² + (u₂ − p₂)²), U = d + √((u₁ − p₁)² + "
        "(p₂ − l₂)²) (l, u: each arm's Wilson limits); significant only when it excludes 0",
    ),
)


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class FigureView:
    key: str
    label: str
    text: str
    table: str
    row: str


@dataclass(frozen=True, slots=True)
class RecommendationView:
    key: str
    priority: int
    sentence: str
    evidence: tuple[FigureView, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class TableView:
    key: str
    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    rows: tuple[tuple[str, ...], ...]
    definition: str

    @property
    def cells(self) -> list[list[Cell]]:
        """The rows as cells that know whether they are numbers (right-aligned)."""
        return [
            [Cell(text, numeric) for text, numeric in zip(row, self.numeric, strict=True)]
            for row in self.rows
        ]


@dataclass(frozen=True, slots=True)
class ChartView:
    key: str
    title: str
    table: str
    png: bytes

    @property
    def uri(self) -> str:
        """The PNG as a ``data:`` URI (the HTML embeds its charts)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True, slots=True)
class SectionView:
    key: str
    title: str
    charts: tuple[ChartView, ...] = ()
    tables: tuple[TableView, ...] = ()
    figures: tuple[FigureView, ...] = ()
    recommendations: tuple[RecommendationView, ...] = ()
    policy: tuple[RecommendationView, ...] = ()
    definitions: tuple[tuple[str, str, str], ...] = ()  # (key, title, definition)
    formulas: tuple[tuple[str, str], ...] = ()  # (name, formula)


@dataclass(frozen=True, slots=True)
class Document:
    lang: str
    title: str
    month: str
    as_of: str
    previous_as_of: str
    notes: tuple[str, ...]  # in the document's language
    sections: tuple[SectionView, ...]

    def section(self, key: Section) -> SectionView:
        return next(section for section in self.sections if section.key == key.value)


NUMERIC_KINDS = frozenset({Kind.COUNT, Kind.DAYS, Kind.FEN, Kind.RATIO, Kind.RATE})


def figure_view(figure: Figure, lang: str) -> FigureView:
    return FigureView(
        figure.key,
        pick(lang, figure.zh, figure.en),
        value_text(figure.kind, figure.value),
        figure.table,
        figure.row,
    )


def recommendation_view(item: Recommendation, lang: str) -> RecommendationView:
    return RecommendationView(
        item.key,
        item.priority,
        pick(lang, item.zh, item.en),
        tuple(figure_view(figure, lang) for figure in item.evidence),
    )


def cell_texts(table: Table) -> list[tuple[str, ...]]:
    """Every row of ``table`` as the texts the report shows (``format.value_text`` per column kind)."""
    kinds = [column.kind for column in table.spec.columns]
    rows: list[tuple[str, ...]] = []
    for values in table.frame.iter_rows():
        rows.append(tuple(value_text(kind, value) for kind, value in zip(kinds, values, strict=True)))
    return rows


def table_view(table: Table, lang: str) -> TableView:
    spec = table.spec
    return TableView(
        key=spec.key,
        title=pick(lang, spec.zh, spec.en),
        headers=tuple(pick(lang, column.zh, column.en) for column in spec.columns),
        numeric=tuple(column.kind in NUMERIC_KINDS for column in spec.columns),
        rows=tuple(cell_texts(table)),
        definition=pick(lang, spec.definition_zh, spec.definition_en),
    )


def _date_text(day: date | None) -> str:
    return day.isoformat() if day is not None else "—"


def document(data: MonthData, lang: str, charts: Mapping[str, bytes]) -> Document:
    """The report of ``data`` in ``lang`` (``zh`` / ``en``), with the charts' PNGs by chart key."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")
    recommendations = tuple(recommendation_view(item, lang) for item in data.recommendations)
    sections = tuple(_section(section, data, lang, charts, recommendations) for section in Section)
    return Document(
        lang=lang,
        title=_("Overdue loan collection report"),
        month=f"{data.month:%Y-%m}",
        as_of=_date_text(data.as_of),
        previous_as_of=_date_text(data.previous_as_of),
        notes=tuple(note.text(lang) for note in data.notes),
        sections=sections,
    )


def _section(
    section: Section,
    data: MonthData,
    lang: str,
    charts: Mapping[str, bytes],
    recommendations: tuple[RecommendationView, ...],
) -> SectionView:
    title = pick(lang, *SECTION_TITLES[section])
    if section is Section.SUMMARY:
        return SectionView(
            section.value,
            title,
            figures=tuple(figure_view(figure, lang) for figure in data.figures),
            recommendations=recommendations[:SUMMARY_RECOMMENDATIONS],
        )
    if section is Section.APPENDIX:
        return SectionView(
            section.value,
            title,
            definitions=tuple(
                (spec.key, pick(lang, spec.zh, spec.en), pick(lang, spec.definition_zh, spec.definition_en))
                for spec in TABLES.values()
            ),
            formulas=tuple((pick(lang, zh, en), pick(lang, fzh, fen)) for zh, en, fzh, fen in FORMULAS),
        )
    keys = [key for key, spec in TABLES.items() if spec.section is section]
    chart_views = tuple(
        ChartView(chart.key, pick(lang, chart.zh, chart.en), chart.table, charts[chart.key])
        for chart in CHARTS.values()
        if chart.table in keys and chart.key in charts
    )
    tables = tuple(table_view(data.tables[key], lang) for key in keys if key in data.tables)
    extra: dict[str, Any] = {}
    if section is Section.RECOMMENDATIONS:
        extra["recommendations"] = recommendations
        extra["policy"] = tuple(item for item in recommendations if item.key in POLICY_RULES)
    return SectionView(section.value, title, charts=chart_views, tables=tables, **extra)
