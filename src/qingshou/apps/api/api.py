"""The JSON API (django-ninja): ``/api/…``, the OpenAPI schema at ``/api/openapi.json``, docs at ``/api/docs``.

Every endpoint authenticates a bearer token (``qingshou.apps.api.tokens``) and then acts as the token's user:
their role and row-level scope apply exactly as on the pages (``accounts.scoping``: outside the scope a case
or loan answers 404 as if it did not exist; read-only roles get 403 on a write). Views parse, call one
service and shape the answer; the services own the transactions and the audit. Errors are JSON
``{"code", "message", "field"}`` (docs/api.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params.functions import Header, Query
from ninja.security import HttpBearer

from qingshou.apps.accounts.scoping import can_see_borrower, can_work, case_for, visible_cases
from qingshou.apps.api import schemas as s
from qingshou.apps.api.idempotency import KEY_LENGTH, PaymentRequest, post_payment_once
from qingshou.apps.api.tokens import authenticate
from qingshou.apps.assessment.api import router as assessment_router
from qingshou.apps.audit.services import client_ip
from qingshou.apps.cases.models import Action, Case, ContactNote, Promise, PromiseInstalment
from qingshou.apps.cases.services import contacts as contact_service
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans.models import Loan
from qingshou.apps.loans.schemas import QUOTE_MONEY_FIELDS, quote_json
from qingshou.domain.compliance import REASONS
from qingshou.domain.errors import DomainError, MoneyError
from qingshou.domain.money import from_fen, money, money_str
from qingshou.domain.privacy import mask_address, mask_id_number, mask_name, mask_phone

#: The permission to post payments (admin only in ``ROLE_PERMISSIONS``; docs/api.md).
POST_PAYMENTS: Final = "api.post_payments"
MAX_LIMIT: Final = 500
DEFAULT_LIMIT: Final = 50
#: An agency user pages through its placements as the portal does, never in bulk (issue 6: no bulk export).
AGENCY_MAX_LIMIT: Final = 50


def _page_limit(user: Any, limit: int) -> int:
    """``limit``, refused above the agency portal's page size for an agency user (422 with the field)."""
    from qingshou.apps.accounts.roles import Role, role_of

    if role_of(user) is Role.AGENCY_USER and limit > AGENCY_MAX_LIMIT:
        raise DomainError(f"an agency user reads at most {AGENCY_MAX_LIMIT} rows per page", field="limit")
    return limit


#: Service error codes answered with 409 (the request conflicts with what is stored) and 404.
CONFLICTS: Final = frozenset({"idempotency_conflict", "payment_conflict", "case_locked"})
NOT_FOUND: Final = frozenset({"not_found", "no_status"})
CONTACT_CHANNELS: Final = ("call", "sms", "email", "letter")
#: The columns of an action in the answer.
ACTION_FIELDS: Final = tuple(s.ActionOut.model_fields)


class NoStatus(DomainError):
    """The loan has no EOD status yet (404)."""

    code = "no_status"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user (or 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="清收 Qingshou API",
    version="1",
    description="Payments, cases, loans, the day's actions and contacts for integrations (docs/api.md).",
    auth=TokenAuth(),
    urls_namespace="api",
)

ERRORS: Final[dict[int, type[s.ErrorOut]]] = {401: s.ErrorOut, 404: s.ErrorOut, 422: s.ErrorOut}
#: Credit assessment (issue 8): ``POST /api/assess`` (apps.assessment.api, docs/assessment.md).
api.add_router("/assess", assessment_router)


def _error(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = _error(request, 401, "unauthorized", "a valid bearer token is required", "Authorization")
    response["WWW-Authenticate"] = 'Bearer realm="qingshou"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "not found")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "not permitted")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "bad_request" if exc.status_code == 400 else "http_error"
    return _error(request, exc.status_code, code, exc.message)


def _field(loc: Any) -> str | None:
    """The field a validation error is about: the last name of its location (``body.payload.amount`` →
    ``amount``; a header by its name)."""
    names = [str(part) for part in loc if isinstance(part, str) and part not in {"body", "query", "path"}]
    names = [name for name in names if name not in {"payload", "filters"}] or names
    return names[-1] if names else None


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _field(first.get("loc", ()))
    message = str(first.get("msg", "invalid request"))
    body = {
        "code": "invalid_request",
        "message": f"{field}: {message}" if field else message,
        "field": field,
        "errors": [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors],
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 409 if exc.code in CONFLICTS else 404 if exc.code in NOT_FOUND else 422
    return _error(request, status, exc.code, exc.message, exc.field)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _money(value_fen: int) -> str:
    return money_str(from_fen(value_fen))


# --- payments --------------------------------------------------------------------------------------------


@api.post(
    "/payments",
    response={200: s.PaymentOut, 201: s.PaymentOut, 403: s.ErrorOut, 409: s.ErrorOut, **ERRORS},
    summary="Post a payment (idempotent)",
    tags=["payments"],
)
def post_payment(
    request: HttpRequest,
    payload: s.PaymentIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=KEY_LENGTH),
) -> HttpResponse:
    """Post money received for a loan through the loans service (C5). 201 when posted, 200 when the
    payment id was posted before with the same data; the same ``Idempotency-Key`` again answers the stored
    response (header ``Idempotent-Replayed: true``), with another body 409. Needs ``api.post_payments``."""
    user = _user(request)
    if not user.has_perm(POST_PAYMENTS):
        raise PermissionDenied("posting payments needs the permission api.post_payments")
    borrower_id = Loan.objects.filter(loan_id=payload.loan_id).values_list("borrower_id", flat=True).first()
    if borrower_id is None or not can_see_borrower(user, borrower_id):
        raise Http404(f"no loan {payload.loan_id!r}")
    key = idempotency_key.strip()
    if not key:
        raise DomainError("the Idempotency-Key header must not be blank", field="Idempotency-Key")
    try:
        amount = money(payload.amount)
    except MoneyError as error:
        raise MoneyError(error.message, field="amount") from None
    if amount <= 0:
        raise MoneyError(f"amount must be positive, got {payload.amount}", field="amount")
    answer = post_payment_once(
        user,
        key,
        PaymentRequest(payload.loan_id, payload.payment_id, amount, payload.paid_on, payload.channel),
        ip=client_ip(request),
    )
    response = api.create_response(request, answer.body, status=answer.status)
    response["Idempotent-Replayed"] = "true" if answer.replayed else "false"
    return response


# --- cases -----------------------------------------------------------------------------------------------


def _case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "borrower_id": case.borrower_id,
        "status": case.status,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "close_reason": case.close_reason,
        "lead_loan_id": case.lead_loan_id,
        "segment": case.segment,
        "path": case.path,
        "arm": case.arm,
        "strategy_version": case.strategy_version,
        "collector": case.collector.username if case.collector else None,
        "team": case.team.name if case.team else None,
        "agency": case.agency_id,
    }


def _status(row: LoanStatus) -> dict[str, Any]:
    money_fields = QUOTE_MONEY_FIELDS
    data: dict[str, Any] = {
        "loan_id": row.loan_id,
        "as_of": row.as_of,
        "dpd": row.dpd,
        "delinquent": row.delinquent,
        "bucket": row.bucket,
        "classification": row.classification,
        "stage": row.stage,
        "limitation_expires_on": row.limitation_expires_on,
        "limitation_calendar_confirmed": row.limitation_calendar_confirmed,
        "borrower_worst_dpd": row.borrower_worst_dpd,
        "borrower_total_overdue": _money(row.borrower_total_overdue_fen),
    }
    data.update({name: _money(getattr(row, f"{name}_fen")) for name in money_fields})
    return data


def _promise(promise: Promise) -> dict[str, Any]:
    return {
        "id": promise.pk,
        "loan_id": promise.loan_id,
        "amount": _money(promise.amount_fen),
        "due_on": promise.due_on,
        "status": promise.status,
        "created_at": promise.created_at,
        "created_by": promise.created_by,
        "instalments": [
            {
                "seq": row.seq,
                "due_on": row.due_on,
                "amount": _money(row.amount_fen),
                "status": row.status,
                "covered": _money(row.covered_fen),
            }
            for row in promise.instalments.all()
        ],
    }


def _case_detail(case: Case) -> dict[str, Any]:
    borrower = case.borrower
    loans = list(
        Loan.objects.filter(borrower_id=case.borrower_id).select_related("product").order_by("loan_id")
    )
    statuses = {
        row.loan_id: row for row in LoanStatus.objects.filter(loan_id__in=[loan.loan_id for loan in loans])
    }
    promises = (
        Promise.objects.filter(case=case, status=Promise.Status.PENDING)
        .prefetch_related(Prefetch("instalments", queryset=PromiseInstalment.objects.order_by("seq")))
        .order_by("due_on", "pk")
    )
    held = (
        case.locked_by_id is not None and case.locked_until is not None and case.locked_until > timezone.now()
    )
    data = _case_summary(case)
    data.update(
        {
            "borrower": {
                "borrower_id": borrower.borrower_id,
                "name": mask_name(borrower.name) if borrower.name else "",
                "id_number": mask_id_number(borrower.id_number) if borrower.id_number else "",
                "phone": mask_phone(borrower.phone) if borrower.phone else "",
                "address": mask_address(borrower.address) if borrower.address else "",
                "region": borrower.region,
            },
            "loans": [
                {
                    "loan_id": loan.loan_id,
                    "product": loan.product_id,
                    "principal": _money(loan.principal_fen),
                    "disbursed_on": loan.disbursed_on,
                    "status": _status(statuses[loan.loan_id]) if loan.loan_id in statuses else None,
                }
                for loan in loans
            ],
            "open_promises": [_promise(promise) for promise in promises],
            "locked_by": case.locked_by.username if held and case.locked_by else None,
            "locked_until": case.locked_until if held else None,
        }
    )
    return data


@api.get("/cases/{int:case_id}", response={200: s.CaseOut, **ERRORS}, summary="One case", tags=["cases"])
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case (scoped: 404 outside the user's scope) with the borrower (masked), the loans with their
    latest EOD status, the strategy's segment / path / arm and the open (pending) promises."""
    case = case_for(_user(request), case_id)
    case = Case.objects.select_related("borrower", "collector", "team", "locked_by").get(pk=case.pk)
    return _case_detail(case)


@api.get("/cases", response={200: s.CasePageOut, **ERRORS}, summary="The user's cases", tags=["cases"])
def list_cases(
    request: HttpRequest,
    status: str | None = Query(None, description="open | closed (default: both)", pattern="^(open|closed)$"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """The cases the user sees (scoped), by id, ``limit`` (≤ 500; ≤ 50 for an agency user) from ``offset``."""
    limit = _page_limit(_user(request), limit)
    cases = visible_cases(_user(request))
    if status:
        cases = cases.filter(status=status)
    page = cases.select_related("collector", "team").order_by("pk")[offset : offset + limit]
    return {
        "count": cases.count(),
        "limit": limit,
        "offset": offset,
        "items": [_case_summary(case) for case in page],
    }


# --- loans -----------------------------------------------------------------------------------------------


def _visible_loan(request: HttpRequest, loan_id: str) -> Loan:
    """The loan if the user sees one of its borrower's cases (``scoping.can_see_borrower``); 404 otherwise."""
    loan = Loan.objects.filter(loan_id=loan_id).first()
    if loan is None or not can_see_borrower(_user(request), loan.borrower_id):
        raise Http404(f"no loan {loan_id!r}")
    return loan


@api.get(
    "/loans/{loan_id}/status",
    response={200: s.LoanStatusOut, **ERRORS},
    summary="A loan's status",
    tags=["loans"],
)
def loan_status(request: HttpRequest, loan_id: str) -> dict[str, Any]:
    """The loan's latest EOD status (404 ``no_status`` before the first EOD run of the loan)."""
    loan = _visible_loan(request, loan_id)
    row = LoanStatus.objects.filter(loan_id=loan.loan_id).first()
    if row is None:
        raise NoStatus(f"loan {loan_id} has no EOD status yet", field="loan_id")
    return _status(row)


@api.get(
    "/loans/{loan_id}/quote", response={200: s.QuoteOut, **ERRORS}, summary="A loan's quote", tags=["loans"]
)
def loan_quote(request: HttpRequest, loan_id: str, as_of: date | None = None) -> dict[str, Any]:
    """The domain quote at the end of ``as_of`` (default: the day of the latest EOD status, else yesterday)."""
    from qingshou.apps.loans.selectors import quote

    loan = _visible_loan(request, loan_id)
    if as_of is None:
        latest = LoanStatus.objects.filter(loan_id=loan.loan_id).values_list("as_of", flat=True).first()
        as_of = latest if isinstance(latest, date) else timezone.localdate() - timedelta(days=1)
    return quote_json(quote(loan.loan_id, as_of))


# --- actions ---------------------------------------------------------------------------------------------


@api.get(
    "/actions",
    response={200: s.ActionPageOut, **ERRORS},
    summary="The day's planned actions",
    tags=["actions"],
)
def list_actions(
    request: HttpRequest,
    as_of: date | None = Query(None, description="the plan's day (default: the latest planned day)"),  # noqa: B008
    case: int | None = Query(None, description="only this case's actions (404 outside the scope)"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """The actions the strategy planned for ``as_of`` on the cases the user sees, by priority (highest
    first), then id (``limit`` ≤ 50 for an agency user)."""
    user = _user(request)
    limit = _page_limit(user, limit)
    if as_of is None:
        as_of = Action.objects.aggregate(day=Max("as_of"))["day"]
    actions = Action.objects.filter(as_of=as_of)
    if case is not None:
        actions = actions.filter(case_id=case_for(user, case).pk)
    else:
        actions = actions.filter(case__in=visible_cases(user).values("pk"))
    page = actions.order_by("-priority", "pk")[offset : offset + limit]
    return {
        "as_of": as_of,
        "count": actions.count(),
        "limit": limit,
        "offset": offset,
        "items": list(page.values(*ACTION_FIELDS)),
    }


# --- contacts --------------------------------------------------------------------------------------------


def _contact_form(case: Case, payload: s.ContactIn) -> contact_service.ContactForm:
    """Validate what the page's form validates (the party and loan are the borrower's, known channel and
    reason); the service checks the rest (result per channel, call-back in the future, C8)."""
    if payload.channel not in CONTACT_CHANNELS:
        raise DomainError(f"channel must be {' | '.join(CONTACT_CHANNELS)}", field="channel")
    if payload.reason and payload.reason not in ContactNote.Reason.values:
        raise DomainError(f"reason must be empty or {' | '.join(ContactNote.Reason.values)}", field="reason")
    if not ContactParty.objects.filter(pk=payload.party_id, borrower_id=case.borrower_id).exists():
        raise DomainError(f"party {payload.party_id} is not one of the borrower's", field="party_id")
    if not Loan.objects.filter(loan_id=payload.loan_id, borrower_id=case.borrower_id).exists():
        raise DomainError(f"loan {payload.loan_id} is not one of the borrower's", field="loan_id")
    callback_at: datetime | None = payload.callback_at
    if callback_at is not None and timezone.is_naive(callback_at):
        callback_at = timezone.make_aware(callback_at)
    return contact_service.ContactForm(
        party_id=payload.party_id,
        loan_id=payload.loan_id,
        channel=payload.channel,
        result=payload.result,
        reason=payload.reason,
        notes=payload.notes,
        callback_at=callback_at,
    )


def _compliance_message(reason: str) -> str:
    entry = REASONS.get(reason)
    if entry is None:
        return reason
    language = translation.get_language() or "zh-hans"
    return entry[1] if language.startswith("zh") else entry[2]


@api.post(
    "/cases/{int:case_id}/contacts",
    response={
        201: s.ContactOut,
        403: s.ErrorOut,
        409: s.ErrorOut,
        401: s.ErrorOut,
        404: s.ErrorOut,
        422: s.ContactRefusedOut,
    },
    summary="Record a contact (C8 first)",
    tags=["cases"],
)
def record_contact(request: HttpRequest, case_id: int, payload: s.ContactIn) -> HttpResponse:
    """Record a contact on the case as the page does: scoped (404), not for read-only roles (403), the
    case's work lock (409 ``case_locked`` while another user holds it), the compliance check first — a
    refused or deferred contact answers 422 ``contact_refused`` / ``contact_deferred`` with the C8 reason
    (the attempt is stored with it). Audited ``contact.record``."""
    user = _user(request)
    case = case_for(user, case_id)
    if not can_work(user):
        raise PermissionDenied("your role does not work cases")
    form = _contact_form(case, payload)
    recorded = contact_service.record_contact(user, case.pk, form)  # CaseLocked: 409 (the handler)
    attempt = recorded.attempt
    if not recorded.allowed:
        body = {
            "code": f"contact_{'deferred' if attempt.outcome == 'defer' else 'refused'}",
            "message": _compliance_message(attempt.reason),
            "field": None,
            "outcome": attempt.outcome,
            "reason": attempt.reason,
            "attempt_id": attempt.pk,
            "deferred_to": attempt.deferred_to,
        }
        return api.create_response(request, body, status=422)
    body = {
        "attempt_id": attempt.pk,
        "case_id": case.pk,
        "outcome": attempt.outcome,
        "reason": attempt.reason,
        "result": attempt.result,
        "channel": attempt.channel,
        "callback_at": recorded.callback.at if recorded.callback else None,
    }
    return api.create_response(request, body, status=201)
