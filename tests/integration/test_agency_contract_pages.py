"""The agency register's contract pages (issue 6 polish): an admin registers a contract with its commission
tiers as rows and renews a contract through the services; refusals show on the field that caused them;
other roles do not reach the pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies_support import Book, agency_book, contract
from qingshou.apps.agencies import services
from qingshou.apps.agencies.models import AgencyContract
from qingshou.apps.audit.models import AuditEvent

pytestmark = [pytest.mark.db]

ClientFor = Callable[[Any], Client]


@pytest.fixture
def book(db: None) -> Book:
    return agency_book()


def contract_post(**changes: str) -> dict[str, Any]:
    """A valid posted contract AG2-2027 (marginal; M4 bands and * bands), with ``changes``."""
    data: dict[str, Any] = {
        "agency": "AG2",
        "number": "AG2-2027",
        "licence": "91310000MA1K",
        "qualifications": "催收服务备案 2027",
        "white_listed": "on",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "capacity": "25",
        "buckets": ["M3", "M4"],
        "term_days": "60",
        "mode": "marginal",
        "tier_bucket_1": "M4",
        "tier_upto_1": "10000",
        "tier_rate_1": "0.20",
        "tier_bucket_2": "M4",
        "tier_upto_2": "",
        "tier_rate_2": "0.25",
        "tier_bucket_3": "*",
        "tier_upto_3": "",
        "tier_rate_3": "0.12",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_an_admin_registers_a_contract_with_tier_rows(book: Book, client_for: ClientFor) -> None:
    admin = client_for(book.users["admin"])
    register = admin.get(reverse("agencies:register"))
    assert reverse("agencies:contract_new") in register.text
    form = admin.get(reverse("agencies:contract_new"))
    assert form.status_code == 200
    assert 'name="tier_bucket_1"' in form.text
    answer = admin.post(reverse("agencies:contract_new"), contract_post())
    assert answer.status_code == 302, answer.content.decode()
    created = AgencyContract.objects.get(number="AG2-2027")
    assert (created.agency_id, created.capacity, created.term_days, created.white_listed) == (
        "AG2",
        25,
        60,
        True,
    )
    assert created.bucket_set() == {"M3", "M4"}
    assert created.qualifications == "催收服务备案 2027"
    assert created.tiers == {
        "mode": "marginal",
        "buckets": {
            "M4": [{"upto": "10000.00", "rate": "0.20"}, {"upto": None, "rate": "0.25"}],
            "*": [{"upto": None, "rate": "0.12"}],
        },
    }
    event = AuditEvent.objects.get(action="agency.contract", target_id=str(created.pk))
    assert event.detail["number"] == "AG2-2027"
    assert 'data-contract="AG2-2027"' in admin.get(reverse("agencies:register")).text


@pytest.mark.django_db
def test_tier_and_term_refusals_show_on_their_fields(book: Book, client_for: ClientFor) -> None:
    admin = client_for(book.users["admin"])
    url = reverse("agencies:contract_new")
    # whole amount: the second M4 band's rate falls → the service's refusal on row 2's rate
    falling = admin.post(url, contract_post(mode="whole", tier_rate_2="0.15"))
    assert falling.status_code == 422
    assert 'data-field="tier_rate_2"' in falling.text
    assert "whole-amount rates may not fall" in falling.text
    # a band after the unlimited one → on that row's "up to"
    after_unlimited = admin.post(url, contract_post(tier_bucket_4="*", tier_rate_4="0.2"))
    assert 'data-field="tier_upto_4"' in after_unlimited.text
    assert "no band may follow the unlimited band" in after_unlimited.text
    # the bucket's last band has a limit → on its last row
    limited = admin.post(url, contract_post(tier_upto_3="5000"))
    assert 'data-field="tier_upto_3"' in limited.text
    # a band without a rate, and a duplicate contract number, and the term backwards
    no_rate = admin.post(url, contract_post(tier_rate_3=""))
    assert 'data-field="tier_rate_3"' in no_rate.text
    duplicate = admin.post(url, contract_post(number="AG1-2026"))
    assert 'data-field="number"' in duplicate.text
    assert "exists already" in duplicate.text
    backwards = admin.post(url, contract_post(ends_on="2026-12-31"))
    assert 'data-field="ends_on"' in backwards.text
    assert not AgencyContract.objects.filter(number="AG2-2027").exists()
    assert not AuditEvent.objects.filter(action="agency.contract", detail__number="AG2-2027").exists()


@pytest.mark.django_db
def test_renewal_through_the_page(book: Book, client_for: ClientFor) -> None:
    """AG1-2026 was evaluated (passed) on 2026-01-05: a renewal on 2026-03-01 is inside the 90 days."""
    admin = client_for(book.users["admin"])
    old = AgencyContract.objects.get(number="AG1-2026")
    assert reverse("agencies:renew", args=[old.pk]) in admin.get(reverse("agencies:register")).text
    page = admin.get(reverse("agencies:renew", args=[old.pk]))
    assert page.status_code == 200
    assert 'id="evaluate-form"' in page.text
    answer = admin.post(
        reverse("agencies:renew", args=[old.pk]),
        {"number": "AG1-2027", "starts_on": "2026-03-01", "ends_on": "2027-12-31"},
    )
    assert answer.status_code == 302, answer.content.decode()
    renewed = AgencyContract.objects.get(number="AG1-2027")
    assert (renewed.renews_id, renewed.starts_on, renewed.ends_on) == (
        old.pk,
        date(2026, 3, 1),
        date(2027, 12, 31),
    )
    assert renewed.tiers == old.tiers
    assert AuditEvent.objects.filter(action="agency.renew", target_id=str(renewed.pk)).count() == 1


@pytest.mark.django_db
def test_renewal_is_refused_on_the_day_field_while_the_evaluation_is_overdue(
    db: None, client_for: ClientFor
) -> None:
    """Never evaluated since it started on 2025-06-01: overdue from 2026-06-02 (C8)."""
    book = agency_book(evaluated_on=None)
    admin = client_for(book.users["admin"])
    old = AgencyContract.objects.get(number="AG1-2026")
    url = reverse("agencies:renew", args=[old.pk])
    refused = admin.post(url, {"number": "AG1-2027", "starts_on": "2026-06-02", "ends_on": "2027-12-31"})
    assert refused.status_code == 422
    assert 'data-field="starts_on"' in refused.text
    assert "年度评估已逾期" in refused.text  # the blocker, in Chinese by default
    assert not AgencyContract.objects.filter(number="AG1-2027").exists()
    assert not AuditEvent.objects.filter(action="agency.renew").exists()
    # recorded from the renewal page, it returns there; then the renewal goes through
    back = admin.post(
        reverse("agencies:evaluate", args=[old.pk]),
        {"evaluated_on": "2026-06-02", "score": "81", "passed": "on", "back": "renew"},
    )
    assert back.status_code == 302
    assert back["Location"] == url
    assert services.evaluation_state(old, date(2026, 6, 2)).blocks is None
    done = admin.post(url, {"number": "AG1-2027", "starts_on": "2026-06-03", "ends_on": "2027-12-31"})
    assert done.status_code == 302
    assert AgencyContract.objects.get(number="AG1-2027").renews_id == old.pk


@pytest.mark.django_db
def test_a_renewal_without_a_recent_evaluation_is_refused(db: None, client_for: ClientFor) -> None:
    book = agency_book()  # evaluated 2026-01-05: more than 90 days before 2026-05-01
    admin = client_for(book.users["admin"])
    old = AgencyContract.objects.get(number="AG1-2026")
    refused = admin.post(
        reverse("agencies:renew", args=[old.pk]),
        {"number": "AG1-2027", "starts_on": "2026-05-01", "ends_on": "2027-12-31"},
    )
    assert refused.status_code == 422
    assert 'data-field="starts_on"' in refused.text
    duplicate = admin.post(
        reverse("agencies:renew", args=[old.pk]),
        {"number": "AG2-2026", "starts_on": "2026-03-01", "ends_on": "2027-12-31"},
    )
    assert 'data-field="number"' in duplicate.text


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["sup1", "c1", "ag1", "auditor", "risk_manager", "legal_officer"])
def test_other_roles_do_not_reach_the_contract_pages(
    book: Book, client_for: ClientFor, username: str
) -> None:
    client = client_for(book.users[username])
    old = contract("AG2", "AG2-2026B")
    for url in (reverse("agencies:contract_new"), reverse("agencies:renew", args=[old.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("agencies:contract_new"), contract_post()).status_code == 404
    renew = client.post(
        reverse("agencies:renew", args=[old.pk]),
        {"number": "AG2-2027", "starts_on": "2026-03-01", "ends_on": "2027-12-31"},
    )
    assert renew.status_code == 404
    assert AgencyContract.objects.filter(number="AG2-2027").count() == 0


@pytest.mark.django_db
def test_an_unknown_contract_is_404(book: Book, client_for: ClientFor) -> None:
    admin = client_for(book.users["admin"])
    assert admin.get(reverse("agencies:renew", args=[999_999])).status_code == 404
