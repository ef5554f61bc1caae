"""Browser: a collector finds a case from the top bar's search box by the borrower's full phone (results
masked), opens it and uploads a PDF on the case page — the document list swapped in by htmx under the Content
Security Policy, the upload stored and audited (issue 5, app ``records``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import login
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.records.models import CaseDocument
from workbench_support import PASSWORD, create_user, make_case

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.django_db(transaction=True)
def test_collector_searches_by_phone_and_uploads_a_document(page: Any, tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    collector = create_user(Role.COLLECTOR, username="wang")
    case = make_case(collector=collector)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, "wang", PASSWORD)

    page.fill("form.search input[name=q]", "138 1234 5678")
    page.press("form.search input[name=q]", "Enter")
    row = page.locator(f'#results tr[data-case="{case.pk}"]')
    row.wait_for()
    assert "138****5678" in row.inner_text()
    assert "13812345678" not in page.locator("#results").inner_html()
    row.locator("a").click()
    page.wait_for_url(f"**{reverse('cases:case', args=[case.pk])}")

    pdf = tmp_path / "合同.pdf"
    pdf.write_bytes(PDF)
    form = page.locator("#upload-form")
    form.locator("select[name=kind]").select_option("contract")
    form.locator("input[name=title]").fill("借款合同")
    form.locator("input[name=file]").set_input_files(str(pdf))
    form.locator("button[type=submit]").click()
    listed = page.locator("#documents tr[data-source=upload]")
    listed.wait_for()
    assert "借款合同" in listed.inner_text()
    assert page.url.endswith(reverse("cases:case", args=[case.pk]))  # swapped in place

    document = CaseDocument.objects.get()
    assert (document.case_id, document.content_type, document.uploaded_by_id) == (
        case.pk,
        "application/pdf",
        collector.pk,
    )
    assert AuditEvent.objects.filter(action="search", actor_name="wang").count() == 1
    assert AuditEvent.objects.filter(action="document.upload", actor_name="wang").count() == 1
    assert not [error for error in errors if "Content Security Policy" in error]
