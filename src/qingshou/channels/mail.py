"""E-mail through Django's mail API (the SMTP backend in production; settings ``EMAIL_HOST`` …).

``send_email`` sends one UTF-8 plain-text message and returns its ``Message-ID``. SMTP answers map to the
outbox's retry rules: a 4xx reply, a refused, dropped or timed-out connection are transient; a 5xx reply,
a recipient the server refuses and an address that is not an e-mail address are permanent.
"""

from __future__ import annotations

import smtplib

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.core.validators import validate_email

from qingshou.channels.errors import PermanentDeliveryError, TransientDeliveryError


def _check_address(address: str) -> None:
    try:
        validate_email(address)
    except ValidationError as error:
        raise PermanentDeliveryError(f"not an e-mail address: {address!r}") from error


def send_email(to: str, subject: str, body: str, sender: str, *, timeout: float = 10.0) -> str:
    """Send one message through the configured backend; return its Message-ID."""
    _check_address(to)
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "qingshou.invalid")
    message = EmailMessage(subject, body, sender, [to], headers={"Message-ID": message_id})
    message.encoding = "utf-8"
    try:
        with get_connection(fail_silently=False, timeout=timeout) as connection:
            sent = connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentDeliveryError(f"SMTP server refused the recipient {to}: {error}") from error
    except smtplib.SMTPResponseException as error:
        kind = PermanentDeliveryError if error.smtp_code >= 500 else TransientDeliveryError
        raise kind(f"SMTP server answered {error.smtp_code}: {error.smtp_error!r}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientDeliveryError(f"SMTP server unreachable: {error}") from error
    if sent != 1:
        raise TransientDeliveryError("the mail backend did not send the message")
    return message_id
