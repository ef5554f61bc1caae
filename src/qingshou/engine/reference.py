"""The domain as an engine: the snapshot computed loan by loan through ``domain.quote.quote_loan``.

This is the reference the fast kernels are tested against (parity, to the fen) and the baseline the
benchmark divides by. It is deliberately plain: one ``quote_loan`` per loan. ``book_from_inputs`` goes the
other way (domain objects → ``Book``), so a test can build a random book with the domain's own types.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

import polars as pl

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.classification import Restructuring
from qingshou.domain.errors import DomainError
from qingshou.domain.ledger import Ledger, replay
from qingshou.domain.limitation import Interruption
from qingshou.domain.loan import (
    Charge,
    ChargeKind,
    LoanTerms,
    Payment,
    PaymentKind,
    RepaymentMethod,
    ScheduledInstallment,
)
from qingshou.domain.money import from_fen
from qingshou.domain.policy import Component, LoanClass, ProductPolicy
from qingshou.domain.quote import Quote, quote_loan
from qingshou.engine import changes, schema
from qingshou.engine.book import Book, scaled_rate


@dataclass(frozen=True, slots=True)
class LoanInputs:
    """One loan's facts as domain objects."""

    terms: LoanTerms
    schedule: tuple[ScheduledInstallment, ...]
    payments: tuple[Payment, ...]
    charges: tuple[Charge, ...]
    policy: ProductPolicy
    branch: str = ""
    channel: str = ""
    interruptions: tuple[Interruption, ...] = ()
    restructurings: tuple[Restructuring, ...] = ()


def fen(amount: Decimal) -> int:
    """Yuan at fen precision → integer fen."""
    return int(amount.scaleb(2))


@dataclass(frozen=True, slots=True)
class InputError:
    """A loan whose facts the domain refuses to even build (e.g. a zero principal, an unknown product)."""

    loan_id: str
    code: str
    message: str


def book_inputs(book: Book) -> Iterator[LoanInputs | InputError]:
    """Every loan of ``book`` as domain objects, in ``loan_id`` order; a loan the domain's constructors
    refuse (or whose product policy is invalid) comes as an ``InputError`` instead."""
    policies = book.policies()
    policy_errors = book.policy_errors()
    schedules = _grouped(book.installments.sort("loan_id", "seq"))
    payments = _grouped(book.payments.sort("loan_id", "payment_id"))
    charges = _grouped(book.charges.sort("loan_id", "charge_id"))
    interruptions = _grouped(book.interruptions.sort("loan_id", "on", "kind"))
    for row in book.loans.sort("loan_id").iter_rows(named=True):
        loan_id = row["loan_id"]
        product_id = row["product_id"]
        if product_id not in policies:
            error = policy_errors.get(product_id)
            message = error.message if error else f"unknown product {product_id!r}"
            yield InputError(loan_id, error.code if error else "invalid_policy", f"loan {loan_id}: {message}")
            continue
        try:
            yield _loan_inputs(
                row,
                schedules.get(loan_id, ()),
                payments.get(loan_id, ()),
                charges.get(loan_id, ()),
                policies[product_id],
                interruptions.get(loan_id, ()),
            )
        except (DomainError, ValueError) as exc:
            code = exc.code if isinstance(exc, DomainError) else "invalid_ledger"
            yield InputError(loan_id, code, f"loan {loan_id}: {exc}")


def _loan_inputs(
    row: dict[str, Any],
    schedule: Iterable[dict[str, Any]],
    payments: Iterable[dict[str, Any]],
    charges: Iterable[dict[str, Any]],
    policy: ProductPolicy,
    interruptions: Iterable[dict[str, Any]] = (),
) -> LoanInputs:
    loan_id = row["loan_id"]
    return LoanInputs(
        terms=LoanTerms(
            loan_id=loan_id,
            product_id=row["product_id"],
            principal=from_fen(row["principal_fen"]),
            annual_rate=Decimal(row["annual_rate_e8"]).scaleb(-8),
            disbursed_on=row["disbursed_on"],
            term_months=row["term_months"],
            method=RepaymentMethod(row["repayment_method"]),
            first_due_date=row["first_due_date"],
            accelerated_on=row["accelerated_on"],
            borrower_id=row["borrower_id"],
        ),
        schedule=tuple(
            ScheduledInstallment(
                r["seq"],
                r["due_date"],
                from_fen(r["principal_due_fen"]),
                from_fen(r["interest_due_fen"]),
                from_fen(r["fee_due_fen"]),
            )
            for r in schedule
        ),
        payments=tuple(
            Payment(
                r["payment_id"],
                r["paid_on"],
                from_fen(r["amount_fen"]),
                PaymentKind(r["kind"]),
                frozenset(Component(name) for name in (r["waives"] or "").split(",") if name),
            )
            for r in payments
        ),
        charges=tuple(
            Charge(r["charge_id"], ChargeKind(r["kind"]), r["posted_on"], from_fen(r["amount_fen"]))
            for r in charges
        ),
        policy=policy,
        branch=row["branch"] or "",
        channel=row["channel"] or "",
        interruptions=tuple(Interruption(r["on"], r["kind"], STORED_EVIDENCE) for r in interruptions),
        restructurings=_restructurings(row),
    )


def _restructurings(row: dict[str, Any]) -> tuple[Restructuring, ...]:
    """A successor loan's restructuring (C6) from its BOOK_LOANS row; none for any other loan."""
    if row["restructured_on"] is None:
        return ()
    known = row["class_at_restructuring"]
    return (Restructuring(row["restructured_on"], LoanClass(known) if known is not None else None),)


#: The evidence of an interruption read from a book (the store keeps the real evidence; the engine needs
#: only the day).
STORED_EVIDENCE: Final = "recorded in qs_limitation_interruption"


def _grouped(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        groups.setdefault(row["loan_id"], []).append(row)
    return groups


def book_from_inputs(inputs: Iterable[LoanInputs]) -> Book:
    """A ``Book`` holding the given loans (their products taken from their policies)."""
    products: dict[str, dict[str, Any]] = {}
    loans: list[dict[str, Any]] = []
    installments: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    interruptions: list[dict[str, Any]] = []
    for item in inputs:
        terms, policy = item.terms, item.policy
        products[policy.product_id] = product_row(policy)
        loans.append(
            {
                "loan_id": terms.loan_id,
                "borrower_id": terms.borrower_id or f"B-{terms.loan_id}",
                "product_id": policy.product_id,
                "principal_fen": fen(terms.principal),
                "annual_rate_e8": scaled_rate(terms.annual_rate),
                "disbursed_on": terms.disbursed_on,
                "term_months": terms.term_months,
                "repayment_method": terms.method.value,
                "first_due_date": terms.first_due_date,
                "accelerated_on": terms.accelerated_on,
                "branch": item.branch,
                "channel": item.channel,
                **_restructuring_columns(item.restructurings),
            }
        )
        installments.extend(
            {
                "loan_id": terms.loan_id,
                "seq": r.seq,
                "due_date": r.due_date,
                "principal_due_fen": fen(r.principal_due),
                "interest_due_fen": fen(r.interest_due),
                "fee_due_fen": fen(r.fee_due),
            }
            for r in item.schedule
        )
        payments.extend(
            {
                "loan_id": terms.loan_id,
                "payment_id": p.payment_id,
                "paid_on": p.paid_on,
                "amount_fen": fen(p.amount),
                "kind": p.kind.value,
                "waives": ",".join(sorted(component.value for component in p.waives)),
            }
            for p in item.payments
        )
        charges.extend(
            {
                "loan_id": terms.loan_id,
                "charge_id": c.charge_id,
                "kind": c.kind.value,
                "posted_on": c.posted_on,
                "amount_fen": fen(c.amount),
            }
            for c in item.charges
        )
        interruptions.extend(
            {"loan_id": terms.loan_id, "on": i.on, "kind": i.kind} for i in item.interruptions
        )
    return Book.of(
        pl.DataFrame(list(products.values()), schema=schema.PRODUCTS),
        pl.DataFrame(loans, schema=schema.BOOK_LOANS),
        pl.DataFrame(installments, schema=schema.INSTALLMENTS),
        pl.DataFrame(payments, schema=schema.BOOK_PAYMENTS),
        pl.DataFrame(charges, schema=schema.CHARGES),
        pl.DataFrame(interruptions, schema=schema.INTERRUPTIONS),
    )


def _restructuring_columns(restructurings: tuple[Restructuring, ...]) -> dict[str, Any]:
    """The LOAN_ARRANGEMENTS columns of a loan's (single) restructuring."""
    if not restructurings:
        return {"restructured_on": None, "class_at_restructuring": None}
    (first,) = restructurings
    known = first.class_on_day
    return {"restructured_on": first.on, "class_at_restructuring": int(known) if known is not None else None}


def product_row(policy: ProductPolicy) -> dict[str, Any]:
    """The ``PRODUCTS`` row of a policy (buckets and class floors are the defaults of its kind)."""
    return {
        "product_id": policy.product_id,
        "kind": policy.kind.value,
        "day_count": policy.day_count,
        "penalty_markup_e8": scaled_rate(policy.penalty_markup),
        "compound": policy.compound,
        "grace_days": policy.grace_days,
        "holiday_rule": policy.holiday_rule.value,
        "dpd_origin": policy.dpd_origin.value,
        "rounding": policy.rounding.value,
        "waterfall": ",".join(component.value for component in policy.waterfall),
        "allocation_direction": policy.direction.value,
        "prepayment": policy.prepayment,
        "cap_charges_at_principal": policy.cap_charges_at_principal,
    }


def quote_row(quote: Quote, item: LoanInputs) -> dict[str, Any]:
    """The ``QUOTE_FIELDS`` row of a domain quote."""
    return {
        "as_of": quote.as_of,
        "loan_id": quote.loan_id,
        "borrower_id": item.terms.borrower_id,
        "product_id": item.policy.product_id,
        "dpd": quote.dpd,
        "delinquent": quote.delinquent,
        "bucket": quote.bucket,
        "classification": quote.classification.code,
        "stage": quote.stage,
        "overdue_principal_fen": fen(quote.overdue_principal),
        "overdue_interest_fen": fen(quote.overdue_interest),
        "penalty_interest_fen": fen(quote.penalty_interest),
        "compound_interest_fen": fen(quote.compound_interest),
        "fees_fen": fen(quote.fees),
        "costs_fen": fen(quote.costs),
        "total_overdue_fen": fen(quote.total_overdue),
        "outstanding_principal_fen": fen(quote.outstanding_principal),
        "payoff_amount_fen": fen(quote.payoff_amount),
        "unapplied_credit_fen": fen(quote.unapplied_credit),
        "limitation_start": quote.limitation.start,
        "limitation_expires_on": quote.limitation.expires_on,
        "limitation_unadjusted_on": quote.limitation.unadjusted_on,
        "limitation_calendar_confirmed": quote.limitation.calendar_confirmed,
    }


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    """``rows``: one row per computable loan (QUOTE_FIELDS, or SNAPSHOT for ``reference_snapshot``);
    ``errors``: ERRORS for the others."""

    rows: pl.DataFrame
    errors: pl.DataFrame


def reference_quotes(book: Book, as_of: date, calendar: BusinessCalendar) -> ReferenceResult:
    """The quote of every loan through the domain, one ``quote_loan`` at a time; a ``DomainError`` becomes
    an error row (loan id, code, message) and the loop goes on."""
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in book_inputs(book):
        if isinstance(item, InputError):
            errors.append({"loan_id": item.loan_id, "code": item.code, "message": item.message})
            continue
        try:
            quote = quote_loan(
                item.terms,
                item.schedule,
                item.payments,
                item.charges,
                item.policy,
                calendar,
                as_of,
                restructurings=item.restructurings,
                interruptions=item.interruptions,
            )
        except DomainError as exc:
            errors.append({"loan_id": item.terms.loan_id, "code": exc.code, "message": exc.message})
            continue
        rows.append(quote_row(quote, item))
    return ReferenceResult(
        pl.DataFrame(rows, schema=schema.QUOTE_FIELDS, orient="row")
        if rows
        else schema.empty(schema.QUOTE_FIELDS),
        pl.DataFrame(errors, schema=schema.ERRORS) if errors else schema.empty(schema.ERRORS),
    )


def reference_snapshot(
    book: Book, as_of: date, calendar: BusinessCalendar, previous: pl.DataFrame | None = None
) -> ReferenceResult:
    """The SNAPSHOT through the domain: ``reference_quotes`` plus borrower aggregates and changes. The
    carried classification state is left null (the domain replays the history instead of carrying it)."""
    result = reference_quotes(book, as_of, calendar)
    carried = result.rows.select("loan_id").with_columns(
        pl.lit(None, pl.String).alias("npl_held_class"),
        pl.lit(None, pl.Date).alias("npl_cured_on"),
        pl.lit(None, pl.Date).alias("npl_state_on"),
    )
    return ReferenceResult(changes.finish(result.rows, carried, previous, book.policies()), result.errors)


def reference_ledgers(book: Book, as_of: date, calendar: BusinessCalendar) -> dict[str, Ledger | DomainError]:
    """Every loan's domain ledger (or the error the domain raised), by loan id."""
    result: dict[str, Ledger | DomainError] = {}
    for item in book_inputs(book):
        if isinstance(item, InputError):
            refused = DomainError(item.message)
            refused.code = item.code
            result[item.loan_id] = refused
            continue
        try:
            result[item.terms.loan_id] = replay(
                item.terms, item.schedule, item.payments, item.charges, item.policy, calendar, as_of
            )
        except DomainError as exc:
            result[item.terms.loan_id] = exc
    return result


def ledger_frames(ledgers: Iterable[Ledger]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Domain ledgers as the replay's frames (LEDGER_LINES, LEDGER_CHARGES, LEDGER_LOANS)."""
    lines: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    loans: list[dict[str, Any]] = []
    for ledger in ledgers:
        loans.append({"loan_id": ledger.loan_id, "unapplied_credit": fen(ledger.unapplied_credit)})
        lines.extend(
            {
                "loan_id": ledger.loan_id,
                "seq": r.seq,
                "due_date": r.due_date,
                "principal_due": fen(r.principal_due),
                "interest_due": fen(r.interest_due),
                "fee_due": fen(r.fee_due),
                "principal_paid": fen(r.principal_paid),
                "interest_paid": fen(r.interest_paid),
                "fee_paid": fen(r.fee_paid),
                "penalty_accrued": fen(r.penalty_accrued),
                "penalty_paid": fen(r.penalty_paid),
                "compound_accrued": fen(r.compound_accrued),
                "compound_paid": fen(r.compound_paid),
                "settled_on": r.settled_on,
                "accelerated": r.accelerated,
            }
            for r in ledger.installments
        )
        charges.extend(
            {
                "loan_id": ledger.loan_id,
                "charge_id": c.charge_id,
                "kind": c.kind.value,
                "posted_on": c.posted_on,
                "amount": fen(c.amount),
                "paid": fen(c.paid),
            }
            for c in ledger.charges
        )
    return (
        pl.DataFrame(lines, schema=schema.LEDGER_LINES),
        pl.DataFrame(charges, schema=schema.LEDGER_CHARGES),
        pl.DataFrame(loans, schema=schema.LEDGER_LOANS),
    )


__all__ = [
    "InputError",
    "LoanInputs",
    "ReferenceResult",
    "book_from_inputs",
    "book_inputs",
    "fen",
    "ledger_frames",
    "product_row",
    "quote_row",
    "reference_ledgers",
    "reference_quotes",
    "reference_snapshot",
]
