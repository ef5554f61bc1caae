"""The extract format as data: for each table its file name, columns, kinds, defaults and key.

docs/data-format.md describes the same format for people; this module is what the reader and the
validation read, so the two are kept in step by the tests. Every value arrives as text; a column's
``kind`` says how it is parsed, ``target`` the database column it becomes (amounts become ``…_fen``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qingshou.domain.loan import PaymentKind, RepaymentMethod

#: The payment kinds an extract may carry (issue 5): cash, or a loan closed by a restructuring or a
#: discounted settlement in the core system. Waivers are posted through the arrangement services only
#: (a waiver names its components).
PAYMENT_KINDS: tuple[str, ...] = (
    PaymentKind.CASH.value,
    PaymentKind.RESTRUCTURE.value,
    PaymentKind.DISCOUNT.value,
)


class Kind(StrEnum):
    """How a text value is parsed and checked."""

    ID = "id"  # identifier, ≤ 64 characters
    TEXT = "text"  # free text, ≤ max_length characters
    AMOUNT = "amount"  # yuan with ≤ 2 decimals → integer fen; ≥ 0
    POSITIVE_AMOUNT = "positive_amount"  # as AMOUNT, and > 0
    RATE = "rate"  # decimal fraction 0–1 with ≤ 8 decimals ("0.0435")
    DATE = "date"  # ISO YYYY-MM-DD (a midnight time from a spreadsheet is accepted)
    COUNT = "count"  # whole number ≥ ``minimum``
    CHOICE = "choice"  # one of ``choices`` (case-insensitive)
    POLICY = "policy"  # a product-policy parameter, checked by ProductPolicy.build


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an extract file."""

    name: str
    kind: Kind
    required: bool = False
    target: str = ""
    max_length: int = 64
    minimum: int = 0
    choices: tuple[str, ...] = ()

    @property
    def db_name(self) -> str:
        """The database column this value is stored in."""
        return self.target or self.name


@dataclass(frozen=True, slots=True)
class Table:
    """One extract file: ``DIR/<name>.csv|.parquet|.xlsx``."""

    name: str
    db_table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool = True
    keeps_extra: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns the file must have."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(column for column in self.columns if column.name == name)


METHODS = tuple(method.value for method in RepaymentMethod)

PRODUCTS = Table(
    "products",
    "qs_product",
    (
        Column("product_id", Kind.ID, required=True),
        Column("name", Kind.TEXT, max_length=200),
        *(
            Column(name, Kind.POLICY)
            for name in (
                "kind",
                "day_count",
                "penalty_markup",
                "compound",
                "grace_days",
                "holiday_rule",
                "dpd_origin",
                "rounding",
                "waterfall",
                "allocation_direction",
                "prepayment",
                "cap_charges_at_principal",
            )
        ),
    ),
    key=("product_id",),
)

BORROWERS = Table(
    "borrowers",
    "qs_borrower",
    (
        Column("borrower_id", Kind.ID, required=True),
        Column("name", Kind.TEXT, required=True, max_length=200),
        Column("id_number", Kind.TEXT, max_length=32),
        Column("phone", Kind.TEXT, max_length=32),
        Column("address", Kind.TEXT, max_length=500),
        Column("region", Kind.TEXT, max_length=100),
        Column("employer", Kind.TEXT, max_length=200),
        Column("monthly_income", Kind.AMOUNT, target="monthly_income_fen"),
        Column("credit_score", Kind.COUNT),
    ),
    key=("borrower_id",),
    keeps_extra=True,
)

LOANS = Table(
    "loans",
    "qs_loan",
    (
        Column("loan_id", Kind.ID, required=True),
        Column("borrower_id", Kind.ID, required=True),
        Column("product_id", Kind.ID, required=True),
        Column("principal", Kind.POSITIVE_AMOUNT, required=True, target="principal_fen"),
        Column("annual_rate", Kind.RATE, required=True),
        Column("disbursed_on", Kind.DATE, required=True),
        Column("term_months", Kind.COUNT, required=True, minimum=1),
        Column("repayment_method", Kind.CHOICE, required=True, choices=METHODS),
        Column("first_due_date", Kind.DATE),
        Column("branch", Kind.TEXT, max_length=100),
        Column("channel", Kind.TEXT, max_length=100),
        Column("accelerated_on", Kind.DATE),
    ),
    key=("loan_id",),
    keeps_extra=True,
)

INSTALLMENTS = Table(
    "installments",
    "qs_installment",
    (
        Column("loan_id", Kind.ID, required=True),
        Column("seq", Kind.COUNT, required=True, minimum=1),
        Column("due_date", Kind.DATE, required=True),
        Column("principal_due", Kind.AMOUNT, required=True, target="principal_due_fen"),
        Column("interest_due", Kind.AMOUNT, required=True, target="interest_due_fen"),
        Column("fee_due", Kind.AMOUNT, target="fee_due_fen"),
    ),
    key=("loan_id", "seq"),
    required_file=False,
)

PAYMENTS = Table(
    "payments",
    "qs_payment",
    (
        Column("payment_id", Kind.ID, required=True),
        Column("loan_id", Kind.ID, required=True),
        Column("paid_on", Kind.DATE, required=True),
        Column("amount", Kind.POSITIVE_AMOUNT, required=True, target="amount_fen"),
        Column("channel", Kind.TEXT, max_length=100),
        Column("kind", Kind.CHOICE, choices=PAYMENT_KINDS),
    ),
    key=("payment_id",),
)

#: Every table, in the order they are read, checked and written (parents before children).
TABLES: tuple[Table, ...] = (PRODUCTS, BORROWERS, LOANS, INSTALLMENTS, PAYMENTS)
#: Optional columns that default to something else than empty / null.
DEFAULTS: dict[tuple[str, str], str] = {("installments", "fee_due"): "0", ("payments", "kind"): "cash"}
