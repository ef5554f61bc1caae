"""Score model versions: train (a new frozen version), activate (one active per kind), list and show.

``train_model`` builds the training set (``datasets``), trains the scorecard (``qingshou.risk.scorecard``) and
stores the next version of the kind with the artifact, its SHA-256 (of the canonical JSON: sorted keys, no
spaces, UTF-8) and the validation metrics; an audit event ``scoring.train``. ``activate`` makes one version the
kind's active model and retires the one before, in one transaction, with an audit event ``scoring.activate``.
``active_model(kind)`` is what EOD and the assessment API score with; ``active_artifact(kind)`` caches the
artifact per (kind, version, SHA-256).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from qingshou.apps.audit.services import record
from qingshou.apps.scoring.models import ModelKind, ScoreModel
from qingshou.apps.scoring.services import datasets
from qingshou.risk import scorecard
from qingshou.risk.dataset import TrainingSet, TrainingSetError


class ModelError(ValueError):
    """A model operation that cannot be done; ``code`` is ``not_found`` or ``invalid`` (exit codes 4 / 2)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """Where the rows come from and how to train."""

    dataset: str = datasets.LAKE
    seed: int = 1
    as_of: date | None = None
    days: int = 180
    every: int = 7
    test_share: float = 0.3
    params: scorecard.ScorecardParams | None = None


def canonical_json(artifact: dict[str, Any]) -> str:
    """The artifact as canonical JSON: sorted keys, no spaces, UTF-8 text (its SHA-256 is the model's)."""
    return json.dumps(artifact, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def artifact_sha256(artifact: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(artifact).encode("utf-8")).hexdigest()


def check_kind(kind: str) -> str:
    if kind not in ModelKind.values:
        raise ModelError(f"unknown model kind {kind!r} (one of {', '.join(ModelKind.values)})")
    return kind


def _actor_name(actor: Any) -> str:
    if actor is None:
        return ""
    if isinstance(actor, str):
        return actor[:150]
    return str(actor.get_username())[:150]


def _default_as_of(lake: Path | None) -> date:
    from qingshou import clock
    from qingshou.lake import snapshot_dates

    days = snapshot_dates(lake) if lake is not None and lake.exists() else []
    return max(days) if days else clock.today()


def training_set(
    kind: str, options: TrainOptions, *, lake: Path | None = None, store_uri: str | None = None
) -> TrainingSet:
    """The rows of ``kind`` from ``options.dataset`` (opening the store and the lake when the builder needs them)."""
    from qingshou import config

    check_kind(kind)
    if options.dataset not in datasets.DATASETS:
        raise ModelError(f"unknown dataset {options.dataset!r} (one of {', '.join(datasets.DATASETS)})")
    root = lake if lake is not None else config.lake_path()
    as_of = options.as_of or _default_as_of(root)
    try:
        if not datasets.needs_store(kind, options.dataset):
            request = datasets.Request(None, root, as_of, options.days, options.every)
            return datasets.build(kind, options.dataset, request)
        from qingshou.store import Store

        with Store(store_uri or config.adbc_uri()) as store:
            request = datasets.Request(store, root, as_of, options.days, options.every)
            return datasets.build(kind, options.dataset, request)
    except datasets.DatasetError as error:
        raise ModelError(str(error)) from error


def train_model(
    kind: str,
    options: TrainOptions | None = None,
    *,
    actor: Any = None,
    data: TrainingSet | None = None,
    lake: Path | None = None,
    store_uri: str | None = None,
) -> ScoreModel:
    """Train and store the next version of ``kind`` (module docstring). ``data`` skips the dataset registry."""
    options = options or TrainOptions()
    check_kind(kind)
    if data is None:
        data = training_set(kind, options, lake=lake, store_uri=store_uri)
    elif data.kind != kind:
        raise ModelError(f"the training set is of kind {data.kind!r}, not {kind!r}")
    try:
        trained = scorecard.train(
            data, seed=options.seed, test_share=options.test_share, params=options.params
        )
    except (TrainingSetError, scorecard.ScorecardError) as error:
        raise ModelError(f"cannot train the {kind} model: {error}") from error
    params: dict[str, Any] = {
        **trained.params,
        "test_share": options.test_share,
        "dataset_option": options.dataset,
    }
    if options.dataset == datasets.LAKE:
        params.update(
            days=options.days, every=options.every, as_of=str(options.as_of) if options.as_of else None
        )
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _store(kind, data, trained, params, options.seed, actor)
        except IntegrityError:  # another process took the version number: take the next one
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _store(
    kind: str, data: TrainingSet, trained: scorecard.Trained, params: dict[str, Any], seed: int, actor: Any
) -> ScoreModel:
    latest = ScoreModel.objects.filter(kind=kind).aggregate(latest=Max("version"))["latest"] or 0
    model = ScoreModel.objects.create(
        kind=kind,
        version=latest + 1,
        dataset=data.dataset[:200],
        window_from=data.window_from,
        window_to=data.window_to,
        seed=seed,
        rows=trained.rows,
        events=trained.events,
        params=params,
        artifact=trained.artifact,
        artifact_sha256=artifact_sha256(trained.artifact),
        metrics=trained.metrics,
        trained_by=_actor_name(actor),
    )
    record(
        None if isinstance(actor, str) else actor,
        "scoring.train",
        model,
        {
            "kind": kind,
            "version": model.version,
            "sha256": model.artifact_sha256,
            "dataset": model.dataset,
            "rows": model.rows,
            "events": model.events,
            "auc_test": (trained.metrics.get("test") or {}).get("auc"),
            "by": _actor_name(actor),
        },
    )
    return model


def activate(model: ScoreModel, user: Any = None, *, reason: str = "", ip: str | None = None) -> ScoreModel:
    """Make ``model`` the active one of its kind; the previous active version is retired (audit event)."""
    with transaction.atomic():
        current = ScoreModel.objects.select_for_update().get(pk=model.pk)
        if current.status == ScoreModel.Status.ACTIVE:
            raise ModelError(f"{current.kind} v{current.version} is already active")
        previous = list(
            ScoreModel.objects.select_for_update().filter(kind=current.kind, status=ScoreModel.Status.ACTIVE)
        )
        for old in previous:
            old.status = ScoreModel.Status.RETIRED
            old.save(update_fields=["status"])
        current.status = ScoreModel.Status.ACTIVE
        current.activated_at = timezone.now()
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        current.activated_by = user if authenticated else None
        current.save(update_fields=["status", "activated_at", "activated_by"])
        record(
            user if authenticated else None,
            "scoring.activate",
            current,
            {
                "kind": current.kind,
                "version": current.version,
                "sha256": current.artifact_sha256,
                "retired": [old.version for old in previous],
            },
            reason,
            ip=ip,
        )
    return current


def active_model(kind: str) -> ScoreModel | None:
    """The active model of ``kind`` (at most one: a database constraint), or None."""
    return ScoreModel.objects.filter(kind=kind, status=ScoreModel.Status.ACTIVE).first()


@lru_cache(maxsize=16)
def _artifact_of(pk: int, version: int, sha256: str) -> dict[str, Any]:
    stored = ScoreModel.objects.only("artifact").get(pk=pk).artifact
    if artifact_sha256(stored) != sha256:
        raise ModelError(f"the stored scorecard of model {pk} does not match its SHA-256", code="invalid")
    return dict(stored)


def active_artifact(kind: str) -> tuple[ScoreModel, dict[str, Any]] | None:
    """The active model of ``kind`` and its artifact (checked against the SHA-256, cached per version)."""
    model = ScoreModel.objects.filter(kind=kind, status=ScoreModel.Status.ACTIVE).defer("artifact").first()
    if model is None:
        return None
    return model, _artifact_of(model.pk, model.version, model.artifact_sha256)


def list_models(kind: str | None = None) -> list[ScoreModel]:
    """Every version (newest first per kind), without the artifacts."""
    query = ScoreModel.objects.defer("artifact").order_by("kind", "-version")
    if kind:
        query = query.filter(kind=check_kind(kind))
    return list(query)


def get_model(kind: str, version: int) -> ScoreModel:
    """One version; ``ModelError`` (``not_found``) when there is none."""
    check_kind(kind)
    found = ScoreModel.objects.filter(kind=kind, version=version).first()
    if found is None:
        raise ModelError(f"there is no {kind} model version {version}", code="not_found")
    return found


def verify(model: ScoreModel) -> bool:
    """Whether the stored artifact still matches its SHA-256."""
    return artifact_sha256(model.artifact) == model.artifact_sha256


def summary(model: ScoreModel) -> dict[str, Any]:
    """The headline of a version (for lists and JSON): status, data, AUC / KS / Gini of train and test, PSI."""
    metrics = model.metrics or {}
    test = metrics.get("test") or {}
    train = metrics.get("train") or {}
    stability = (metrics.get("stability") or {}).get("train_to_test") or {}
    return {
        "kind": model.kind,
        "version": model.version,
        "status": model.status,
        "dataset": model.dataset,
        "rows": model.rows,
        "events": model.events,
        "seed": model.seed,
        "sha256": model.artifact_sha256,
        "trained_at": model.trained_at.isoformat(),
        "trained_by": model.trained_by,
        "activated_at": model.activated_at.isoformat() if model.activated_at else None,
        "auc_train": train.get("auc"),
        "auc_test": test.get("auc"),
        "ks_test": test.get("ks"),
        "gini_test": test.get("gini"),
        "psi_train_test": stability.get("psi"),
        "psi_reading": stability.get("reading"),
    }
