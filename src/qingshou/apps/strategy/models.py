"""Models of the strategy app: every applied version of the strategy file, exactly as it was applied.

``StrategyVersion`` (``qs_strategy_version``) keeps the YAML text, its SHA-256, who applied it and when;
one version at most is ``active`` (a partial unique constraint). Versions are never edited or deleted:
they are the record against which champion/challenger outcomes are compared later. The workflow is in
``qingshou.apps.strategy.services``; reads in ``selectors``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StrategyVersion(models.Model):
    """One applied strategy file. ``version`` numbers run 1, 2, 3 … across all names."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    text = models.TextField(_("YAML text"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    applied_by = models.CharField(_("applied by"), max_length=200)
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        db_table = "qs_strategy_version"
        verbose_name = _("strategy version")
        verbose_name_plural = _("strategy versions")
        ordering = ("-version",)
        constraints = (
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="qs_strategy_one_active"
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.active else ''}"
