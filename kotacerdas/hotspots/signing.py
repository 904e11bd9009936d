"""Sensor message signatures (HMAC-SHA256 with the sensor's own secret).

A message is a JSON object:

    {"sensor": "pasar-mentaya-01", "type": "alarm", "ts": 1763870000,
     "nonce": "5f2c9a1e77d04b1c", "value": 61.5, "sig": "<hex>"}

`type` is `alarm` or `heartbeat`; `ts` is Unix seconds (UTC); `nonce` is 8-64 characters
[A-Za-z0-9_-], new for every message; `value` (optional) is the reading (°C or smoke %). The
signature is the hex HMAC-SHA256, keyed with the secret, of the string

    v1|{sensor}|{type}|{ts}|{nonce}|{value}

where `value` is the number in its shortest JSON form (61.5, not 61.50; empty when absent). A microcontroller builds it with one
snprintf. Messages older or newer than `SENSOR_REPLAY_WINDOW_SECONDS` are refused, and a nonce
is accepted once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
TYPES = ("alarm", "heartbeat")


class BadMessage(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Message:
    sensor: str
    type: str
    ts: int
    nonce: str
    value: float | None
    value_text: str
    sig: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def canonical(sensor: str, type_: str, ts: int, nonce: str, value_text: str) -> bytes:
    return f"v1|{sensor}|{type_}|{ts}|{nonce}|{value_text}".encode()


def sign(secret: str, sensor: str, type_: str, ts: int, nonce: str, value: Any = None) -> str:
    value_text = "" if value is None else _value_text(value)
    return hmac.new(
        secret.encode(), canonical(sensor, type_, ts, nonce, value_text), hashlib.sha256
    ).hexdigest()


def _value_text(value: Any) -> str:
    return json.dumps(value)


def signed_message(
    secret: str, sensor: str, type_: str, ts: int, nonce: str, value: Any = None
) -> bytes:
    """A complete message body (for devices' reference, the demo and the tests)."""
    body: dict[str, Any] = {"sensor": sensor, "type": type_, "ts": ts, "nonce": nonce}
    if value is not None:
        body["value"] = value
    body["sig"] = sign(secret, sensor, type_, ts, nonce, value)
    return json.dumps(body).encode()


def parse(raw: bytes) -> Message:
    """Shape checks only (no secret involved). Raises BadMessage with a stable code."""
    if len(raw) > 4096:
        raise BadMessage("sensor.message.too_large")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("sensor.message.not_json") from None
    if not isinstance(data, dict):
        raise BadMessage("sensor.message.not_json", "not an object")
    sensor, type_, ts, nonce, sig = (
        data.get("sensor"),
        data.get("type"),
        data.get("ts"),
        data.get("nonce"),
        data.get("sig"),
    )
    if not isinstance(sensor, str) or not sensor:
        raise BadMessage("sensor.message.invalid", "sensor")
    if not isinstance(sig, str) or not sig:
        raise BadMessage("sensor.credentials.missing")
    if type_ not in TYPES:
        raise BadMessage("sensor.message.invalid", "type")
    if isinstance(ts, bool) or not isinstance(ts, int):
        raise BadMessage("sensor.message.invalid", "ts")
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise BadMessage("sensor.message.invalid", "nonce")
    value = data.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise BadMessage("sensor.message.invalid", "value")
    return Message(
        sensor=sensor[:80],
        type=type_,
        ts=ts,
        nonce=nonce,
        value=float(value) if value is not None else None,
        value_text="" if value is None else _value_text(value),
        sig=sig,
    )


def claimed_sensor(raw: bytes) -> str:
    """The sensor a refused message names (for the log), or "" when it names none."""
    if len(raw) > 4096:
        return ""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ""
    sensor = data.get("sensor") if isinstance(data, dict) else None
    return sensor[:80] if isinstance(sensor, str) else ""


def verify(secret: str, message: Message) -> bool:
    expected = hmac.new(
        secret.encode(),
        canonical(message.sensor, message.type, message.ts, message.nonce, message.value_text),
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(expected, message.sig.lower())
