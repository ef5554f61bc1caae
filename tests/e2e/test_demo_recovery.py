"""The demo's recovery step (issue 6) on a small simulated demo store: simulate → load → EOD → demo users →
the demo team's cases → ``demo_recovery.seed_recovery`` twice. Every seeded record exists once (the second
run creates nothing), is audited, and the page that shows it answers 200 to the demo user who works it (and
404 to the demo agency user, outside the agency's placements)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts.models import Profile
from qingshou.apps.accounts.services import DEMO_AGENCY, create_demo_users
from qingshou.apps.agencies.models import AgencyContract, Evaluation, Placement
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.collateral.models import Appraisal, Collateral
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.guarantees.models import Guarantee, GuarantorDemand
from qingshou.apps.legal.models import LegalCase, LegalFee, Preservation
from qingshou.apps.loans.services.load import load_extracts
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.writeoffs.models import WriteOff
from qingshou.cli import demo_recovery
from qingshou.cli.demo import give_cases_to_the_demo_team
from qingshou.simulate import SimulationConfig, simulate_book

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DAY = date(2026, 11, 27)
LOANS, SEED = 400, 2026


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> date:
    """A small demo book loaded, its EOD run on ``DAY``, the demo users and the demo team's cases."""
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("QINGSHOU_TODAY", (DAY + timedelta(days=1)).isoformat())
    load_default_templates()
    simulate_book(SimulationConfig(loans=LOANS, seed=SEED, as_of=DAY), tmp_path / "book", workers=1)
    report = load_extracts(tmp_path / "book")
    assert report.exit_code == 0, report.as_json()
    run_eod(DAY)
    create_demo_users("demo-pass")
    give_cases_to_the_demo_team(DAY)
    return DAY


def client(username: str) -> Client:
    web = Client()
    web.force_login(get_user_model().objects.get(username=username))
    return web


def counts() -> dict[str, int]:
    return {
        "contract": AgencyContract.objects.filter(number=demo_recovery.CONTRACT_NUMBER).count(),
        "evaluation": Evaluation.objects.filter(contract__number=demo_recovery.CONTRACT_NUMBER).count(),
        "placements": Placement.objects.filter(agency_id=DEMO_AGENCY[0]).count(),
        "legal": LegalCase.objects.filter(note=demo_recovery.LEGAL_NOTE).count(),
        "fee": LegalFee.objects.filter(legal_case__note=demo_recovery.LEGAL_NOTE).count(),
        "preservation": Preservation.objects.filter(legal_case__note=demo_recovery.LEGAL_NOTE).count(),
        "collateral": Collateral.objects.filter(lien_number=demo_recovery.LIEN_NUMBER).count(),
        "appraisal": Appraisal.objects.filter(collateral__lien_number=demo_recovery.LIEN_NUMBER).count(),
        "guarantee": Guarantee.objects.filter(contract_ref=demo_recovery.GUARANTEE_REF).count(),
        "demand": GuarantorDemand.objects.filter(guarantee__contract_ref=demo_recovery.GUARANTEE_REF).count(),
        "writeoff": WriteOff.objects.filter(reason=demo_recovery.WRITEOFF_REASON).count(),
    }


def audit_counts() -> dict[str, int]:
    verbs = (
        "agency.contract",
        "agency.evaluate",
        "agency.place",
        "legal.open",
        "legal.fee",
        "legal.preserve",
    )
    verbs += ("collateral.register", "collateral.appraise", "guarantee.record", "guarantee.demand")
    return {verb: AuditEvent.objects.filter(action=verb).count() for verb in (*verbs, "writeoff.propose")}


def test_the_demo_seeds_recovery_once_and_the_pages_show_it(
    demo_store: date, capsys: pytest.CaptureFixture[str]
) -> None:
    first = demo_recovery.seed_recovery(demo_store)
    after_first, audited = counts(), audit_counts()
    has_loss = LoanStatus.objects.filter(classification="loss").exists()
    expected = {
        "contract": 1,
        "evaluation": 1,
        "placements": demo_recovery.PLACEMENTS,
        "legal": 1,
        "fee": 1,
        "preservation": 1,
        "collateral": 1,
        "appraisal": 1,
        "guarantee": 1,
        "demand": 1,
    }
    assert {k: v for k, v in after_first.items() if k != "writeoff"} == expected, [s.line() for s in first]
    assert after_first["writeoff"] == (1 if has_loss else 0), [s.line() for s in first]
    assert all(item.created for item in first if item.ref != "-"), [s.line() for s in first]
    assert audited["agency.place"] == demo_recovery.PLACEMENTS
    assert all(audited[verb] == 1 for verb in audited if verb not in ("agency.place", "writeoff.propose"))

    second = demo_recovery.seed_recovery(demo_store)
    assert counts() == after_first
    assert audit_counts() == audited
    assert not any(item.created for item in second), [s.line() for s in second]
    assert len(second) == len(first)
    assert {item.what for item in second} == {item.what for item in first}

    demo_recovery.show_recovery(demo_store, second)
    printed = capsys.readouterr().out
    assert printed.count("already there") == len(second)
    assert demo_recovery.CONTRACT_NUMBER in printed

    # each thing is on a different borrower; the placed cases are the demo agency's, not a collector's
    placed = list(Placement.objects.filter(agency_id=DEMO_AGENCY[0]).select_related("case"))
    legal_case = LegalCase.objects.select_related("case").get(note=demo_recovery.LEGAL_NOTE)
    collateral = Collateral.objects.get(lien_number=demo_recovery.LIEN_NUMBER)
    secured = collateral.links.select_related("loan").get()
    guarantee = Guarantee.objects.select_related("loan").get(contract_ref=demo_recovery.GUARANTEE_REF)
    borrowers = [p.case.borrower_id for p in placed]
    borrowers += [legal_case.case.borrower_id, secured.loan.borrower_id, guarantee.loan.borrower_id]
    assert len(set(borrowers)) == len(borrowers)
    assert all(p.case.agency_id == DEMO_AGENCY[0] and p.case.collector_id is None for p in placed)

    agency = client("agency")
    portal = agency.get(reverse("agencies:portal"))
    assert portal.status_code == 200
    for placement in placed:
        assert f'data-placement="{placement.pk}"' in portal.text
        assert agency.get(reverse("cases:case", args=[placement.case_id])).status_code == 200
    assert agency.get(reverse("legal:detail", args=[legal_case.pk])).status_code == 404
    assert agency.get(reverse("cases:case", args=[legal_case.case_id])).status_code == 404

    admin = client("admin")
    register = admin.get(reverse("agencies:register"))
    assert register.status_code == 200
    assert f'data-contract="{demo_recovery.CONTRACT_NUMBER}"' in register.text

    legal = client("legal")
    detail = legal.get(reverse("legal:detail", args=[legal_case.pk]))
    assert detail.status_code == 200
    assert legal.get(reverse("collateral:detail", args=[collateral.pk])).status_code == 200
    guarantee_case = guarantee.loan.borrower.cases.get(status="open")
    section = legal.get(reverse("guarantees:case", args=[guarantee_case.pk]))
    assert section.status_code == 200
    assert "王" in section.text

    writeoff = WriteOff.objects.filter(reason=demo_recovery.WRITEOFF_REASON).first()
    if writeoff is not None:
        proposer: Any = writeoff.proposed_by
        listing = client(proposer.username).get(reverse("writeoffs:list"))
        assert listing.status_code == 200
        assert writeoff.loan_id in listing.text


def test_the_step_refuses_without_the_demo_users(db: None) -> None:
    with pytest.raises(demo_recovery.DemoUsersMissing, match="admin: missing"):
        demo_recovery.seed_recovery(DAY)


def test_the_step_needs_the_agency_user_of_the_demo_agency(db: None) -> None:
    create_demo_users("demo-pass")
    Profile.objects.filter(user__username="agency").update(agency=None)
    with pytest.raises(demo_recovery.DemoUsersMissing, match="agency: not a user of the demo agency AG-DEMO"):
        demo_recovery.seed_recovery(DAY)
    assert not AgencyContract.objects.exists()
