"""Models of the planning app (issue 8): the day's plan, made twice — the strategy's greedy plan and the
optimised plan (``qingshou.risk.optimise``) — over the same candidates and capacity.

``PlanRun`` (``qs_plan_run``) is one method's plan of one day: how many candidates, how many chosen, the
expected value, cost and net (fen), the optimiser's proved bound and gap (ppm), the capacity it planned with
and what it used (JSON), and the seconds it took. A rerun of the day replaces both runs and their items.
``PlanItem`` (``qs_plan_item``) is one candidate of a run (the planned action ``qs_action.id``), chosen or not.
The monthly report's plan-vs-strategy table reads ``qs_plan_run``. Money in fen.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CHANNEL_LENGTH = 20


class PlanRun(models.Model):
    """One method's plan of one day (module docstring)."""

    class Method(models.TextChoices):
        GREEDY = "greedy", _("strategy (greedy)")
        OPTIMISED = "optimised", _("optimised")

    day = models.DateField(_("day"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    status = models.CharField(_("status"), max_length=20)
    candidates = models.IntegerField(_("candidates"))
    chosen = models.IntegerField(_("chosen"))
    value_fen = models.BigIntegerField(_("expected recovery (fen)"))
    cost_fen = models.BigIntegerField(_("cost (fen)"))
    net_fen = models.BigIntegerField(_("expected net (fen)"))
    bound_fen = models.BigIntegerField(_("best bound (fen)"))
    gap_ppm = models.IntegerField(_("gap (ppm)"))
    capacity = models.JSONField(_("capacity"), default=dict)
    used = models.JSONField(_("used"), default=dict)
    settings = models.JSONField(_("settings"), default=dict)
    seconds = models.FloatField(_("seconds"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "qs_plan_run"
        verbose_name = _("plan run")
        verbose_name_plural = _("plan runs")
        constraints = (
            models.UniqueConstraint(fields=("day", "method"), name="qs_plan_run_day_method"),
            models.CheckConstraint(
                condition=Q(chosen__lte=models.F("candidates")), name="qs_plan_run_chosen"
            ),
        )
        permissions = (("run_plan", _("Can run the optimised daily plan")),)

    def __str__(self) -> str:
        return f"{self.day} {self.method}"


class PlanItem(models.Model):
    """One candidate action of a plan run, chosen or not."""

    run = models.ForeignKey(
        PlanRun,
        on_delete=models.CASCADE,
        db_column="run_id",
        related_name="items",
        verbose_name=_("plan run"),
    )
    action_id = models.BigIntegerField(_("planned action"))
    borrower_id = models.CharField(_("borrower id"), max_length=64)
    channel = models.CharField(_("channel"), max_length=CHANNEL_LENGTH)
    value_fen = models.BigIntegerField(_("expected recovery (fen)"))
    cost_fen = models.BigIntegerField(_("cost (fen)"))
    minutes = models.IntegerField(_("collector minutes"))
    chosen = models.BooleanField(_("chosen"))

    class Meta:
        db_table = "qs_plan_item"
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = (models.UniqueConstraint(fields=("run", "action_id"), name="qs_plan_item_once"),)
        indexes = (models.Index(fields=("borrower_id",), name="qs_plan_item_borrower"),)

    def __str__(self) -> str:
        return f"{self.run_id} {self.action_id}"
