"""The month's data behind the dashboards: the lake's months, the filters' choices and the cached ``MonthData``.

``month_data(month, filters)`` opens the lake (``qingshou.config.lake_path()``) and the store (the ADBC URI of
Django's database, as EOD and the report do), builds ``analytics.sources.sources_for(month, …, filters=…)``
and hands it to ``analytics.month.build_month`` — the one call that computes a month. The result is cached in
Django's cache for ``CACHE_SECONDS`` per (lake, month, filters, the lake's latest snapshot day): a new EOD run
adds a snapshot day, which changes the key, so its figures show at once. The unit costs and the pricing policy
come from the settings (``apps.reports.conf``: ``QINGSHOU_UNIT_COSTS``, ``QINGSHOU_PRICING``), as the report's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Final

from django.core.cache import cache

from qingshou import config
from qingshou.analytics.contract import MonthData
from qingshou.analytics.sources import Sources, month_ends, month_start, sources_for
from qingshou.apps.loans.models import Loan, Product
from qingshou.lake.snapshots import snapshot_dates
from qingshou.store import Store

#: How long a month's data stays cached (seconds); a new snapshot day invalidates it sooner.
CACHE_SECONDS: Final = 300
#: How long the branch list (a scan of the loans) stays cached (seconds).
CHOICES_SECONDS: Final = 300
_PREFIX: Final = "qingshou:dashboards"


def lake() -> Path:
    """The lake the dashboards read (``QINGSHOU_LAKE`` or ``<home>/var/lake``)."""
    return config.lake_path()


def lake_months(root: Path) -> list[date]:
    """The months (first days) the lake holds a snapshot in, newest first."""
    return sorted((month_start(day) for day in month_ends(snapshot_dates(root))), reverse=True)


def build_month(sources: Sources) -> MonthData:
    """``analytics.month.build_month`` (imported when first called, so that the pages load even while a metric
    module is missing; tests replace this function to capture the ``Sources``)."""
    from qingshou.analytics.month import build_month as build
    from qingshou.apps.reports.conf import month_settings

    return build(sources, month_settings())


def cache_key(root: Path, month: date, filters: Mapping[str, str], latest: date) -> str:
    """The cache key of one month's data under ``filters`` while ``latest`` is the lake's newest day."""
    identity = json.dumps(
        [str(root), month.isoformat(), latest.isoformat(), sorted(filters.items())], ensure_ascii=False
    )
    return f"{_PREFIX}:month:{hashlib.sha256(identity.encode()).hexdigest()}"


def month_data(root: Path, month: date, filters: Mapping[str, str]) -> MonthData:
    """The ``MonthData`` of ``month`` under ``filters`` (cached; ``NoSnapshot`` when the lake has no day in
    the month)."""
    days = snapshot_dates(root)
    latest = days[-1] if days else month
    key = cache_key(root, month, filters, latest)
    cached = cache.get(key)
    if isinstance(cached, MonthData):
        return cached
    with Store(config.adbc_uri()) as store:
        data = build_month(sources_for(month, root, store, filters=dict(filters)))
    cache.set(key, data, CACHE_SECONDS)
    return data


def product_choices() -> list[tuple[str, str]]:
    """(product id, "id name") of every product."""
    return [
        (product_id, f"{product_id} {name}".strip())
        for product_id, name in Product.objects.order_by("product_id").values_list("product_id", "name")
    ]


def branch_choices() -> list[tuple[str, str]]:
    """Every branch a loan names (cached: it reads the loan table)."""
    key = f"{_PREFIX}:branches"
    cached = cache.get(key)
    if isinstance(cached, list):
        return cached
    branches = Loan.objects.exclude(branch="").order_by("branch").values_list("branch", flat=True).distinct()
    choices = [(branch, branch) for branch in branches]
    cache.set(key, choices, CHOICES_SECONDS)
    return choices
