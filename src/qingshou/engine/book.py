"""The book: every fact the engine needs, as Polars frames with the schemas of ``engine.schema``.

A ``Book`` is what a runner reads from the store (or from Parquet extracts) before a run: products, loans
(``schema.BOOK_LOANS``: with a successor loan's restructuring), installments, payments (``BOOK_PAYMENTS``:
with their kind and the components a waiver forgives), charges and the stored limitation interruptions. Kernels never read anything else; a test builds a five-row book by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from qingshou.domain.errors import PolicyError
from qingshou.domain.policy import ProductPolicy
from qingshou.engine import schema


@dataclass(frozen=True, slots=True)
class Book:
    """The facts of a set of loans (frames conformed to ``engine.schema``)."""

    products: pl.DataFrame
    loans: pl.DataFrame
    installments: pl.DataFrame
    payments: pl.DataFrame
    charges: pl.DataFrame
    interruptions: pl.DataFrame

    @classmethod
    def of(
        cls,
        products: pl.DataFrame,
        loans: pl.DataFrame,
        installments: pl.DataFrame,
        payments: pl.DataFrame | None = None,
        charges: pl.DataFrame | None = None,
        interruptions: pl.DataFrame | None = None,
    ) -> Book:
        """A book with every frame conformed to its schema (missing payments / charges / interruptions:
        none; loans and payments without the arrangement columns: no restructuring, cash)."""
        paid = payments if payments is not None else schema.empty(schema.BOOK_PAYMENTS)
        return cls(
            schema.conform(products, schema.PRODUCTS),
            schema.conform(schema.with_defaults(loans, schema.BOOK_LOANS), schema.BOOK_LOANS),
            schema.conform(installments, schema.INSTALLMENTS),
            schema.conform(schema.with_defaults(paid, schema.BOOK_PAYMENTS), schema.BOOK_PAYMENTS),
            schema.conform(charges if charges is not None else schema.empty(schema.CHARGES), schema.CHARGES),
            schema.conform(
                interruptions if interruptions is not None else schema.empty(schema.INTERRUPTIONS),
                schema.INTERRUPTIONS,
            ),
        )

    @property
    def loan_count(self) -> int:
        """How many loans the book holds."""
        return self.loans.height

    def only(self, loan_ids: Iterable[str]) -> Book:
        """The same book restricted to ``loan_ids`` (products kept whole)."""
        wanted = pl.DataFrame({"loan_id": list(loan_ids)}, schema={"loan_id": pl.String()}).unique()
        return Book(
            self.products,
            self.loans.join(wanted, on="loan_id", how="semi", maintain_order="left"),
            self.installments.join(wanted, on="loan_id", how="semi", maintain_order="left"),
            self.payments.join(wanted, on="loan_id", how="semi", maintain_order="left"),
            self.charges.join(wanted, on="loan_id", how="semi", maintain_order="left"),
            self.interruptions.join(wanted, on="loan_id", how="semi", maintain_order="left"),
        )

    def policies(self) -> dict[str, ProductPolicy]:
        """Each valid product's policy, built by the domain (a handful of rows: a plain loop is right).
        A product whose parameters the domain refuses is left out; ``policy_errors`` says why."""
        return {
            product_id: policy
            for product_id, policy in self._policies().items()
            if isinstance(policy, ProductPolicy)
        }

    def policy_errors(self) -> dict[str, PolicyError]:
        """The products whose parameters the domain refuses, with its error (their loans cannot be computed)."""
        return {
            product_id: error
            for product_id, error in self._policies().items()
            if isinstance(error, PolicyError)
        }

    def _policies(self) -> dict[str, ProductPolicy | PolicyError]:
        result: dict[str, ProductPolicy | PolicyError] = {}
        for row in self.products.iter_rows(named=True):
            try:
                result[row["product_id"]] = product_policy(row)
            except PolicyError as error:
                result[row["product_id"]] = error
        return result


def product_policy(row: dict[str, object]) -> ProductPolicy:
    """The domain policy of one ``PRODUCTS`` row."""
    markup = row["penalty_markup_e8"]
    assert isinstance(markup, int)
    return ProductPolicy.build(
        str(row["product_id"]),
        kind=row["kind"],
        day_count=row["day_count"],
        penalty_markup=Decimal(markup).scaleb(-8),
        compound=row["compound"],
        grace_days=row["grace_days"],
        holiday_rule=row["holiday_rule"],
        dpd_origin=row["dpd_origin"],
        rounding=row["rounding"],
        waterfall=row["waterfall"],
        direction=row["allocation_direction"],
        prepayment=row["prepayment"],
        cap_charges_at_principal=row["cap_charges_at_principal"],
    )


def scaled_rate(value: Decimal) -> int:
    """A rate or markup as an integer × 10⁸; refuses more than 8 decimal places (the store's precision)."""
    scaled = value.scaleb(8)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 8 decimal places")
    return int(scaled)
