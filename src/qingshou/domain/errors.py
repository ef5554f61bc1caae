"""Domain errors: one base class so the adapters can map every rule violation in one place.

A command (CLI, web form, API call) turns a ``DomainError`` into a message or an HTTP status; batch work
turns it into an error row (loan id, code, message) and goes on.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was violated. ``code`` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PolicyError(DomainError):
    """A product policy parameter is missing, out of range or inconsistent."""

    code = "invalid_policy"


class MoneyError(DomainError):
    """An amount could not be read as money (float, too many decimals, not a number)."""

    code = "invalid_money"


class CalendarError(DomainError):
    """The business calendar cannot answer for a date (year not covered and no override)."""

    code = "calendar_not_covered"


class ScheduleError(DomainError):
    """Loan terms cannot produce a schedule, or a given schedule is inconsistent with the terms."""

    code = "invalid_schedule"


class LedgerError(DomainError):
    """Payments, charges or events of a loan are inconsistent (negative amount, date before disbursement)."""

    code = "invalid_ledger"


class ClassificationError(DomainError):
    """A classification request breaks a rule (e.g. a manual upgrade above the floor, C6)."""

    code = "invalid_classification"


class LimitationError(DomainError):
    """A limitation interruption or legal clock input is invalid (unknown kind, missing evidence, C7)."""

    code = "invalid_limitation"
