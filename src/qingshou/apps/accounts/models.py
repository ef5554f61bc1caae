"""People: teams with a supervisor, collection agencies, and each user's profile.

A user's **role** is the Django group they belong to (``qingshou.apps.accounts.roles``); the permissions of
each role are granted to its group. The profile says where the user works: a collector's team, an agency
user's agency, a field agent's region, and how many open cases assignment may give them.

The ``accounts`` permissions that are not about a model (``reveal_pii``, ``work_cases``, …) are declared on
``Profile`` so that they exist as ``accounts.<codename>``; docs/security.md has the role × permission matrix.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A team of collectors and its supervisor (a supervisor may lead several teams)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )

    class Meta:
        db_table = "qs_team"
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An outside collection agency cases can be placed with (issue 6 adds contracts and fees)."""

    agency_id = models.CharField(_("agency id"), max_length=64, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "qs_agency"
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ("agency_id",)

    def __str__(self) -> str:
        return f"{self.agency_id} {self.name}"


class Profile(models.Model):
    """Where a user works: team, agency, region, and the cap on open cases assignment may give them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("agency"),
    )
    region = models.CharField(_("region"), max_length=100, blank=True, default="")
    max_open_cases = models.PositiveIntegerField(_("maximum open cases"), default=200)

    class Meta:
        db_table = "qs_profile"
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        permissions = (
            ("reveal_pii", _("Can reveal personal data (audited)")),
            ("work_cases", _("Can record contacts and promises on visible cases")),
            ("assign_cases", _("Can assign and reassign cases")),
            ("approve", _("Can approve proposals of others (maker-checker)")),
            ("visit_field", _("Can work field visits")),
            ("manage_strategy", _("Can manage strategies")),
        )

    def __str__(self) -> str:
        return str(self.user)
