"""Helpers of the field-visit tests: people in a role with a region, an open case with its borrower, loan and
debtor contact party, a tiny real PNG."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.auth.models import User
from PIL import Image

from qingshou.apps.cases.models import Case
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.loans.models import Borrower, Loan, Product
from workbench_support import create_user

ADDRESS = "北京市朝阳区建国路88号1单元"


def make_person(role: str, username: str, **profile: Any) -> User:
    """An active user in the role's group with a profile (``workbench_support.create_user``: ``region``,
    ``team``, ``agency``) and no usable password — the tests log in with ``force_login``, and skipping the
    argon2 hash keeps a table of thirteen users per test fast."""
    user: User = create_user(role, username=username, password=None, **profile)  # type: ignore[arg-type]
    return user


def make_case(borrower_id: str, *, region: str, **case: Any) -> Case:
    """An open case of a new borrower living at ``ADDRESS`` in ``region`` (one loan, a debtor party)."""
    product, _created = Product.objects.get_or_create(product_id="P1", defaults={"name": "消费贷"})
    borrower = Borrower.objects.create(
        borrower_id=borrower_id, name="张三", phone="13812345678", address=ADDRESS, region=region
    )
    Loan.objects.create(
        loan_id=f"L-{borrower_id}", borrower=borrower, product=product, principal_fen=1_000_000,
        annual_rate="0.1", disbursed_on=dt.date(2025, 1, 1), term_months=12, repayment_method="equal_installment",
    )  # fmt: skip
    ContactParty.objects.create(
        borrower=borrower, kind="debtor", name="张三", phone="13812345678", address=ADDRESS
    )
    return Case.objects.create(
        borrower=borrower,
        opened_on=dt.date(2026, 2, 1),
        updated_on=dt.date(2026, 2, 1),
        lead_loan_id=f"L-{borrower_id}",
        **case,
    )


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    """A small valid PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    """A small valid GIF (a real image in a format the visit report refuses)."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, format="GIF")
    return buffer.getvalue()
