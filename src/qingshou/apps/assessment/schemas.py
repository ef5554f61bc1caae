"""The JSON shapes of ``POST /api/assess`` (django-ninja schemas; docs/api.md). Money and rates are decimal
strings (C9); ``applicant`` is the model's features, kept as JSON gives them (a number as text is refused by the
service, naming the field)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class AssessIn(Schema):
    application_id: str = Field(
        min_length=1,
        max_length=100,
        description="the caller's reference: the same id and body answer the same",
    )
    product_id: str | None = Field(None, max_length=64)
    term_months: int = Field(ge=1, le=600)
    amount: str = Field(description="yuan as a decimal string, at most two places", examples=["50000.00"])
    applicant: dict[str, Any] = Field(
        default_factory=dict, description="feature: value (numbers as JSON numbers, categories as text)"
    )


class ReasonOut(Schema):
    code: str
    label: str
    bin: str
    points_short: float


class PriceComponentsOut(Schema):
    expected_loss: str
    funding: str
    operating: str
    margin: str


class PriceOut(Schema):
    annual_rate: str = Field(examples=["0.1150"])
    required_rate: str
    components: PriceComponentsOut
    grade_max_pd: str
    cap: str
    capped: bool
    decision: str
    reason: str


class ModelRefOut(Schema):
    kind: str
    version: int


class AssessOut(Schema):
    application_id: str
    grade: str
    probability_of_default: str = Field(examples=["0.0731"])
    probability_ppm: int
    points: int
    decision: str = Field(description="approve | decline (the grade's price would exceed the legal cap, C4)")
    reasons: list[ReasonOut]
    unknown_categories: list[str]
    price: PriceOut
    amount: str
    term_months: int
    model: ModelRefOut
