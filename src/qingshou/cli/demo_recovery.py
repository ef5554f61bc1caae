"""The demo's recovery step (issue 6): after the demo users exist and the open cases went to the demo team,
seed — through the apps' services only, so every record is validated and audited as a user's would be —

* a contract of the demo agency (``accounts.services.DEMO_AGENCY``), evaluated, and a few placements of the
  demo team's cases with it, so the demo agency user's portal has cases;
* a lawsuit (诉讼) on one worked case (a collector's, the worst bucket), filed, with its acceptance fee posted
  and a preservation measure (a frozen bank deposit);
* a collateral (real estate) with an appraisal on a mortgage-like loan (product ``FD01`` 个人住房按揭贷款 when
  the book has one delinquent, else another delinquent loan);
* a joint guarantee with a delivered demand on another loan whose guarantee period runs on the demo day (the
  demand is skipped, and said so, when no loan's period has started);
* a write-off proposal on a loss-class (损失) loan when the book has an eligible one.

Idempotent: each thing is found by its demo marker (contract number, note, lien number, contract reference,
reason) and created only when missing; a second run adds nothing and says "already there". Each thing uses a
different borrower. One line is printed per seeded thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

#: The demo markers (how a rerun finds what an earlier run seeded).
CONTRACT_NUMBER: Final = "AG-DEMO-2026"
LEGAL_NOTE: Final = "示范 demo：诉讼"
LIEN_NUMBER: Final = "京(2019)朝阳区不动产权第DEMO001号"
GUARANTEE_REF: Final = "DEMO-保证-001"
WRITEOFF_REASON: Final = "示范 demo：损失类贷款，催收无果，申请核销"
#: How many of the demo team's cases the demo agency gets.
PLACEMENTS: Final = 3
#: Buckets the demo places with the agency first (late ones), then any.
LATE_BUCKETS: Final = ("M3", "M4", "M5", "M6", "M7+")


class DemoUsersMissing(RuntimeError):
    """The demo users (``qingshou users demo``) are missing or not as the demo needs them."""


@dataclass(frozen=True, slots=True)
class Seeded:
    """One seeded thing: what it is, its reference, and whether this run created it."""

    what: str
    ref: str
    created: bool
    note: str = ""

    def line(self) -> str:
        state = "created" if self.created else "already there"
        return f"{self.what} {self.ref}: {state}{' — ' + self.note if self.note else ''}"


def demo_users() -> dict[str, Any]:
    """The demo users by username, checked: each exists, is active and has its role; the agency user belongs
    to the demo agency. Raises ``DemoUsersMissing`` naming every problem."""
    from django.contrib.auth import get_user_model

    from qingshou.apps.accounts.roles import role_of
    from qingshou.apps.accounts.services import DEMO_AGENCY, DEMO_USERS

    found = {user.username: user for user in get_user_model().objects.filter(is_active=True)}
    problems: list[str] = []
    for username, role, _member, agency_user in DEMO_USERS:
        user = found.get(username)
        if user is None:
            problems.append(f"{username}: missing")
            continue
        if role_of(user) != role:
            problems.append(f"{username}: role {role_of(user)} instead of {role.value}")
        profile = getattr(user, "profile", None)
        if agency_user and getattr(profile, "agency_id", None) != DEMO_AGENCY[0]:
            problems.append(f"{username}: not a user of the demo agency {DEMO_AGENCY[0]}")
    if problems:
        raise DemoUsersMissing("demo users are not ready (run `qingshou users demo`): " + "; ".join(problems))
    return {username: found[username] for username, *_rest in DEMO_USERS}


def _money(fen_amount: int) -> Decimal:
    from qingshou.domain.money import from_fen

    return from_fen(fen_amount)


def _yuan(fen_amount: int) -> str:
    from qingshou.cli.render import yuan

    return yuan(_money(fen_amount))


def _open_cases(used: set[str]) -> Any:
    """Open cases not placed with an agency, of borrowers no other demo record uses, worst first."""
    from django.db.models import OuterRef, Subquery

    from qingshou.apps.cases.models import Case
    from qingshou.apps.eod.models import LoanStatus

    status = LoanStatus.objects.filter(loan_id=OuterRef("lead_loan_id"))
    return (
        Case.objects.filter(status=Case.Status.OPEN, agency__isnull=True)
        .exclude(borrower_id__in=used)
        .annotate(
            dpd=Subquery(status.values("dpd")[:1]),
            bucket=Subquery(status.values("bucket")[:1]),
            balance_fen=Subquery(status.values("borrower_total_overdue_fen")[:1]),
        )
        .filter(dpd__isnull=False)
        .order_by("-dpd", "pk")
    )


def seed_contract(users: dict[str, Any], as_of: date) -> list[Seeded]:
    """The demo agency's contract (white-listed, every bucket, marginal tiers) and its evaluation."""
    from qingshou.apps.accounts.services import DEMO_AGENCY
    from qingshou.apps.agencies import services
    from qingshou.apps.agencies.models import AgencyContract

    admin = users["admin"]
    contract = AgencyContract.objects.filter(number=CONTRACT_NUMBER).first()
    done = [Seeded("委外合同 agency contract", f"{CONTRACT_NUMBER} ({DEMO_AGENCY[1]})", contract is None)]
    if contract is None:
        contract = services.create_contract(
            admin,
            services.ContractInput(
                agency_id=DEMO_AGENCY[0],
                number=CONTRACT_NUMBER,
                licence="91110105MA01DEMO0X",
                starts_on=date(as_of.year, 1, 1),
                ends_on=date(as_of.year + 1, 12, 31),
                capacity=50,
                tiers={
                    "mode": "marginal",
                    "buckets": {
                        "M7+": [{"upto": "10000", "rate": "0.25"}, {"upto": None, "rate": "0.30"}],
                        "*": [
                            {"upto": "10000", "rate": "0.12"},
                            {"upto": "50000", "rate": "0.15"},
                            {"upto": None, "rate": "0.18"},
                        ],
                    },
                },
                qualifications="金融催收服务备案；个人信息保护合规审查通过",
                white_listed=True,
                term_days=90,
            ),
        )
    evaluation = contract.evaluations.order_by("-evaluated_on").first()
    if evaluation is None:
        on = max(contract.starts_on, as_of - timedelta(days=30))
        evaluation = services.evaluate(admin, contract.pk, on, 88, True, "示范 demo：年度评估")
        done.append(Seeded("机构评估 agency evaluation", f"{CONTRACT_NUMBER} {on.isoformat()} 88", True))
    else:
        done.append(
            Seeded(
                "机构评估 agency evaluation",
                f"{CONTRACT_NUMBER} {evaluation.evaluated_on.isoformat()} {evaluation.score}",
                False,
            )
        )
    return done


def seed_placements(users: dict[str, Any], as_of: date, used: set[str]) -> list[Seeded]:
    """``PLACEMENTS`` of the demo team's open cases (late buckets first) placed with the demo agency by the
    demo supervisor — only when the demo agency has no placement yet."""
    from qingshou.apps.accounts.scoping import visible_cases
    from qingshou.apps.accounts.services import DEMO_AGENCY
    from qingshou.apps.agencies import services
    from qingshou.apps.agencies.models import Placement

    existing = list(Placement.objects.filter(agency_id=DEMO_AGENCY[0]).order_by("pk"))
    if existing:
        used.update(p.case.borrower_id for p in existing)
        return [
            Seeded("委外案件 placement", f"case #{p.case_id} → {DEMO_AGENCY[0]}", False) for p in existing
        ]
    supervisor = users["supervisor"]
    cases = _open_cases(used).filter(pk__in=visible_cases(supervisor).values("pk"))
    chosen = list(cases.filter(bucket__in=LATE_BUCKETS)[:PLACEMENTS])
    if len(chosen) < PLACEMENTS:
        chosen += list(cases.exclude(pk__in=[c.pk for c in chosen])[: PLACEMENTS - len(chosen)])
    done: list[Seeded] = []
    for case in chosen:
        placement = services.place(supervisor, case.pk, DEMO_AGENCY[0], as_of, "示范 demo")
        used.add(case.borrower_id)
        done.append(
            Seeded(
                "委外案件 placement",
                f"case #{case.pk} → {DEMO_AGENCY[0]}",
                True,
                f"{placement.bucket}, term to {placement.term_ends_on.isoformat()}",
            )
        )
    if not done:
        done.append(
            Seeded("委外案件 placement", DEMO_AGENCY[0], False, "no open case of the demo team to place")
        )
    return done


def seed_legal(users: dict[str, Any], as_of: date, used: set[str]) -> list[Seeded]:
    """A lawsuit on one worked case (a collector's, worst first): filed on the demo day, the acceptance fee
    posted (a cost on the loan), and a bank-deposit preservation."""
    from qingshou.apps.legal import services
    from qingshou.apps.legal.models import LegalCase, LegalFee, Preservation

    legal = users["legal"]
    legal_case = LegalCase.objects.filter(note=LEGAL_NOTE).first()
    done: list[Seeded] = []
    if legal_case is None:
        case = _open_cases(used).filter(collector__isnull=False).first() or _open_cases(used).first()
        if case is None:
            return [Seeded("诉讼 lawsuit", "-", False, "no open case to sue on")]
        legal_case = services.open_case(
            legal,
            case.pk,
            "lawsuit",
            [case.lead_loan_id],
            on=as_of,
            court="北京市朝阳区人民法院",
            lawyer="示范律师事务所 王律师",
            note=LEGAL_NOTE,
        )
        done.append(Seeded("诉讼 lawsuit", f"#{legal_case.pk} (case #{case.pk})", True))
    else:
        done.append(Seeded("诉讼 lawsuit", f"#{legal_case.pk} (case #{legal_case.case_id})", False))
    if legal_case.stage == LegalCase.StageChoice.PREPARATION:
        legal_case = services.advance(legal, legal_case.pk, "filed", as_of, note="示范 demo：提交起诉状")
        done.append(Seeded("起诉 filed", f"#{legal_case.pk} {as_of.isoformat()}", True))
    else:
        done.append(Seeded("起诉 filed", f"#{legal_case.pk} stage {legal_case.stage}", False))
    used.add(legal_case.case.borrower_id)
    fee = LegalFee.objects.filter(legal_case=legal_case, kind="acceptance").first()
    fee_created = fee is None
    if fee is None:
        fee = services.post_fee(legal, legal_case.pk, "acceptance", as_of)
    done.append(Seeded("诉讼费 court fee", f"acceptance {_yuan(fee.fee_fen)} on {fee.loan_id}", fee_created))
    measure = Preservation.objects.filter(legal_case=legal_case).order_by("pk").first()
    if measure is None:
        measure = services.record_preservation(
            legal,
            legal_case.pk,
            "bank_deposit",
            "冻结被告名下银行存款（示范 demo）",
            as_of,
            amount=_money(legal_case.claim_fen),
            ruling_number="(2026)京0105财保DEMO号",
        )
        done.append(
            Seeded("财产保全 preservation", f"#{measure.pk} to {measure.expires_on.isoformat()}", True)
        )
    else:
        done.append(
            Seeded("财产保全 preservation", f"#{measure.pk} to {measure.expires_on.isoformat()}", False)
        )
    return done


def _secured_loan(used: set[str]) -> tuple[Any, Any] | None:
    """(case, loan): a delinquent mortgage loan (``FD01``) of an open case, else any open case's lead loan."""
    from qingshou.apps.eod.models import LoanStatus
    from qingshou.apps.loans.models import Loan

    cases = {case.borrower_id: case for case in _open_cases(used)}
    mortgages = (
        LoanStatus.objects.filter(delinquent=True, loan__product_id="FD01", loan__borrower_id__in=list(cases))
        .order_by("-dpd", "loan_id")
        .values_list("loan_id", "loan__borrower_id")
        .first()
    )
    if mortgages is not None:
        return cases[mortgages[1]], Loan.objects.get(pk=mortgages[0])
    case = next(iter(cases.values()), None)
    return None if case is None else (case, Loan.objects.get(pk=case.lead_loan_id))


def seed_collateral(users: dict[str, Any], as_of: date, used: set[str]) -> list[Seeded]:
    """A real-estate collateral (first lien) on a mortgage-like loan, with an appraisal."""
    from qingshou.apps.collateral import services
    from qingshou.apps.collateral.models import Appraisal, Collateral

    legal = users["legal"]
    collateral = Collateral.objects.filter(lien_number=LIEN_NUMBER).first()
    created = collateral is None
    if collateral is None:
        found = _secured_loan(used)
        if found is None:
            return [Seeded("抵押物 collateral", "-", False, "no open case with a loan to secure")]
        case, loan = found
        collateral = services.register(
            legal,
            services.Registration(
                kind="real_estate",
                description="北京市朝阳区示范小区 3 号楼 2 单元 501 室 住宅 89.5㎡",
                owner_name=case.borrower.name,
                loans=[(loan.loan_id, 1)],
                lien_number=LIEN_NUMBER,
                lien_authority="北京市朝阳区不动产登记中心",
                lien_registered_on=loan.disbursed_on,
            ),
        )
    link = collateral.links.select_related("loan").order_by("rank", "pk").first()
    loan_id = link.loan.loan_id if link is not None else "-"
    if link is not None:
        used.add(link.loan.borrower_id)
    product = link.loan.product_id if link is not None else "-"
    note = f"{collateral.get_kind_display()}, product {product}"
    done = [Seeded("抵押物 collateral", f"#{collateral.pk} on {loan_id}", created, note)]
    appraisal = Appraisal.objects.filter(collateral=collateral).order_by("-appraised_on", "-pk").first()
    if appraisal is None:
        principal = _money(link.loan.principal_fen) if link is not None else Decimal("1000000")
        value = (principal * Decimal("1.4")).quantize(Decimal("1000"))
        appraisal = services.appraise(
            legal,
            collateral.pk,
            appraised_on=as_of,
            value=value,
            appraiser="示范房地产土地估价有限公司",
            method="市场比较法",
        )
        done.append(Seeded("评估 appraisal", f"{_yuan(appraisal.value_fen)} on {as_of.isoformat()}", True))
    else:
        done.append(
            Seeded(
                "评估 appraisal",
                f"{_yuan(appraisal.value_fen)} on {appraisal.appraised_on.isoformat()}",
                False,
            )
        )
    return done


def _guaranteed_loan(as_of: date, used: set[str]) -> tuple[Any, Any, bool] | None:
    """(case, loan, period running): a loan of an open case whose guarantee period runs on ``as_of`` (its
    principal fell due before), else any open case's lead loan (period not running)."""
    from django.db.models import Max

    from qingshou.apps.guarantees.services import period_of
    from qingshou.apps.loans.models import Loan

    cases = {case.borrower_id: case for case in _open_cases(used)}
    matured = (
        Loan.objects.filter(borrower_id__in=list(cases))
        .annotate(last_due=Max("installments__due_date"))
        .filter(last_due__lt=as_of, last_due__gte=as_of - timedelta(days=170))
        .order_by("-last_due", "loan_id")
    )
    for loan in matured[:20]:
        period = period_of(loan, None)
        if period.starts_on <= as_of <= period.last_day:
            return cases[loan.borrower_id], loan, True
    case = next(iter(cases.values()), None)
    return None if case is None else (case, Loan.objects.get(pk=case.lead_loan_id), False)


def seed_guarantee(users: dict[str, Any], as_of: date, used: set[str]) -> list[Seeded]:
    """A joint guarantee (连带责任保证) by a new guarantor party, and a delivered demand on the demo day when
    the guarantee period runs."""
    from qingshou.apps.guarantees import services
    from qingshou.apps.guarantees.models import Guarantee, GuarantorDemand

    legal = users["legal"]
    guarantee = Guarantee.objects.filter(contract_ref=GUARANTEE_REF).select_related("loan").first()
    created = guarantee is None
    if guarantee is None:
        found = _guaranteed_loan(as_of, used)
        if found is None:
            return [Seeded("保证 guarantee", "-", False, "no open case with a loan to guarantee")]
        case, loan, _running = found
        guarantee = services.record_guarantee(
            legal,
            case.pk,
            loan.loan_id,
            kind="joint",
            guarantor=services.GuarantorInput(name="王保证", phone="13700000000", relation="保证人"),
            cap=_money(loan.principal_fen),
            contract_ref=GUARANTEE_REF,
            note="示范 demo",
        )
    used.add(guarantee.loan.borrower_id)
    done = [Seeded("保证 guarantee", f"#{guarantee.pk} on {guarantee.loan_id}", created, "joint")]
    demand = GuarantorDemand.objects.filter(guarantee=guarantee).order_by("pk").first()
    if demand is not None:
        done.append(Seeded("保证人催告 guarantor demand", f"#{demand.pk} {demand.on.isoformat()}", False))
        return done
    period = services.period_of(guarantee.loan, guarantee.agreed_end)
    if not period.starts_on <= as_of <= period.last_day:
        done.append(
            Seeded(
                "保证人催告 guarantor demand",
                "-",
                False,
                f"skipped: the guarantee period runs {period.starts_on.isoformat()} … {period.last_day.isoformat()}",
            )
        )
        return done
    demand = services.record_demand(
        legal,
        guarantee.pk,
        on=as_of,
        act="demand",
        channel="letter",
        evidence="EMS 挂号信 DEMO1234567890CN，已签收",
        delivered=True,
    )
    done.append(Seeded("保证人催告 guarantor demand", f"#{demand.pk} {as_of.isoformat()}", True, "delivered"))
    return done


def seed_writeoff(users: dict[str, Any], as_of: date, used: set[str]) -> list[Seeded]:
    """A write-off proposal (by the demo supervisor when the case is the demo team's, else the legal officer)
    on a loss-class loan of an open case, when the book has an eligible one."""
    from qingshou.apps.accounts.scoping import visible_cases
    from qingshou.apps.eod.models import LoanStatus
    from qingshou.apps.writeoffs import services
    from qingshou.apps.writeoffs.models import WriteOff
    from qingshou.domain.errors import DomainError
    from qingshou.domain.policy import LoanClass

    existing = WriteOff.objects.filter(reason=WRITEOFF_REASON).order_by("pk").first()
    if existing is not None:
        used.add(existing.case.borrower_id)
        return [Seeded("核销申请 write-off proposal", f"#{existing.pk} on {existing.loan_id}", False)]
    cases = {case.borrower_id: case for case in _open_cases(used)}
    loss = (
        LoanStatus.objects.filter(classification=LoanClass.LOSS.code, loan__borrower_id__in=list(cases))
        .order_by("-dpd", "loan_id")
        .values_list("loan_id", "loan__borrower_id")
    )
    refusals: list[str] = []
    for loan_id, borrower_id in loss[:10]:
        case = cases[borrower_id]
        proposer = users["supervisor"]
        if not visible_cases(proposer).filter(pk=case.pk).exists():
            proposer = users["legal"]
        try:
            writeoff = services.propose(proposer, case.pk, loan_id, reason=WRITEOFF_REASON, today=as_of)
        except DomainError as error:
            refusals.append(f"{loan_id}: {error.message}")
            continue
        used.add(borrower_id)
        return [
            Seeded(
                "核销申请 write-off proposal",
                f"#{writeoff.pk} on {loan_id}",
                True,
                f"{_yuan(writeoff.amount_fen)} by {proposer.username}",
            )
        ]
    reason = "no loss-class loan in the book" if not refusals else "; ".join(refusals[:2])
    return [Seeded("核销申请 write-off proposal", "-", False, f"skipped: {reason}")]


def seed_recovery(as_of: date) -> list[Seeded]:
    """Seed every recovery thing of the module docstring (idempotent); the demo users must exist."""
    users = demo_users()
    used: set[str] = set()
    done = seed_contract(users, as_of)
    done += seed_legal(users, as_of, used)
    done += seed_collateral(users, as_of, used)
    done += seed_guarantee(users, as_of, used)
    done += seed_writeoff(users, as_of, used)
    done += seed_placements(users, as_of, used)
    return done


def show_recovery(as_of: date, lines: Iterable[Seeded] | None = None) -> None:
    """Seed (when ``lines`` is not given) and print one line per seeded thing."""
    from qingshou.cli import setup_django
    from qingshou.cli.render import console

    setup_django()
    seeded = list(lines) if lines is not None else seed_recovery(as_of)
    out = console()
    for item in seeded:
        out.print(item.line())
