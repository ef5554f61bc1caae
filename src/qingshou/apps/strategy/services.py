"""Applying a strategy file: validate, then store it as the one active version (one transaction).

Validation is the file's own (``documents.parse_text``) plus the store's: every notice template a step names
must exist for its channel and the debtor audience. Applying text identical (same SHA-256) to the active version is a no-op that returns that version
(``created`` false). Any other text — a rollback to an older file included — becomes a new version with the
next number, and the previous active version is deactivated: history is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from qingshou.apps.notices.models import NoticeTemplate
from qingshou.apps.strategy.documents import StrategyFileError, located, parse_text
from qingshou.apps.strategy.models import StrategyVersion
from qingshou.apps.strategy.selectors import sha256_of
from qingshou.domain.strategy import Issue, Strategy


@dataclass(frozen=True, slots=True)
class AppliedStrategy:
    """The outcome: the active version and whether this call created it."""

    version: StrategyVersion
    strategy: Strategy
    created: bool


def template_issues(strategy: Strategy) -> tuple[Issue, ...]:
    """Every notice step whose template the store does not hold for its channel and the debtor audience
    (``qs_notice_template``; ``qingshou notices load-templates`` adds the packaged ones)."""
    known = set(NoticeTemplate.objects.filter(audience="debtor").values_list("code", "channel"))
    return tuple(
        Issue(
            ("segments", s, "paths", p, "steps", k, "template"),
            f"no {step.action} template {step.template!r} for the debtor"
            f" (known: {', '.join(sorted(code for code, channel in known if channel == step.action)) or 'none'})",
        )
        for s, segment in enumerate(strategy.segments)
        for p, path in enumerate(segment.paths)
        for k, step in enumerate(path.steps)
        if step.template is not None and (step.template, step.action.value) not in known
    )


def validate_text(text: str) -> Strategy:
    """The strategy in ``text`` when it parses and every template it names exists; ``StrategyFileError``
    listing every problem with its line otherwise."""
    strategy = parse_text(text)
    issues = template_issues(strategy)
    if issues:
        raise StrategyFileError(located(text, issues))
    return strategy


def apply_strategy(text: str, by: str) -> AppliedStrategy:
    """Validate ``text`` (``StrategyFileError`` listing every problem) and make it the active version."""
    strategy = validate_text(text)
    digest = sha256_of(text)
    with transaction.atomic():
        current = StrategyVersion.objects.select_for_update().filter(active=True).first()
        if current is not None and current.sha256 == digest:
            return AppliedStrategy(current, strategy, created=False)
        if current is not None:
            current.active = False
            current.save(update_fields=["active"])
        last = StrategyVersion.objects.aggregate(last=Max("version"))["last"] or 0
        row = StrategyVersion.objects.create(
            version=last + 1,
            name=strategy.name,
            text=text,
            sha256=digest,
            applied_by=by,
            active=True,
        )
    return AppliedStrategy(row, strategy, created=True)
