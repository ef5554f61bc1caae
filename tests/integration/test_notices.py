"""The notice channels end to end on the database (marker db): EOD staging into the outbox, the worker
(django-q2, burst) against an SMS gateway and an SMTP server on 127.0.0.1 and the letter PDF, retries with
backoff, the atomic claim, the signed gateway callback, postal receipts and the limitation interruption a
delivered demand records (C7, C8)."""

from __future__ import annotations

import email
import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from django.test import Client
from django.urls import path as url_path
from django.utils import timezone

from qingshou import clock, config
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.loans.models import Borrower, LimitationInterruption, Loan, Product
from qingshou.apps.loans.selectors import quote
from qingshou.apps.notices import views
from qingshou.apps.notices.models import NoticeTemplate, Outbox
from qingshou.apps.notices.services.delivery import SIGNATURE_HEADER, import_receipts, sign
from qingshou.apps.notices.services.outbox import enqueue_notice, outbox_frame_schema, stage_outbox
from qingshou.apps.notices.services.sending import (
    claim,
    fail_stalled,
    retry_delay,
    run_burst,
    send_notice,
    send_time_decision,
)
from qingshou.apps.notices.services.templates import load_default_templates, save_template
from qingshou.channels.templates import TemplateError
from qingshou.cli import build
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]

AS_OF = date(2026, 11, 27)
SECRET = "callback-secret"
BASE_SECONDS = 60
MAX_ATTEMPTS = 3
urlpatterns = [url_path("notices/sms/callback/", views.sms_callback)]


# --- loopback servers -------------------------------------------------------------------------------------
class Gateway(ThreadingHTTPServer):
    """The SMS gateway: scripted (status, body) replies in turn, then 200 with a fresh message id."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        self.server.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        status, text = (
            self.server.replies.pop(0)
            if self.server.replies
            else (200, json.dumps({"message_id": f"gw-{len(self.server.requests)}"}))
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(text.encode())))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    yield handler
    controller.stop()


@pytest.fixture
def channels(settings: Any, gateway: Gateway, inbox: Inbox, tmp_path: Path) -> dict[str, Any]:
    """Settings pointing at the loopback servers; the default templates loaded (a flush removes them)."""
    settings.QINGSHOU_NOTICES = {
        **settings.QINGSHOU_NOTICES,
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_API_KEY": "key-1",
        "SMS_CALLBACK_SECRET": SECRET,
        "RETRY_BASE_SECONDS": BASE_SECONDS,
        "MAX_ATTEMPTS": MAX_ATTEMPTS,
        "LETTER_DIR": str(tmp_path / "letters"),
        "INSTITUTION_NAME": "清收示范银行",
        "INSTITUTION_CONTACT": "400-000-0000",
    }
    settings.ROOT_URLCONF = __name__
    load_default_templates()
    add_people()
    return {"gateway": gateway, "inbox": inbox, "letters": tmp_path / "letters"}


def add_people() -> None:
    """The notices' borrowers and loans, and their contact parties: B1's only debtor number on file is
    invalid (the debtor is unreachable), so the third party may be asked to pass a message on (C8)."""
    product = Product.objects.create(product_id="P1", name="消费贷")
    for borrower_id, name, loan_id in (("B1", "张三", "L1"), ("B1", "张三", "L2")):
        borrower, _ = Borrower.objects.get_or_create(borrower_id=borrower_id, defaults={"name": name})
        Loan.objects.create(
            loan_id=loan_id, borrower=borrower, product=product, principal_fen=1_200_000,
            annual_rate=Decimal("0.12"), disbursed_on=date(2024, 1, 10), term_months=12,
            repayment_method="equal_installment",
        )  # fmt: skip
    ContactParty.objects.create(borrower_id="B1", kind="debtor", phone="+8613800000002", number_invalid=True)
    ContactParty.objects.create(borrower_id="B1", kind="third_party", name="王五", phone="+8613900000009")


# --- the EOD frame ----------------------------------------------------------------------------------------
def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    base = {
        "as_of": AS_OF,
        "borrower_id": "B1",
        "loan_id": "L1",
        "language": "zh-hans",
        "borrower_name": "张三",
        "overdue_principal_fen": 103333,
        "interest_fen": 1250,
        "penalty_fen": 301,
        "compound_interest_fen": 9,
        "total_due_fen": 104893,
        "days_overdue": 37,
        "not_before": None,
    }
    return pl.DataFrame([{**base, **row} for row in rows], schema=outbox_frame_schema())


DAY_PLAN = [
    {
        "action_key": "p1/sms/L1",
        "channel": "sms",
        "audience": "debtor",
        "recipient": "+8613800000001",
        "template_code": "demand",
    },
    {
        "action_key": "p1/email/L1",
        "channel": "email",
        "audience": "debtor",
        "recipient": "zhangsan@example.cn",
        "template_code": "demand",
    },
    {
        "action_key": "p1/letter/L1",
        "channel": "letter",
        "audience": "debtor",
        "recipient": "北京市朝阳区建国路1号",
        "template_code": "demand",
    },
    {
        "action_key": "p1/letter/L2",
        "channel": "letter",
        "audience": "debtor",
        "recipient": "上海市浦东新区世纪大道2号",
        "template_code": "demand",
        "loan_id": "L2",
        "borrower_name": "李四",
    },
    {
        "action_key": "p1/tp/L1",
        "channel": "sms",
        "audience": "third_party",
        "recipient": "+8613900000009",
        "template_code": "contact_request",
    },
]


def stage(rows: list[dict[str, Any]]) -> int:
    with Store(config.adbc_uri()) as store, store.transaction():
        return stage_outbox(store, frame(rows)).inserted


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


# --- staging ----------------------------------------------------------------------------------------------
def test_stage_outbox_writes_pending_rows_once_per_key(channels: dict[str, Any]) -> None:
    """A rerun of the day's EOD stages the same keys and inserts nothing; figures become decimal strings."""
    assert stage(DAY_PLAN) == 5
    assert stage(DAY_PLAN) == 0
    assert Outbox.objects.count() == 5
    row = Outbox.objects.get(key="2026-11-27|p1/sms/L1|sms|+8613800000001")
    assert (row.status, row.attempts, row.as_of, row.loan_id) == ("pending", 0, AS_OF, "L1")
    assert row.payload == {
        "borrower_name": "张三",
        "overdue_principal": "1033.33",
        "interest": "12.50",
        "penalty": "3.01",
        "compound_interest": "0.09",
        "total_due": "1048.93",
        "days_overdue": 37,
    }
    assert abs(row.next_attempt_at - timezone.now()) < timedelta(minutes=1)


def test_c8_a_third_party_row_carries_no_debt_figures(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN)
    row = Outbox.objects.get(audience="third_party")
    assert {name: value for name, value in row.payload.items() if value is not None} == {
        "borrower_name": "张三"
    }


def test_stage_outbox_joins_the_callers_transaction(channels: dict[str, Any]) -> None:
    """A failure later in the EOD transaction rolls the staged notices back with it."""

    def eod_transaction() -> None:
        with Store(config.adbc_uri()) as store, store.transaction():
            stage_outbox(store, frame(DAY_PLAN))
            raise RuntimeError("a later EOD step failed")

    with pytest.raises(RuntimeError, match="later EOD step"):
        eod_transaction()
    assert Outbox.objects.count() == 0


def test_stage_outbox_honours_not_before_and_refuses_a_bad_row(channels: dict[str, Any]) -> None:
    later = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
    stage([{**DAY_PLAN[0], "not_before": later}])
    assert Outbox.objects.get().next_attempt_at == later
    with pytest.raises(ValueError, match=r"p1/fax/L1.*invalid channel 'fax'"):
        stage([{**DAY_PLAN[0], "action_key": "p1/fax/L1", "channel": "fax"}])


# --- the worker -------------------------------------------------------------------------------------------
def test_burst_sends_sms_email_and_prints_letters(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN)
    result = run_burst()
    assert result.relayed == 5
    assert dict(result.statuses) == {"sent": 5}
    gateway, inbox = channels["gateway"], channels["inbox"]
    texts = sorted(request["text"] for request in gateway.requests)
    assert len(texts) == 2
    demand = next(text for text in texts if "已逾期" in text)
    for expected in (
        "张三",
        "1,033.33 元",
        "12.50 元",
        "3.01 元",
        "0.09 元",
        "37 天",
        "1,048.93 元",
        "400-000-0000",
    ):
        assert expected in demand
    contact = next(text for text in texts if "无法联系" in text)
    assert "元" not in contact
    assert "逾期" not in contact
    [mail] = inbox.messages
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "合计应还 1,048.93 元" in body.decode("utf-8")
    [pdf_file] = list(channels["letters"].rglob("*.pdf"))
    pdf = pdf_file.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 2
    assert b"/FontFile2" in pdf
    letters = Outbox.objects.filter(channel="letter").order_by("provider_message_id")
    assert [row.provider_message_id for row in letters] == [f"{pdf_file}#p1", f"{pdf_file}#p2"]
    sms = Outbox.objects.get(key__contains="p1/sms/L1")
    assert sms.provider_message_id.startswith("gw-")
    assert sms.template is not None
    assert sms.template.demand
    assert sms.content == next(r["text"] for r in gateway.requests if r["reference"] == sms.key)
    assert run_burst().relayed == 0  # nothing is sent twice


def test_the_cluster_relay_enqueues_one_task_per_row_and_one_per_letter_batch(
    channels: dict[str, Any],
) -> None:
    """``qingshou worker`` (cluster mode): the relay puts tasks into django-q2's ORM broker (this database);
    nothing is sent until a cluster worker runs them; the relay schedule is created once."""
    from django_q.models import OrmQ, Schedule
    from django_q.signing import SignedPackage

    from qingshou.apps.notices.services.sending import (
        LETTER_TASK,
        SEND_TASK,
        ensure_relay_schedule,
        relay_due,
    )

    stage(DAY_PLAN)
    assert relay_due() == 5
    tasks = [SignedPackage.loads(package.payload) for package in OrmQ.objects.all()]
    assert sorted(task["func"] for task in tasks) == sorted([SEND_TASK] * 3 + [LETTER_TASK])
    [letters] = [task for task in tasks if task["func"] == LETTER_TASK]
    assert len(letters["args"][0]) == 2
    assert set(Outbox.objects.values_list("status", flat=True)) == {"pending"}
    ensure_relay_schedule()
    ensure_relay_schedule()
    assert Schedule.objects.filter(name="qingshou-notice-relay", minutes=1).count() == 1


def test_a_transient_error_retries_with_exponential_backoff_then_fails(channels: dict[str, Any]) -> None:
    """500 → pending, attempts 1, retry after 60 s; then 120 s; the 3rd attempt (max) fails the row."""
    channels["gateway"].replies.extend([(500, "busy")] * 3)
    stage(DAY_PLAN[:1])
    delays = []
    for attempt in (1, 2, 3):
        before = timezone.now()
        run_burst()
        row = Outbox.objects.get()
        assert row.attempts == attempt
        assert "500" in row.last_error
        if attempt < MAX_ATTEMPTS:
            assert row.status == "pending"
            delays.append(row.next_attempt_at - before)
            assert run_burst().relayed == 0  # not due again yet
            Outbox.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert row.status == "failed"
    assert [round(d.total_seconds()) for d in delays] == [60, 120]
    assert retry_delay(3, BASE_SECONDS) == timedelta(seconds=240)


def test_a_transient_error_then_success_is_sent(channels: dict[str, Any]) -> None:
    channels["gateway"].replies.append((503, "down"))
    stage(DAY_PLAN[:1])
    run_burst()
    Outbox.objects.update(next_attempt_at=timezone.now())
    run_burst()
    row = Outbox.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_permanent_error_fails_at_once(channels: dict[str, Any]) -> None:
    channels["gateway"].replies.append((400, '{"error": "invalid number"}'))
    stage(DAY_PLAN[:1])
    run_burst()
    row = Outbox.objects.get()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "invalid number" in row.last_error


def test_a_row_is_claimed_by_one_worker_only(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN[:1])
    row = Outbox.objects.get()
    assert claim(row.pk) is not None
    assert claim(row.pk) is None
    assert send_notice(row.pk) == ""  # the second worker sends nothing
    assert channels["gateway"].requests == []
    assert Outbox.objects.get().attempts == 1


def test_a_row_a_dead_worker_left_in_sending_fails_as_outcome_unknown_after_the_lease(
    channels: dict[str, Any],
) -> None:
    """C8: a row claimed by a worker that died is never re-sent automatically (it may have reached the
    borrower); after the lease the next relay fails it with the reason, before then it is left alone."""
    stage(DAY_PLAN[:2])
    stalled, other = Outbox.objects.order_by("id")
    claimed_at = timezone.now()
    assert claim(stalled.pk, claimed_at) is not None
    assert fail_stalled(claimed_at + timedelta(seconds=899)) == 0
    assert Outbox.objects.get(pk=stalled.pk).status == "sending"
    assert fail_stalled(claimed_at + timedelta(seconds=901)) == 1
    row = Outbox.objects.get(pk=stalled.pk)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "outcome unknown" in row.last_error
    assert row.key in row.last_error
    run_burst()  # the other row (e-mail) is sent; the stalled SMS stays failed and reaches no gateway
    assert Outbox.objects.get(pk=other.pk).status == "sent"
    assert Outbox.objects.get(pk=stalled.pk).status == "failed"
    assert channels["gateway"].requests == []


def test_c8_a_template_of_the_wrong_audience_is_never_sent(channels: dict[str, Any]) -> None:
    """A third-party row naming a debtor template fails (render error) and nothing reaches the gateway."""
    stage([{**DAY_PLAN[4], "template_code": "demand"}])
    run_burst()
    row = Outbox.objects.get()
    assert row.status == "failed"
    assert "audience" in row.last_error
    assert channels["gateway"].requests == []


def test_enqueue_notice_refuses_debt_figures_for_a_third_party(channels: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="total_due"):
        enqueue_notice(
            as_of=AS_OF,
            action_key="manual/1",
            borrower_id="B1",
            channel="sms",
            audience="third_party",
            recipient="+8613900000009",
            template_code="contact_request",
            borrower_name="张三",
            figures={"total_due": "1048.93"},
        )
    row, created = enqueue_notice(
        as_of=AS_OF,
        action_key="manual/1",
        borrower_id="B1",
        channel="sms",
        audience="third_party",
        recipient="+8613900000009",
        template_code="contact_request",
        borrower_name="张三",
    )
    again, created_again = enqueue_notice(
        as_of=AS_OF,
        action_key="manual/1",
        borrower_id="B1",
        channel="sms",
        audience="third_party",
        recipient="+8613900000009",
        template_code="contact_request",
        borrower_name="张三",
    )
    assert (created, created_again, again.pk) == (True, False, row.pk)


def test_c8_saving_a_third_party_template_with_a_debt_field_is_refused(channels: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="days_overdue"):
        save_template(
            code="x",
            channel="sms",
            audience="third_party",
            language="zh-hans",
            subject="",
            body="{borrower_name} 已逾期 {days_overdue} 天",
        )
    first = save_template(
        code="demand",
        channel="sms",
        audience="debtor",
        language="zh-hans",
        subject="",
        body=NoticeTemplate.objects.get(code="demand", channel="sms", language="zh-hans").body + "！",
        demand=True,
    )
    assert first.version == 2
    assert load_default_templates() == 0  # the operator's version 2 stays the one in use
    assert NoticeTemplate.objects.filter(code="demand", channel="sms", language="zh-hans").count() == 2


# --- delivery status --------------------------------------------------------------------------------------
def post_callback(payload: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    return Client().post(
        "/notices/sms/callback/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body, secret)},
    )


def test_c7_signed_callback_delivers_a_demand_and_records_an_interruption(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN)
    run_burst()
    row = Outbox.objects.get(key__contains="p1/sms/L1")
    assert row.sent_at is not None
    too_early = f"{AS_OF - timedelta(days=1)}T12:00:00+08:00"
    early = {"message_id": row.provider_message_id, "status": "delivered", "at": too_early}
    assert post_callback(early).status_code == 400  # C7 evidence: not delivered before the notice's day
    at = (row.sent_at + timedelta(minutes=2)).astimezone(clock.ZONE).replace(microsecond=0)
    report = {"message_id": row.provider_message_id, "status": "delivered", "at": at.isoformat()}
    response = post_callback(report)
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.status == "delivered"
    assert row.delivered_at == at
    [interruption] = LimitationInterruption.objects.all()
    assert (interruption.loan_id, interruption.on, interruption.kind) == ("L1", at.date(), "demand_delivered")
    assert row.provider_message_id in interruption.evidence
    assert interruption.source == f"outbox:{row.key}"
    assert post_callback(report).status_code == 200  # repeated: no second interruption
    assert LimitationInterruption.objects.count() == 1


def test_c7_a_delivered_third_party_message_is_not_an_interruption(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN)
    run_burst()
    row = Outbox.objects.get(audience="third_party")
    assert post_callback({"message_id": row.provider_message_id, "status": "delivered"}).status_code == 200
    assert LimitationInterruption.objects.count() == 0


def test_callback_refuses_bad_signature_unknown_id_and_bad_body(channels: dict[str, Any]) -> None:
    stage(DAY_PLAN[:1])
    run_burst()
    row = Outbox.objects.get()
    good = {"message_id": row.provider_message_id, "status": "delivered"}
    assert post_callback(good, secret="wrong").status_code == 403
    unsigned = Client().post("/notices/sms/callback/", json.dumps(good), content_type="application/json")
    assert unsigned.status_code == 403
    assert post_callback({**good, "message_id": "gw-unknown"}).status_code == 404
    assert post_callback({"status": "delivered"}).status_code == 400
    assert post_callback({**good, "status": "read"}).status_code == 400
    assert Client().get("/notices/sms/callback/").status_code == 405
    assert Outbox.objects.get().status == "sent"
    undeliverable = post_callback({**good, "status": "undeliverable"})
    assert undeliverable.status_code == 200
    assert Outbox.objects.get().status == "undeliverable"


def write_receipts(folder: Path, rows: list[str]) -> Path:
    file = folder / "receipts.csv"
    file.write_text(
        "outbox_key,delivered_on,signer,evidence_ref,tracking_no\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return file


def test_c7_postal_receipts_deliver_letters_with_row_level_errors(
    channels: dict[str, Any], tmp_path: Path
) -> None:
    stage(DAY_PLAN)
    run_burst()
    letter = Outbox.objects.get(key__contains="p1/letter/L1")
    other = Outbox.objects.get(key__contains="p1/letter/L2").key
    today = clock.today()
    file = write_receipts(
        tmp_path,
        [
            f"{letter.key},{today},张三,EMS-RCPT-001,EA123456789CN",
            f"nope,{today},张三,R2,",
            f"{other},{today.isoformat().replace('-', '/')},李四,R3,",
            f"{other},{today},,R4,",
            f"{other},{today + timedelta(days=1)},李四,R5,",
        ],
    )
    result = import_receipts(file)
    assert (result.rows, result.applied, result.unchanged) == (5, 1, 0)
    assert [(e["row"], e["field"]) for e in result.errors] == [
        (3, "outbox_key"),
        (4, "delivered_on"),
        (5, "signer"),
        (6, "delivered_on"),
    ]
    letter.refresh_from_db()
    assert letter.status == "delivered"
    assert "EMS-RCPT-001" in letter.evidence
    assert "张三" in letter.evidence
    [interruption] = LimitationInterruption.objects.all()
    assert (interruption.loan_id, interruption.on, interruption.kind) == ("L1", today, "demand_delivered")
    assert "EA123456789CN" in interruption.evidence
    # the quote reads it: limitation (running since the last due date, 10 Jan 2025) restarts on delivery
    limitation = quote("L1", today).limitation
    assert limitation.last_interruption is not None
    assert (limitation.last_interruption.on, limitation.unadjusted_on) == (
        today,
        today.replace(year=today.year + 3),
    )
    assert quote("L1", today - timedelta(days=1)).limitation.last_interruption is None
    again = import_receipts(
        write_receipts(tmp_path, [f"{letter.key},{today},张三,EMS-RCPT-001,EA123456789CN"])
    )
    assert (again.applied, again.unchanged, again.errors) == (0, 1, [])


# --- the commands -----------------------------------------------------------------------------------------
def test_cli_worker_burst_list_render_and_receipts(channels: dict[str, Any], tmp_path: Path) -> None:
    stage(DAY_PLAN)
    burst = invoke("worker", "--burst", "--json")
    assert burst.exit_code == 0, burst.output
    assert json.loads(burst.output) == {"relayed": 5, "statuses": {"sent": 5}}
    listed = invoke("notices", "list", "--status", "sent", "--json")
    assert listed.exit_code == 0
    assert len(json.loads(listed.output)) == 5
    assert json.loads(invoke("notices", "list", "--status", "pending", "--json").output) == []
    sms = Outbox.objects.get(key__contains="p1/sms/L1")
    text_out, pdf_out = tmp_path / "sms.txt", tmp_path / "letter.pdf"
    assert invoke("notices", "render", "--key", sms.key, "--out", str(text_out)).exit_code == 0
    assert sms.content in text_out.read_text(encoding="utf-8")
    letter = Outbox.objects.get(key__contains="p1/letter/L1")
    assert invoke("notices", "render", "--key", letter.key, "--out", str(pdf_out)).exit_code == 0
    assert pdf_out.read_bytes().startswith(b"%PDF-")
    assert invoke("notices", "render", "--key", "missing", "--out", str(pdf_out)).exit_code == 4
    receipts = write_receipts(
        tmp_path, [f"{letter.key},{clock.today()},张三,R1,", f"bad,{clock.today()},x,R2,"]
    )
    imported = invoke("notices", "receipts", str(receipts), "--json")
    assert imported.exit_code == 3, imported.output
    assert json.loads(imported.output)["applied"] == 1


# --- the contact rules at the moment of sending (C8) ------------------------------------------------------
def test_c8_a_notice_the_worker_would_send_in_quiet_hours_waits_for_08_00(channels: dict[str, Any]) -> None:
    stage([DAY_PLAN[0]])
    row = Outbox.objects.get()
    late = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # 22:30 in Beijing
    decision = send_time_decision(row, late)
    assert (decision.outcome, decision.deferred_to) == ("defer", datetime(2026, 11, 28, 0, 0, tzinfo=UTC))
    assert send_time_decision(row, datetime(2026, 11, 28, 0, 0, tzinfo=UTC)).outcome == "allow"
    assert send_time_decision(row, datetime(2026, 11, 27, 13, 59, tzinfo=UTC)).outcome == "allow"  # 21:59


def test_c8_a_debtor_who_asked_to_stop_after_the_plan_gets_nothing(channels: dict[str, Any]) -> None:
    ContactParty.objects.create(borrower_id="B1", kind="debtor", phone="+8613800000001", stop_requested=True)
    stage([DAY_PLAN[0]])
    run_burst()
    row = Outbox.objects.get()
    assert row.status == "failed"
    assert "do_not_contact" in row.last_error
    assert channels["gateway"].requests == []
