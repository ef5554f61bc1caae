"""The warning app against the store (issue 8): loading external events (every reject reason with its row
and field, encodings and XLSX, idempotency by external id), the watch list page and its scope (who gets 404),
marking an entry reviewed (CSRF, audit event ``warning.review``) and ``qingshou watch list``."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from django.test import Client
from openpyxl import Workbook

from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.warning.models import ExternalEvent, WatchEntry
from qingshou.apps.warning.services.events import load_events
from qingshou.cli import build
from qingshou.ingest.errors import ExtractError
from workbench_book import DAY, Book, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]
HEADER = ["external_id", "borrower_id", "kind", "occurred_on", "source", "detail"]


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    return scoped_book()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


GOOD = [
    ["E1", "B1", "court_record", "2026-03-01", "法院公告网", "民间借贷纠纷"],
    ["E2", "B2", "失信被执行人", "2026-02-20", "执行信息公开网", ""],
]


def test_events_load_keeps_good_rows_and_is_idempotent(book: Book, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", GOOD)
    first = load_events(path)
    assert (first.rows, first.inserted, first.already, first.rejected, first.exit_code) == (2, 2, 0, 0, 0)
    assert sorted(ExternalEvent.objects.values_list("external_id", "borrower_id", "kind")) == [
        ("E1", "B1", "court_record"),
        ("E2", "B2", "enforcement_list"),
    ]
    again = load_events(path)
    assert (again.inserted, again.already) == (0, 2)
    assert ExternalEvent.objects.count() == 2
    assert AuditEvent.objects.filter(action="warning.events_load").count() == 2
    assert not (tmp_path / "rejects").exists()


def test_every_bad_row_is_rejected_with_row_field_and_reason(book: Book, tmp_path: Path) -> None:
    rows = [
        ["E1", "B1", "court_record", "2026-03-01", "", ""],
        ["", "B1", "court_record", "2026-03-01", "", ""],
        ["E3", "NOBODY", "court_record", "2026-03-01", "", ""],
        ["E4", "B1", "lawsuit", "2026-03-01", "", ""],
        ["E5", "B1", "court_record", "2026-02-30", "", ""],
        ["E6", "B1", "court_record", (DAY + timedelta(days=1)).isoformat(), "", ""],
        ["E1", "B2", "court_record", "2026-03-01", "", ""],
        ["E8", "B2", "other", "2026-03-01", "", "x" * 1001],
    ]
    result = load_events(write_csv(tmp_path / "events.csv", rows))
    assert (result.inserted, result.rejected, result.exit_code) == (1, 7, 3)
    rejects = pl.read_csv(tmp_path / "rejects" / "external_events.csv", infer_schema=False)
    assert rejects.select("row", "field", "reason").rows() == [
        ("2", "external_id", "required"),
        ("3", "borrower_id", "unknown_borrower"),
        ("4", "kind", "invalid_choice"),
        ("5", "occurred_on", "invalid_date"),
        ("6", "occurred_on", "future_date"),
        ("7", "external_id", "duplicate"),
        ("8", "detail", "too_long"),
    ]
    assert list(ExternalEvent.objects.values_list("external_id", flat=True)) == ["E1"]
    fixed = load_events(write_csv(tmp_path / "events.csv", GOOD))  # a clean file removes the old rejects
    assert fixed.rejected == 0
    assert not (tmp_path / "rejects").exists()


def test_gbk_csv_and_xlsx_are_read(book: Book, tmp_path: Path) -> None:
    gbk = load_events(write_csv(tmp_path / "gbk.csv", [GOOD[1]], encoding="gbk"))
    assert (gbk.inserted, gbk.rejected) == (1, 0)
    xlsx = tmp_path / "events.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([*GOOD[0][:3], date(2026, 3, 1), *GOOD[0][4:]])  # a real date cell
    workbook.save(xlsx)
    assert load_events(xlsx).inserted == 1
    assert ExternalEvent.objects.get(external_id="E2").source == "执行信息公开网"


def test_an_unusable_file_is_refused_before_anything_is_written(book: Book, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("external_id,borrower_id\nE1,B1\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="required column"):
        load_events(path)
    result = CliRunner().invoke(build(), ["watch", "events", "load", str(path)])
    assert result.exit_code == 2
    assert not ExternalEvent.objects.exists()


def test_cli_load_exits_3_with_rejects(book: Book, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", [GOOD[0], ["E9", "NOBODY", "other", "2026-03-01", "", ""]])
    result = CliRunner().invoke(build(), ["watch", "events", "load", str(path), "--json"])
    assert result.exit_code == 3, result.output
    assert json.loads(result.output)["rejects"][0]["reason"] == "unknown_borrower"


# ---------------------------------------------------------------------------------------- the page


def entries() -> dict[str, WatchEntry]:
    found = {}
    for borrower, triggers in (("B1", "court_record;missed_auto_debit"), ("B3", "broken_promise")):
        found[borrower] = WatchEntry.objects.create(
            borrower_id=borrower,
            lead_loan_id=f"L{borrower[1:]}",
            opened_on=DAY - timedelta(days=5),
            last_seen_on=DAY,
            updated_on=DAY,
            triggers=triggers,
            rule_points=70,
        )
    return found


#: Who sees the watch entries of B1 (team 一组, sup1) and B3 (team 二组, sup2); everyone else gets 404.
SCOPE = [
    ("admin", ["B1", "B3"]),
    ("risk_manager", ["B1", "B3"]),
    ("sup1", ["B1"]),
    ("sup2", ["B3"]),
    ("c1", None),
    ("c3", None),
    ("ag1", None),
    ("field_agent", None),
    ("auditor", None),
    ("strategy_owner", None),
    ("legal_officer", None),
]


@pytest.mark.parametrize(("username", "sees"), SCOPE)
def test_the_watch_list_page_is_scoped(
    book: Book, client_for: Any, username: str, sees: list[str] | None
) -> None:
    made = entries()
    client = client_for(book.users[username])
    page = client.get("/warning/")
    posted = client.post(f"/warning/{made['B1'].pk}/review/", {"note": "已核实"})
    if sees is None:
        assert page.status_code == 404
        assert posted.status_code == 404
        return
    assert page.status_code == 200
    text = page.content.decode()
    shown = [borrower for borrower in ("B1", "B3") if f'data-entry="{made[borrower].pk}"' in text]
    assert shown == sees
    assert posted.status_code == (302 if "B1" in sees else 404)


def test_the_page_is_chinese_with_labels_and_masked_names(book: Book, client_for: Any) -> None:
    entries()
    text = client_for(book.users["risk_manager"]).get("/warning/").content.decode()
    assert "预警名单" in text
    assert "涉诉" in text
    assert "自动扣款失败" in text
    assert "张1" not in text
    assert "张*" in text
    english = client_for(book.users["risk_manager"])
    english.cookies.load({"django_language": "en"})
    assert "court record" in english.get("/warning/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_marking_reviewed_records_the_note_and_an_audit_event(book: Book) -> None:
    made = entries()
    client = Client(enforce_csrf_checks=True)
    client.force_login(book.users["sup1"])
    assert (
        client.post(f"/warning/{made['B1'].pk}/review/", {"note": "已电话核实"}).status_code == 403
    )  # no CSRF
    client.get("/warning/")
    token = client.cookies["csrftoken"].value
    posted = client.post(
        f"/warning/{made['B1'].pk}/review/", {"note": "已电话核实", "csrfmiddlewaretoken": token}
    )
    assert posted.status_code == 302
    made["B1"].refresh_from_db()
    assert (made["B1"].reviewed_by, made["B1"].review_note) == (book.users["sup1"], "已电话核实")
    event = AuditEvent.objects.get(action="warning.review")
    assert (event.target_id, event.reason, event.actor) == (
        str(made["B1"].pk),
        "已电话核实",
        book.users["sup1"],
    )
    client.post(f"/warning/{made['B1'].pk}/review/", {"note": "  ", "csrfmiddlewaretoken": token})
    assert AuditEvent.objects.filter(action="warning.review").count() == 1  # an empty note is refused


def test_closed_entries_filter_and_cli_list(book: Book, client_for: Any) -> None:
    made = entries()
    WatchEntry.objects.filter(pk=made["B3"].pk).update(status="closed", closed_on=DAY, close_reason="cured")
    closed = client_for(book.users["admin"]).get("/warning/?status=closed").content.decode()
    assert f'data-entry="{made["B3"].pk}"' in closed
    assert f'data-entry="{made["B1"].pk}"' not in closed
    result = CliRunner().invoke(build(), ["watch", "list", "--status", "all", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["total"] == 2
    first = next(item for item in listed["entries"] if item["borrower_id"] == "B1")
    assert first["triggers"] == ["court_record", "missed_auto_debit"]
    assert first["days_on_list"] == 5
    assert "张" not in result.output  # borrower ids only
    table = CliRunner().invoke(build(), ["watch", "list"])
    assert table.exit_code == 0
    assert "涉诉" in table.output


def test_events_dates_are_kept(book: Book, tmp_path: Path) -> None:
    load_events(write_csv(tmp_path / "events.csv", GOOD[:1]))
    assert ExternalEvent.objects.get().occurred_on == date(2026, 3, 1)
