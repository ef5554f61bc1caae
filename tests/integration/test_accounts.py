"""People and access (issue 5): the nine role groups, row-level scoping over every role, the reveal of
personal data (permission, scope, reason, audit), the home redirect, login and profile pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts import scoping
from qingshou.apps.accounts.errors import RevealRefused
from qingshou.apps.accounts.models import Agency, Team
from qingshou.apps.accounts.roles import ROLE_PERMISSIONS, Role, has_role, role_of, sync_role_groups
from qingshou.apps.accounts.services import reveal
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.contacts.models import ContactParty
from workbench_support import make_case

pytestmark = pytest.mark.db

MakeUser = Callable[..., Any]


def group_permissions(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_every_role_is_a_group_with_the_matrix_permissions() -> None:
    assert {group.name for group in Group.objects.all()} >= {role.value for role in Role}
    for role in Role:
        assert group_permissions(role) == set(ROLE_PERMISSIONS[role]), role


@pytest.mark.django_db
def test_role_sync_is_idempotent_and_restores_the_matrix() -> None:
    collector = Group.objects.get(name=Role.COLLECTOR.value)
    collector.permissions.clear()
    Group.objects.filter(name=Role.AUDITOR.value).delete()
    sync_role_groups()
    sync_role_groups()
    assert Group.objects.filter(name__in=[role.value for role in Role]).count() == len(Role)
    assert group_permissions(Role.COLLECTOR) == set(ROLE_PERMISSIONS[Role.COLLECTOR])
    assert group_permissions(Role.AUDITOR) == set(ROLE_PERMISSIONS[Role.AUDITOR])


def test_reveal_permission_matrix() -> None:
    """accounts.reveal_pii: supervisor, collector, legal officer, field agent (on their visits), admin —
    nobody else."""
    holders = {role for role, names in ROLE_PERMISSIONS.items() if "accounts.reveal_pii" in names}
    assert holders == {Role.SUPERVISOR, Role.COLLECTOR, Role.LEGAL_OFFICER, Role.FIELD_AGENT, Role.ADMIN}
    viewers = {role for role, names in ROLE_PERMISSIONS.items() if "audit.view_auditevent" in names}
    assert viewers == {Role.AUDITOR, Role.ADMIN}


@pytest.mark.django_db
def test_role_of_and_has_role(make_user: MakeUser) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    assert role_of(supervisor) is Role.SUPERVISOR
    assert has_role(supervisor, Role.COLLECTOR, Role.SUPERVISOR)
    assert not has_role(supervisor, Role.AUDITOR)
    nobody = make_user(Role.COLLECTOR)
    nobody.groups.clear()
    nobody = type(nobody).objects.get(pk=nobody.pk)
    assert role_of(nobody) is None
    nobody.is_superuser = True
    assert role_of(nobody) is Role.ADMIN
    inactive = make_user(Role.AUDITOR)
    inactive.is_active = False
    assert role_of(inactive) is None


@pytest.fixture
def world(make_user: MakeUser) -> dict[str, Any]:
    """Two teams, an agency, one case for each kind of scope."""
    boss = make_user(Role.SUPERVISOR, username="boss")
    other_boss = make_user(Role.SUPERVISOR, username="other_boss")
    north = Team.objects.create(name="north", supervisor=boss)
    south = Team.objects.create(name="south", supervisor=other_boss)
    agency = Agency.objects.create(agency_id="A1", name="催收公司甲")
    mine = make_user(Role.COLLECTOR, username="mine", team=north)
    theirs = make_user(Role.COLLECTOR, username="theirs", team=south)
    cases = {
        "mine": make_case(collector=mine),  # no team on the case: visible to boss through the collector
        "team_north": make_case(team=north),  # unassigned, in boss's team
        "theirs": make_case(collector=theirs, team=south),
        "agency": make_case(agency=agency),
        "nobody": make_case(),
    }
    return {"boss": boss, "mine": mine, "theirs": theirs, "agency": agency, "cases": cases}


ALL_CASES = {"mine", "team_north", "theirs", "agency", "nobody"}
#: Which of ``world``'s cases each role sees (the user is the world's own where the role has one there).
EXPECTED_SCOPE: dict[Role, set[str]] = {
    Role.ADMIN: ALL_CASES,
    Role.STRATEGY_OWNER: ALL_CASES,
    Role.RISK_MANAGER: ALL_CASES,
    Role.AUDITOR: ALL_CASES,
    Role.LEGAL_OFFICER: ALL_CASES,
    Role.SUPERVISOR: {"mine", "team_north"},
    Role.COLLECTOR: {"mine"},
    Role.AGENCY_USER: {"agency"},
    Role.FIELD_AGENT: set(),
}


def user_for(role: Role, world: dict[str, Any], make_user: MakeUser) -> Any:
    if role == Role.SUPERVISOR:
        return world["boss"]
    if role == Role.COLLECTOR:
        return world["mine"]
    if role == Role.AGENCY_USER:
        return make_user(role, agency=world["agency"])
    return make_user(role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_visible_cases_and_case_for_by_role(role: Role, world: dict[str, Any], make_user: MakeUser) -> None:
    """Every role sees exactly its scope; outside it ``case_for`` answers 404 like an unknown case."""
    user = user_for(role, world, make_user)
    ids = {name: case.pk for name, case in world["cases"].items()}
    visible = set(scoping.visible_cases(user).values_list("pk", flat=True))
    assert visible == {ids[name] for name in EXPECTED_SCOPE[role]}
    for name, pk in ids.items():
        if name in EXPECTED_SCOPE[role]:
            assert scoping.case_for(user, pk).pk == pk
            assert scoping.case_for(user, str(pk)).pk == pk
        else:
            with pytest.raises(Http404):
                scoping.case_for(user, pk)
    with pytest.raises(Http404):
        scoping.case_for(user, 10**9)
    with pytest.raises(Http404):
        scoping.case_for(user, "not-a-number")
    assert scoping.can_write(user) is (role not in {Role.AUDITOR, Role.RISK_MANAGER})


@pytest.mark.django_db
def test_scope_is_empty_for_anonymous_and_roleless_users(world: dict[str, Any], make_user: MakeUser) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not scoping.visible_cases(AnonymousUser()).exists()
    assert not scoping.can_write(AnonymousUser())
    agency_user_without_agency = make_user(Role.AGENCY_USER)
    assert not scoping.visible_cases(agency_user_without_agency).exists()


@pytest.mark.django_db
def test_supervisor_follows_the_collector_into_another_team(world: dict[str, Any]) -> None:
    """A collector moved to another team takes their cases out of the old supervisor's scope."""
    boss, mine = world["boss"], world["mine"]
    mine.profile.team = Team.objects.get(name="south")
    mine.profile.save()
    assert not scoping.visible_cases(boss).filter(pk=world["cases"]["mine"].pk).exists()


# --- reveal -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reveal_returns_the_value_and_records_who_what_why(world: dict[str, Any]) -> None:
    case = world["cases"]["mine"]
    value = reveal(
        world["mine"], case.borrower, "phone", "  borrower asks to confirm the number ", ip="10.0.0.7"
    )
    assert value == "13812345678"
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_name, event.action) == (world["mine"], "mine", "reveal")
    assert (event.target_type, event.target_id) == ("loans.borrower", case.borrower_id)
    assert event.detail == {"field": "phone", "borrower_id": case.borrower_id}
    assert event.reason == "borrower asks to confirm the number"
    assert event.ip == "10.0.0.7"


@pytest.mark.django_db
def test_reveal_of_a_contact_party_field(world: dict[str, Any]) -> None:
    case = world["cases"]["team_north"]
    party = ContactParty.objects.create(
        borrower=case.borrower, kind="guarantor", name="李四", phone="13900001111", email="li@example.com"
    )
    assert reveal(world["boss"], party, "email", "call back") == "li@example.com"
    assert AuditEvent.objects.get().target_type == "contacts.contactparty"


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_reveal_without_a_reason_is_refused_and_not_recorded(world: dict[str, Any], reason: str) -> None:
    with pytest.raises(RevealRefused):
        reveal(world["mine"], world["cases"]["mine"].borrower, "phone", reason)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_reveal_outside_scope_is_404(world: dict[str, Any]) -> None:
    with pytest.raises(Http404):
        reveal(world["mine"], world["cases"]["theirs"].borrower, "phone", "curious")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_reveal_needs_the_permission(world: dict[str, Any], make_user: MakeUser) -> None:
    """An auditor sees every case but may not reveal; an agency user sees its cases but may not either."""
    for user in (make_user(Role.AUDITOR), make_user(Role.AGENCY_USER, agency=world["agency"])):
        with pytest.raises(RevealRefused):
            reveal(user, world["cases"]["agency"].borrower, "id_number", "why not")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_reveal_refuses_fields_that_are_not_personal_data(world: dict[str, Any]) -> None:
    with pytest.raises(RevealRefused):
        reveal(world["mine"], world["cases"]["mine"].borrower, "credit_score", "because")


# --- pages ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reveal_view_htmx_swaps_in_the_value(
    world: dict[str, Any], client_for: Callable[[Any], Client]
) -> None:
    borrower = world["cases"]["mine"].borrower
    client = client_for(world["mine"])
    data = {"model": "loans.borrower", "pk": borrower.pk, "field": "id_number", "reason": "identity check"}
    response = client.post(reverse("accounts:reveal"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "110101199001011234" in body
    assert "<html" not in body
    event = AuditEvent.objects.get()
    assert (event.action, event.reason, event.ip) == ("reveal", "identity check", "127.0.0.1")


@pytest.mark.django_db
def test_reveal_view_asks_again_without_a_reason(
    world: dict[str, Any], client_for: Callable[[Any], Client]
) -> None:
    borrower = world["cases"]["mine"].borrower
    client = client_for(world["mine"])
    data = {"model": "loans.borrower", "pk": borrower.pk, "field": "phone", "reason": ""}
    response = client.post(reverse("accounts:reveal"), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in body
    assert "13812345678" not in body
    assert 'role="alert"' in body
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "model", "status"),
    [
        ("theirs", "loans.borrower", 404),  # a borrower outside the collector's scope
        ("auditor", "loans.borrower", 403),  # visible but no permission
        ("mine", "auth.user", 404),  # not a model with personal data
        ("mine", "loans.nothing", 404),
    ],
)
def test_reveal_view_refusals(
    world: dict[str, Any],
    client_for: Callable[[Any], Client],
    make_user: MakeUser,
    who: str,
    model: str,
    status: int,
) -> None:
    user = make_user(Role.AUDITOR) if who == "auditor" else world[who]
    borrower = world["cases"]["mine"].borrower
    data = {"model": model, "pk": borrower.pk, "field": "phone", "reason": "x"}
    assert client_for(user).post(reverse("accounts:reveal"), data).status_code == status
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_reveal_view_is_post_only_and_needs_login(
    world: dict[str, Any], client_for: Callable[[Any], Client]
) -> None:
    assert client_for(world["mine"]).get(reverse("accounts:reveal")).status_code == 405
    response = Client().post(reverse("accounts:reveal"), {})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_reveal_partial_shows_the_masked_value_and_the_button_only_to_permitted_users(
    world: dict[str, Any], make_user: MakeUser, rf: Any
) -> None:
    from django.template.loader import render_to_string

    borrower = world["cases"]["mine"].borrower
    request = rf.get("/")
    request.user = world["mine"]
    html = render_to_string("accounts/reveal.html", {"obj": borrower, "field": "address"}, request=request)
    assert "北京市朝阳区****" in html
    assert "建国路" not in html
    assert 'name="reason"' in html
    request.user = make_user(Role.AUDITOR)
    html = render_to_string("accounts/reveal.html", {"obj": borrower, "field": "address"}, request=request)
    assert "北京市朝阳区****" in html
    assert 'name="reason"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.AUDITOR, "/audit/"),
        (Role.COLLECTOR, None),
        (Role.SUPERVISOR, None),
        (Role.FIELD_AGENT, None),
        (Role.STRATEGY_OWNER, None),
    ],
)
def test_home_redirects_by_role(
    role: Role, landing: str | None, make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    """Auditors land on the audit trail; the others on their page when it exists (cases:queue, field:index
    — later waves), else on the profile page."""
    from qingshou.apps.accounts.views import home_url

    response = client_for(make_user(role)).get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == (landing or home_url(role))
    assert Client().get(reverse("accounts:home"))["Location"].startswith(reverse("accounts:login"))


def test_home_falls_back_to_the_profile_page_when_a_landing_page_does_not_exist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qingshou.apps.accounts import views

    monkeypatch.setitem(views.HOME_BY_ROLE, Role.COLLECTOR, ("cases:no_such_page",))
    assert views.home_url(Role.COLLECTOR) == reverse("accounts:profile")
    assert views.home_url(None) == reverse("accounts:profile")


@pytest.mark.django_db
def test_login_page_in_chinese_by_default_and_english_when_chosen() -> None:
    client = Client()
    chinese = client.get(reverse("accounts:login"))
    assert chinese.status_code == 200
    assert '<html lang="zh-hans">' in chinese.content.decode()
    english_browser = Client(headers={"accept-language": "en"}).get(reverse("accounts:login"))
    assert '<html lang="zh-hans">' in english_browser.content.decode()  # the browser is not followed
    switched = Client()
    response = switched.post(reverse("accounts:set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert '<html lang="en">' in switched.get(reverse("accounts:login")).content.decode()


@pytest.mark.django_db
def test_login_logout_round_trip(make_user: MakeUser) -> None:
    from workbench_support import PASSWORD

    user = make_user(Role.COLLECTOR, username="wang")
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "wang", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:profile")).context["user"] == user
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_pages_of_the_accounts_app_by_role(
    role: Role, make_user: MakeUser, client_for: Callable[[Any], Client]
) -> None:
    """Role × URL: the profile and home pages for every role; anonymous users are sent to the login page."""
    client = client_for(make_user(role))
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get(reverse("accounts:home")).status_code == 302
    assert client.get(reverse("accounts:login")).status_code == 302  # already logged in
    for name in ("accounts:profile", "accounts:home"):
        assert Client().get(reverse(name)).status_code == 302


@pytest.mark.django_db
def test_reveal_view_asks_again_when_the_reason_is_too_long(
    world: dict[str, Any], client_for: Callable[[Any], Client]
) -> None:
    borrower = world["cases"]["mine"].borrower
    data = {"model": "loans.borrower", "pk": borrower.pk, "field": "phone", "reason": "x" * 501}
    response = client_for(world["mine"]).post(
        reverse("accounts:reveal"), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_profile_page_shows_role_team_agency(
    world: dict[str, Any], client_for: Callable[[Any], Client]
) -> None:
    body = client_for(world["mine"]).get(reverse("accounts:profile")).content.decode()
    assert "mine" in body
    assert "north" in body
    assert "accounts.reveal_pii" in body


@pytest.mark.django_db
def test_pages_are_chinese_by_default_even_for_an_english_browser_and_english_when_chosen() -> None:
    """Issue 5: Chinese by default, English available — the browser's Accept-Language is not followed; the
    language switch (set_language → language cookie) is."""
    client = Client()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page
    assert "Log in" not in page
    switched = client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})
    assert switched.status_code == 302
    assert "Log in" in client.get("/accounts/login/").content.decode()
    client.cookies["django_language"] = "xx-unknown"
    assert "登录" in client.get("/accounts/login/").content.decode()
