"""Applying a strategy file: validate, then store it as the one active version (one transaction).

Validation is the file's own (``documents.parse_text``) plus the store's: every notice template a step names
must exist for its channel and the debtor audience. Applying text identical (same SHA-256) to the active version is a no-op that returns that version
(``created`` false). Any other text — a rollback to an older file included — becomes a new version with the
next number, and the previous active version is deactivated: history is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from django.db import transaction
from django.db.models import Max

from qingshou.apps.notices.models import NoticeTemplate
from qingshou.apps.strategy.documents import LineIssue, StrategyFileError, located, parse_text
from qingshou.apps.strategy.models import StrategyVersion
from qingshou.apps.strategy.selectors import sha256_of
from qingshou.domain.strategy import Issue, PathKey, Strategy


@dataclass(frozen=True, slots=True)
class AppliedStrategy:
    """The outcome: the active version and whether this call created it."""

    version: StrategyVersion
    strategy: Strategy
    created: bool


NOTICE_ACTIONS = ("sms", "email", "letter")


def _template_refs(data: object) -> Iterator[tuple[PathKey, str, str]]:
    """(path, action, template) of every notice step of the plain YAML data whose shape allows it — read
    from the data, not the parsed strategy, so a file with other errors still gets its templates checked."""
    segments = data.get("segments") if isinstance(data, dict) else None
    for s, segment in enumerate(segments if isinstance(segments, list) else []):
        paths = segment.get("paths") if isinstance(segment, dict) else None
        for p, path in enumerate(paths if isinstance(paths, list) else []):
            steps = path.get("steps") if isinstance(path, dict) else None
            for k, step in enumerate(steps if isinstance(steps, list) else []):
                if not isinstance(step, dict):
                    continue
                action, template = step.get("action"), step.get("template")
                if action in NOTICE_ACTIONS and isinstance(template, str):
                    yield ("segments", s, "paths", p, "steps", k, "template"), action, template


def template_issues(data: object) -> tuple[Issue, ...]:
    """Every notice step whose template the store does not hold for its channel and the debtor audience
    (``qs_notice_template``; ``qingshou notices load-templates`` adds the packaged ones)."""
    known = set(NoticeTemplate.objects.filter(audience="debtor").values_list("code", "channel"))
    return tuple(
        Issue(
            path,
            f"no {action} template {template!r} for the debtor"
            f" (known: {', '.join(sorted(code for code, channel in known if channel == action)) or 'none'})",
        )
        for path, action, template in _template_refs(data)
        if (template, action) not in known
    )


def validate_text(text: str) -> Strategy:
    """The strategy in ``text`` when it parses and every template it names exists; ``StrategyFileError``
    listing every problem with its line otherwise (the file's own and the store's together)."""
    try:
        strategy = parse_text(text)
        problems: list[LineIssue] = []
    except StrategyFileError as error:
        strategy, problems = None, list(error.issues)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    problems.extend(located(text, template_issues(data)) if data is not None else [])
    if problems or strategy is None:
        raise StrategyFileError(sorted(problems, key=lambda issue: issue.line or 0))
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
