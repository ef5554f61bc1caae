"""The stored scores read back (``qs_risk_score``): a distribution by score band, the top and bottom accounts, one
borrower's score with its reasons as labels (Chinese and English) — for ``qingshou scores show`` and the case
page. Borrower ids only: no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from qingshou.apps.scoring.models import ModelKind, RiskScore, ScoreModel


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason code and its display names."""

    code: str
    zh: str
    en: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class ScoredAccount:
    """One borrower's stored score."""

    borrower_id: str
    loan_id: str
    as_of: date
    model_version: int
    points: int
    probability_ppm: int
    reasons: tuple[Reason, ...]

    @property
    def probability(self) -> str:
        """The probability as a percentage text with one decimal ("62.5%")."""
        return f"{self.probability_ppm / 10_000:.1f}%"

    def as_json(self) -> dict[str, Any]:
        return {
            "borrower_id": self.borrower_id,
            "loan_id": self.loan_id,
            "as_of": self.as_of.isoformat(),
            "model_version": self.model_version,
            "points": self.points,
            "probability_ppm": self.probability_ppm,
            "reasons": [reason.as_json() for reason in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Band:
    """Accounts whose points are in ``[low, high)``."""

    low: int
    high: int
    count: int
    mean_probability_ppm: int

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.low,
            "to": self.high,
            "count": self.count,
            "mean_probability_ppm": self.mean_probability_ppm,
        }


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """The stored scores of one kind: bands, the lowest and highest accounts."""

    kind: str
    count: int
    as_of: date | None
    model_versions: tuple[int, ...]
    bands: tuple[Band, ...]
    bottom: tuple[ScoredAccount, ...]
    top: tuple[ScoredAccount, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "model_versions": list(self.model_versions),
            "bands": [band.as_json() for band in self.bands],
            "bottom": [account.as_json() for account in self.bottom],
            "top": [account.as_json() for account in self.top],
        }


def _labels(kind: str, versions: set[int]) -> dict[int, dict[str, tuple[str, str]]]:
    """Per model version, each feature code's (zh, en) label from the artifact."""
    found: dict[int, dict[str, tuple[str, str]]] = {}
    for model in ScoreModel.objects.filter(kind=kind, version__in=sorted(versions)).only(
        "version", "artifact"
    ):
        features = model.artifact.get("features", []) if isinstance(model.artifact, dict) else []
        found[int(model.version)] = {
            str(f["name"]): (str(f.get("label_zh", f["name"])), str(f.get("label_en", f["name"])))
            for f in features
            if isinstance(f, dict) and "name" in f
        }
    return found


def _account(row: RiskScore, labels: dict[int, dict[str, tuple[str, str]]]) -> ScoredAccount:
    names = labels.get(int(row.model_version), {})
    codes = [code for code in row.reasons.split(";") if code]
    return ScoredAccount(
        borrower_id=row.borrower_id,
        loan_id=row.loan_id,
        as_of=row.as_of,
        model_version=int(row.model_version),
        points=int(row.points),
        probability_ppm=int(row.probability_ppm),
        reasons=tuple(Reason(code, *names.get(code, (code, code))) for code in codes),
    )


def borrower_score(borrower_id: str, kind: str = "collection") -> ScoredAccount | None:
    """The stored score of one borrower (None: not scored)."""
    row = RiskScore.objects.filter(borrower_id=borrower_id, kind=kind).first()
    if row is None:
        return None
    return _account(row, _labels(kind, {int(row.model_version)}))


def page_score(borrower_id: str, language: str, kind: str = "collection") -> dict[str, Any] | None:
    """What the case page shows of a borrower's score, in ``language`` (``zh…``: Chinese, else English): the
    points, the probability of the model's event with the event's name, the reasons' labels (None: not
    scored). Two queries at most; the template escapes every value."""
    row = RiskScore.objects.filter(borrower_id=borrower_id, kind=kind).first()
    if row is None:
        return None
    found = ScoreModel.objects.filter(kind=kind, version=row.model_version).values_list("artifact", flat=True)
    artifact = found.first()
    artifact = artifact if isinstance(artifact, dict) else {}
    chinese = language.lower().startswith("zh")
    labels = {
        str(f["name"]): str(f.get("label_zh" if chinese else "label_en", f["name"]))
        for f in artifact.get("features", [])
        if isinstance(f, dict) and "name" in f
    }
    event = artifact.get("event_zh" if chinese else "event") or artifact.get("event") or ""
    return {
        "label": str(ModelKind(kind).label),
        "points": int(row.points),
        "probability": f"{int(row.probability_ppm) / 10_000:.1f}%",
        "event": str(event),
        "as_of": row.as_of,
        "model_version": int(row.model_version),
        "reasons": [labels.get(code, code) for code in row.reasons.split(";") if code],
    }


def summary(kind: str = "collection", *, top: int = 20, band: int = 20) -> ScoreSummary:
    """Bands of ``band`` points and the ``top`` lowest / highest stored scores of ``kind``."""
    if band < 1 or top < 0:
        raise ValueError("band must be at least 1 point and top at least 0")
    rows = RiskScore.objects.filter(kind=kind)
    points = list(rows.values_list("points", "probability_ppm"))
    counts: dict[int, list[int]] = {}
    for value, probability in points:
        counts.setdefault((int(value) // band) * band, []).append(int(probability))
    bands = tuple(
        Band(low, low + band, len(found), round(sum(found) / len(found)))
        for low, found in sorted(counts.items())
    )
    lowest = list(rows.order_by("points", "borrower_id")[:top])
    highest = list(rows.order_by("-points", "borrower_id")[:top])
    versions = {int(value) for value in rows.values_list("model_version", flat=True).distinct()}
    labels = _labels(kind, versions)
    days = rows.order_by("-as_of").values_list("as_of", flat=True).first()
    return ScoreSummary(
        kind=kind,
        count=len(points),
        as_of=days,
        model_versions=tuple(sorted(versions)),
        bands=bands,
        bottom=tuple(_account(row, labels) for row in lowest),
        top=tuple(_account(row, labels) for row in highest),
    )
