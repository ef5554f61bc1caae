"""The plain frames the collection-operations metrics read (issue 7, ``analytics.operations``).

``ops_read.read_frames`` fills an ``OpsFrames`` from the store and the lake; the metric functions
(``ops_contacts``, ``ops_impact``) are pure functions of it, so a unit test hands over a few hand-built rows.
Every frame has exactly the schema below (``frame_of`` builds one from rows and checks it). Money is fen
(``Int64``), days are ``Date``; a null ``closed_on`` / ``collector`` / ``team`` / ``agency_id`` means none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import polars as pl

Schema = Mapping[str, pl.DataType]

#: Staff: the collector's team (name) and agency, the assignment cap, and whether the user is a collector.
USERS: Final[Schema] = {
    "user_id": pl.Int64(),
    "username": pl.String(),
    "team": pl.String(),
    "agency_id": pl.String(),
    "max_open_cases": pl.Int64(),
    "is_collector": pl.Boolean(),
}
#: Cases open at some time between the period's start and ``as_of`` (their current assignment).
CASES: Final[Schema] = {
    "case_id": pl.Int64(),
    "borrower_id": pl.String(),
    "opened_on": pl.Date(),
    "closed_on": pl.Date(),
    "close_reason": pl.String(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "collector": pl.String(),
    "team": pl.String(),
    "agency_id": pl.String(),
}
#: The strategy's (re)assignments of those cases (``qs_case_event`` opened / assigned) up to ``as_of``.
EVENTS: Final[Schema] = {
    "case_id": pl.Int64(),
    "as_of": pl.Date(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
}
#: Allowed contact attempts from ``attribution_days`` before the period to ``as_of``: a person's (user /
#: agency) with a recorded result, and the engine's notices (sms / email / letter, ``eod_day`` = the EOD day
#: that planned them, to be matched with the outbox).
ATTEMPTS: Final[Schema] = {
    "attempt_id": pl.Int64(),
    "initiator": pl.String(),
    "initiator_id": pl.String(),
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "channel": pl.String(),
    "party_kind": pl.String(),
    "local_day": pl.Date(),
    "result": pl.String(),
}
#: Outbox notices handed to the gateway or the post (sent, delivered or undeliverable), one row per notice.
SENT: Final[Schema] = {
    "as_of": pl.Date(),
    "borrower_id": pl.String(),
    "channel": pl.String(),
    "sent_on": pl.Date(),
}
#: Promises to pay taken or falling due in the period (``created_by``: the username who took it).
PROMISES: Final[Schema] = {
    "promise_id": pl.Int64(),
    "case_id": pl.Int64(),
    "borrower_id": pl.String(),
    "created_by": pl.String(),
    "taken_on": pl.Date(),
    "due_on": pl.Date(),
    "status": pl.String(),
}
#: Cash payments (kind cash) valued in the period.
PAYMENTS: Final[Schema] = {
    "payment_id": pl.String(),
    "loan_id": pl.String(),
    "borrower_id": pl.String(),
    "paid_on": pl.Date(),
    "amount_fen": pl.Int64(),
}
#: Agency placements (``ends_on``: the recall day, else the term's end); ``agency``: the agency's name.
PLACEMENTS: Final[Schema] = {
    "case_id": pl.Int64(),
    "agency_id": pl.String(),
    "agency": pl.String(),
    "placed_on": pl.Date(),
    "ends_on": pl.Date(),
    "status": pl.String(),
}
#: Agencies (id → name) and the open-placement capacity of their contracts in force at ``as_of``.
AGENCIES: Final[Schema] = {"agency_id": pl.String(), "agency": pl.String(), "capacity": pl.Int64()}
#: The month's commission statement rows.
COMMISSION: Final[Schema] = {
    "agency_id": pl.String(),
    "case_id": pl.Int64(),
    "recovered_fen": pl.Int64(),
    "commission_fen": pl.Int64(),
}
#: ``costs`` charges (实现债权的费用: court, preservation, lawyer fees …) posted in the period.
COSTS: Final[Schema] = {"loan_id": pl.String(), "posted_on": pl.Date(), "amount_fen": pl.Int64()}
#: Legal cases (``judgment_fen``: principal + interest + costs the judgment fixed; ``enforcement_due_on``: the
#: last day to apply for enforcement, C7, for a case at ``effective``).
LEGAL_CASES: Final[Schema] = {
    "legal_case_id": pl.Int64(),
    "case_id": pl.Int64(),
    "stage": pl.String(),
    "outcome": pl.String(),
    "claim_fen": pl.Int64(),
    "opened_on": pl.Date(),
    "judgment_on": pl.Date(),
    "judgment_fen": pl.Int64(),
    "closed_on": pl.Date(),
    "hearing_on": pl.Date(),
    "enforcement_due_on": pl.Date(),
}
#: The loans each legal case covers.
LEGAL_LOANS: Final[Schema] = {"legal_case_id": pl.Int64(), "loan_id": pl.String()}
#: Preservation measures (``in_force``: neither released nor renewed).
PRESERVATIONS: Final[Schema] = {
    "legal_case_id": pl.Int64(),
    "start_on": pl.Date(),
    "amount_fen": pl.Int64(),
    "expires_on": pl.Date(),
    "renewal_due_on": pl.Date(),
    "in_force": pl.Boolean(),
}
#: Collateral disposals closed (sold or transferred) in the period, with the proceeds applied to loans.
DISPOSALS: Final[Schema] = {"disposal_id": pl.Int64(), "closed_on": pl.Date(), "applied_fen": pl.Int64()}
#: Executed write-offs (any day up to ``as_of``: recovery after write-off needs the older ones too).
WRITEOFFS: Final[Schema] = {"loan_id": pl.String(), "written_off_on": pl.Date(), "amount_fen": pl.Int64()}
#: Principal + interest contractually due, by due day.
DUE_BY_DAY: Final[Schema] = {"day": pl.Date(), "amount_fen": pl.Int64()}
#: Cash collected, by day.
CASH_BY_DAY: Final[Schema] = {"day": pl.Date(), "amount_fen": pl.Int64()}
#: A month-end snapshot's columns these metrics read.
SNAPSHOT: Final[Schema] = {
    "loan_id": pl.String(),
    "bucket": pl.String(),
    "delinquent": pl.Boolean(),
    "total_overdue_fen": pl.Int64(),
    "limitation_expires_on": pl.Date(),
}
#: Cash per loan between two consecutive month-end snapshots: (``start`` exclusive, ``end`` inclusive].
HISTORY_CASH: Final[Schema] = {"end": pl.Date(), "loan_id": pl.String(), "amount_fen": pl.Int64()}


def frame_of(rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]], schema: Schema) -> pl.DataFrame:
    """A frame of ``schema`` from ``rows`` (dicts or tuples in the schema's order)."""
    return pl.DataFrame(list(rows), schema=dict(schema), orient="row")


def empty(schema: Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


#: The unit costs ``QINGSHOU_UNIT_COSTS`` may set (yuan), by key: the ``OpsSettings`` field each one sets.
UNIT_COSTS: Final[Mapping[str, str]] = {
    "sms": "sms_fen",
    "letter": "letter_fen",
    "email": "email_fen",
    "contact": "contact_fen",
    "visit": "visit_fen",
}


class UnitCostError(ValueError):
    """A unit cost that is not a non-negative amount of yuan in whole fen given as a decimal string (C9); the
    message and ``key`` name the cost."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


def unit_cost_fen(key: str, value: object) -> int:
    """A unit cost in yuan (``"0.05"``, a decimal string or an int) as fen; ``UnitCostError`` for a float, a
    non-number, a negative amount or a fraction of a fen."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        kind = "a float" if isinstance(value, float) else type(value).__name__
        raise UnitCostError(
            key, f'give the cost in yuan as a decimal string (e.g. "0.05"), not {kind} {value!r}'
        )
    try:
        amount = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise UnitCostError(key, f"{value!r} is not an amount in yuan") from None
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise UnitCostError(key, f"{value!r} is not a non-negative amount in whole fen")
    return int(amount)


@dataclass(frozen=True, slots=True)
class OpsSettings:
    """Unit prices and rules (configurable: ``QINGSHOU_UNIT_COSTS`` sets the unit prices; defaults below,
    docs/metrics.md)."""

    sms_fen: int = 5  # one SMS sent: 0.05 yuan
    letter_fen: int = 500  # one letter posted: 5.00 yuan
    email_fen: int = 1  # one e-mail sent: 0.01 yuan
    contact_fen: int = 300  # staff time of one call or contact recorded by a collector: 3.00 yuan
    visit_fen: int = 10000  # staff time of one field visit (two collectors, travel): 100.00 yuan
    attribution_days: int = 30  # last touch: contacts at most this many days before the payment count
    backlog_days: int = 3  # an open case untouched this many days is backlog
    horizon_days: int = 30  # legal deadlines and limitation expiries ahead

    @classmethod
    def from_yuan(cls, **prices: str | Decimal) -> OpsSettings:
        """Settings with unit prices given in yuan as decimal strings (``sms="0.05"``), never floats."""
        return cls.from_unit_costs(prices)

    @classmethod
    def from_unit_costs(cls, costs: Mapping[str, object] | None) -> OpsSettings:
        """Settings from a ``QINGSHOU_UNIT_COSTS`` mapping (``{"sms": "0.05", …}``, keys of ``UNIT_COSTS``,
        any left out keeps its default); ``UnitCostError`` names an unknown key or a bad value."""
        if costs is None:
            return cls()
        if not isinstance(costs, Mapping):
            raise UnitCostError("QINGSHOU_UNIT_COSTS", f"must be a mapping of cost to yuan, got {costs!r}")
        fen: dict[str, int] = {}
        for key, value in costs.items():
            if key not in UNIT_COSTS:
                raise UnitCostError(str(key), f"unknown unit cost (known: {', '.join(UNIT_COSTS)})")
            fen[UNIT_COSTS[key]] = unit_cost_fen(key, value)
        return cls(**fen)


@dataclass(frozen=True, slots=True)
class Period:
    """The metrics' month: ``start`` (its first day) through ``end`` (``as_of``, the last snapshot day)."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class OpsFrames:
    """Everything the operations metrics read (module docstring); ``history`` pairs each month-end snapshot day
    of ``Sources.history`` with its snapshot (oldest first, the last one is ``as_of``)."""

    period: Period
    users: pl.DataFrame = field(default_factory=lambda: empty(USERS))
    cases: pl.DataFrame = field(default_factory=lambda: empty(CASES))
    events: pl.DataFrame = field(default_factory=lambda: empty(EVENTS))
    attempts: pl.DataFrame = field(default_factory=lambda: empty(ATTEMPTS))
    sent: pl.DataFrame = field(default_factory=lambda: empty(SENT))
    promises: pl.DataFrame = field(default_factory=lambda: empty(PROMISES))
    payments: pl.DataFrame = field(default_factory=lambda: empty(PAYMENTS))
    placements: pl.DataFrame = field(default_factory=lambda: empty(PLACEMENTS))
    agencies: pl.DataFrame = field(default_factory=lambda: empty(AGENCIES))
    commission: pl.DataFrame = field(default_factory=lambda: empty(COMMISSION))
    costs: pl.DataFrame = field(default_factory=lambda: empty(COSTS))
    legal_cases: pl.DataFrame = field(default_factory=lambda: empty(LEGAL_CASES))
    legal_loans: pl.DataFrame = field(default_factory=lambda: empty(LEGAL_LOANS))
    preservations: pl.DataFrame = field(default_factory=lambda: empty(PRESERVATIONS))
    disposals: pl.DataFrame = field(default_factory=lambda: empty(DISPOSALS))
    writeoffs: pl.DataFrame = field(default_factory=lambda: empty(WRITEOFFS))
    due_by_day: pl.DataFrame = field(default_factory=lambda: empty(DUE_BY_DAY))
    cash_by_day: pl.DataFrame = field(default_factory=lambda: empty(CASH_BY_DAY))
    history: tuple[tuple[date, pl.DataFrame], ...] = ()
    history_cash: pl.DataFrame = field(default_factory=lambda: empty(HISTORY_CASH))
    #: Whether a team filter applies: contacts, promises and cash count only on the (filtered) cases.
    by_case_only: bool = False

    def current(self) -> pl.DataFrame | None:
        """The snapshot of ``period.end`` (``as_of``), if read."""
        return self.history[-1][1] if self.history else None

    def previous(self) -> tuple[date, pl.DataFrame] | None:
        """The previous month-end snapshot day and frame, if any."""
        return self.history[-2] if len(self.history) > 1 else None
