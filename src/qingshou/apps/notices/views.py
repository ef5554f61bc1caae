"""The SMS gateway's delivery callback: ``POST`` a JSON report signed with HMAC-SHA256.

CSRF protection is off for this view only, because the request is authenticated by its signature
(``X-Qingshou-Signature: sha256=<hex>`` over the raw body with the shared secret): a bad or missing
signature → 403, an unknown message id → 404, a body that is not a delivery report → 400.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qingshou.apps.loans.errors import NotFound
from qingshou.apps.notices.services.delivery import (
    SIGNATURE_HEADER,
    BadSignature,
    DeliveryReportError,
    apply_sms_callback,
)
from qingshou.domain.errors import DomainError

#: Errors → HTTP status (the one place for this view).
STATUS_OF: dict[type[DomainError], int] = {BadSignature: 403, NotFound: 404, DeliveryReportError: 400}


@csrf_exempt  # authenticated by the HMAC signature over the body instead
@require_POST
def sms_callback(request: HttpRequest) -> JsonResponse:
    """Apply one delivery report from the SMS gateway."""
    try:
        row = apply_sms_callback(request.body, request.headers.get(SIGNATURE_HEADER))
    except DomainError as error:
        status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
        return JsonResponse({"error": error.code, "message": error.message}, status=status)
    return JsonResponse({"key": row.key, "status": row.status})
