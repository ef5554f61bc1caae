"""A small hand-made book for the workbench tests (issue 5): borrowers with loans, a LoanStatus each, open
cases, debtor parties, teams with a supervisor and collectors, an agency, and the day's call tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from qingshou.apps.accounts.models import Agency, Team
from qingshou.apps.cases.models import Action, Case
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans.models import Borrower, Loan, Product
from workbench_support import PASSWORD, create_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)
__all__ = ["PASSWORD"]

#: Who sees case B1 (c1's, team 一组 of sup1) — pages, API, documents: 200; everyone else 404.
B1_SCOPE = [
    ("c1", 200),
    ("c2", 404),
    ("c3", 404),
    ("sup1", 200),
    ("sup2", 404),
    ("ag1", 404),
    ("auditor", 200),
    ("admin", 200),
    ("field_agent", 404),
    ("legal_officer", 200),
    ("risk_manager", 200),
    ("strategy_owner", 200),
]


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A moment on ``day`` in Shanghai (10:00 is inside the C8 contact window)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def user(username: str, role: str, *, team: Team | None = None, agency: Agency | None = None) -> User:
    """A user in the role's group with a profile (``workbench_support.create_user``); first name = the
    username in capitals (the name the lock shows)."""
    created: User = create_user(
        role, username=username, first_name=username.upper(), team=team, agency=agency
    )
    return created


def status(
    loan_id: str, *, dpd: int, bucket: str, overdue_fen: int, worst_dpd: int, total_fen: int
) -> LoanStatus:
    return LoanStatus.objects.create(
        loan_id=loan_id,
        as_of=DAY,
        dpd=dpd,
        delinquent=dpd > 0,
        bucket=bucket,
        classification="substandard" if dpd > 90 else "special_mention",
        stage=3 if dpd > 90 else 2,
        overdue_principal_fen=overdue_fen,
        overdue_interest_fen=0,
        penalty_interest_fen=0,
        compound_interest_fen=0,
        fees_fen=0,
        costs_fen=0,
        total_overdue_fen=overdue_fen,
        outstanding_principal_fen=overdue_fen,
        payoff_amount_fen=overdue_fen,
        unapplied_credit_fen=0,
        limitation_expires_on=date(2029, 1, 1),
        limitation_calendar_confirmed=True,
        borrower_worst_dpd=worst_dpd,
        borrower_total_overdue_fen=total_fen,
        borrower_overdue_loans=1,
        newly_delinquent=False,
        cured=False,
        rolled_worse=False,
        class_changed=False,
    )


@dataclass
class Book:
    """What ``make_book`` created, by name."""

    cases: dict[str, Case] = field(default_factory=dict)
    parties: dict[str, ContactParty] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    agency: Agency | None = None


#: borrower, region, bucket, dpd, overdue (fen)
BORROWERS = (
    ("B1", "北京", "M1", 20, 500_000),
    ("B2", "北京", "M2", 45, 1_500_000),
    ("B3", "上海", "M1", 10, 200_000),
    ("B4", "上海", "M4", 120, 9_000_000),
)


def make_book() -> Book:
    """Four borrowers (one loan each, L<n>), an open unassigned case each, a debtor party each; team 一组
    (supervisor sup1, collectors c1, c2) and team 二组 (supervisor sup2, collector c3); agency AG1 with user
    ag1; an auditor; call tasks planned on ``DAY`` for B1 (priority 50, queue early) and B2 (priority 80,
    queue early) and a refused one for B3."""
    book = Book()
    product = Product.objects.create(product_id="P1", name="消费贷")
    book.teams["一组"] = Team.objects.create(name="一组")
    book.teams["二组"] = Team.objects.create(name="二组")
    book.agency = Agency.objects.create(agency_id="AG1", name="某某催收公司")
    users = book.users
    users["sup1"] = user("sup1", "supervisor")
    users["sup2"] = user("sup2", "supervisor")
    book.teams["一组"].supervisor = users["sup1"]
    book.teams["一组"].save()
    book.teams["二组"].supervisor = users["sup2"]
    book.teams["二组"].save()
    users["c1"] = user("c1", "collector", team=book.teams["一组"])
    users["c2"] = user("c2", "collector", team=book.teams["一组"])
    users["c3"] = user("c3", "collector", team=book.teams["二组"])
    users["ag1"] = user("ag1", "agency_user", agency=book.agency)
    users["auditor"] = user("auditor", "auditor")
    users["admin"] = user("admin", "admin")
    for number, (borrower_id, region, bucket, dpd, overdue) in enumerate(BORROWERS, start=1):
        loan_id = f"L{number}"
        Borrower.objects.create(
            borrower_id=borrower_id,
            name=f"张{number}",
            id_number=f"11010119900101{number:04d}",
            phone=f"1381234{number:04d}",
            address="北京市朝阳区建国路1号",
            region=region,
        )
        Loan.objects.create(
            loan_id=loan_id,
            borrower_id=borrower_id,
            product=product,
            principal_fen=10_000_000,
            annual_rate=Decimal("0.12"),
            disbursed_on=date(2025, 1, 1),
            term_months=12,
            repayment_method="equal_installment",
        )
        status(loan_id, dpd=dpd, bucket=bucket, overdue_fen=overdue, worst_dpd=dpd, total_fen=overdue)
        book.cases[borrower_id] = Case.objects.create(
            borrower_id=borrower_id,
            opened_on=date(2026, 2, 1),
            updated_on=DAY,
            lead_loan_id=loan_id,
            segment="early",
        )
        book.parties[borrower_id] = ContactParty.objects.create(
            borrower_id=borrower_id, kind="debtor", name=f"张{number}", phone=f"1381234{number:04d}"
        )
    for borrower_id, priority, outcome in (("B1", 50, "allow"), ("B2", 80, "allow"), ("B3", 99, "refuse")):
        case = book.cases[borrower_id]
        Action.objects.create(
            as_of=DAY,
            case=case,
            borrower_id=borrower_id,
            loan_id=case.lead_loan_id,
            segment="early",
            path="soft",
            arm="champion",
            step="call1",
            action="call",
            queue="early",
            priority=priority,
            planned_at=datetime(2026, 3, 11, 1, 0, tzinfo=UTC),
            outcome=outcome,
        )
    return book


def assign_to(
    case: Case, collector: User | None, team: Team | None = None, agency: Agency | None = None
) -> Case:
    """Place a case directly (tests that do not exercise the rules)."""
    Case.objects.filter(pk=case.pk).update(collector=collector, team=team, agency=agency)
    case.refresh_from_db()
    return case


def scoped_book() -> Book:
    """The book of the role × URL tables (``B1_SCOPE``): B1 assigned to c1 (一组), B3 to c3 (二组), B4 placed
    with agency AG1, B2 unassigned; one user of every other role, named after it."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    assign_to(book.cases["B4"], None, agency=book.agency)
    for role in ("field_agent", "legal_officer", "risk_manager", "strategy_owner"):
        book.users[role] = create_user(role, username=role)
    return book
