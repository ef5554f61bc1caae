"""Field pages: every URL × role answers 200 in scope and 404 outside it (never 403), the report form with
photo upload (a real JPEG / PNG accepted, a non-image, a GIF or a too large file refused with the field
named), the supervisor's board, the request from the case page, and the case partial."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image

from field_support import gif_bytes, make_case, make_person, png_bytes
from qingshou.apps.accounts.models import Agency, Team
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case
from qingshou.apps.field import services
from qingshou.apps.field.models import VisitPhoto, VisitRequest

pytestmark = pytest.mark.db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@dataclass
class World:
    """A supervised team's case with a scheduled visit, and people inside and outside its scope."""

    case: Case
    visit: VisitRequest
    users: dict[str, User]


@pytest.fixture
def world(db: None, tmp_path: Path, settings: Any) -> World:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    supervisor = make_person("supervisor", "sup")
    team = Team.objects.create(name="一组", supervisor=supervisor)
    agency = Agency.objects.create(agency_id="AG1", name="外包一")
    users = {
        "supervisor": supervisor,
        "other_supervisor": make_person("supervisor", "sup2"),
        "collector": make_person("collector", "col", team=team),
        "other_collector": make_person("collector", "col2"),
        "agent": make_person("field_agent", "fa1", region="朝阳区"),
        "partner": make_person("field_agent", "fa2", region="朝阳区"),
        "other_agent": make_person("field_agent", "fa3", region="朝阳区"),
        "admin": make_person("admin", "adm"),
        "auditor": make_person("auditor", "aud"),
        "risk_manager": make_person("risk_manager", "risk"),
        "strategy_owner": make_person("strategy_owner", "strat"),
        "legal_officer": make_person("legal_officer", "legal"),
        "agency_user": make_person("agency_user", "agu", agency=agency),
    }
    case = make_case("B1", region="朝阳区", collector=users["collector"], team=team)
    visit = services.request_visit(case, users["collector"], "电话失联")
    services.assign_manually(visit, [users["agent"].pk, users["partner"].pk], supervisor)
    services.schedule_visit(visit, SCHEDULED, users["agent"])
    visit.refresh_from_db()
    return World(case, visit, users)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


ALL = (
    "supervisor",
    "other_supervisor",
    "collector",
    "other_collector",
    "agent",
    "partner",
    "other_agent",
    "admin",
    "auditor",
    "risk_manager",
    "strategy_owner",
    "legal_officer",
    "agency_user",
)
#: GET pages: URL (``{visit}`` / ``{case}`` filled in) → the roles that get 200 (everyone else 404).
PAGES = {
    "/field/": {"agent", "partner", "other_agent"},
    "/field/{visit}/": {
        "supervisor",
        "collector",
        "agent",
        "partner",
        "admin",
        "auditor",
        "risk_manager",
        "strategy_owner",
        "legal_officer",
    },
    "/field/board/": {"supervisor", "other_supervisor", "admin"},
}


@pytest.mark.parametrize("url", list(PAGES))
def test_every_page_answers_200_in_scope_and_404_outside(world: World, url: str) -> None:
    """The whole role × URL row at once (one world per URL keeps the table fast)."""
    path = url.format(visit=world.visit.pk)
    answers = {who: _client(world.users[who]).get(path).status_code for who in ALL}
    assert answers == {who: 200 if who in PAGES[url] else 404 for who in ALL}


def test_anonymous_users_are_sent_to_the_login_page(world: World) -> None:
    response = Client().get(f"/field/{world.visit.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


#: POST actions → the roles allowed past the scope check (others 404 and nothing changes).
ACTIONS = {
    "/field/{visit}/report/": {"agent", "partner"},
    "/field/{visit}/assign/": {"supervisor", "admin"},
    "/field/{visit}/cancel/": {"supervisor", "admin"},
    "/field/{visit}/schedule/": {"supervisor", "admin", "agent", "partner"},
    "/field/case/{case}/request/": {"supervisor", "collector", "admin"},
}


@pytest.mark.parametrize("url", list(ACTIONS))
def test_every_action_is_404_outside_its_scope(world: World, url: str) -> None:
    """An empty POST: allowed users get a form error (422), others 404 — and the visit is unchanged."""
    path = url.format(visit=world.visit.pk, case=world.case.pk)
    answers = {who: _client(world.users[who]).post(path, {}).status_code for who in ALL}
    assert answers == {who: 422 if who in ACTIONS[url] else 404 for who in ALL}
    world.visit.refresh_from_db()
    assert world.visit.status == "scheduled"


def test_the_agents_list_masks_the_address_and_shows_only_their_visits(world: World) -> None:
    mine = _client(world.users["agent"]).get("/field/").content.decode()
    assert f'data-visit="{world.visit.pk}"' in mine
    assert "北京市朝阳区****" in mine
    assert "建国路88号" not in mine
    theirs = _client(world.users["other_agent"]).get("/field/").content.decode()
    assert f'data-visit="{world.visit.pk}"' not in theirs


def test_the_visit_page_is_phone_friendly_with_the_doorstep_facts(world: World) -> None:
    page = _client(world.users["agent"]).get(f"/field/{world.visit.pk}/").content.decode()
    assert 'name="viewport"' in page
    assert "<table" not in page
    assert "北京市朝阳区建国路88号1单元" in page  # the visitor needs the full address
    assert "138****5678" in page  # the phone masked
    assert "13812345678" not in page
    assert 'enctype="multipart/form-data"' in page
    assert "csrfmiddlewaretoken" in page


def _report_data(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "visited_at": "2026-03-02T10:30",
        "met": "debtor",
        "address_valid": "yes",
        "situation": "本人在家",
        "assets_seen": "",
        "stated_reason": "illness",
        "attendees": [world.users["agent"].pk, world.users["partner"].pk],
    }
    data.update(changes)
    return data


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_report_with_a_jpeg_and_a_png_is_filed_and_served_only_in_scope(world: World) -> None:
    photos = [
        SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("b.png", png_bytes(), content_type="image/png"),
    ]
    response = _client(world.users["partner"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, photos=photos, promise_amount="800.00",
                                                          promise_due_on="2026-03-09")
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    world.visit.refresh_from_db()
    assert world.visit.status == "visited"
    stored = list(VisitPhoto.objects.filter(report__visit=world.visit).order_by("id"))
    assert [photo.content_type for photo in stored] == ["image/jpeg", "image/png"]
    promise = world.visit.report.promise
    assert promise is not None
    assert promise.amount_fen == 80_000
    url = f"/field/{world.visit.pk}/photos/{stored[1].pk}/"
    served = _client(world.users["supervisor"]).get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    assert served["Content-Type"] == "image/png"
    viewed = AuditEvent.objects.filter(action="document.download", target_id=str(stored[1].pk))
    assert [(event.actor_name, event.detail["kind"]) for event in viewed] == [
        (world.users["supervisor"].get_username(), "visit_photo")
    ]  # every view of collection evidence is audited, in the field app as on the case page
    assert _client(world.users["other_agent"]).get(url).status_code == 404
    assert _client(world.users["other_supervisor"]).get(url).status_code == 404
    page = _client(world.users["collector"]).get(f"/field/{world.visit.pk}/").content.decode()
    assert url in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("fake.jpg", b"this is not a picture", content_type="image/jpeg"),
            "fake.jpg 不是图片",  # the interface is Chinese by default
        ),
        (SimpleUploadedFile("anim.gif", gif_bytes(), content_type="image/gif"), "只接受 JPEG 和 PNG"),
    ],
    ids=["not-an-image", "gif"],
)
def test_a_bad_photo_is_refused_on_the_photos_field(world: World, upload: Any, message: str) -> None:
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, photos=[upload])
    )
    assert response.status_code == 422
    errors = response.context["report_form"].errors
    assert list(errors) == ["photos"]
    assert message in errors["photos"][0]
    world.visit.refresh_from_db()
    assert world.visit.status == "scheduled"
    assert not VisitPhoto.objects.exists()


def test_a_too_large_photo_is_refused_with_its_name(world: World, settings: Any) -> None:
    settings.QINGSHOU_FIELD = {"photo_max_bytes": 50}
    upload = SimpleUploadedFile("big.png", png_bytes((40, 40)), content_type="image/png")
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, photos=[upload])
    )
    assert response.status_code == 422
    assert "big.png 过大" in response.context["report_form"].errors["photos"][0]


def test_c8_a_report_with_one_attendee_is_refused_on_the_form(world: World) -> None:
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, attendees=[world.users["agent"].pk])
    )
    assert response.status_code == 422
    assert "at least 2" in response.context["report_form"].errors["attendees"][0]


def test_a_promise_without_a_date_is_refused_on_the_date_field(world: World) -> None:
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, promise_amount="100")
    )
    assert response.status_code == 422
    assert "promise_due_on" in response.context["report_form"].errors


def test_c8_scheduling_in_quiet_hours_shows_the_reason_and_the_next_moment(world: World) -> None:
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/schedule/", {"at": "2026-03-05T23:00"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    [error] = response.context["schedule_form"].errors["at"]
    assert "outside the allowed hours" in error or "不在允许联系的时段" in error
    assert "2026-03-06 08:00" in error
    world.visit.refresh_from_db()
    assert world.visit.scheduled_at == SCHEDULED


def test_the_board_lists_waiting_visits_of_the_supervisors_cases_only(world: World) -> None:
    waiting = services.request_visit(
        make_case("B2", region="朝阳区", team=world.case.team), world.users["supervisor"], "x"
    )
    elsewhere = services.request_visit(make_case("B3", region="朝阳区"), world.users["admin"], "y")
    page = _client(world.users["supervisor"]).get("/field/board/").content.decode()
    assert f'data-visit="{waiting.pk}"' in page
    assert f'data-visit="{elsewhere.pk}"' not in page
    assert f'data-visit="{world.visit.pk}"' not in page  # scheduled: not waiting
    other = _client(world.users["other_supervisor"]).get("/field/board/").content.decode()
    assert f'data-visit="{waiting.pk}"' not in other


def test_the_board_assigns_by_hand_and_by_region(world: World) -> None:
    team = world.case.team
    by_hand = services.request_visit(
        make_case("B2", region="朝阳区", team=team), world.users["supervisor"], "x"
    )
    automatic = services.request_visit(
        make_case("B3", region="朝阳区", team=team), world.users["supervisor"], "y"
    )
    elsewhere = services.request_visit(make_case("B4", region="朝阳区"), world.users["admin"], "z")
    client = _client(world.users["supervisor"])
    agents = [world.users["agent"].pk, world.users["other_agent"].pk]
    response = client.post(f"/field/{by_hand.pk}/assign/", {f"v{by_hand.pk}-agents": agents})
    assert response.status_code == 302
    assert client.post("/field/board/assign/").status_code == 302
    for visit in (by_hand, automatic, elsewhere):
        visit.refresh_from_db()
    assert (by_hand.status, automatic.status, elsewhere.status) == ("assigned", "assigned", "requested")
    assert sorted(by_hand.agents.values_list("pk", flat=True)) == sorted(agents)


def test_a_collector_requests_a_visit_from_the_case_page_partial(world: World) -> None:
    case = make_case("B2", region="朝阳区", collector=world.users["collector"])
    client = _client(world.users["collector"])
    response = client.post(f"/field/case/{case.pk}/request/", {"reason": "失联"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="case-visits"' in response.content.decode()
    [visit] = VisitRequest.objects.filter(case=case)
    assert (visit.requested_by, visit.reason) == (world.users["collector"], "失联")
    again = client.post(f"/field/case/{case.pk}/request/", {"reason": "again"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422
    assert "already has an open field visit" in again.content.decode()


def test_the_case_partial_lists_visits_with_the_report(world: World) -> None:
    services.file_report(
        world.visit,
        world.users["agent"],
        services.ReportInput(
            visited_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=SHANGHAI),
            met="family",
            address_valid=False,
            situation="家属称已搬走",
            attendees=[world.users["agent"].pk, world.users["partner"].pk],
        ),
    )
    html = render_to_string("field/case_visits.html", {"case": world.case})
    assert f'data-visit="{world.visit.pk}"' in html
    assert "家属称已搬走" in html


def test_c8_a_report_on_another_day_than_scheduled_asks_to_schedule_again(world: World) -> None:
    """The visit's C8 check was for its scheduled local day; a visit made another day needs a new check."""
    response = _client(world.users["agent"]).post(
        f"/field/{world.visit.pk}/report/", _report_data(world, visited_at="2026-03-03T10:30")
    )
    assert response.status_code == 422
    assert "check it again" in response.context["report_form"].errors["visited_at"][0]
    world.visit.refresh_from_db()
    assert world.visit.status == "scheduled"


@pytest.mark.parametrize(("who", "offered"), [("collector", True), ("supervisor", True), ("auditor", False)])
def test_the_case_partial_offers_the_request_form_only_to_requesting_roles(
    world: World, who: str, offered: bool
) -> None:
    case = make_case("B2", region="朝阳区", collector=world.users["collector"], team=world.case.team)
    html = render_to_string(
        "field/case_visits.html", {"case": case, "user": world.users[who], "next": "/cases/"}
    )
    assert (f'action="/field/case/{case.pk}/request/"' in html) is offered
