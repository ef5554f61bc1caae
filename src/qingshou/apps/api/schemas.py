"""The JSON shapes of the API (typed, in the OpenAPI schema). Money is a decimal string with two places
("1033.33", C9), dates and moments ISO 8601; personal data of borrowers is masked."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class ErrorOut(Schema):
    """Every error: a stable code, a message, and the field it is about (``null`` when none)."""

    code: str = Field(examples=["not_found"])
    message: str
    field: str | None = None


class ContactRefusedOut(ErrorOut):
    """A contact the compliance check (C8) refused or deferred: the attempt is stored with its reason."""

    outcome: str | None = Field(None, examples=["refuse"])
    reason: str | None = Field(None, examples=["do_not_contact"])
    attempt_id: int | None = None
    deferred_to: datetime | None = None


class PaymentIn(Schema):
    loan_id: str = Field(min_length=1, max_length=64)
    payment_id: str = Field(min_length=1, max_length=64, description="the external id (C5): posted once")
    amount: str = Field(description="yuan as a decimal string, at most two places", examples=["1033.33"])
    paid_on: date
    channel: str = Field("", max_length=32)


class AllocationOut(Schema):
    value_date: date
    seq: int | None
    charge_id: str | None
    component: str
    amount: str


class PaymentOut(Schema):
    payment_id: str
    loan_id: str
    paid_on: date
    amount: str
    status: str = Field(description="posted | already_posted", examples=["posted"])
    allocations: list[AllocationOut]
    unapplied_credit: str


class BorrowerOut(Schema):
    """The borrower with personal data masked (reveal on the case page, audited)."""

    borrower_id: str
    name: str
    id_number: str
    phone: str
    address: str
    region: str


class LoanFiguresOut(Schema):
    """What a loan's EOD status and its quote both say (money as decimal strings, C9)."""

    loan_id: str
    as_of: date
    dpd: int
    delinquent: bool
    bucket: str
    classification: str
    stage: int
    overdue_principal: str
    overdue_interest: str
    penalty_interest: str
    compound_interest: str
    fees: str
    costs: str
    total_overdue: str
    outstanding_principal: str
    payoff_amount: str
    unapplied_credit: str


class LoanStatusOut(LoanFiguresOut):
    """The loan's latest EOD status (``LoanStatus``)."""

    limitation_expires_on: date | None
    limitation_calendar_confirmed: bool
    borrower_worst_dpd: int
    borrower_total_overdue: str


class CaseLoanOut(Schema):
    loan_id: str
    product: str
    principal: str
    disbursed_on: date
    status: LoanStatusOut | None


class PromiseInstalmentOut(Schema):
    seq: int
    due_on: date
    amount: str
    status: str
    covered: str


class PromiseOut(Schema):
    id: int
    loan_id: str
    amount: str
    due_on: date
    status: str
    created_at: datetime
    created_by: str
    instalments: list[PromiseInstalmentOut]


class CaseSummaryOut(Schema):
    id: int
    borrower_id: str
    status: str
    opened_on: date
    closed_on: date | None
    close_reason: str
    lead_loan_id: str
    segment: str
    path: str
    arm: str
    strategy_version: int | None
    collector: str | None
    team: str | None
    agency: str | None


class CaseOut(CaseSummaryOut):
    borrower: BorrowerOut
    loans: list[CaseLoanOut]
    open_promises: list[PromiseOut]
    locked_by: str | None
    locked_until: datetime | None


class CasePageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseSummaryOut]


class InstallmentQuoteOut(Schema):
    seq: int
    due_date: date
    principal_due: str
    interest_due: str
    principal_paid: str
    interest_paid: str
    penalty_accrued: str
    penalty_paid: str
    compound_accrued: str
    compound_paid: str
    status: str


class QuoteOut(LoanFiguresOut):
    """The domain quote of a loan at the end of ``as_of`` (the same shape as ``qingshou quote --json``)."""

    limitation_expires_on: date
    limitation_calendar_confirmed: bool
    installments: list[InstallmentQuoteOut]


class ActionOut(Schema):
    id: int
    as_of: date
    case_id: int | None
    borrower_id: str
    loan_id: str
    segment: str
    path: str
    arm: str
    step: str
    action: str
    template: str
    queue: str
    priority: int
    planned_at: datetime
    outcome: str
    reason: str
    not_before: datetime | None


class ActionPageOut(Schema):
    as_of: date | None
    count: int
    limit: int
    offset: int
    items: list[ActionOut]


class ContactIn(Schema):
    """A contact a person made on the case (the case page's form)."""

    party_id: int
    loan_id: str = Field(min_length=1, max_length=64)
    channel: str = Field(description="call | sms | email | letter", examples=["call"])
    result: str = Field(
        description="call: connected | wrong_party | no_answer | busy | invalid_number; sms: delivered | "
        "undelivered | invalid_number; email, letter: delivered | undelivered",
        examples=["connected"],
    )
    reason: str = Field(
        "",
        description="reason for delinquency: unemployment | illness | business_failure | dispute | refusal"
        " | forgot | other (empty: none)",
    )
    notes: str = Field("", max_length=4000)
    callback_at: datetime | None = Field(None, description="ISO moment; without an offset: Beijing time")


class ContactOut(Schema):
    attempt_id: int
    case_id: int
    outcome: str
    reason: str
    result: str
    channel: str
    callback_at: datetime | None
