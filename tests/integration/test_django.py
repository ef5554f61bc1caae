"""The Django project: ``qingshou init`` is idempotent, the admin shows the loan book read-only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from django.test import Client

from qingshou.apps.loans.models import Borrower, Loan, Product
from qingshou.cli.init import init

pytestmark = pytest.mark.db


@pytest.mark.django_db
def test_init_on_a_migrated_database_does_nothing() -> None:
    """``qingshou init`` applies only pending migrations: on the migrated test database, none."""
    result = CliRunner().invoke(init, ["--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["applied"] == []


@pytest.mark.django_db
def test_admin_edits_products_and_only_views_loans(admin_client: Client) -> None:
    """Reference data is editable in the admin; loans are view-only (written by services only)."""
    product = Product.objects.create(product_id="P1", name="消费贷")
    borrower = Borrower.objects.create(borrower_id="B1", name="张三")
    Loan.objects.create(
        loan_id="L1", borrower=borrower, product=product, principal_fen=100, annual_rate="0.1",
        disbursed_on=dt.date(2024, 1, 1), term_months=1, repayment_method="bullet",
    )  # fmt: skip
    assert admin_client.get("/admin/loans/loan/").status_code == 200
    assert admin_client.get("/admin/loans/loan/L1/change/").status_code == 200
    assert admin_client.get("/admin/loans/loan/add/").status_code == 403
    assert admin_client.get("/admin/loans/product/add/").status_code == 200


@pytest.mark.django_db
def test_admin_refuses_an_invalid_product_policy(admin_client: Client) -> None:
    """The product form validates with ProductPolicy.build and names the field (penalty_markup > 1)."""
    data = {
        "product_id": "P2", "name": "x", "kind": "retail", "day_count": 360, "penalty_markup": "1.5",
        "compound": "on", "grace_days": 0, "holiday_rule": "none", "dpd_origin": "original",
        "rounding": "half_up", "waterfall": "costs,fees,penalty,compound,interest,principal",
        "allocation_direction": "horizontal",
    }  # fmt: skip
    response = admin_client.post("/admin/loans/product/add/", data)
    assert response.status_code == 200
    assert "penalty_markup" in response.context["adminform"].form.errors
    assert not Product.objects.filter(pk="P2").exists()


def test_interface_is_chinese_by_default_with_english_available() -> None:
    """The UI language is zh-Hans by default; model labels are translated, English on request."""
    from django.conf import settings
    from django.utils import translation

    from qingshou.apps.loans.models import Loan, Payment

    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert str(Loan._meta.verbose_name) == "贷款"
        assert str(Payment._meta.get_field("paid_on").verbose_name) == "还款日"
    with translation.override("en"):
        assert str(Loan._meta.verbose_name) == "loan"
