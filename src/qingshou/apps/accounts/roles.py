"""Roles: each a Django group of the same name whose permissions are ``ROLE_PERMISSIONS`` (docs/security.md).

A user has one role (the first of ``Role`` order if they are, unusually, in several groups); a superuser
counts as ``admin``. ``sync_role_groups`` makes the groups and their permissions equal to the matrix: the
data migration ``accounts.0002_roles`` runs it and every ``migrate`` runs it again (``post_migrate``), so a
permission added to the matrix reaches the groups with the next migrate. The matrix is the source of truth:
permissions an operator adds to a role group by hand are removed by the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    """The nine roles of the workbench; the value is the group's name."""

    ADMIN = "admin"
    STRATEGY_OWNER = "strategy_owner"
    SUPERVISOR = "supervisor"
    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    LEGAL_OFFICER = "legal_officer"
    AGENCY_USER = "agency_user"
    RISK_MANAGER = "risk_manager"
    AUDITOR = "auditor"


#: Display names (the group name stays the code).
ROLE_LABELS: Final = {
    Role.ADMIN: _("administrator"),
    Role.STRATEGY_OWNER: _("strategy owner"),
    Role.SUPERVISOR: _("supervisor"),
    Role.COLLECTOR: _("collector"),
    Role.FIELD_AGENT: _("field agent"),
    Role.LEGAL_OFFICER: _("legal officer"),
    Role.AGENCY_USER: _("agency user"),
    Role.RISK_MANAGER: _("risk manager"),
    Role.AUDITOR: _("auditor"),
}

_VIEW_BOOK: Final = (
    "cases.view_case",
    "cases.view_caseevent",
    "cases.view_action",
    "cases.view_promise",
    "loans.view_borrower",
    "loans.view_loan",
    "loans.view_installment",
    "loans.view_payment",
    "contacts.view_contactparty",
    "contacts.view_contactattempt",
    "records.view_casedocument",
    "arrangements.view_arrangement",
)
_WORK: Final = (
    "accounts.work_cases",
    "cases.add_promise",
    "contacts.add_contactattempt",
    "records.add_casedocument",
    "arrangements.add_arrangement",  # propose plans, waivers, settlements (approving: accounts.approve)
)

#: The agencies app (issue 6): the published agency list for staff; placements, commission and ranking.
_AGENCY_LIST: Final = ("agencies.view_agencycontract",)
_AGENCY_SUPERVISION: Final = (*_AGENCY_LIST, "agencies.view_placement", "agencies.view_agency_reports")

#: The collateral app (issue 6): legal officers and supervisors manage; collectors, risk managers, auditors view.
_COLLATERAL_VIEW: Final = ("collateral.view_collateral",)
_COLLATERAL_MANAGE: Final = (*_COLLATERAL_VIEW, "collateral.manage_collateral")

#: Legal recovery (issue 6, apps.legal): the calendar, legal cases and their sections; legal officers work them.
_LEGAL_VIEW: Final = (
    "legal.view_legalcase",
    "legal.view_stagechange",
    "legal.view_legalfee",
    "legal.view_preservation",
    "legal.view_reminder",
)
_LEGAL_MANAGE: Final = (
    *_LEGAL_VIEW,
    "legal.add_legalcase",
    "legal.change_legalcase",
    "legal.add_legalfee",
    "legal.add_preservation",
    "legal.change_preservation",
)

#: Guarantees and write-off (issue 6, apps.guarantees / apps.writeoffs): those who work cases record guarantees
#: and demands; supervisors, legal officers and admins propose and approve write-offs (limits:
#: QINGSHOU_WRITEOFF_APPROVAL_LIMITS); risk managers and auditors read the recovery after write-off report.
_GUARANTEE_VIEW: Final = (
    "guarantees.view_guarantee",
    "guarantees.view_guarantordemand",
    "guarantees.view_guaranteereminder",
)
_GUARANTEE_WORK: Final = (*_GUARANTEE_VIEW, "guarantees.add_guarantee", "guarantees.add_guarantordemand")
_WRITEOFF_VIEW: Final = ("writeoffs.view_writeoff",)
_WRITEOFF_REPORT: Final = (*_WRITEOFF_VIEW, "writeoffs.view_recovery_report")
_WRITEOFF_DECIDE: Final = (*_WRITEOFF_REPORT, "writeoffs.add_writeoff", "writeoffs.approve_writeoff")

#: The dashboards (issue 7, apps.dashboards): the whole book for admins, strategy owners, risk managers and
#: auditors; a supervisor's own teams only (the app forces the team filter).
_DASHBOARDS: Final = ("dashboards.view_dashboards",)

#: Early warning (issue 8, apps.warning): the watch list for admins, risk managers and supervisors (their teams'
#: borrowers: apps.warning.services.watchlist); they mark entries reviewed. External events: admins and risk managers.
_WATCH_LIST: Final = ("warning.view_watchentry", "warning.review_watchentry")
_EXTERNAL_EVENTS: Final = ("warning.view_externalevent",)

#: Credit assessment at origination (issue 8, apps.assessment): risk managers and admins assess applications
#: (POST /api/assess, qingshou assess) and read the assessments and the pricing table.
_ASSESSMENT: Final = ("assessment.add_assessment", "assessment.view_assessment")

#: Score models (issue 8, apps.scoring): risk managers and admins train, activate and read model versions and
#: the stored scores (``qingshou model``, the models page); nobody else sees model internals.
_SCORING: Final = ("scoring.manage_models", "scoring.view_scoremodel", "scoring.view_riskscore")
#: The daily plan (issue 8): run it and read the runs; supervisors read them.
_PLANNING: Final = ("planning.run_plan", "planning.view_planrun", "planning.view_planitem")
_PLANNING_VIEW: Final = ("planning.view_planrun",)

#: Role → the permissions of its group (``app_label.codename``). Row-level scope is separate
#: (``qingshou.apps.accounts.scoping``): a permission never widens what a user can see.
ROLE_PERMISSIONS: Final[dict[Role, tuple[str, ...]]] = {
    Role.ADMIN: (
        *_VIEW_BOOK,
        *_WORK,
        "accounts.reveal_pii",
        "accounts.assign_cases",
        "accounts.approve",
        "arrangements.approve_long_plan",
        "accounts.visit_field",
        "accounts.manage_strategy",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.view_agency",
        "accounts.add_agency",
        "accounts.change_agency",
        "accounts.view_profile",
        "accounts.add_profile",
        "accounts.change_profile",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "audit.view_auditevent",
        "strategy.view_strategyversion",
        "eod.view_loanstatus",
        "api.post_payments",
        *_AGENCY_SUPERVISION,
        "agencies.place_cases",
        "agencies.manage_agencies",
        *_COLLATERAL_MANAGE,
        *_LEGAL_MANAGE,
        *_GUARANTEE_WORK,
        *_WRITEOFF_DECIDE,
        *_DASHBOARDS,
        *_WATCH_LIST,
        *_EXTERNAL_EVENTS,
        *_ASSESSMENT,
        *_SCORING,
        *_PLANNING,
    ),
    Role.STRATEGY_OWNER: (
        *_VIEW_BOOK,
        "accounts.manage_strategy",
        "strategy.view_strategyversion",
        *_AGENCY_LIST,
        *_GUARANTEE_VIEW,
        *_WRITEOFF_VIEW,
        *_DASHBOARDS,
    ),
    Role.SUPERVISOR: (
        *_VIEW_BOOK,
        *_WORK,
        "accounts.reveal_pii",
        "accounts.assign_cases",
        "accounts.approve",
        "accounts.view_team",
        "accounts.view_profile",
        *_AGENCY_SUPERVISION,
        "agencies.place_cases",
        *_COLLATERAL_MANAGE,
        *_LEGAL_VIEW,
        *_GUARANTEE_WORK,
        *_WRITEOFF_DECIDE,
        *_DASHBOARDS,
        *_WATCH_LIST,
        *_PLANNING_VIEW,
    ),
    Role.COLLECTOR: (
        *_VIEW_BOOK,
        *_WORK,
        "accounts.reveal_pii",
        *_AGENCY_LIST,
        *_COLLATERAL_VIEW,
        *_GUARANTEE_WORK,
        *_WRITEOFF_VIEW,
    ),
    Role.FIELD_AGENT: ("accounts.visit_field", "accounts.reveal_pii"),
    Role.LEGAL_OFFICER: (
        *_VIEW_BOOK,
        *_WORK,
        "accounts.reveal_pii",
        "accounts.approve",
        "arrangements.approve_long_plan",
        *_AGENCY_LIST,
        *_COLLATERAL_MANAGE,
        *_LEGAL_MANAGE,
        *_GUARANTEE_WORK,
        *_WRITEOFF_DECIDE,
    ),
    Role.AGENCY_USER: (*_VIEW_BOOK, *_WORK, "agencies.work_placements"),
    Role.RISK_MANAGER: (
        *_VIEW_BOOK,
        "strategy.view_strategyversion",
        "eod.view_loanstatus",
        *_AGENCY_SUPERVISION,
        *_COLLATERAL_VIEW,
        *_LEGAL_VIEW,
        *_GUARANTEE_VIEW,
        *_WRITEOFF_REPORT,
        *_DASHBOARDS,
        *_WATCH_LIST,
        *_EXTERNAL_EVENTS,
        *_ASSESSMENT,
        *_SCORING,
        *_PLANNING,
    ),
    Role.AUDITOR: (
        *_VIEW_BOOK,
        "audit.view_auditevent",
        "accounts.view_team",
        "accounts.view_profile",
        *_AGENCY_LIST,
        "agencies.view_placement",
        *_COLLATERAL_VIEW,
        *_LEGAL_VIEW,
        *_GUARANTEE_VIEW,
        *_WRITEOFF_REPORT,
        *_DASHBOARDS,
    ),
}


_CACHE: Final = "_qingshou_role"


def role_of(user: Any) -> Role | None:
    """The user's role: a superuser is ``admin``; else the first role (in ``Role`` order) among their
    groups; ``None`` for an anonymous or inactive user or one in no role group."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    if _CACHE in user.__dict__:
        cached: Role | None = user.__dict__[_CACHE]
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((role for role in Role if role.value in names), None)
    user.__dict__[_CACHE] = role
    return role


def forget_role(user: Any) -> None:
    """Drop the role cached on this user object (after changing their groups)."""
    user.__dict__.pop(_CACHE, None)


def has_role(user: Any, *roles: Role) -> bool:
    """Whether the user's role is one of ``roles``."""
    return role_of(user) in roles


def _permissions(apps: Apps, names: Iterable[str], *, strict: bool = True) -> list[Any]:
    permission_model = apps.get_model("auth", "Permission")
    wanted: set[tuple[str, str]] = set()
    for name in names:
        app_label, _dot, codename = name.partition(".")
        wanted.add((app_label, codename))
    found = list(
        permission_model.objects.filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={codename for _, codename in wanted},
        ).select_related("content_type")
    )
    by_name = {(p.content_type.app_label, p.codename): p for p in found}
    missing = sorted(f"{app}.{codename}" for app, codename in wanted if (app, codename) not in by_name)
    if missing and strict:
        raise LookupError(f"role permissions not found (run migrate?): {', '.join(missing)}")
    return [by_name[key] for key in wanted if key in by_name]


def ensure_permissions(apps: Apps = global_apps) -> None:
    """Create the model permissions of every installed app (Django does it after ``migrate``; a data
    migration needs them earlier)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if apps is global_apps:
            create_permissions(app_config, apps=apps, verbosity=0)
            continue
        app_config.models_module = True  # type: ignore[assignment]  # historical configs have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def sync_role_groups(apps: Apps = global_apps, *, strict: bool = True) -> None:
    """Create the nine groups and set each one's permissions to ``ROLE_PERMISSIONS`` (idempotent).

    ``strict=False`` (the data migration ``accounts.0002_roles``) grants what exists at that point of the
    migration graph and skips permissions of apps migrated later — the ``post_migrate`` sync at the end of the
    same ``migrate`` grants them (strict: a permission still missing then is an error). So a new app never
    has to run before ``accounts.0002_roles``, which would make the history of existing databases
    inconsistent."""
    group_model = apps.get_model("auth", "Group")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions(apps, names, strict=strict))
