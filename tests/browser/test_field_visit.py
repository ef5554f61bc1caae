"""Browser: a field agent files a visit report on a phone (issue 5) — log in, open the visit from their list,
fill the report, take a photo (file upload), submit; the report shows on the visit with the photo, and the
page fits the phone's width with finger-sized buttons."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browser_support import login
from PIL import Image

from field_support import make_case
from qingshou.apps.accounts.roles import Role
from qingshou.apps.field import services
from qingshou.apps.field.models import VisitPhoto
from workbench_support import PASSWORD, create_user

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    """A phone-sized touch context on the live server (Chinese)."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_field_agent_files_a_visit_report_on_a_phone(phone: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    supervisor = create_user(Role.SUPERVISOR, username="sup")
    agent = create_user(Role.FIELD_AGENT, username="li", region="朝阳区", last_name="李", first_name="四")
    partner = create_user(Role.FIELD_AGENT, username="zhao", region="朝阳区", last_name="赵", first_name="五")
    visit = services.request_visit(make_case("B1", region="朝阳区"), supervisor, "电话失联，核实地址")
    services.assign_manually(visit, [agent.pk, partner.pk], supervisor)
    services.schedule_visit(visit, dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), agent)

    page = phone
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, "li", PASSWORD)
    page.goto("/field/")
    card = page.locator(f'[data-visit="{visit.pk}"]')
    assert "北京市朝阳区****" in card.inner_text()
    card.locator("a.field-button").tap()
    page.wait_for_url(f"**/field/{visit.pk}/")
    assert "北京市朝阳区建国路88号1单元" in page.locator("#visit-address").inner_text()

    form = page.locator("#report-form")
    form.locator("input[name=visited_at]").fill("2026-03-02T10:30")
    form.locator("input[name=met][value=debtor]").check()
    form.locator("input[name=address_valid][value=yes]").check()
    form.locator("textarea[name=situation]").fill("本人在家，称生病住院两个月")
    form.locator("textarea[name=assets_seen]").fill("小汽车一辆")
    form.locator("select[name=stated_reason]").select_option("illness")
    form.locator("input[name=promise_amount]").fill("500.00")
    form.locator("input[name=promise_due_on]").fill("2026-03-15")
    form.locator("input[name=photos]").set_input_files(
        [{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    button = form.locator("button[type=submit]")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a finger-sized target
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    button.tap()

    page.wait_for_selector("#visit-report")
    report = page.locator("#visit-report").inner_text()
    assert "本人在家，称生病住院两个月" in report
    assert "500.00" in report
    assert "李四、赵五" in report  # family name first
    image = page.locator("#visit-report img")
    assert image.count() == 1
    image.scroll_into_view_if_needed()  # the photo loads lazily: bring it on screen, then wait for it
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 64
    [photo] = VisitPhoto.objects.filter(report__visit=visit)
    assert photo.content_type == "image/jpeg"
    assert not [error for error in errors if "Content Security Policy" in error]
