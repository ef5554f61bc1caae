"""Recommendations derived from a month's tables (issue 7, the report's 解决办法与建议).

``recommend(data)`` runs every rule below over a ``MonthData``; a rule fires only when the month's figures
cross its threshold, and its ``Recommendation`` carries those figures as ``evidence`` (each a ``Figure``
naming the table and row it comes from) with the same numbers written into its Chinese and English sentence
through ``format.value_text``. No rule has a sentence without a figure. The thresholds are
``DEFAULT_THRESHOLDS`` (override any of them with ``thresholds=``; the report reads
``settings.QINGSHOU_REPORT_THRESHOLDS``); docs/metrics.md, section "Recommendations", describes every rule.

Rules (priority 1 = most urgent; within a priority the larger excess over the threshold first):

1. ``provision_coverage_low`` — figure ``provision_coverage`` (when reserves were supplied) below 150 %.
2. ``limitation_expiries`` — ``operating_pressure`` rows about limitation (诉讼时效) expiries in the next
   30 days with a value above zero.
3. ``capacity_short`` — ``operating_pressure`` rows whose utilisation is above the maximum.
4. ``cure_rate_fell`` — ``recovery_by_cohort``: a bucket's cure rate fell by at least the threshold (in
   percentage points) against the previous month (``previous=``, the previous month's ``MonthData``), or,
   when the previous month is not given, ``cure_rate_low``: a bucket's cure rate below the floor.
4. ``roll_forward_high`` — ``roll_rates``: a bucket's rate of rolling one bucket worse above the maximum.
5. ``agency_below_peers`` — ``ops_by_agency``: an agency's right-party contact or kept rate below a share of
   the median of the other agencies.
5. ``challenger_differs`` — ``champion_challenger``: in a segment, a challenger arm whose difference in cure
   rate against the champion has a Newcombe 95 % interval wholly above 0 (promote it) or below 0 (stop it).
6. ``dimension_high_risk`` — ``stock_by_channel`` / ``stock_by_product``: a channel or product whose DPD30+
   ratio is a multiple of the whole book's (and above a floor).
6. ``fpd_high`` / ``entry_rate_high`` — ``flow_rates``: first-payment default or entry rate above the maximum.
6. ``vintage_loss_high`` — ``vintage``: a vintage whose ever-DPD30+ ratio at its latest months on book is a
   multiple of the other vintages' mean at the same months on book.
7. ``cost_above_recovery`` — ``cost_to_collect``: a cost category costing more than it recovered.
7. ``optimised_plan_gain`` — ``plan_vs_strategy``: over the month's planned days, the optimised plan's expected
   net recovery above the strategy's plan's by at least the threshold share, at the same capacity.
8. ``policy_grade_capped`` — ``pricing``: a risk grade the domain rule declines (its required rate is above
   the legal cap, C4: it cannot cover its expected loss and costs — decline or tighten the grade's admission).
9. ``risk_based_pricing`` — ``pricing``: the suggested rate of every approved grade (the pricing table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any, Final

import polars as pl

from qingshou.analytics.contract import TABLES, Figure, Kind, MonthData, Recommendation
from qingshou.analytics.format import value_text
from qingshou.domain.pricing import Decision

#: Every threshold of the rules (fractions for ratios; counts for minimums).
DEFAULT_THRESHOLDS: Final[Mapping[str, float]] = {
    "provision_coverage_min": 1.50,  # 拨备覆盖率 regulatory floor
    "limitation_expiries_max": 0,  # any limitation expiry in the next 30 days
    "capacity_utilisation_max": 1.00,  # workload above capacity
    "cure_rate_drop": 0.05,  # 5 percentage points against the previous month
    "cure_rate_floor": 0.20,  # without the previous month
    "roll_forward_max": 0.30,  # rolling one bucket worse
    "agency_peer_share": 0.50,  # below half the peers' median
    "agency_min_contacts": 20,
    "dimension_risk_factor": 1.50,  # a channel / product's DPD30+ ratio vs the book's
    "dimension_risk_floor": 0.02,
    "fpd_max": 0.05,
    "entry_rate_max": 0.10,
    "vintage_factor": 1.50,
    "vintage_floor": 0.02,
    "cost_ratio_max": 1.00,
    "plan_gain_min": 0.05,  # the optimised plan's expected net above the strategy's by this share
    "min_loans": 10,  # a row needs this many loans to count
    "max_per_rule": 3,  # at most this many recommendations of one rule
}

#: The priority of each rule (1 = most urgent).
PRIORITIES: Final[Mapping[str, int]] = {
    "provision_coverage_low": 1,
    "limitation_expiries": 2,
    "capacity_short": 3,
    "cure_rate_fell": 4,
    "cure_rate_low": 4,
    "roll_forward_high": 4,
    "agency_below_peers": 5,
    "challenger_differs": 5,
    "dimension_high_risk": 6,
    "fpd_high": 6,
    "entry_rate_high": 6,
    "vintage_loss_high": 6,
    "cost_above_recovery": 7,
    "optimised_plan_gain": 7,
    "policy_grade_capped": 8,
    "risk_based_pricing": 9,
}

#: ``decision`` values of the pricing table (``domain.pricing.Decision``).
APPROVE: Final = Decision.APPROVE.value
DECLINE: Final = Decision.DECLINE.value
#: Next-worse bucket of each bucket (C3).
NEXT_BUCKET: Final[Mapping[str, str]] = {
    "M0": "M1",
    "M1": "M2",
    "M2": "M3",
    "M3": "M4",
    "M4": "M5",
    "M5": "M6",
    "M6": "M7+",
}


class UnknownThreshold(KeyError):
    """A threshold override names no rule's threshold."""


@dataclass(frozen=True, slots=True)
class _Finding:
    recommendation: Recommendation
    severity: float  # how far past the threshold (sorts within a priority)


@dataclass(frozen=True, slots=True)
class _Context:
    data: MonthData
    previous: MonthData | None
    limits: Mapping[str, float]

    def rows(self, key: str) -> list[dict[str, Any]]:
        table = self.data.tables.get(key)
        return [] if table is None else table.frame.to_dicts()

    def limit(self, name: str) -> float:
        return self.limits[name]

    @property
    def max_per_rule(self) -> int:
        return int(self.limits["max_per_rule"])

    @property
    def min_loans(self) -> int:
        return int(self.limits["min_loans"])


def thresholds_with(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """``DEFAULT_THRESHOLDS`` with ``overrides`` applied; ``UnknownThreshold`` names an unknown key."""
    merged = dict(DEFAULT_THRESHOLDS)
    for name, value in (overrides or {}).items():
        if name not in merged:
            raise UnknownThreshold(f"unknown recommendation threshold {name!r} (known: {', '.join(merged)})")
        merged[name] = float(value)
    return merged


def recommend(
    data: MonthData,
    *,
    previous: MonthData | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> tuple[Recommendation, ...]:
    """Every rule's recommendations for ``data``, most urgent first (see the module docstring)."""
    context = _Context(data, previous, thresholds_with(thresholds))
    findings: list[_Finding] = []
    for rule in RULES:
        findings.extend(sorted(rule(context), key=lambda item: -item.severity)[: context.max_per_rule])
    findings.sort(key=lambda item: (item.recommendation.priority, -item.severity))
    return tuple(item.recommendation for item in findings)


# --- helpers ------------------------------------------------------------------------------------------------


def _t(kind: Kind, value: object) -> str:
    return value_text(kind, value)


def _column(table: str, name: str) -> tuple[str, str, Kind]:
    for column in TABLES[table].columns:
        if column.name == name:
            return column.zh, column.en, column.kind
    raise KeyError(f"table {table} has no column {name}")


def _cell(table: str, column: str, row: str, value: int | float | str | None, key: str = "") -> Figure:
    """The figure of one cell: ``table`` / ``row`` / ``column``."""
    zh, en, kind = _column(table, column)
    label_zh = f"{TABLES[table].zh}·{row}·{zh}" if row else f"{TABLES[table].zh}·{zh}"
    label_en = f"{TABLES[table].en} · {row} · {en}" if row else f"{TABLES[table].en} · {en}"
    return Figure(key or f"{table}.{row}.{column}", label_zh, label_en, kind, value, table, row)


def _finding(rule: str, zh: str, en: str, evidence: Iterable[Figure], severity: float) -> _Finding:
    return _Finding(Recommendation(rule, PRIORITIES[rule], zh, en, tuple(evidence)), severity)


def _ratio(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _month_text(day: date) -> str:
    return f"{day:%Y-%m}"


# --- the rules ----------------------------------------------------------------------------------------------


def _provision_coverage(context: _Context) -> list[_Finding]:
    floor = context.limit("provision_coverage_min")
    found: list[_Finding] = []
    for figure in context.data.figures:
        coverage = _ratio(figure.value)
        if figure.key != "provision_coverage" or coverage is None or coverage >= floor:
            continue
        value = _t(Kind.RATIO, coverage)
        need = _t(Kind.RATIO, floor)
        found.append(
            _finding(
                "provision_coverage_low",
                f"拨备覆盖率为 {value}，低于监管要求的 {need}：应补提拨备或加快不良贷款处置。",
                f"Provision coverage is {value}, below the regulatory {need}: add provisions or speed up the "
                "disposal of non-performing loans.",
                (figure,),
                floor - coverage,
            )
        )
    return found


def _is_limitation(item: str) -> bool:
    lowered = item.lower()
    return "limitation" in lowered or "时效" in item


def _limitation_expiries(context: _Context) -> list[_Finding]:
    most = context.limit("limitation_expiries_max")
    found: list[_Finding] = []
    for row in context.rows("operating_pressure"):
        item = str(row["item"])
        value = row["value"]
        if not _is_limitation(item) or value is None or value <= most:
            continue
        count = _t(Kind.COUNT, value)
        found.append(
            _finding(
                "limitation_expiries",
                f"{item}：{count} 笔，诉讼时效即将届满：应在届满前取得时效中断的证据（催收确认、部分还款、起诉）。",
                f"{item}: {count} — the limitation period runs out soon: obtain evidence that interrupts it "
                "(acknowledged demand, part payment, filing a suit) before it expires.",
                (_cell("operating_pressure", "value", item, value),),
                float(value - most),
            )
        )
    return found


def _capacity_short(context: _Context) -> list[_Finding]:
    most = context.limit("capacity_utilisation_max")
    found: list[_Finding] = []
    for row in context.rows("operating_pressure"):
        item = str(row["item"])
        use = _ratio(row["utilisation"])
        if use is None or use <= most or row["capacity"] is None:
            continue
        value, capacity = _t(Kind.COUNT, row["value"]), _t(Kind.COUNT, row["capacity"])
        found.append(
            _finding(
                "capacity_short",
                f"{item}为 {value}，容量 {capacity}，使用率 {_t(Kind.RATIO, use)}：人力不足，应增加催收人员、"
                "调整分案或将低风险案件转为自动化触达。",
                f"{item} is {value} against a capacity of {capacity} (utilisation {_t(Kind.RATIO, use)}): "
                "collectors are short — add staff, rebalance assignments or move low-risk cases to automated "
                "contact.",
                (
                    _cell("operating_pressure", "value", item, row["value"]),
                    _cell("operating_pressure", "capacity", item, row["capacity"]),
                    _cell("operating_pressure", "utilisation", item, use),
                ),
                use - most,
            )
        )
    return found


def _cure_rates(data: MonthData | None, min_loans: int) -> dict[str, tuple[float, int]]:
    if data is None or "recovery_by_cohort" not in data.tables:
        return {}
    rates: dict[str, tuple[float, int]] = {}
    for row in data.tables["recovery_by_cohort"].frame.to_dicts():
        rate = _ratio(row["cure_rate"])
        if rate is not None and (row["loans"] or 0) >= min_loans:
            rates[str(row["bucket"])] = (rate, int(row["loans"]))
    return rates


def _cure_rate(context: _Context) -> list[_Finding]:
    now = _cure_rates(context.data, context.min_loans)
    if context.previous is None:
        return _cure_rate_low(context, now)
    before = _cure_rates(context.previous, context.min_loans)
    drop = context.limit("cure_rate_drop")
    found: list[_Finding] = []
    for bucket, (rate, _loans) in now.items():
        if bucket not in before or before[bucket][0] - rate < drop:
            continue
        old = before[bucket][0]
        this_month, last_month = _month_text(context.data.month), _month_text(context.previous.month)
        fell = old - rate
        found.append(
            _finding(
                "cure_rate_fell",
                f"{bucket} 阶段治愈率由 {last_month} 的 {_t(Kind.RATIO, old)} 降至 {this_month} 的 "
                f"{_t(Kind.RATIO, rate)}（下降 {_t(Kind.RATIO, fell)}）：应复核该阶段的策略路径与人员安排。",
                f"The {bucket} cure rate fell from {_t(Kind.RATIO, old)} in {last_month} to "
                f"{_t(Kind.RATIO, rate)} in {this_month} (down {_t(Kind.RATIO, fell)}): review the bucket's "
                "treatment path and staffing.",
                (
                    _cell("recovery_by_cohort", "cure_rate", bucket, rate),
                    _cell(
                        "recovery_by_cohort",
                        "cure_rate",
                        f"{bucket} ({last_month})",
                        old,
                        key=f"recovery_by_cohort.{bucket}.cure_rate.previous",
                    ),
                ),
                fell,
            )
        )
    return found


def _cure_rate_low(context: _Context, now: Mapping[str, tuple[float, int]]) -> list[_Finding]:
    floor = context.limit("cure_rate_floor")
    found: list[_Finding] = []
    for bucket, (rate, loans) in now.items():
        if rate >= floor:
            continue
        found.append(
            _finding(
                "cure_rate_low",
                f"{bucket} 阶段 {_t(Kind.COUNT, loans)} 笔贷款的当月治愈率仅 {_t(Kind.RATIO, rate)}，"
                f"低于 {_t(Kind.RATIO, floor)}：应加强该阶段的早期触达并复核策略路径。",
                f"The month's cure rate of the {_t(Kind.COUNT, loans)} loans in {bucket} is only "
                f"{_t(Kind.RATIO, rate)}, below {_t(Kind.RATIO, floor)}: contact them earlier and review the "
                "treatment path.",
                (
                    _cell("recovery_by_cohort", "loans", bucket, loans),
                    _cell("recovery_by_cohort", "cure_rate", bucket, rate),
                ),
                floor - rate,
            )
        )
    return found


def _roll_forward(context: _Context) -> list[_Finding]:
    most = context.limit("roll_forward_max")
    found: list[_Finding] = []
    for row in context.rows("roll_rates"):
        source, target = str(row["from_bucket"]), str(row["to_bucket"])
        rate = _ratio(row["rate"])
        if NEXT_BUCKET.get(source) != target or rate is None or rate <= most or source == "M0":
            continue
        if (row["loans"] or 0) < context.min_loans:
            continue
        label = f"{source}→{target}"
        found.append(
            _finding(
                "roll_forward_high",
                f"{label} 迁移率为 {_t(Kind.RATIO, rate)}（{_t(Kind.COUNT, row['loans'])} 笔），高于 "
                f"{_t(Kind.RATIO, most)}：应在 {source} 阶段加大催收力度或提前委外。",
                f"The {label} roll rate is {_t(Kind.RATIO, rate)} ({_t(Kind.COUNT, row['loans'])} loans), "
                f"above {_t(Kind.RATIO, most)}: work {source} harder or place it with an agency earlier.",
                (
                    _cell("roll_rates", "rate", label, rate),
                    _cell("roll_rates", "loans", label, row["loans"]),
                ),
                rate - most,
            )
        )
    return found


#: ``ops_by_agency`` rows that are not an agency (cases worked in-house).
NOT_AGENCIES: Final = frozenset({"未委外", "in-house", "in house", "none", ""})


def _agency_below_peers(context: _Context) -> list[_Finding]:
    share = context.limit("agency_peer_share")
    rows = [
        row
        for row in context.rows("ops_by_agency")
        if (row["contacts"] or 0) >= context.limit("agency_min_contacts")
        and str(row["agency"] or "").strip().lower() not in NOT_AGENCIES
    ]
    found: list[_Finding] = []
    for column in ("kept_rate", "rpc_rate"):
        for row in rows:
            rate = _ratio(row[column])
            peers = [
                value for other in rows if other is not row and (value := _ratio(other[column])) is not None
            ]
            if rate is None or len(peers) < 2:
                continue
            middle = median(peers)
            if middle <= 0 or rate >= share * middle:
                continue
            found.append(_agency_finding(str(row["agency"]), column, rate, middle, len(peers)))
    return found


def _agency_finding(agency: str, column: str, rate: float, middle: float, peers: int) -> _Finding:
    zh, en, _kind = _column("ops_by_agency", column)
    median_figure = Figure(
        f"ops_by_agency.peer_median.{column}",
        f"{TABLES['ops_by_agency'].zh}·其他机构中位数·{zh}",
        f"{TABLES['ops_by_agency'].en} · the other agencies' median · {en}",
        Kind.RATIO,
        middle,
        "ops_by_agency",
    )
    return _finding(
        "agency_below_peers",
        f"委外机构 {agency} 的{zh}为 {_t(Kind.RATIO, rate)}，远低于其他 {peers} 家机构的中位数 "
        f"{_t(Kind.RATIO, middle)}：应约谈该机构、减少分案或按合同召回案件。",
        f"Agency {agency}'s {en} is {_t(Kind.RATIO, rate)}, far below the median of the other {peers} "
        f"agencies, {_t(Kind.RATIO, middle)}: review it with the agency, place fewer cases or recall them "
        "under the contract.",
        (_cell("ops_by_agency", column, agency, rate), median_figure),
        middle - rate,
    )


CHAMPION: Final = "champion"


def _arm_figures(segment: str, row: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[Figure, ...]:
    label = f"{segment} · {row['arm']}"
    return tuple(_cell("champion_challenger", column, label, row[column]) for column in columns)


def _challenger(context: _Context) -> list[_Finding]:
    """A challenger differs from its segment's champion when Newcombe's 95 % interval of the difference in
    cure rate excludes 0 (both arms with at least ``min_loans`` cases)."""
    rows = [row for row in context.rows("champion_challenger") if (row["cases"] or 0) >= context.min_loans]
    champions = {row["segment"]: row for row in rows if row["arm"] == CHAMPION}
    found: list[_Finding] = []
    for row in rows:
        champion = champions.get(row["segment"])
        if row["arm"] == CHAMPION or champion is None:
            continue
        low, high = _ratio(row["diff_low"]), _ratio(row["diff_high"])
        if low is None or high is None:
            continue
        if low > 0:
            found.append(_challenger_finding(str(row["segment"]), row, champion, better=True, gap=low))
        elif high < 0:
            found.append(_challenger_finding(str(row["segment"]), row, champion, better=False, gap=-high))
    return found


def _challenger_finding(
    segment: str, row: Mapping[str, Any], champion: Mapping[str, Any], *, better: bool, gap: float
) -> _Finding:
    arm = str(row["arm"])
    mine, theirs = _t(Kind.RATIO, row["cure_rate"]), _t(Kind.RATIO, champion["cure_rate"])
    difference = _t(Kind.RATIO, row["difference"])
    interval = f"{_t(Kind.RATIO, row['diff_low'])}–{_t(Kind.RATIO, row['diff_high'])}"
    if better:
        zh = (
            f"客群 {segment} 的挑战者 {arm} 治愈率 {mine}，冠军策略 {theirs}，差值 {difference}（95%区间 {interval}，"
            "不含 0）显著为正：建议将其升级为冠军策略。"
        )
        en = (
            f"In segment {segment}, challenger {arm} cures {mine} against the champion's {theirs}: a difference "
            f"of {difference} (95 % CI {interval}, excluding 0), significantly better — promote it to champion."
        )
    else:
        zh = (
            f"客群 {segment} 的挑战者 {arm} 治愈率 {mine}，冠军策略 {theirs}，差值 {difference}（95%区间 {interval}，"
            "不含 0）显著为负：建议停止该挑战者策略。"
        )
        en = (
            f"In segment {segment}, challenger {arm} cures {mine} against the champion's {theirs}: a difference "
            f"of {difference} (95 % CI {interval}, excluding 0), significantly worse — stop it."
        )
    evidence = (
        *_arm_figures(segment, row, ("cure_rate", "difference", "diff_low", "diff_high")),
        *_arm_figures(segment, champion, ("cure_rate",)),
    )
    return _finding("challenger_differs", zh, en, evidence, gap)


def _book_ratio(rows: list[dict[str, Any]], column: str) -> float | None:
    """The balance-weighted ratio of a dimension table (the whole book's)."""
    total = sum(int(row["balance_fen"] or 0) for row in rows)
    if total == 0:
        return None
    weighted = sum((_ratio(row[column]) or 0.0) * int(row["balance_fen"] or 0) for row in rows)
    return weighted / total


def _dimension_risk(context: _Context) -> list[_Finding]:
    found: list[_Finding] = []
    for table, label in (("stock_by_channel", "channel"), ("stock_by_product", "product")):
        rows = context.rows(table)
        book = _book_ratio(rows, "dpd30_ratio")
        if book is None or book <= 0:
            continue
        factor, floor = context.limit("dimension_risk_factor"), context.limit("dimension_risk_floor")
        for row in rows:
            rate = _ratio(row["dpd30_ratio"])
            if (
                rate is None
                or rate < floor
                or rate < factor * book
                or (row["loans"] or 0) < context.min_loans
            ):
                continue
            found.append(_dimension_finding(table, label, str(row[label]), rate, book))
    return found


def _dimension_finding(table: str, label: str, name: str, rate: float, book: float) -> _Finding:
    what_zh = "获客渠道" if label == "channel" else "产品"
    what_en = "origination channel" if label == "channel" else "product"
    book_figure = Figure(
        f"{table}.book.dpd30_ratio",
        f"{TABLES[table].zh}·全部贷款（按余额加权）·逾期30天以上占比",
        f"{TABLES[table].en} · whole book (balance-weighted) · DPD30+ ratio",
        Kind.RATIO,
        book,
        table,
    )
    return _finding(
        "dimension_high_risk",
        f"{what_zh} {name} 的逾期30天以上占比为 {_t(Kind.RATIO, rate)}，是全部贷款 {_t(Kind.RATIO, book)} 的 "
        f"{rate / book:.1f} 倍：应收紧该{what_zh}的准入标准或额度（授信政策）。",
        f"The {what_en} {name} has a DPD30+ ratio of {_t(Kind.RATIO, rate)}, {rate / book:.1f} times the "
        f"whole book's {_t(Kind.RATIO, book)}: tighten its admission criteria or limits (credit policy).",
        (_cell(table, "dpd30_ratio", name, rate), book_figure),
        rate / book,
    )


#: Names of ``flow_rates`` indicators in the sentences (the table's codes otherwise).
INDICATOR_NAMES: Final[Mapping[str, tuple[str, str]]] = {
    "fpd": ("首期逾期率（FPD）", "The first-payment default rate (FPD)"),
    "entry_rate": ("入催率", "The entry rate"),
    "c_m1": ("C-M1", "C-M1"),
}


def _flow_counts(row: Mapping[str, Any]) -> tuple[str, str, list[tuple[str, Any]]]:
    """The sentence's parenthesis (counts, and amounts when the table has them) and the cells it cites."""
    counts = f"{_t(Kind.COUNT, row['numerator'])} / {_t(Kind.COUNT, row['denominator'])}"
    cells: list[tuple[str, Any]] = [("numerator", row["numerator"]), ("denominator", row["denominator"])]
    if row["numerator_fen"] is None or row["denominator_fen"] is None:
        return f"{counts} 笔", f"{counts} loans", cells
    amounts = f"{_t(Kind.FEN, row['numerator_fen'])} / {_t(Kind.FEN, row['denominator_fen'])}"
    cells += [("numerator_fen", row["numerator_fen"]), ("denominator_fen", row["denominator_fen"])]
    return f"{counts} 笔，金额 {amounts} 元", f"{counts} loans, {amounts} yuan", cells


def _flow_indicator(context: _Context, rule: str, words: tuple[str, ...], limit_name: str) -> list[_Finding]:
    most = context.limit(limit_name)
    found: list[_Finding] = []
    for row in context.rows("flow_rates"):
        indicator = str(row["indicator"])
        rate = _ratio(row["rate"])
        if not any(word in indicator.lower() for word in words) or rate is None or rate <= most:
            continue
        name_zh, name_en = INDICATOR_NAMES.get(indicator, (indicator, indicator))
        detail_zh, detail_en, cells = _flow_counts(row)
        found.append(
            _finding(
                rule,
                f"{name_zh}为 {_t(Kind.RATIO, rate)}（{detail_zh}），高于 {_t(Kind.RATIO, most)}：应复核近期放款的"
                "审批规则与反欺诈核查（授信政策）。",
                f"{name_en} is {_t(Kind.RATIO, rate)} ({detail_en}), above {_t(Kind.RATIO, most)}: review the "
                "approval rules and fraud checks of recent lending (credit policy).",
                (
                    _cell("flow_rates", "rate", indicator, rate),
                    *(_cell("flow_rates", column, indicator, value) for column, value in cells),
                ),
                rate - most,
            )
        )
    return found


def _fpd(context: _Context) -> list[_Finding]:
    return _flow_indicator(context, "fpd_high", ("fpd", "首期逾期", "首逾"), "fpd_max")


def _entry_rate(context: _Context) -> list[_Finding]:
    return _flow_indicator(context, "entry_rate_high", ("entry", "入催"), "entry_rate_max")


def _vintage(context: _Context) -> list[_Finding]:
    table = context.data.tables.get("vintage")
    if table is None or table.frame.is_empty():
        return []
    frame = table.frame.filter(pl.col("dpd30_ever_ratio").is_not_null())
    latest = frame.sort("months_on_book").group_by("vintage", maintain_order=True).last()
    factor, floor = context.limit("vintage_factor"), context.limit("vintage_floor")
    found: list[_Finding] = []
    for row in latest.to_dicts():
        others = frame.filter(
            (pl.col("months_on_book") == row["months_on_book"]) & (pl.col("vintage") != row["vintage"])
        )["dpd30_ever_ratio"]
        if others.is_empty():
            continue
        mean = float(others.mean())  # type: ignore[arg-type]
        rate = float(row["dpd30_ever_ratio"])
        if rate < floor or rate < factor * mean or mean <= 0:
            continue
        found.append(_vintage_finding(row["vintage"], int(row["months_on_book"]), rate, mean, others.len()))
    return found


def _vintage_finding(vintage: date, mob: int, rate: float, mean: float, count: int) -> _Finding:
    row = f"{vintage:%Y-%m} MOB {mob}"
    mean_figure = Figure(
        f"vintage.mean.MOB{mob}",
        f"{TABLES['vintage'].zh}·其他 {count} 个放款月·账龄 {mob} 的平均曾逾期30+",
        f"{TABLES['vintage'].en} · mean of the other {count} vintages at MOB {mob} · ever DPD30+",
        Kind.RATIO,
        mean,
        "vintage",
        f"MOB {mob}",
    )
    return _finding(
        "vintage_loss_high",
        f"{vintage:%Y-%m} 放款的贷款在账龄 {mob} 个月时曾逾期30+比例为 {_t(Kind.RATIO, rate)}，其他 {count} 个"
        f"放款月同账龄平均为 {_t(Kind.RATIO, mean)}：应检查该月的获客渠道与审批政策变化。",
        f"Loans disbursed in {vintage:%Y-%m} reached an ever-DPD30+ ratio of {_t(Kind.RATIO, rate)} at "
        f"{mob} months on book, against a mean of {_t(Kind.RATIO, mean)} for the other {count} vintages: "
        "check that month's origination channels and approval policy changes.",
        (_cell("vintage", "dpd30_ever_ratio", row, rate), mean_figure),
        rate / mean,
    )


def _cost_above_recovery(context: _Context) -> list[_Finding]:
    most = context.limit("cost_ratio_max")
    found: list[_Finding] = []
    for row in context.rows("cost_to_collect"):
        ratio = _ratio(row["cost_ratio"])
        if ratio is None or ratio <= most:
            continue
        category = str(row["category"])
        cost, recovered = _t(Kind.FEN, row["cost_fen"]), _t(Kind.FEN, row["recovered_fen"])
        found.append(
            _finding(
                "cost_above_recovery",
                f"{category}的成本 {cost} 元高于其对应回收 {recovered} 元（成本回收比 {_t(Kind.RATIO, ratio)}）："
                "应减少该渠道的投入或改用成本更低的方式。",
                f"{category} cost {cost} yuan against {recovered} yuan recovered (cost / recovered "
                f"{_t(Kind.RATIO, ratio)}): spend less on it or use a cheaper channel.",
                (
                    _cell("cost_to_collect", "cost_fen", category, row["cost_fen"]),
                    _cell("cost_to_collect", "recovered_fen", category, row["recovered_fen"]),
                    _cell("cost_to_collect", "cost_ratio", category, ratio),
                ),
                ratio - most,
            )
        )
    return found


def _plan_gain(context: _Context) -> list[_Finding]:
    least = context.limit("plan_gain_min")
    total = [row for row in context.rows("plan_vs_strategy") if row["day"] == "total"]
    if not total:
        return []
    row = total[0]
    ratio = _ratio(row["gain_ratio"])
    if ratio is None or ratio < least or (row["gain_fen"] or 0) <= 0:
        return []
    days = len(context.rows("plan_vs_strategy")) - 1
    gain, net = _t(Kind.FEN, row["gain_fen"]), _t(Kind.FEN, row["strategy_net_fen"])
    return [
        _finding(
            "optimised_plan_gain",
            f"在相同容量下，优化行动计划在本月 {days} 个规划日的预期净回收比策略计划多 {gain} 元（策略计划 {net} 元，"
            f"增益 {_t(Kind.RATIO, ratio)}）：可考虑按优化计划安排每日行动，并以冠军/挑战者试验验证。",
            f"At the same capacity, the optimised plan's expected net recovery on the month's {days} planned day(s) "
            f"is {gain} yuan above the strategy's plan ({net} yuan, a gain of {_t(Kind.RATIO, ratio)}): consider "
            "planning the day's actions with the optimiser, and confirm it with a champion / challenger test.",
            (
                _cell("plan_vs_strategy", "gain_fen", "total", row["gain_fen"]),
                _cell("plan_vs_strategy", "strategy_net_fen", "total", row["strategy_net_fen"]),
                _cell("plan_vs_strategy", "gain_ratio", "total", ratio),
            ),
            ratio - least,
        )
    ]


def _rate(value: object) -> str | None:
    """A pricing-table rate (a decimal string, ``Kind.RATE``)."""
    return value if isinstance(value, str) and value else None


def _policy_capped(context: _Context) -> list[_Finding]:
    found: list[_Finding] = []
    for row in context.rows("pricing"):
        if row["decision"] != DECLINE:
            continue
        grade = str(row["grade"])
        pd_, loss = _ratio(row["pd"]), _rate(row["expected_loss_rate"])
        required, cap = _rate(row["required_rate"]), _rate(row["rate"])
        found.append(
            _finding(
                "policy_grade_capped",
                f"风险等级 {grade} 的违约概率为 {_t(Kind.RATIO, pd_)}、预期损失率 {_t(Kind.RATE, loss)}，"
                f"覆盖成本所需利率 {_t(Kind.RATE, required)} 超过法定上限 {_t(Kind.RATE, cap)}（C4）：该等级的贷款"
                "无法以合规利率覆盖风险，应拒绝准入，或收紧准入、要求增信后重新评级。",
                f"Risk grade {grade} has a probability of default of {_t(Kind.RATIO, pd_)} and an expected loss "
                f"rate of {_t(Kind.RATE, loss)}; the rate that would cover it, {_t(Kind.RATE, required)}, is above "
                f"the legal cap of {_t(Kind.RATE, cap)} (C4): the grade cannot be priced for its risk within the "
                "law — decline it, or tighten its admission or require credit enhancement and grade again.",
                (
                    _cell("pricing", "pd", grade, pd_),
                    _cell("pricing", "expected_loss_rate", grade, loss),
                    _cell("pricing", "required_rate", grade, required),
                    _cell("pricing", "rate", grade, cap),
                ),
                float(loss or 0),
            )
        )
    return found


def _pricing(context: _Context) -> list[_Finding]:
    rows = [row for row in context.rows("pricing") if row["decision"] == APPROVE and _rate(row["rate"])]
    if not rows:
        return []
    parts_zh = "，".join(f"{row['grade']} 级 {_t(Kind.RATE, row['rate'])}" for row in rows)
    parts_en = ", ".join(f"grade {row['grade']} {_t(Kind.RATE, row['rate'])}" for row in rows)
    return [
        _finding(
            "risk_based_pricing",
            f"按风险等级差异化定价（见风险定价表）：建议年利率 {parts_zh}，覆盖预期损失、资金成本、运营成本与目标利润。",
            f"Price by risk grade (see the risk-based pricing table): suggested annual rates {parts_en}, "
            "covering expected loss, funding, operating cost and the target margin.",
            tuple(_cell("pricing", "rate", str(row["grade"]), _rate(row["rate"])) for row in rows),
            0.0,
        )
    ]


#: Every rule, in the order they are run (the result is sorted by priority afterwards).
RULES: Final[tuple[Callable[[_Context], list[_Finding]], ...]] = (
    _provision_coverage,
    _limitation_expiries,
    _capacity_short,
    _cure_rate,
    _roll_forward,
    _agency_below_peers,
    _challenger,
    _dimension_risk,
    _fpd,
    _entry_rate,
    _vintage,
    _cost_above_recovery,
    _plan_gain,
    _policy_capped,
    _pricing,
)
