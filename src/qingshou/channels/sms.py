"""SMS through a configurable HTTP gateway (JSON over HTTPS with an API key), with ``httpx``.

The gateway contract (docs/channels.md): ``POST <url>`` with the header ``Authorization: Bearer <api key>``
(left out when no key is configured)
and the JSON body ``{"to": "+86…", "text": "…", "reference": "<outbox key>"}``; a 2xx answer carries
``{"message_id": "…"}``, the id the gateway's delivery callback names later. A 5xx answer, a timeout or a
connection failure is transient; a 4xx answer (invalid number, bad request, bad key) is permanent; a 2xx
answer without a message id is a permanent error too (the notice could never be tracked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from qingshou.channels.errors import PermanentDeliveryError, TransientDeliveryError


@dataclass(frozen=True, slots=True)
class SmsGateway:
    """One SMS gateway endpoint: its URL, API key and request timeout in seconds."""

    url: str
    api_key: str
    timeout: float = 10.0

    def send(self, to: str, text: str, reference: str) -> str:
        """Hand one message to the gateway; return the gateway's message id."""
        if not self.url:
            raise PermanentDeliveryError("no SMS gateway URL is configured (QINGSHOU_SMS_GATEWAY_URL)")
        body = {"to": to, "text": text, "reference": reference}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException as error:
            raise TransientDeliveryError(f"SMS gateway timed out: {error}") from error
        except httpx.TransportError as error:
            raise TransientDeliveryError(f"SMS gateway unreachable: {error}") from error
        return _message_id(response)


def _message_id(response: httpx.Response) -> str:
    """The message id of a 2xx answer; a transient or permanent error otherwise."""
    detail = response.text[:200]
    if response.status_code >= 500:
        raise TransientDeliveryError(f"SMS gateway answered {response.status_code}: {detail}")
    if response.status_code >= 400:
        raise PermanentDeliveryError(f"SMS gateway refused the message ({response.status_code}): {detail}")
    try:
        payload: Any = response.json()
    except ValueError as error:
        raise PermanentDeliveryError(f"SMS gateway answer is not JSON: {detail}") from error
    message_id = payload.get("message_id") if isinstance(payload, dict) else None
    if not isinstance(message_id, str) or not message_id:
        raise PermanentDeliveryError(f"SMS gateway answer has no message_id: {detail}")
    return message_id
