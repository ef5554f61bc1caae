"""The notice channels' settings (``settings.QINGSHOU_NOTICES``), read when a use case runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """Channel settings; see the commented block in ``qingshou.settings`` and docs/channels.md."""

    sms_gateway_url: str
    sms_api_key: str
    sms_callback_secret: str
    sms_timeout: float
    smtp_timeout: float
    retry_base_seconds: int
    max_attempts: int
    sending_lease_seconds: int
    letter_dir: Path
    institution_name: str
    institution_contact: str
    how_to_pay: str
    how_to_object: str
    sender: str


def notice_settings() -> NoticeSettings:
    """The current settings (tests override ``QINGSHOU_NOTICES``)."""
    values: dict[str, Any] = getattr(settings, "QINGSHOU_NOTICES", {})
    return NoticeSettings(
        sms_gateway_url=str(values.get("SMS_GATEWAY_URL", "")),
        sms_api_key=str(values.get("SMS_API_KEY", "")),
        sms_callback_secret=str(values.get("SMS_CALLBACK_SECRET", "")),
        sms_timeout=float(values.get("SMS_TIMEOUT_SECONDS", 10.0)),
        smtp_timeout=float(values.get("SMTP_TIMEOUT_SECONDS", 10.0)),
        retry_base_seconds=int(values.get("RETRY_BASE_SECONDS", 60)),
        max_attempts=int(values.get("MAX_ATTEMPTS", 5)),
        sending_lease_seconds=int(values.get("SENDING_LEASE_SECONDS", 900)),
        letter_dir=Path(values.get("LETTER_DIR", "var/letters")),
        institution_name=str(values.get("INSTITUTION_NAME", "")),
        institution_contact=str(values.get("INSTITUTION_CONTACT", "")),
        how_to_pay=str(values.get("HOW_TO_PAY", "")),
        how_to_object=str(values.get("HOW_TO_OBJECT", "")),
        sender=str(settings.DEFAULT_FROM_EMAIL),
    )
