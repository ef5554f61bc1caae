"""Documents on the case, search and the retention of collection records (issue 5, app ``records``).

Documents: uploads checked by content and size with the reason shown; stored under a random name; listed on
the case page with the printed letters and visit photos; downloads scoped (role × URL: 200 in scope, 404
outside — never a 403 that would confirm the case) and audited. Search: exactly the visible cases, masked,
audited with the query masked, never by prefix. Retention: dry run vs apply, the guards (open case, another
open case of the borrower, the period, agreements until settled), files deleted, idempotent, one audit event
per batch."""

from __future__ import annotations

import hashlib
import io
import json
import wave
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case, ContactNote, Promise, PromiseInstalment
from qingshou.apps.contacts.models import ContactAttempt
from qingshou.apps.field.models import VisitPhoto, VisitReport, VisitRequest
from qingshou.apps.notices.models import Outbox
from qingshou.apps.notices.services.outbox import enqueue_notice
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.records import retention
from qingshou.apps.records.models import CaseDocument
from qingshou.cli import build
from workbench_book import B1_SCOPE, Book, assign_to, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


@pytest.fixture
def book(tmp_path: Path, settings: Any) -> Book:
    """B1 assigned to c1 (一组), B3 to c3 (二组), B4 placed with agency AG1; files under a temporary root."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    book = scoped_book()
    return book


def upload(
    client: Client, case: Case, content: bytes, name: str, kind: str = "contract", **extra: str
) -> Any:
    """Post an upload (in English, so the reasons can be read)."""
    client.cookies["django_language"] = "en"
    data = {"kind": kind, "title": extra.pop("title", "借款合同"), "file": SimpleUploadedFile(name, content)}
    return client.post(reverse("records:upload", args=[case.pk]), {**data, **extra})


def stored(book: Book, kind: str = "contract", content: bytes = PDF) -> CaseDocument:
    """A document stored on B1 through the service path (c1 uploads it)."""
    from qingshou.apps.records.services import upload_document

    return upload_document(
        book.cases["B1"],
        book.users["c1"],
        kind=kind,
        title="合同",
        name="x.pdf",
        size=len(content),
        stream=io.BytesIO(content),
    )


# --- documents ------------------------------------------------------------------------------------------


def test_an_upload_is_stored_under_a_random_name_hashed_and_audited(
    book: Book, client_for: ClientFor
) -> None:
    case = book.cases["B1"]
    response = upload(client_for(book.users["c1"]), case, PDF, "张1-身份证号-110101.pdf", loan_id="L1")
    assert response.status_code == 302
    document = CaseDocument.objects.get()
    assert (document.case_id, document.loan_id, document.kind) == (case.pk, "L1", "contract")
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.file.name.startswith(f"records/{case.pk}/")
    assert document.file.name.endswith(".pdf")
    assert "张" not in document.file.name
    assert "110101" not in document.file.name
    assert document.file.read() == PDF
    event = AuditEvent.objects.get(action="document.upload")
    assert event.target_id == str(document.pk)
    assert event.detail["sha256"] == document.sha256


@pytest.mark.parametrize(
    ("content", "name", "kind", "reason"),
    [
        (b"just some text, not a PDF", "letter.pdf", "contract", "is not a PDF, JPEG, PNG, XLSX"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.gif", "other", "is not a PDF, JPEG, PNG, XLSX"),
        (PDF, "call.pdf", "recording", "is not a recording"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "call.wav", "contract", "upload it with the kind"),
        (b"", "empty.pdf", "contract", "is empty"),
    ],
)
def test_an_upload_of_a_wrong_type_is_refused_with_the_reason(
    book: Book, client_for: ClientFor, content: bytes, name: str, kind: str, reason: str
) -> None:
    """The type is read from the bytes: a text file named .pdf is refused; audio only as a recording."""
    response = upload(client_for(book.users["c1"]), book.cases["B1"], content, name, kind=kind)
    assert response.status_code == 422
    html = response.content.decode()
    assert reason in html or ("empty" in reason and 'data-field="file"' in html)
    assert not CaseDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="document.upload").exists()


def test_an_upload_over_the_size_cap_is_refused_with_the_sizes(
    book: Book, client_for: ClientFor, settings: Any
) -> None:
    settings.QINGSHOU_DOCUMENTS = {"max_bytes": 100, "recording_max_bytes": 10_000}
    client = client_for(book.users["c1"])
    response = upload(client, book.cases["B1"], PDF + b"0" * 200, "big.pdf")
    assert response.status_code == 422
    assert "is too large (" in response.content.decode()
    assert "at most 100" in response.content.decode()
    assert not CaseDocument.objects.exists()
    # a recording has its own, larger cap
    assert upload(client, book.cases["B1"], wav_bytes(), "call.wav", kind="recording").status_code == 302
    assert CaseDocument.objects.get().content_type == "audio/wav"


def test_a_png_and_a_real_xlsx_are_accepted(book: Book, client_for: ClientFor) -> None:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    client = client_for(book.users["c1"])
    assert upload(client, book.cases["B1"], png_bytes(), "id.png", kind="id_copy").status_code == 302
    assert upload(client, book.cases["B1"], buffer.getvalue(), "plan.xlsx", kind="other").status_code == 302
    assert sorted(CaseDocument.objects.values_list("content_type", flat=True)) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/png",
    ]


def test_a_loan_of_another_borrower_is_refused(book: Book, client_for: ClientFor) -> None:
    response = upload(client_for(book.users["c1"]), book.cases["B1"], PDF, "a.pdf", loan_id="L3")
    assert response.status_code == 422
    assert not CaseDocument.objects.exists()


@pytest.mark.parametrize(("username", "expected"), B1_SCOPE)
def test_a_download_answers_404_outside_the_scope_and_is_audited_inside(
    book: Book, client_for: ClientFor, username: str, expected: int
) -> None:
    document = stored(book)
    url = reverse("records:download", args=[book.cases["B1"].pk, document.pk])
    response = client_for(book.users[username]).get(url)
    assert response.status_code == expected
    downloads = AuditEvent.objects.filter(action="document.download")
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Cache-Control"] == "private, no-store"
        assert [(event.actor_name, event.target_id) for event in downloads] == [(username, str(document.pk))]
    else:
        assert not downloads.exists()


def test_a_document_asked_for_through_another_case_is_404(book: Book, client_for: ClientFor) -> None:
    """The document id must belong to the case in the URL (a case the user sees must not open another's)."""
    document = stored(book)
    assign_to(book.cases["B2"], book.users["c1"], book.teams["一组"])
    url = reverse("records:download", args=[book.cases["B2"].pk, document.pk])
    assert client_for(book.users["c1"]).get(url).status_code == 404


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("c1", 302),
        ("sup1", 302),
        ("admin", 302),
        ("legal_officer", 302),
        ("auditor", 403),
        ("risk_manager", 403),
        ("strategy_owner", 403),
        ("c2", 404),
        ("sup2", 404),
        ("ag1", 404),
        ("field_agent", 404),
    ],
)
def test_upload_by_role_read_only_roles_403_outside_the_scope_404(
    book: Book, client_for: ClientFor, username: str, expected: int
) -> None:
    response = upload(client_for(book.users[username]), book.cases["B1"], PDF, "a.pdf")
    assert response.status_code == expected
    assert CaseDocument.objects.exists() == (expected == 302)


def test_an_agency_user_uploads_on_a_case_placed_with_the_agency(book: Book, client_for: ClientFor) -> None:
    assert upload(client_for(book.users["ag1"]), book.cases["B4"], PDF, "a.pdf").status_code == 302


def _letter_and_photo(book: Book) -> tuple[Outbox, VisitPhoto]:
    case = book.cases["B1"]
    load_default_templates()
    letter, _created = enqueue_notice(
        as_of=date(2026, 3, 1),
        action_key="p1/letter/L1",
        borrower_id="B1",
        channel="letter",
        audience="debtor",
        recipient="北京市朝阳区建国路1号",
        template_code="demand",
        borrower_name="张1",
        figures={
            "overdue_principal": "5000.00",
            "interest": "0.00",
            "penalty": "0.00",
            "compound_interest": "0.00",
            "total_due": "5000.00",
            "days_overdue": 20,
        },
        loan_id="L1",
    )
    Outbox.objects.filter(pk=letter.pk).update(status="sent", sent_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
    visit = VisitRequest.objects.create(
        case=case, source="user", reason="核实地址", address="北京市朝阳区建国路1号", due_by=date(2026, 3, 20)
    )
    report = VisitReport.objects.create(
        visit=visit,
        visited_at=datetime(2026, 3, 5, 2, tzinfo=UTC),
        met="debtor",
        address_valid=True,
        situation="在家",
        filed_by=book.users["admin"],
    )
    photo = VisitPhoto(report=report, content_type="image/png", size=len(png_bytes()))
    photo.image.save("p.png", ContentFile(png_bytes()), save=True)
    return letter, photo


def test_the_case_page_lists_uploads_letters_and_visit_photos(book: Book, client_for: ClientFor) -> None:
    letter, photo = _letter_and_photo(book)
    document = stored(book)
    case = book.cases["B1"]
    html = client_for(book.users["c1"]).get(reverse("cases:case", args=[case.pk])).content.decode()
    assert 'id="documents"' in html
    assert reverse("records:download", args=[case.pk, document.pk]) in html
    assert reverse("records:letter", args=[case.pk, letter.pk]) in html
    assert reverse("records:photo", args=[case.pk, photo.pk]) in html
    assert 'id="upload-form"' in html
    read_only = client_for(book.users["auditor"]).get(reverse("cases:case", args=[case.pk])).content.decode()
    assert reverse("records:download", args=[case.pk, document.pk]) in read_only
    assert 'id="upload-form"' not in read_only


def test_a_letter_is_rendered_alone_scoped_and_audited(book: Book, client_for: ClientFor) -> None:
    letter, _photo = _letter_and_photo(book)
    url = reverse("records:letter", args=[book.cases["B1"].pk, letter.pk])
    response = client_for(book.users["c1"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="document.download", target_id=str(letter.pk)).count() == 1
    assert client_for(book.users["c2"]).get(url).status_code == 404
    other = reverse("records:letter", args=[book.cases["B3"].pk, letter.pk])
    assert client_for(book.users["c3"]).get(other).status_code == 404  # not a letter of B3


@pytest.mark.parametrize(("username", "expected"), B1_SCOPE)
def test_a_letter_answers_404_outside_the_scope(
    book: Book, client_for: ClientFor, username: str, expected: int
) -> None:
    letter, _photo = _letter_and_photo(book)
    url = reverse("records:letter", args=[book.cases["B1"].pk, letter.pk])
    assert client_for(book.users[username]).get(url).status_code == expected


@pytest.mark.parametrize(("username", "expected"), B1_SCOPE)
def test_a_visit_photo_answers_404_outside_the_scope_and_is_audited_inside(
    book: Book, client_for: ClientFor, username: str, expected: int
) -> None:
    _letter, photo = _letter_and_photo(book)
    url = reverse("records:photo", args=[book.cases["B1"].pk, photo.pk])
    response = client_for(book.users[username]).get(url)
    assert response.status_code == expected
    downloads = AuditEvent.objects.filter(action="document.download", target_type="field.visitphoto")
    assert downloads.count() == (1 if expected == 200 else 0)
    if expected == 200:
        assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]


def test_a_letter_blanked_by_retention_is_no_longer_listed(book: Book, client_for: ClientFor) -> None:
    letter, _photo = _letter_and_photo(book)
    Outbox.objects.filter(pk=letter.pk).update(recipient="", payload={})
    url = reverse("records:letter", args=[book.cases["B1"].pk, letter.pk])
    assert client_for(book.users["c1"]).get(url).status_code == 404


def test_an_htmx_upload_returns_the_document_list(book: Book, client_for: ClientFor) -> None:
    response = client_for(book.users["c1"]).post(
        reverse("records:upload", args=[book.cases["B1"].pk]),
        {"kind": "contract", "title": "合同", "file": SimpleUploadedFile("a.pdf", PDF)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section class="card" id="documents">')


# --- search ---------------------------------------------------------------------------------------------


def search(client: Client, query: str) -> str:
    response = client.get(reverse("records:search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def found(html: str, book: Book) -> set[str]:
    return {name for name, case in book.cases.items() if f'data-case="{case.pk}"' in html}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("13812340001", {"B1"}),  # B1's phone
        ("138 1234 0001", {"B1"}),  # spaces dropped
        ("+86 138-1234-0001", {"B1"}),
        ("110101199001010001", {"B1"}),  # ID number
        ("张1", {"B1"}),  # full name
        ("L1", {"B1"}),  # loan id
        ("B1", {"B1"}),  # borrower id
        ("13812340003", set()),  # B3's phone: c3's case, out of c1's scope
        ("1381234", set()),  # a prefix of every phone: never matches
        ("138123400", set()),
        ("110101", set()),  # a prefix of every ID number
        ("张", set()),  # a family name alone
    ],
)
def test_search_finds_exactly_the_visible_cases_never_by_prefix(
    book: Book, client_for: ClientFor, query: str, expected: set[str]
) -> None:
    assert found(search(client_for(book.users["c1"]), query), book) == expected


def test_search_finds_a_phone_stored_with_its_country_code(book: Book, client_for: ClientFor) -> None:
    from qingshou.apps.loans.models import Borrower

    Borrower.objects.filter(borrower_id="B1").update(phone="+8613812340001")
    assert found(search(client_for(book.users["c1"]), "138-1234-0001"), book) == {"B1"}
    assert found(search(client_for(book.users["c1"]), "+8613812340001"), book) == {"B1"}


def test_search_by_case_id_and_the_see_all_roles(book: Book, client_for: ClientFor) -> None:
    b3 = book.cases["B3"]
    assert found(search(client_for(book.users["c1"]), str(b3.pk)), book) == set()
    assert found(search(client_for(book.users["c3"]), str(b3.pk)), book) == {"B3"}
    assert found(search(client_for(book.users["auditor"]), "13812340003"), book) == {"B3"}
    assert found(search(client_for(book.users["ag1"]), "13812340004"), book) == {"B4"}
    assert found(search(client_for(book.users["ag1"]), "13812340001"), book) == set()
    assert found(search(client_for(book.users["sup1"]), "L1"), book) == {"B1"}
    assert found(search(client_for(book.users["sup2"]), "L1"), book) == set()


def test_search_results_are_masked_and_each_search_is_audited_masked(
    book: Book, client_for: ClientFor
) -> None:
    page = search(client_for(book.users["c1"]), "13812340001")
    html = page[page.index('id="results"') :]  # the box and the language switch echo the user's own query
    assert "138****0001" in html
    assert "张*" in html
    assert "110101********0001" in html
    assert "13812340001" not in html
    assert "110101199001010001" not in html
    assert "张1" not in html
    search(client_for(book.users["c1"]), "110101199001010001")
    search(client_for(book.users["c1"]), "L1")
    events = list(AuditEvent.objects.filter(action="search").order_by("id"))
    assert [event.detail["query"] for event in events] == ["138****0001", "110101********0001", "L1"]
    assert [event.detail["results"] for event in events] == [1, 1, 1]
    assert events[0].detail["matched"] == ["phone"]
    assert all(event.actor_name == "c1" for event in events)
    assert "13812340001" not in json.dumps([event.detail for event in events])


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("c1", 200),
        ("sup1", 200),
        ("ag1", 200),
        ("auditor", 200),
        ("admin", 200),
        ("legal_officer", 200),
        ("risk_manager", 200),
        ("strategy_owner", 200),
        ("field_agent", 404),
    ],
)
def test_the_search_page_by_role(book: Book, client_for: ClientFor, username: str, expected: int) -> None:
    response = client_for(book.users[username]).get(reverse("records:search"), {"q": "L1"})
    assert response.status_code == expected


def test_the_top_bar_has_the_search_box_for_users_who_see_cases(book: Book, client_for: ClientFor) -> None:
    page = client_for(book.users["c1"]).get(reverse("cases:queue")).content.decode()
    assert f'action="{reverse("records:search")}"' in page
    agent = client_for(book.users["field_agent"]).get(reverse("field:index")).content.decode()
    assert f'action="{reverse("records:search")}"' not in agent


# --- retention ------------------------------------------------------------------------------------------

AS_OF = date(2029, 6, 1)


def close(case: Case, on: date, reason: str = "settled") -> Case:
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=on, close_reason=reason)
    case.refresh_from_db()
    return case


def attempt(book: Book, borrower_id: str, day: date) -> ContactAttempt:
    return ContactAttempt.objects.create(
        initiator="user",
        borrower_id=borrower_id,
        loan_id=f"L{borrower_id[1:]}",
        party=book.parties[borrower_id],
        party_kind="debtor",
        channel="voice",
        address=book.parties[borrower_id].phone,
        time_zone="Asia/Shanghai",
        planned_at=datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
        local_day=day,
        profile="cn",
        outcome="allow",
        reason="ok",
    )


def records_of(book: Book, borrower_id: str, tmp: Any = None) -> dict[str, Any]:
    """A closed-case history for one borrower: an attempt with a note, a promise, a recording, a contract,
    an agreement, a visit with a report and a photo, and a sent notice."""
    from qingshou.apps.records.services import upload_document

    case = book.cases[borrower_id]
    user = book.users["admin"]
    made: dict[str, Any] = {}
    made["attempt"] = attempt(book, borrower_id, date(2026, 2, 10))
    made["note"] = ContactNote.objects.create(
        case=case, attempt=made["attempt"], notes="说下周还", reason="illness"
    )
    made["promise"] = Promise.objects.create(case=case, amount_fen=10_000, due_on=date(2026, 2, 20))
    PromiseInstalment.objects.create(
        promise=made["promise"], seq=1, due_on=date(2026, 2, 20), amount_fen=10_000
    )
    for kind, content in (("recording", wav_bytes()), ("contract", PDF), ("repayment_agreement", PDF)):
        made[kind] = upload_document(
            case, user, kind=kind, title=kind, name="f", size=len(content), stream=io.BytesIO(content)
        )
    visit = VisitRequest.objects.create(
        case=case, source="user", reason="核实", address="北京市朝阳区建国路1号", due_by=date(2026, 2, 28)
    )
    made["report"] = VisitReport.objects.create(
        visit=visit,
        visited_at=datetime(2026, 2, 25, 2, tzinfo=UTC),
        met="debtor",
        address_valid=True,
        situation="家中有车",
        assets_seen="轿车",
        promise=made["promise"],
        filed_by=user,
    )
    photo = VisitPhoto(report=made["report"], content_type="image/png", size=10)
    photo.image.save("p.png", ContentFile(png_bytes()), save=True)
    made["photo"] = photo
    made["notice"] = Outbox.objects.create(
        key=f"2026-02-12|p1/sms/L{borrower_id[1:]}|sms|13800000000",
        as_of=date(2026, 2, 12),
        action_key="p1/sms",
        borrower_id=borrower_id,
        channel="sms",
        audience="debtor",
        recipient="13800000000",
        template_code="demand",
        payload={"borrower_name": "张"},
        status="delivered",
        content="您的贷款已逾期",
    )
    return made


def lines(result: list[retention.Line]) -> dict[str, int]:
    return {line.part: line.rows for line in result if line.rows}


def test_retention_dry_run_lists_and_apply_purges_idempotently(book: Book, settings: Any) -> None:
    """B1 closed settled on 2026-03-31: every type past its period on 2029-06-01 (2 and 3 years)."""
    made = records_of(book, "B1")
    close(book.cases["B1"], date(2026, 3, 31))
    dry = retention.plan(AS_OF)
    expected = {
        "contact_note": 1,
        "contact_attempt": 1,
        "recording": 1,
        "promise": 1,
        "visit_photo": 1,
        "visit_report": 1,
        "visit_request": 1,
        "document": 2,
        "notice": 1,
    }
    assert lines(dry) == expected
    assert sum(line.files for line in dry) == 4  # recording, contract, agreement, photo
    assert CaseDocument.objects.count() == 3  # the dry run changed nothing
    files = [made[kind].file.path for kind in ("recording", "contract", "repayment_agreement")]
    files.append(made["photo"].image.path)
    assert all(Path(path).exists() for path in files)

    done = retention.apply(AS_OF)
    assert lines(done) == expected
    assert not any(Path(path).exists() for path in files)
    assert not CaseDocument.objects.exists()
    assert not VisitPhoto.objects.exists()
    assert not Promise.objects.exists()
    assert not PromiseInstalment.objects.exists()
    note = ContactNote.objects.get()
    assert (note.notes, note.reason) == ("", "illness")
    kept = ContactAttempt.objects.get()
    assert (kept.address, kept.outcome) == ("", "allow")
    report = VisitReport.objects.get()
    assert (report.situation, report.assets_seen, report.promise_id) == ("", "", None)
    assert VisitRequest.objects.get().address == ""
    notice = Outbox.objects.get()
    assert (notice.recipient, notice.content, notice.payload, notice.status) == ("", "", {}, "delivered")
    assert notice.key.startswith("retention:")
    assert "13800000000" not in notice.key

    events = AuditEvent.objects.filter(action="retention.purge")
    assert events.count() == len(expected)  # one batch per part here
    assert sum(event.detail["rows"] for event in events) == sum(expected.values())
    assert {event.detail["part"] for event in events} == set(expected)

    assert lines(retention.plan(AS_OF)) == {}
    assert lines(retention.apply(AS_OF)) == {}
    assert AuditEvent.objects.filter(action="retention.purge").count() == len(expected)


def test_retention_never_touches_an_open_case_or_a_borrower_with_another_open_case(book: Book) -> None:
    records_of(book, "B1")
    records_of(book, "B2")
    assert lines(retention.plan(AS_OF)) == {}  # B1 and B2 cases are open
    close(book.cases["B2"], date(2026, 3, 31))
    Case.objects.create(
        borrower_id="B2", opened_on=date(2028, 1, 1), updated_on=date(2028, 1, 1), lead_loan_id="L2"
    )  # B2 is in arrears again
    assert lines(retention.plan(AS_OF)) == {}
    assert lines(retention.apply(AS_OF)) == {}
    assert CaseDocument.objects.count() == 6


def test_retention_counts_the_period_from_the_closing_day(book: Book, settings: Any) -> None:
    records_of(book, "B1")
    close(book.cases["B1"], date(2027, 6, 2))
    assert lines(retention.plan(date(2029, 6, 1))) == {}  # 2 years not yet over
    due = lines(retention.plan(date(2029, 6, 2)))
    assert "recording" in due
    assert "document" not in due  # documents: 3 years
    assert "notice" not in due
    settings.QINGSHOU_RETENTION = {"recordings": 5}
    assert "recording" not in lines(retention.plan(date(2029, 6, 2)))


def test_agreements_are_kept_until_the_case_closes_settled(book: Book) -> None:
    """A cured case (a balance remains) keeps its promises and repayment-agreement documents."""
    records_of(book, "B1")
    close(book.cases["B1"], date(2026, 3, 31), reason="cured")
    due = lines(retention.plan(AS_OF))
    assert "promise" not in due
    assert due["document"] == 1  # the contract, not the agreement
    retention.apply(AS_OF)
    assert Promise.objects.count() == 1
    assert list(CaseDocument.objects.values_list("kind", flat=True)) == ["repayment_agreement"]


def test_retention_works_in_batches_with_one_audit_event_each(book: Book, settings: Any) -> None:
    for day in range(1, 6):
        attempt(book, "B1", date(2026, 2, day))
    close(book.cases["B1"], date(2026, 3, 31))
    settings.QINGSHOU_RETENTION = {"batch_size": 2}
    seen: list[tuple[str, int, int]] = []
    retention.apply(AS_OF, progress=lambda step, done, total: seen.append((step, done, total)))
    assert seen == [("contact_attempts/contact_attempt", n, 5) for n in (2, 4, 5)]
    events = AuditEvent.objects.filter(action="retention.purge").order_by("id")
    assert [event.detail["rows"] for event in events] == [2, 2, 1]
    assert [event.detail["batch"] for event in events] == [1, 2, 3]


def test_retention_refuses_bad_settings(settings: Any) -> None:
    settings.QINGSHOU_RETENTION = {"audit": 1}
    with pytest.raises(retention.RetentionError, match="unknown record type 'audit'"):
        retention.policy()
    settings.QINGSHOU_RETENTION = {"recordings": 0}
    with pytest.raises(retention.RetentionError, match="recordings"):
        retention.policy()


def test_the_retention_command_dry_run_and_apply_as_json(book: Book) -> None:
    records_of(book, "B1")
    close(book.cases["B1"], date(2026, 3, 31))
    runner = CliRunner()
    dry = runner.invoke(build(), ["records", "retention", "--as-of", "2029-06-01", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert (report["mode"], report["rows"], report["files"]) == ("dry_run", 10, 4)
    assert CaseDocument.objects.count() == 3
    applied = runner.invoke(build(), ["records", "retention", "--as-of", "2029-06-01", "--apply", "--json"])
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.output)["rows"] == 10
    assert not CaseDocument.objects.exists()
    again = runner.invoke(build(), ["records", "retention", "--as-of", "2029-06-01", "--apply"])
    assert again.exit_code == 0, again.output
    assert "purged" in again.output
