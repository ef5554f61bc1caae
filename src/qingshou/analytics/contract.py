"""The contract between the metrics (``qingshou.analytics``), the monthly report and the dashboards (issue 7).

The metrics produce a ``MonthData``: named ``Table`` frames and headline ``Figure`` values for one month. The
report (HTML / PDF / XLSX) and the dashboards render any ``MonthData`` generically from the registries below —
``TABLES`` (what each table is, its section and its columns) and ``CHARTS`` (which table each chart draws and
how) — so a table added here appears in the XLSX, the report and the dashboards without renderer changes.

Rules every producer keeps (tests check them with ``check_table``):

- a table's frame has exactly the columns ``TABLES[key].columns`` names, in that order and of those kinds;
- money is integer fen (``Int64``, column name ending ``_fen``); counts are ``Int64``; days are ``Int64``;
  ratios are ``Float64`` fractions (0.0123 = 1.23 %, rendered as percentages with two decimals), null when
  the denominator is zero — never NaN or infinity;
- annual rates a lender charges (``Kind.RATE``: the pricing table) are decimal strings (``String``,
  ``"0.0725"`` = 7.25 % a year; C9: ``Decimal`` in the domain, never float), built by ``domain.pricing``;
- labels (bucket, class, product, …) are ``String``; months are ``Date`` (the first day of the month);
- ``Figure.value`` is an ``int`` (fen, count, days), a ``float`` ratio or a decimal-string rate, or ``None``
  when not computable, and every figure names the table (and row) it can be traced to in the XLSX;
- notes (what could not be computed and why) are ``Note`` values in Chinese and English; the report and the
  dashboards show the reader's language.

Definitions of every metric, with formulas and sources, are in docs/metrics.md (the report's appendix shows
the ``definition`` strings below; docs/metrics.md gives the formulas in full).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

import polars as pl


class Section(StrEnum):
    """The report's sections, in order (the seed article's structure: 策略、影响、解决办法)."""

    SUMMARY = "summary"  # 摘要
    BOOK = "book"  # 逾期现状
    STRATEGIES = "strategies"  # 清收策略与成效
    IMPACT = "impact"  # 影响分析
    RECOMMENDATIONS = "recommendations"  # 解决办法与建议
    APPENDIX = "appendix"  # 附录: definitions


SECTION_TITLES: Final[Mapping[Section, tuple[str, str]]] = {
    Section.SUMMARY: ("摘要", "Summary"),
    Section.BOOK: ("逾期现状", "The overdue book now"),
    Section.STRATEGIES: ("清收策略与成效", "Collection strategies and what they achieved"),
    Section.IMPACT: ("影响分析", "Impact"),
    Section.RECOMMENDATIONS: ("解决办法与建议", "Recommendations"),
    Section.APPENDIX: ("附录：指标定义", "Appendix: definitions"),
}


class Kind(StrEnum):
    """What a column holds (how it is typed and formatted)."""

    LABEL = "label"  # String
    MONTH = "month"  # Date, first day of the month
    DATE = "date"  # Date
    COUNT = "count"  # Int64
    DAYS = "days"  # Int64
    FEN = "fen"  # Int64 fen, shown as yuan with two decimals
    RATIO = "ratio"  # Float64 fraction, shown as a percentage with two decimals
    RATE = "rate"  # String decimal fraction ("0.0725"), an annual rate (C9), shown as a percentage


DTYPES: Final[Mapping[Kind, pl.DataType]] = {
    Kind.LABEL: pl.String(),
    Kind.MONTH: pl.Date(),
    Kind.DATE: pl.Date(),
    Kind.COUNT: pl.Int64(),
    Kind.DAYS: pl.Int64(),
    Kind.FEN: pl.Int64(),
    Kind.RATIO: pl.Float64(),
    Kind.RATE: pl.String(),
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    key: str  # stable id: XLSX sheet name (≤ 31 characters), HTML anchor, dashboard id
    section: Section
    zh: str
    en: str
    columns: tuple[Column, ...]
    definition_zh: str
    definition_en: str


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    frame: pl.DataFrame

    @property
    def spec(self) -> TableSpec:
        return TABLES[self.key]


@dataclass(frozen=True, slots=True)
class Figure:
    """A headline number (summary KPIs, and the evidence of recommendations)."""

    key: str
    zh: str
    en: str
    kind: Kind
    value: int | float | str | None
    table: str  # the TABLES key it is traced to
    row: str = ""  # the row label in that table, when one row


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommendation: a rule fired on the data, with the figures that justify it (never canned)."""

    key: str  # the rule, e.g. "agency_below_peers"
    priority: int  # 1 = most urgent
    zh: str  # the sentence, with its figures formatted in
    en: str
    evidence: tuple[Figure, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A remark on the month's figures (what was not computed and why), in Chinese and English."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The note in ``lang`` (``zh`` / ``en``)."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Metrics:
    """What one metric module produces: some of the month's tables and headline figures."""

    tables: Mapping[str, Table]
    figures: tuple[Figure, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True, slots=True)
class MonthData:
    """Everything the report and the dashboards show for one month."""

    month: date  # first day of the month
    as_of: date  # the month-end snapshot day used (last day with a snapshot in the month)
    previous_as_of: date | None  # the previous month-end snapshot day (flows), None for the first month
    filters: Mapping[str, str]  # e.g. {"product": "P1"} on a dashboard; empty for the report
    figures: tuple[Figure, ...]
    tables: Mapping[str, Table]
    recommendations: tuple[Recommendation, ...] = ()
    notes: tuple[Note, ...] = field(default=())  # e.g. reserves not supplied: coverage not computed


def _c(name: str, kind: Kind, zh: str, en: str) -> Column:
    return Column(name, kind, zh, en)


_LOANS = _c("loans", Kind.COUNT, "笔数", "loans")
_BALANCE = _c("balance_fen", Kind.FEN, "贷款余额", "outstanding principal")
_OVERDUE = _c("overdue_fen", Kind.FEN, "逾期金额", "total overdue")
_STOCK_DIM = (
    _LOANS,
    _BALANCE,
    _OVERDUE,
    _c("overdue_rate", Kind.RATIO, "逾期率", "overdue rate"),
    _c("dpd30_ratio", Kind.RATIO, "逾期30天以上占比", "DPD30+ ratio"),
    _c("dpd90_ratio", Kind.RATIO, "逾期90天以上占比", "DPD90+ ratio"),
    _c("npl_ratio", Kind.RATIO, "不良贷款率", "NPL ratio"),
)
_OPERATIONS = (
    _c("contacts", Kind.COUNT, "联系次数", "contacts"),
    _c("right_party_contacts", Kind.COUNT, "本人接通", "right-party contacts"),
    _c("rpc_rate", Kind.RATIO, "本人接通率", "right-party contact rate"),
    _c("promises", Kind.COUNT, "承诺还款", "promises"),
    _c("promise_rate", Kind.RATIO, "承诺率", "promise rate"),
    _c("promises_kept", Kind.COUNT, "履约承诺", "promises kept"),
    _c("kept_rate", Kind.RATIO, "履约率", "kept rate"),
    _c("collected_fen", Kind.FEN, "回收金额", "amount collected"),
)


def _spec(
    key: str,
    section: Section,
    zh: str,
    en: str,
    columns: tuple[Column, ...],
    definition_zh: str,
    definition_en: str,
) -> TableSpec:
    return TableSpec(key, section, zh, en, columns, definition_zh, definition_en)


def _dim(key: str, label: Column, zh: str, en: str) -> TableSpec:
    return _spec(
        key,
        Section.BOOK,
        zh,
        en,
        (label, *_STOCK_DIM),
        "月末贷款余额、逾期金额与各比率，按维度汇总；比率的分母为该维度的贷款余额。",
        "Month-end balance, overdue amount and ratios by the dimension; each ratio's denominator is the "
        "dimension's outstanding principal.",
    )


def _ops(key: str, label: Column, zh: str, en: str) -> TableSpec:
    return _spec(
        key,
        Section.STRATEGIES,
        zh,
        en,
        (label, *_OPERATIONS),
        "当月联系、本人接通、承诺及履约、回收金额；接通率 = 本人接通 / 联系次数，承诺率 = 承诺 / 本人接通，"
        "履约率 = 当月到期承诺中履约的比例，回收 = 当月借款人在案期间入账的现金还款（归属见附录）。",
        "Contacts, right-party contacts, promises and kept promises, cash collected in the month while the "
        "borrower's case was open (attribution in the appendix); RPC rate = RPC / contacts, promise rate = "
        "promises / RPC, kept rate = kept / promises due in the month.",
    )


_BUCKET = _c("bucket", Kind.LABEL, "逾期阶段", "bucket")
_CLASS = _c("classification", Kind.LABEL, "五级分类", "classification")

#: Every table of a month, by key (the order is the report's order within a section).
TABLES: Final[Mapping[str, TableSpec]] = {
    spec.key: spec
    for spec in (
        # --- the overdue book now (stock, flows, vintages) ---------------------------------------------------
        _spec(
            "stock_by_bucket",
            Section.BOOK,
            "逾期阶段分布",
            "Balance by bucket",
            (
                _BUCKET,
                _LOANS,
                _BALANCE,
                _OVERDUE,
                _c("balance_share", Kind.RATIO, "余额占比", "share of balance"),
            ),
            "月末快照按逾期阶段（C3）汇总的笔数、余额、逾期金额与余额占比。",
            "Month-end snapshot by bucket (C3): loans, outstanding principal, total overdue, share of balance.",
        ),
        _spec(
            "stock_by_class",
            Section.BOOK,
            "五级分类与参考拨备",
            "Classification and reference provisions",
            (
                _CLASS,
                _LOANS,
                _BALANCE,
                _c("provision_rate", Kind.RATIO, "参考拨备率", "reference provision rate"),
                _c("provision_fen", Kind.FEN, "参考拨备", "reference provision"),
            ),
            "月末五级分类（C6）的笔数与余额；参考拨备 = 余额 × 该类参考计提比例（关注2%、次级25%、可疑50%、损失100%）。",
            "Month-end classification (C6); reference provision = balance × the class's reference rate "
            "(special mention 2 %, substandard 25 %, doubtful 50 %, loss 100 %).",
        ),
        _spec(
            "stock_by_stage",
            Section.BOOK,
            "IFRS 9 阶段",
            "IFRS 9 stages",
            (
                _c("stage", Kind.LABEL, "阶段", "stage"),
                _LOANS,
                _BALANCE,
                _c("provision_fen", Kind.FEN, "参考拨备", "reference provision"),
            ),
            "月末 IFRS 9 阶段（C6）的笔数、余额与参考拨备。",
            "Month-end IFRS 9 stage (C6): loans, balance, reference provision.",
        ),
        _dim("stock_by_product", _c("product", Kind.LABEL, "产品", "product"), "按产品", "By product"),
        _dim("stock_by_branch", _c("branch", Kind.LABEL, "机构", "branch"), "按机构", "By branch"),
        _dim(
            "stock_by_channel",
            _c("channel", Kind.LABEL, "获客渠道", "channel"),
            "按获客渠道",
            "By origination channel",
        ),
        _spec(
            "roll_rates",
            Section.BOOK,
            "迁移率（滚动率）矩阵",
            "Roll-rate matrix",
            (
                _c("from_bucket", Kind.LABEL, "上月末阶段", "bucket last month-end"),
                _c("to_bucket", Kind.LABEL, "本月末阶段", "bucket this month-end"),
                _c("loans", Kind.COUNT, "笔数", "loans"),
                _c("balance_fen", Kind.FEN, "上月末余额", "balance at last month-end"),
                _c("rate", Kind.RATIO, "迁移率", "rate"),
            ),
            "上月末处于某阶段的贷款，本月末所处阶段（含结清 settled、核销 written_off）；迁移率 = 迁入金额 / 上月末该阶段余额。",
            "Loans in a bucket at the previous month-end by their bucket at this month-end (settled and "
            "written-off included); rate = balance moved / the from-bucket's balance at the previous month-end.",
        ),
        _spec(
            "migration_rates",
            Section.BOOK,
            "监管迁徙率",
            "Regulatory migration rates",
            (
                _c("indicator", Kind.LABEL, "指标", "indicator"),
                _c("numerator_fen", Kind.FEN, "向下迁徙金额", "downgraded amount"),
                _c("denominator_fen", Kind.FEN, "期初余额减期间减少", "opening balance less reductions"),
                _c("rate", Kind.RATIO, "迁徙率", "rate"),
            ),
            "正常类、关注类、次级类、可疑类贷款迁徙率及正常贷款迁徙率（原银监会非现场监管指标，公式见附录）。",
            "The regulator's migration rates (normal, special mention, substandard, doubtful, and normal loans), "
            "formulas in the appendix (rules-cn §7.3).",
        ),
        _spec(
            "flow_rates",
            Section.BOOK,
            "入催、首逾与治愈",
            "Entry, first-payment default and cure",
            (
                _c("indicator", Kind.LABEL, "指标", "indicator"),
                _c("numerator", Kind.COUNT, "分子", "numerator"),
                _c("denominator", Kind.COUNT, "分母", "denominator"),
                _c("numerator_fen", Kind.FEN, "分子金额", "numerator amount"),
                _c("denominator_fen", Kind.FEN, "分母金额", "denominator amount"),
                _c("rate", Kind.RATIO, "比率", "rate"),
            ),
            "入催率、C-M1、首期逾期率 FPD、各阶段治愈率、滚动至损失（flow to loss），定义见附录。",
            "Entry rate (入催率), C-M1, FPD, cure rate by bucket, flow to loss; definitions in the appendix.",
        ),
        _spec(
            "vintage",
            Section.BOOK,
            "账龄分析（Vintage）",
            "Vintage curves",
            (
                _c("vintage", Kind.MONTH, "放款月", "disbursement month"),
                _c("months_on_book", Kind.COUNT, "账龄（月）", "months on book"),
                _c("disbursed_fen", Kind.FEN, "放款金额", "disbursed"),
                _c("dpd30_ever_ratio", Kind.RATIO, "曾逾期30+", "ever DPD30+"),
                _c("dpd90_ever_ratio", Kind.RATIO, "曾逾期90+", "ever DPD90+"),
                _c("dpd30_current_ratio", Kind.RATIO, "当前逾期30+", "current DPD30+"),
                _c("dpd90_current_ratio", Kind.RATIO, "当前逾期90+", "current DPD90+"),
            ),
            "按放款月分组，各账龄月末逾期30+/90+贷款余额占放款金额之比（曾经：截至该账龄任一月末达到过）。",
            "By disbursement month: DPD30+ / DPD90+ balance over disbursed amount at each month-end on book "
            "(ever: reached at any month-end so far).",
        ),
        # --- strategies and what they achieved ---------------------------------------------------------------
        _ops(
            "ops_by_channel",
            _c("channel", Kind.LABEL, "联系渠道", "contact channel"),
            "按联系渠道",
            "By contact channel",
        ),
        _ops(
            "ops_by_path",
            _c("path", Kind.LABEL, "策略路径", "treatment path"),
            "按策略路径",
            "By treatment path",
        ),
        _ops("ops_by_team", _c("team", Kind.LABEL, "团队", "team"), "按团队", "By team"),
        _ops(
            "ops_by_collector", _c("collector", Kind.LABEL, "催收员", "collector"), "按催收员", "By collector"
        ),
        _ops("ops_by_agency", _c("agency", Kind.LABEL, "委外机构", "agency"), "按委外机构", "By agency"),
        _spec(
            "champion_challenger",
            Section.STRATEGIES,
            "冠军/挑战者策略对比",
            "Champion vs challenger",
            (
                _c("segment", Kind.LABEL, "客群", "segment"),
                _c("arm", Kind.LABEL, "组别", "arm"),
                _c("cases", Kind.COUNT, "案件数", "cases"),
                _c("cured", Kind.COUNT, "治愈数", "cured"),
                _c("cure_rate", Kind.RATIO, "治愈率", "cure rate"),
                _c("ci_low", Kind.RATIO, "95%置信下限", "95 % CI low"),
                _c("ci_high", Kind.RATIO, "95%置信上限", "95 % CI high"),
                _c("collected_fen", Kind.FEN, "回收金额", "amount collected"),
                _c("difference", Kind.RATIO, "与冠军治愈率之差", "difference vs champion"),
                _c("diff_low", Kind.RATIO, "差值95%下限", "difference 95 % CI low"),
                _c("diff_high", Kind.RATIO, "差值95%上限", "difference 95 % CI high"),
            ),
            "当月在案案件按客群与组别的治愈率（月末不再逾期），Wilson 95% 置信区间；挑战者行另列其治愈率减去同客群冠军"
            "治愈率之差及 Newcombe 95% 置信区间（两组为不同借款人），区间不含 0 才视为显著。",
            "Cure rate (no longer delinquent at month-end) of the month's cases by segment and arm, with a "
            "Wilson 95 % confidence interval; a challenger's row also gives its cure rate minus the segment's "
            "champion's with Newcombe's 95 % interval (different borrowers in each arm) — significant only when "
            "the interval excludes 0.",
        ),
        _spec(
            "plan_vs_strategy",
            Section.STRATEGIES,
            "优化行动计划与策略计划对比",
            "Optimised plan vs the strategy's plan",
            (
                _c("day", Kind.LABEL, "日期", "day"),
                _c("candidates", Kind.COUNT, "候选行动", "candidate actions"),
                _c("strategy_actions", Kind.COUNT, "策略计划行动数", "strategy: actions"),
                _c("strategy_value_fen", Kind.FEN, "策略计划预期回收", "strategy: expected recovery"),
                _c("strategy_cost_fen", Kind.FEN, "策略计划成本", "strategy: cost"),
                _c("strategy_net_fen", Kind.FEN, "策略计划预期净回收", "strategy: expected net"),
                _c("optimised_actions", Kind.COUNT, "优化计划行动数", "optimised: actions"),
                _c("optimised_value_fen", Kind.FEN, "优化计划预期回收", "optimised: expected recovery"),
                _c("optimised_cost_fen", Kind.FEN, "优化计划成本", "optimised: cost"),
                _c("optimised_net_fen", Kind.FEN, "优化计划预期净回收", "optimised: expected net"),
                _c("gain_fen", Kind.FEN, "增益", "gain"),
                _c("gain_ratio", Kind.RATIO, "增益比例", "gain / strategy net"),
                _c("gap", Kind.RATIO, "最优性差距", "optimality gap"),
            ),
            "当月每个已规划日（qingshou plan run）在相同容量与合规上限下：策略计划（按优先级贪心选取）与优化计划（最大化预期"
            "净回收 = Σ(回收概率 × 逾期金额 × 渠道效果 − 成本)）的预期回收、成本、净回收及增益；最后一行为合计。差距 = "
            "(上界 − 优化净回收) / 上界。预期值基于模型与假设的渠道效果，并非实际回收。",
            "Each planned day of the month (qingshou plan run), same capacity and compliance caps: the strategy's "
            "plan (greedy by priority) vs the optimised plan (maximum expected net = Σ (P(pay) × overdue × channel "
            "effect − cost)): expected recovery, cost, net and the gain; the last row is the total. Gap = (bound − "
            "optimised net) / bound. Expected figures rest on the model and assumed channel effects, not on "
            "actual recoveries.",
        ),
        _spec(
            "recovery_by_cohort",
            Section.STRATEGIES,
            "按入催阶段的回收率",
            "Recovery by bucket cohort",
            (
                _BUCKET,
                _c("loans", Kind.COUNT, "期初笔数", "loans at start"),
                _c("overdue_fen", Kind.FEN, "期初逾期金额", "overdue at start"),
                _c("collected_fen", Kind.FEN, "当月回收", "collected in the month"),
                _c("recovery_rate", Kind.RATIO, "回收率", "recovery rate"),
                _c("cured", Kind.COUNT, "治愈笔数", "cured"),
                _c("cure_rate", Kind.RATIO, "治愈率", "cure rate"),
            ),
            "上月末各逾期阶段的贷款在本月的现金回收与治愈；回收率 = 当月现金回收 / 上月末逾期金额。",
            "Loans by their bucket at the previous month-end: cash collected and cures in the month; recovery "
            "rate = cash collected / overdue at the previous month-end.",
        ),
        _spec(
            "legal_and_disposal",
            Section.STRATEGIES,
            "法务与抵押物处置",
            "Legal action and collateral disposal",
            (
                _c("item", Kind.LABEL, "项目", "item"),
                _c("count", Kind.COUNT, "数量", "count"),
                _c("amount_fen", Kind.FEN, "金额", "amount"),
            ),
            "当月新立法务案件、判决、终本、保全措施，诉讼费用，抵押物处置回收，核销及核销后回收。",
            "New legal cases, judgments, terminations (终本), preservation measures, legal costs, disposal "
            "proceeds, write-offs and recovery after write-off in the month.",
        ),
        # --- impact --------------------------------------------------------------------------------------------
        _spec(
            "credit_loss",
            Section.IMPACT,
            "信用损失：当月拨备变动及驱动因素",
            "Credit loss: the month's provision charge and its drivers",
            (
                _c("driver", Kind.LABEL, "驱动因素", "driver"),
                _c("amount_fen", Kind.FEN, "金额", "amount"),
            ),
            "参考拨备的月度变动，分解为：新增逾期、阶段恶化、治愈与回收、结清、核销。",
            "The month's change in reference provisions split into: new delinquencies, downgrades, cures and "
            "recoveries, settlements, write-offs.",
        ),
        _spec(
            "cash_flow",
            Section.IMPACT,
            "流动性：合同现金流缺口",
            "Liquidity: contractual cash flow missed vs collected",
            (
                _c("month", Kind.MONTH, "月份", "month"),
                _c("contractual_fen", Kind.FEN, "合同应收", "contractually due"),
                _c("collected_fen", Kind.FEN, "实际回收", "collected"),
                _c("gap_fen", Kind.FEN, "缺口", "gap"),
                _c("expected_fen", Kind.FEN, "预计回收（未来3个月）", "expected recovery (next 3 months)"),
            ),
            "近12个月每月合同应收（到期本息）与实际现金回收及缺口；未来3个月按各阶段历史回收率预计的回收。",
            "Each of the last 12 months: principal and interest contractually due vs cash collected, and the gap; "
            "the next 3 months: expected recoveries at each bucket's historical recovery rate.",
        ),
        _spec(
            "cost_to_collect",
            Section.IMPACT,
            "清收成本与回收",
            "Cost to collect",
            (
                _c("category", Kind.LABEL, "成本项目", "cost category"),
                _c("cost_fen", Kind.FEN, "成本", "cost"),
                _c("recovered_fen", Kind.FEN, "对应回收", "recovered"),
                _c("cost_ratio", Kind.RATIO, "成本回收比", "cost / recovered"),
            ),
            "委外佣金、法务费用、信函与短信、人工（联系次数 × 单位成本），与对应回收相比。",
            "Agency commission, legal costs, letters and SMS, staff time (contacts × unit cost), against what "
            "each recovered.",
        ),
        _spec(
            "operating_pressure",
            Section.IMPACT,
            "经营压力",
            "Operating pressure",
            (
                _c("item", Kind.LABEL, "项目", "item"),
                _c("value", Kind.COUNT, "数值", "value"),
                _c("capacity", Kind.COUNT, "容量", "capacity"),
                _c("utilisation", Kind.RATIO, "使用率", "utilisation"),
            ),
            "人均在案案件、积压（超过3天未处理的案件）、未来30天到期的法律期限与诉讼时效。",
            "Open cases per collector against capacity, backlog (cases untouched for 3 days), legal deadlines and "
            "limitation expiries in the next 30 days.",
        ),
        # --- recommendations -----------------------------------------------------------------------------------
        _spec(
            "pricing",
            Section.RECOMMENDATIONS,
            "风险定价表",
            "Risk-based pricing",
            (
                _c("grade", Kind.LABEL, "风险等级", "risk grade"),
                _c("loans", Kind.COUNT, "笔数", "loans"),
                _c("pd", Kind.RATIO, "违约概率", "probability of default"),
                _c("lgd", Kind.RATIO, "违约损失率", "loss given default"),
                _c("expected_loss_rate", Kind.RATE, "预期损失率", "expected loss rate"),
                _c("funding_rate", Kind.RATE, "资金成本", "funding cost"),
                _c("operating_rate", Kind.RATE, "运营成本", "operating cost"),
                _c("margin_rate", Kind.RATE, "目标利润", "target margin"),
                _c("required_rate", Kind.RATE, "覆盖成本所需利率", "required rate"),
                _c("rate", Kind.RATE, "建议年利率", "suggested annual rate"),
                _c("decision", Kind.LABEL, "决定", "decision"),
            ),
            "按借款人信用分等级：PD = 观察期（最长12个月）内进入逾期90+的比例，LGD = 1 − 回收率；预期损失 = 年化PD × LGD"
            "（观察不足12个月时按恒定风险率年化）；所需利率 = 预期损失 + 资金 + 运营 + 利润，向上取整到1个基点；超过法定上限"
            "（C4）的等级拒绝准入，报价不超过上限。",
            "By borrower credit-score grade: PD = share reaching DPD90+ over the observed history (up to 12 "
            "months), LGD = 1 − recovery rate; expected loss = annual PD × LGD (annualised at a constant hazard "
            "when fewer than 12 months are observed); required rate = expected loss + funding + operating cost + "
            "margin, rounded up to a basis point; a grade whose required rate exceeds the legal cap (C4) is "
            "declined and its quote never exceeds the cap.",
        ),
    )
}


class ChartKind(StrEnum):
    BAR = "bar"  # one bar per row (x = a label column, y = one value column)
    STACKED = "stacked"  # bars stacked by series (x, series, y)
    HEATMAP = "heatmap"  # x, series (rows), y (cell value)
    LINE = "line"  # one line per series value (x, series, y)


@dataclass(frozen=True, slots=True)
class ChartSpec:
    key: str
    table: str
    kind: ChartKind
    x: str
    y: str
    series: str = ""
    zh: str = ""
    en: str = ""


#: The charts of the report and the dashboards ("at a glance").
CHARTS: Final[Mapping[str, ChartSpec]] = {
    chart.key: chart
    for chart in (
        ChartSpec(
            "bucket_mix",
            "stock_by_bucket",
            ChartKind.BAR,
            "bucket",
            "balance_fen",
            "",
            "逾期阶段余额分布",
            "Balance by bucket",
        ),
        ChartSpec(
            "roll_heatmap",
            "roll_rates",
            ChartKind.HEATMAP,
            "to_bucket",
            "rate",
            "from_bucket",
            "迁移率热力图",
            "Roll-rate heat map",
        ),
        ChartSpec(
            "vintage_dpd30",
            "vintage",
            ChartKind.LINE,
            "months_on_book",
            "dpd30_ever_ratio",
            "vintage",
            "Vintage：曾逾期30+",
            "Vintage: ever DPD30+",
        ),
        ChartSpec(
            "recovery_by_channel",
            "ops_by_channel",
            ChartKind.BAR,
            "channel",
            "collected_fen",
            "",
            "按渠道回收金额",
            "Recovery by channel",
        ),
        ChartSpec(
            "cash_flow_gap",
            "cash_flow",
            ChartKind.STACKED,
            "month",
            "gap_fen",
            "",
            "合同现金流缺口",
            "Cash-flow gap",
        ),
    )
}


def check_table(table: Table) -> None:
    """Raise ``ValueError`` naming the table and column when ``table.frame`` breaks its spec."""
    spec = TABLES.get(table.key)
    if spec is None:
        raise ValueError(f"unknown table {table.key!r}")
    names = [column.name for column in spec.columns]
    if table.frame.columns != names:
        raise ValueError(f"table {table.key}: columns {table.frame.columns} != {names}")
    for column in spec.columns:
        dtype = table.frame.schema[column.name]
        if dtype != DTYPES[column.kind]:
            raise ValueError(f"table {table.key}: column {column.name} is {dtype}, not {DTYPES[column.kind]}")
        if column.kind is Kind.RATIO:
            values = table.frame[column.name]
            if bool(values.is_nan().any()) or bool(values.is_infinite().any()):
                raise ValueError(f"table {table.key}: column {column.name} has NaN or infinity (use null)")
        if column.kind is Kind.RATE:
            _check_rates(table.key, column.name, table.frame[column.name].drop_nulls().to_list())


def _check_rates(key: str, name: str, values: list[str]) -> None:
    for value in values:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"table {key}: column {name} has {value!r}, not a decimal string") from None
        if not number.is_finite():
            raise ValueError(f"table {key}: column {name} has {value!r}, not a finite rate")


def empty_table(key: str) -> Table:
    """A table of ``key`` with no rows (a month with nothing to show)."""
    spec = TABLES[key]
    return Table(key, pl.DataFrame(schema={column.name: DTYPES[column.kind] for column in spec.columns}))
