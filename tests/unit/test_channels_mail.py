"""The e-mail adapter through Django's SMTP backend against aiosmtpd on 127.0.0.1: the message received
(subject, UTF-8 Chinese body, Message-ID) and how SMTP answers map to retries."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from qingshou.channels.errors import PermanentDeliveryError, TransientDeliveryError
from qingshou.channels.mail import send_email


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping each message; ``reply`` overrides the answer to DATA."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reply = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return self.reply


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def test_email_arrives_with_subject_and_utf8_chinese_body(smtp: Inbox) -> None:
    message_id = send_email(
        "zhangsan@example.cn",
        "贷款逾期通知 — 张三",
        "张三先生/女士：\n合计应还 1,048.93 元。",
        "bank@example.cn",
    )
    [received] = smtp.messages
    subject = str(email.header.make_header(email.header.decode_header(received["Subject"])))
    assert subject == "贷款逾期通知 — 张三"
    assert received["To"] == "zhangsan@example.cn"
    assert received["Message-ID"] == message_id
    assert received.get_content_charset() == "utf-8"
    body = received.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert (
        body.decode("utf-8").replace("\r\n", "\n").rstrip("\n") == "张三先生/女士：\n合计应还 1,048.93 元。"
    )


def test_an_invalid_address_is_permanent_and_nothing_is_sent(smtp: Inbox) -> None:
    with pytest.raises(PermanentDeliveryError, match="not an e-mail address"):
        send_email("zhangsan-at-example", "s", "b", "bank@example.cn")
    assert smtp.messages == []


def test_an_smtp_5xx_reply_is_permanent(smtp: Inbox) -> None:
    smtp.reply = "554 rejected"
    with pytest.raises(PermanentDeliveryError, match="554"):
        send_email("zhangsan@example.cn", "s", "b", "bank@example.cn")


def test_an_smtp_4xx_reply_is_transient(smtp: Inbox) -> None:
    smtp.reply = "451 try again later"
    with pytest.raises(TransientDeliveryError, match="451"):
        send_email("zhangsan@example.cn", "s", "b", "bank@example.cn")


def test_a_refused_connection_is_transient(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        send_email("zhangsan@example.cn", "s", "b", "bank@example.cn")
