"""Outside collection agencies (委外, issue 6): commission tiers, placement choice, evaluation and ranking.

**Commission tiers.** A contract's ``CommissionTiers`` holds, per bucket *at placement* (``M1`` … ``M7+``, or
``*`` for every bucket not listed), a list of recovered-amount ``Band``\\ s: each band reaches ``upto`` yuan
(inclusive; the last band has no limit) at its ``rate``. The contract says how bands apply (``BandMode``):

- ``marginal`` (累进, like income tax): each band's rate applies to the part of the recovered amount inside
  the band — 10 % up to 10 000 and 15 % above gives 1 000 + 15 % of the rest;
- ``whole`` (全额): the rate of the band the whole recovered amount falls in applies to all of it; an amount
  exactly at a band's ``upto`` is in that band (10 000.00 → 10 %, 10 000.01 → 15 % of everything). Rates must
  not fall from band to band in this mode (the commission would shrink as more is recovered).

The exact commission is rounded half-up to the fen once (C4, C9). ``commission_for_period`` gives the
commission of a period as the commission of the cumulative recovery at its end minus that at its start, so
monthly statements add up to the commission of the whole placement in both modes.

**Placement choice** (``choose_placements``): a contract takes a case when it is white-listed, in force on
the day, its evaluation is not overdue and not failed (``evaluation_state``), the case's bucket is one of its
buckets (none listed = every bucket) and it has free capacity. Among the eligible agencies the *champion* is
the best past performer (highest recovery rate; agencies without history after those with one; then the
most free capacity; then the agency id). A stable hash of the case key (FNV-1a 64, ``domain.strategy``)
sends ``challenger_share`` basis points of cases to the *challenger* arm: the eligible agency other than the
champion with the most free capacity (then agency id). Capacity is taken case by case in the order given.

**Evaluation** (C8: agencies are evaluated at least yearly and before renewal): the next evaluation is due
one year after the latest one (after the contract's start when there is none). While it is overdue, or the
latest evaluation failed, the contract can neither be renewed nor receive placements; a renewal also needs
a passed evaluation within ``renewal_window_days`` before it.

**Ranking** (``rank``): per agency and placement cohort (the month placed), recovery rate = cash recovered
during the placements / balance at placement; ordered by recovery rate (highest first), then complaints
(fewest first), then agency id; equal rate and complaints share a rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from qingshou.domain.errors import DomainError, MoneyError
from qingshou.domain.money import FEN, money, rate, to_fen
from qingshou.domain.strategy import SHARE_TOTAL, hash_bucket

#: The key of the bands that apply to every bucket a contract does not list.
ANY_BUCKET: Final = "*"
#: Buckets a contract may name (C3).
BUCKETS: Final = ("M1", "M2", "M3", "M4", "M5", "M6", "M7+")
#: Recovery rates are shown with this many decimal places (ordering uses the exact fraction).
RATE_PLACES: Final = Decimal("0.0001")
DEFAULT_RENEWAL_WINDOW_DAYS: Final = 90
ZERO: Final = Decimal("0.00")


class AgencyError(DomainError):
    """An agency contract, tier table, placement or evaluation breaks a rule."""

    code = "invalid_agency"


class BandMode(StrEnum):
    """How recovered-amount bands apply: marginal (累进) or whole-amount (全额)."""

    MARGINAL = "marginal"
    WHOLE = "whole"


class Arm(StrEnum):
    """Champion / challenger arm of a placement."""

    CHAMPION = "champion"
    CHALLENGER = "challenger"


@dataclass(frozen=True, slots=True)
class Band:
    """A recovered-amount band: up to ``upto`` yuan inclusive (``None``: no limit) at ``rate``."""

    upto: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class CommissionTiers:
    """Bands per bucket at placement (``ANY_BUCKET`` for the others) and how they apply."""

    mode: BandMode
    by_bucket: Mapping[str, tuple[Band, ...]]

    def bands(self, bucket: str) -> tuple[Band, ...]:
        """The bands of ``bucket`` (the ``*`` bands when the bucket is not listed)."""
        found = self.by_bucket.get(bucket, self.by_bucket.get(ANY_BUCKET))
        if found is None:
            raise AgencyError(f"no commission tier for bucket {bucket!r} and no '*' tier", field="bucket")
        return found

    def as_data(self) -> dict[str, object]:
        """The plain-data form ``parse_tiers`` reads (decimal strings)."""
        return {
            "mode": self.mode.value,
            "buckets": {
                bucket: [
                    {"upto": None if band.upto is None else str(band.upto), "rate": str(band.rate)}
                    for band in bands
                ]
                for bucket, bands in self.by_bucket.items()
            },
        }


def _decimal_text(value: object, at: str) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AgencyError(f"{at}: a decimal string is required, got {value!r}", field=at)
    return value


def _parse_band(item: object, at: str) -> Band:
    if not isinstance(item, Mapping) or set(item) - {"upto", "rate"} or "rate" not in item:
        raise AgencyError(f"{at}: a band is {{upto, rate}}", field=at)
    upto_raw = item.get("upto")
    try:
        band_rate = rate(_decimal_text(item["rate"], f"{at}.rate"))
        upto = None if upto_raw is None else money(_decimal_text(upto_raw, f"{at}.upto"))
    except MoneyError as error:
        raise AgencyError(f"{at}: {error.message}", field=at) from None
    if not Decimal(0) <= band_rate <= Decimal(1):
        raise AgencyError(f"{at}.rate: must be between 0 and 1, got {band_rate}", field=f"{at}.rate")
    if upto is not None and upto <= 0:
        raise AgencyError(f"{at}.upto: must be positive, got {upto}", field=f"{at}.upto")
    return Band(upto, band_rate)


def _check_follows(previous: Band, band: Band, at: str, mode: BandMode) -> None:
    if previous.upto is None:
        raise AgencyError(f"{at}: no band may follow the unlimited band", field=at)
    if band.upto is not None and band.upto <= previous.upto:
        raise AgencyError(f"{at}.upto: must be above the previous band's {previous.upto}", field=f"{at}.upto")
    if mode is BandMode.WHOLE and band.rate < previous.rate:
        raise AgencyError(
            f"{at}.rate: whole-amount rates may not fall ({band.rate} < {previous.rate})", field=f"{at}.rate"
        )


def _parse_bands(raw: object, where: str, mode: BandMode) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise AgencyError(f"{where}: a non-empty list of bands is required", field=where)
    bands: list[Band] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        band = _parse_band(item, at)
        if bands:
            _check_follows(bands[-1], band, at, mode)
        bands.append(band)
    if bands[-1].upto is not None:
        raise AgencyError(f"{where}: the last band must have no upper limit (upto: null)", field=where)
    return tuple(bands)


def parse_tiers(data: object) -> CommissionTiers:
    """Build tiers from plain data ``{"mode": "marginal"|"whole", "buckets": {"M4": [{"upto": "10000",
    "rate": "0.10"}, {"upto": null, "rate": "0.15"}], "*": [...]}}``; errors name the field."""
    if not isinstance(data, Mapping):
        raise AgencyError("commission tiers must be a mapping", field="tiers")
    unknown = set(data) - {"mode", "buckets"}
    if unknown:
        raise AgencyError(f"tiers: unknown keys {', '.join(sorted(map(str, unknown)))}", field="tiers")
    mode_raw = data.get("mode")
    if mode_raw not in {mode.value for mode in BandMode}:
        raise AgencyError(f"tiers.mode: must be marginal | whole, got {mode_raw!r}", field="tiers.mode")
    mode = BandMode(str(mode_raw))
    buckets = data.get("buckets")
    if not isinstance(buckets, Mapping) or not buckets:
        raise AgencyError("tiers.buckets: at least one bucket's bands are required", field="tiers.buckets")
    parsed: dict[str, tuple[Band, ...]] = {}
    for bucket, raw in buckets.items():
        if bucket != ANY_BUCKET and bucket not in BUCKETS:
            raise AgencyError(
                f"tiers.buckets: unknown bucket {bucket!r} (M1 … M7+ or '*')", field=f"tiers.buckets.{bucket}"
            )
        parsed[str(bucket)] = _parse_bands(raw, f"tiers.buckets.{bucket}", mode)
    return CommissionTiers(mode, parsed)


def exact_commission(recovered: Decimal, bands: Sequence[Band], mode: BandMode) -> Decimal:
    """The unrounded commission on ``recovered`` yuan (module docstring)."""
    if recovered < 0:
        raise AgencyError(f"recovered amount cannot be negative: {recovered}", field="recovered")
    if mode is BandMode.WHOLE:
        for band in bands:
            if band.upto is None or recovered <= band.upto:
                return recovered * band.rate
        raise AgencyError("the last band must have no upper limit", field="tiers")
    total = Decimal(0)
    lower = Decimal(0)
    for band in bands:
        top = recovered if band.upto is None else min(recovered, band.upto)
        if top > lower:
            total += (top - lower) * band.rate
        if band.upto is None or recovered <= band.upto:
            break
        lower = band.upto
    return total


def commission(recovered: Decimal, tiers: CommissionTiers, bucket: str) -> Decimal:
    """Commission on a placement's cumulative recovery, rounded half-up to the fen."""
    return to_fen(exact_commission(recovered, tiers.bands(bucket), tiers.mode))


def commission_for_period(
    recovered_before: Decimal, recovered_in_period: Decimal, tiers: CommissionTiers, bucket: str
) -> Decimal:
    """Commission of a period: commission(cumulative at the end) − commission(cumulative at the start)."""
    if recovered_in_period < 0:
        raise AgencyError("recovered in the period cannot be negative", field="recovered")
    return commission(recovered_before + recovered_in_period, tiers, bucket) - commission(
        recovered_before, tiers, bucket
    )


# --- evaluation (C8) -------------------------------------------------------------------------------------


def add_year(day: date) -> date:
    """The same day a year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """One evaluation of a contract: its day and whether it passed."""

    on: date
    passed: bool


@dataclass(frozen=True, slots=True)
class EvaluationState:
    """Where a contract stands with its evaluations on a day."""

    due_on: date
    overdue: bool
    last: EvaluationRecord | None

    @property
    def failed(self) -> bool:
        """The latest evaluation failed."""
        return self.last is not None and not self.last.passed

    @property
    def blocks(self) -> str | None:
        """Why the contract may not take placements or be renewed (``None``: it may)."""
        if self.overdue:
            return "evaluation_overdue"
        if self.failed:
            return "evaluation_failed"
        return None


def evaluation_state(starts_on: date, evaluations: Sequence[EvaluationRecord], on: date) -> EvaluationState:
    """The evaluation state of a contract on ``on``: the next evaluation is due a year after the latest
    (after ``starts_on`` without any); overdue when ``on`` is after that day. Evaluations after ``on`` are
    not counted."""
    past = sorted((e for e in evaluations if e.on <= on), key=lambda e: e.on)
    last = past[-1] if past else None
    due = add_year(last.on if last is not None else starts_on)
    return EvaluationState(due, on > due, last)


def renewal_blocker(
    starts_on: date,
    evaluations: Sequence[EvaluationRecord],
    on: date,
    window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
) -> str | None:
    """Why a contract may not be renewed on ``on`` (``None``: it may): evaluation overdue or failed, or no
    passed evaluation within ``window_days`` before ``on``."""
    state = evaluation_state(starts_on, evaluations, on)
    if state.blocks is not None:
        return state.blocks
    if state.last is None or (on - state.last.on).days > window_days:
        return "no_evaluation_before_renewal"
    return None


# --- placement choice ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agency contract as placement sees it on the day."""

    agency_id: str
    contract_id: int
    white_listed: bool
    starts_on: date
    ends_on: date
    buckets: frozenset[str]
    capacity: int
    open_placements: int
    evaluation: EvaluationState
    recovery_rate: Fraction | None = None

    def refusal(self, bucket: str, on: date) -> str | None:
        """Why the contract may not take a case of ``bucket`` on ``on`` (capacity aside)."""
        if not self.white_listed:
            return "not_white_listed"
        if not self.starts_on <= on <= self.ends_on:
            return "contract_not_in_force"
        blocked = self.evaluation.blocks
        if blocked is not None:
            return blocked
        if self.buckets and bucket not in self.buckets:
            return "bucket_not_covered"
        return None


@dataclass(frozen=True, slots=True)
class CaseToPlace:
    """A case placement considers: its key (for the split) and bucket at placement."""

    case_id: int
    key: str
    bucket: str


@dataclass(frozen=True, slots=True)
class Choice:
    """Where a case goes (``agency_id`` None: nowhere, ``reason`` says why)."""

    case_id: int
    agency_id: str | None
    contract_id: int | None
    arm: Arm | None
    reason: str = ""


def split_arm(key: str, challenger_share: int, salt: str = "agencies") -> Arm:
    """Champion or challenger for ``key`` by the stable FNV-1a bucket (``challenger_share`` basis points)."""
    if not 0 <= challenger_share <= SHARE_TOTAL:
        raise AgencyError(
            f"challenger share must be 0..{SHARE_TOTAL} basis points, got {challenger_share}",
            field="challenger_share",
        )
    return Arm.CHALLENGER if hash_bucket(key, salt) < challenger_share else Arm.CHAMPION


def _performance_key(free: int, candidate: Candidate) -> tuple[int, Fraction, int, str]:
    known = candidate.recovery_rate is not None
    return (0 if known else 1, -(candidate.recovery_rate or Fraction(0)), -free, candidate.agency_id)


def choose_placements(
    cases: Sequence[CaseToPlace],
    candidates: Sequence[Candidate],
    on: date,
    *,
    challenger_share: int = 0,
    salt: str = "agencies",
) -> list[Choice]:
    """Choose an agency for each case in order (module docstring); capacity is used up as cases are placed."""
    free = {c.contract_id: max(c.capacity - c.open_placements, 0) for c in candidates}
    choices: list[Choice] = []
    for case in cases:
        eligible = [c for c in candidates if c.refusal(case.bucket, on) is None]
        if not eligible:
            reasons = sorted({c.refusal(case.bucket, on) or "" for c in candidates})
            choices.append(Choice(case.case_id, None, None, None, ",".join(reasons) or "no_agency"))
            continue
        with_room = [c for c in eligible if free[c.contract_id] > 0]
        if not with_room:
            choices.append(Choice(case.case_id, None, None, None, "no_capacity"))
            continue
        ordered = sorted(with_room, key=lambda c: _performance_key(free[c.contract_id], c))
        champion = ordered[0]
        arm = split_arm(case.key, challenger_share, salt)
        chosen = champion
        if arm is Arm.CHALLENGER:
            others = sorted(ordered[1:], key=lambda c: (-free[c.contract_id], c.agency_id))
            if others:
                chosen = others[0]
            else:
                arm = Arm.CHAMPION
        free[chosen.contract_id] -= 1
        choices.append(Choice(case.case_id, chosen.agency_id, chosen.contract_id, arm))
    return choices


# --- ranking ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortResult:
    """One agency's placements of one cohort (month placed, ``YYYY-MM``)."""

    agency_id: str
    cohort: str
    placements: int
    balance: Decimal
    recovered: Decimal
    complaints: int

    @property
    def exact_rate(self) -> Fraction:
        """Recovered / balance at placement (0 when the balance is 0)."""
        if self.balance <= 0:
            return Fraction(0)
        return Fraction(self.recovered) / Fraction(self.balance)

    @property
    def recovery_rate(self) -> Decimal:
        """The recovery rate to four places, half-up."""
        value = self.exact_rate
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A ranked row: ``rank`` 1 is the best; equal rate and complaints share a rank."""

    rank: int
    result: CohortResult


def rank(results: Sequence[CohortResult]) -> list[Ranked]:
    """Rank results (of one cohort, or totals per agency) by recovery rate, complaints, agency id."""
    ordered = sorted(results, key=lambda r: (-r.exact_rate, r.complaints, r.agency_id, r.cohort))
    ranked: list[Ranked] = []
    for position, result in enumerate(ordered, start=1):
        previous = ranked[-1] if ranked else None
        same = (
            previous is not None
            and previous.result.exact_rate == result.exact_rate
            and previous.result.complaints == result.complaints
        )
        ranked.append(Ranked(previous.rank if same and previous else position, result))
    return ranked


def totals(results: Sequence[CohortResult]) -> list[CohortResult]:
    """Every agency's cohorts added together (cohort ``all``)."""
    by_agency: dict[str, CohortResult] = {}
    for r in results:
        found = by_agency.get(r.agency_id)
        if found is None:
            by_agency[r.agency_id] = CohortResult(
                r.agency_id, "all", r.placements, r.balance, r.recovered, r.complaints
            )
        else:
            by_agency[r.agency_id] = CohortResult(
                r.agency_id,
                "all",
                found.placements + r.placements,
                found.balance + r.balance,
                found.recovered + r.recovered,
                found.complaints + r.complaints,
            )
    return list(by_agency.values())


def cohort_of(day: date) -> str:
    """The placement cohort of a day: its month, ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


__all__ = [
    "ANY_BUCKET",
    "FEN",
    "ZERO",
    "AgencyError",
    "Arm",
    "Band",
    "BandMode",
    "Candidate",
    "CaseToPlace",
    "Choice",
    "CohortResult",
    "CommissionTiers",
    "EvaluationRecord",
    "EvaluationState",
    "Ranked",
    "add_year",
    "choose_placements",
    "cohort_of",
    "commission",
    "commission_for_period",
    "evaluation_state",
    "exact_commission",
    "parse_tiers",
    "rank",
    "renewal_blocker",
    "split_arm",
]
