"""Errors of the loan services that are not domain rules: a missing loan, a conflicting payment id.

They subclass ``DomainError`` so that every adapter (CLI now, web and API later) maps them in one place.
"""

from __future__ import annotations

from qingshou.domain.errors import DomainError


class NotFound(DomainError):
    """The named loan (or other record) does not exist."""

    code = "not_found"


class LoanNotFound(NotFound):
    """The named loan does not exist."""


class PaymentConflict(DomainError):
    """A payment id is already stored with different data: external ids are immutable (C5)."""

    code = "payment_conflict"


class FutureDate(DomainError):
    """A value date lies after today: money cannot be received in the future (C1)."""

    code = "future_date"
