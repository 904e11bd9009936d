"""SMS/WhatsApp gateway adapter.

The platform speaks the HTTP API of Fonnte-style Indonesian WhatsApp/SMS gateways:

    POST {SMS_GATEWAY_URL}
    Authorization: {SMS_GATEWAY_TOKEN}
    Content-Type: application/x-www-form-urlencoded
    target=628123456789&message=...&countryCode=62

answered with JSON: `{"status": true, "id": ["80367170"], "process": "pending", ...}` when the
message is queued, `{"status": false, "reason": "invalid token"}` when not. Any other answer,
a timeout or a connection error is a failure the caller may retry.
`kotacerdas/hotspots/tests/doubles.py` has a local server that speaks the same protocol.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""


def configured() -> bool:
    return bool(getattr(settings, "SMS_GATEWAY_URL", ""))


def send(*, phone: str, message: str) -> SendResult:
    """Hand one message to the gateway. Never raises for gateway trouble: the result says."""
    if not configured():
        return SendResult(False, error="gateway not configured")
    body = urllib.parse.urlencode(
        {"target": phone, "message": message[:1000], "countryCode": "62"}
    ).encode()
    if not settings.SMS_GATEWAY_URL.startswith(("http://", "https://")):
        return SendResult(False, error="SMS_GATEWAY_URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        settings.SMS_GATEWAY_URL,
        data=body,
        method="POST",
        headers={
            "Authorization": settings.SMS_GATEWAY_TOKEN,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        return SendResult(False, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return SendResult(False, error=str(exc)[:200])
    try:
        answer = json.loads(raw)
    except ValueError:
        return SendResult(False, error="not JSON: " + raw[:100].decode("utf-8", "replace"))
    if not isinstance(answer, dict) or answer.get("status") is not True:
        reason = answer.get("reason", "refused") if isinstance(answer, dict) else "refused"
        return SendResult(False, error=str(reason)[:200])
    ids = answer.get("id") or []
    provider_id = str(ids[0]) if isinstance(ids, list) and ids else str(ids or "")
    return SendResult(True, provider_id=provider_id[:100])
