"""Fixtures of the agencies tests (issue 6): the workbench book (``workbench_book.make_book``) with a second
agency, a contract per agency (evaluated, white-listed) and helpers to post payments and read statuses.

After ``agency_book()``: B1 is c1's (team 一组), B3 c3's (team 二组), B2 and B4 in team 一组 without a collector
(so sup1 sees and places them); agencies AG1 (user ag1, contract AG1-2026) and AG2 (user ag2, contract
AG2-2026); nothing is placed yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from qingshou.apps.accounts.models import Agency
from qingshou.apps.agencies import services
from qingshou.apps.agencies.models import AgencyContract, Placement
from qingshou.apps.loans.models import Payment
from workbench_book import DAY, Book, assign_to, make_book, user

__all__ = ["DAY", "Book", "agency_book", "contract", "pay", "place"]

TIERS: dict[str, Any] = {
    "mode": "marginal",
    "buckets": {
        "*": [{"upto": "10000", "rate": "0.10"}, {"upto": None, "rate": "0.15"}],
        "M4": [{"upto": "10000", "rate": "0.20"}, {"upto": None, "rate": "0.25"}],
    },
}


def contract(
    agency_id: str,
    number: str,
    *,
    capacity: int = 10,
    evaluated_on: date | None = date(2026, 1, 5),
    term_days: int = 30,
    white_listed: bool = True,
    mode: str = "marginal",
) -> AgencyContract:
    """A contract 2025-06-01 … 2026-12-31 (tiers ``TIERS`` in ``mode``) with a passed evaluation."""
    created = services.create_contract(
        None,
        services.ContractInput(
            agency_id=agency_id,
            number=number,
            licence=f"91310000{number}",
            starts_on=date(2025, 6, 1),
            ends_on=date(2026, 12, 31),
            capacity=capacity,
            tiers={**TIERS, "mode": mode},
            qualifications="催收服务备案",
            white_listed=white_listed,
            term_days=term_days,
        ),
    )
    if evaluated_on is not None:
        services.evaluate(None, created.pk, evaluated_on, 85, True)
    return created


def agency_book(**contract_options: Any) -> Book:
    """The workbench book with agencies AG1 / AG2, their users and contracts (module docstring)."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    assign_to(book.cases["B2"], None, book.teams["一组"])
    assign_to(book.cases["B4"], None, book.teams["一组"])
    second = Agency.objects.create(agency_id="AG2", name="另一催收公司")
    book.users["ag2"] = user("ag2", "agency_user", agency=second)
    for role in ("risk_manager", "legal_officer", "field_agent", "strategy_owner"):
        book.users[role] = user(role, role)
    contract("AG1", "AG1-2026", **contract_options)
    contract("AG2", "AG2-2026", **contract_options)
    return book


def place(book: Book, name: str, agency_id: str, on: date = DAY) -> Placement:
    """sup1 places case ``name`` with ``agency_id`` on ``on``."""
    return services.place(book.users["sup1"], book.cases[name].pk, agency_id, on)


def pay(loan_id: str, on: date, amount_fen: int, kind: str = "cash") -> Payment:
    """A payment row (the ledger's replay is not needed by the agency rules)."""
    return Payment.objects.create(
        payment_id=f"{loan_id}-{on.isoformat()}-{amount_fen}-{kind}",
        loan_id=loan_id,
        paid_on=on,
        amount_fen=amount_fen,
        kind=kind,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)
