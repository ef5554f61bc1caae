"""Assessing one credit application (issue 8): the use case behind ``POST /api/assess`` and ``qingshou assess``.

``assess(user, request)`` — one transaction:

1. the request is read (amount as money, C9; term; the product if given must exist) and hashed in its
   normalised form; an ``application_id`` seen before answers the stored assessment when the request is the
   same (``replayed``), and is refused with 409 ``idempotency_conflict`` when it differs;
2. the ACTIVE application model (``qs_score_model`` kind ``application``) scores the applicant's features —
   none active: ``NoActiveModel`` (503); the request's ``amount`` / ``term_months`` / ``product_id`` fill the
   model's ``principal`` / ``term_months`` / ``product`` (German Credit: ``amount`` / ``duration``) unless the
   applicant gives them, and ``income_to_principal`` is derived as in training
   (``qingshou.risk.application.origination_features``);
3. the grade and the price come from ``qingshou.domain.pricing`` (``QINGSHOU_PRICING``);
4. the ``Assessment`` row and the audit event ``assessment.assess`` are written with the answer.

The answer is language-neutral in the store (each reason has both labels); ``localise`` picks one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db import IntegrityError, transaction

from qingshou.apps.assessment.conf import pricing_settings
from qingshou.apps.assessment.models import Assessment
from qingshou.apps.audit.services import record
from qingshou.apps.scoring.models import ModelKind, ScoreModel
from qingshou.domain.errors import DomainError, MoneyError
from qingshou.domain.money import fen, money, money_str
from qingshou.domain.pricing import Price, price_for
from qingshou.risk import application as app_data
from qingshou.risk import scorecard

PPM: Final = Decimal(1_000_000)
PD_PLACES: Final = Decimal("0.0001")
REASONS: Final = 4
#: The request's own fields and the model features they fill (module docstring).
FILLS: Final = {
    "principal": "principal",
    "amount": "amount",
    "term_months": "term",
    "duration": "term",
    "product": "product",
}


class NoActiveModel(DomainError):
    """No application model is active: nothing can be assessed (503)."""

    code = "no_active_model"


class AssessmentConflict(DomainError):
    """The application id was assessed before with a different request (409)."""

    code = "idempotency_conflict"


@dataclass(frozen=True, slots=True)
class AssessmentRequest:
    """An application as received: ``amount`` a decimal string (C9), ``applicant`` the model's features."""

    application_id: str
    term_months: int
    amount: str
    applicant: dict[str, Any] = field(default_factory=dict)
    product_id: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The assessment: the stored answer, whether it was new (201) or replayed (200), and its row."""

    body: dict[str, Any]
    created: bool
    assessment: Assessment

    @property
    def status(self) -> int:
        return 201 if self.created else 200


@dataclass(frozen=True, slots=True)
class _Checked:
    application_id: str
    term_months: int
    amount: Decimal
    product_id: str
    applicant: dict[str, Any]

    def canonical(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "term_months": self.term_months,
            "amount": money_str(self.amount),
            "product_id": self.product_id,
            "applicant": self.applicant,
        }

    def digest(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check(request: AssessmentRequest) -> _Checked:
    application_id = request.application_id.strip()
    if not application_id:
        raise DomainError("application_id must not be blank", field="application_id")
    if (
        isinstance(request.term_months, bool)
        or not isinstance(request.term_months, int)
        or request.term_months <= 0
    ):
        raise DomainError("term_months must be a positive whole number of months", field="term_months")
    try:
        amount = money(request.amount)
    except MoneyError as error:
        raise MoneyError(error.message, field="amount") from None
    if amount <= 0:
        raise MoneyError(f"amount must be positive, got {request.amount}", field="amount")
    if not isinstance(request.applicant, dict):
        raise DomainError("applicant must be an object of feature: value", field="applicant")
    product_id = (request.product_id or "").strip()
    if product_id:
        from qingshou.apps.loans.models import Product

        if not Product.objects.filter(product_id=product_id).exists():
            raise DomainError(f"no product {product_id!r}", field="product_id")
    return _Checked(application_id, request.term_months, amount, product_id, dict(request.applicant))


def active_application_model() -> ScoreModel:
    """The active application scorecard, or ``NoActiveModel``."""
    model = ScoreModel.objects.filter(kind=ModelKind.APPLICATION, status=ScoreModel.Status.ACTIVE).first()
    if model is None:
        raise NoActiveModel(
            "no application model is active: train one (qingshou model train application) and activate it"
        )
    return model


def _features(artifact: dict[str, Any], checked: _Checked) -> dict[str, Any]:
    """The applicant's fields with the request's amount / term / product filled in where the model uses them,
    and the derived ratio of the institution's own model."""
    names = {feature.name for feature in app_data.model_features(artifact)}
    given = dict(checked.applicant)
    request_values: dict[str, Any] = {
        "principal": app_data.yuan(checked.amount),
        "amount": app_data.yuan(checked.amount),
        "term": checked.term_months,
        "product": checked.product_id or None,
    }
    for feature, source in FILLS.items():
        if feature in names and feature not in given and request_values[source] is not None:
            given[feature] = request_values[source]
    if "income_to_principal" in names and "income_to_principal" not in given:
        income = given.get("monthly_income")
        if isinstance(income, int | float) and not isinstance(income, bool):
            monthly_principal = checked.amount / checked.term_months
            given["income_to_principal"] = round(float(Decimal(str(income)) / monthly_principal), 3)
    return given


def _reasons(artifact: dict[str, Any], frame: Any, codes: str) -> list[dict[str, Any]]:
    """Each reason code with its labels, the applicant's bin and the points short of the feature's best bin."""
    bins = scorecard.bins_frame(artifact, frame).row(0, named=True)
    by_name = {feature["name"]: feature for feature in artifact["features"]}
    reasons = []
    for code in [code for code in codes.split(";") if code]:
        feature = by_name[code]
        best = max(item["points"] for item in feature["bins"] if item["count"] > 0)
        chosen = feature["bins"][bins[code]]
        reasons.append(
            {
                "code": code,
                "label_zh": feature.get("label_zh", code),
                "label_en": feature.get("label_en", code),
                "bin": chosen["label"],
                "points_short": round(best - chosen["points"], 1),
            }
        )
    return reasons


def _price_json(price: Price) -> dict[str, Any]:
    def text(value: Decimal) -> str:
        return str(value.quantize(PD_PLACES))

    return {
        "annual_rate": str(price.annual_rate),
        "required_rate": str(price.required_rate),
        "components": {
            "expected_loss": text(price.expected_loss),
            "funding": text(price.funding),
            "operating": text(price.operating),
            "margin": text(price.margin),
        },
        "grade_max_pd": str(price.max_pd),
        "cap": str(price.cap),
        "capped": price.capped,
        "decision": str(price.decision),
        "reason": price.reason,
    }


def _answer(
    model: ScoreModel, checked: _Checked, lpr: Decimal | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the answer, the features scored)."""
    artifact = model.artifact
    features = _features(artifact, checked)
    try:
        frame = app_data.applicant_frame(artifact, features)
    except app_data.ApplicantError as error:
        raise DomainError(error.message, field=f"applicant.{error.field}") from None
    scored = scorecard.score(artifact, frame, reasons=REASONS).row(0, named=True)
    probability = Decimal(int(scored["probability_ppm"])) / PPM
    settings = pricing_settings(lpr)
    price = price_for(probability, settings.policy, term_months=checked.term_months, lpr=settings.lpr)
    scored_features = {name: frame.get_column(name)[0] for name in frame.columns}
    body = {
        "application_id": checked.application_id,
        "grade": price.grade,
        "probability_of_default": str(probability.quantize(PD_PLACES)),
        "probability_ppm": int(scored["probability_ppm"]),
        "points": int(scored["points"]),
        "decision": str(price.decision),
        "reasons": _reasons(artifact, frame, str(scored["reasons"] or "")),
        "unknown_categories": app_data.unknown_categories(artifact, features),
        "price": _price_json(price),
        "amount": money_str(checked.amount),
        "term_months": checked.term_months,
        "model": {"kind": model.kind, "version": model.version},
    }
    return body, scored_features


def assess(
    user: Any, request: AssessmentRequest, *, ip: str | None = None, lpr: Decimal | None = None
) -> Answer:
    """Assess ``request`` for ``user`` once per application id (module docstring)."""
    checked = _check(request)
    digest = checked.digest()
    with transaction.atomic():
        stored = Assessment.objects.select_for_update().filter(application_id=checked.application_id).first()
        if stored is not None:
            return _replay(stored, digest)
        model = active_application_model()
        body, features = _answer(model, checked, lpr)
        try:
            with transaction.atomic():
                assessment = _store(user, checked, digest, model, body, features)
        except IntegrityError:
            # A concurrent request with the same application id committed first.
            stored = Assessment.objects.get(application_id=checked.application_id)
            return _replay(stored, digest)
        record(
            user,
            "assessment.assess",
            assessment,
            {
                "application_id": checked.application_id,
                "model": f"{model.kind} v{model.version}",
                "grade": body["grade"],
                "probability_ppm": body["probability_ppm"],
                "decision": body["decision"],
                "annual_rate": body["price"]["annual_rate"],
            },
            ip=ip,
        )
    return Answer(body, created=True, assessment=assessment)


def _replay(stored: Assessment, digest: str) -> Answer:
    if stored.request_hash != digest:
        raise AssessmentConflict(
            f"application {stored.application_id!r} was already assessed with a different request",
            field="application_id",
        )
    return Answer(dict(stored.answer), created=False, assessment=stored)


def _store(
    user: Any,
    checked: _Checked,
    digest: str,
    model: ScoreModel,
    body: dict[str, Any],
    features: dict[str, Any],
) -> Assessment:
    return Assessment.objects.create(
        application_id=checked.application_id,
        request_hash=digest,
        product_id=checked.product_id,
        term_months=checked.term_months,
        amount_fen=fen(checked.amount),
        features=features,
        model=model,
        model_version=model.version,
        points=body["points"],
        probability_ppm=body["probability_ppm"],
        grade=body["grade"],
        annual_rate=Decimal(body["price"]["annual_rate"]),
        decision=body["decision"],
        reasons=";".join(reason["code"] for reason in body["reasons"]),
        answer=body,
        requested_by=user,
    )


def localise(body: dict[str, Any], language: str) -> dict[str, Any]:
    """The answer for a reader of ``language``: each reason's ``label`` in Chinese (default) or English."""
    english = language.lower().startswith("en")
    reasons = [
        {
            "code": reason["code"],
            "label": reason["label_en"] if english else reason["label_zh"],
            "bin": reason["bin"],
            "points_short": reason["points_short"],
        }
        for reason in body.get("reasons", [])
    ]
    return {**body, "reasons": reasons}
