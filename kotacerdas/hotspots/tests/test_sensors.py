"""Building sensors: signed alarms open a fire incident on the 119 desk, heartbeats keep a
sensor online, every bad message is refused with its code and logged, offline detection tells
the owner once, re-keying retires the old secret; and the same over the real MQTT broker."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from kotacerdas.accounts.models import Role
from kotacerdas.core.errors import NotFound, PermissionDenied
from kotacerdas.core.models import Notification
from kotacerdas.emergency.models import Incident, IncidentKind, Priority, Source
from kotacerdas.hotspots import services, signing
from kotacerdas.hotspots.models import (
    AlertKind,
    FireAlert,
    MessageChannel,
    MessageOutcome,
    Sensor,
    SensorMessage,
)
from kotacerdas.hotspots.tests.conftest import SAMPIT, SAMPIT_DESA, message, verified, wait_for

pytestmark = pytest.mark.django_db

HTTP = MessageChannel.HTTP


def receive(raw: bytes, *, topic_code: str | None = None, now: Any = None) -> services.Received:
    return services.sensor_message_receive(channel=HTTP, raw=raw, topic_code=topic_code, now=now)


def last_log() -> SensorMessage:
    return SensorMessage.objects.order_by("-pk").first()


@pytest.fixture
def sensor(make_sensor: Callable[..., Any]) -> tuple[Sensor, str]:
    return make_sensor()


# --- Alarms and heartbeats ------------------------------------------------------------------------
def test_an_alarm_opens_an_emergency_fire_incident(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    result = receive(message(secret, s.code, "alarm", value=61.5))
    assert result.accepted
    assert result.created
    incident = Incident.objects.get(ref=result.incident_ref)
    assert incident.kind == IncidentKind.FIRE
    assert incident.source == Source.SENSOR
    assert incident.priority == Priority.RED
    assert incident.sensor_code == s.code
    assert incident.desa_code == SAMPIT_DESA == s.desa_code
    assert (incident.lat, incident.lng) == SAMPIT
    assert incident.caller_name == "Pasar Uji"
    s.refresh_from_db()
    assert s.online
    assert s.last_alarm_at is not None
    log = last_log()
    assert (log.outcome, log.message_type, log.incident_ref, log.sensor) == (
        MessageOutcome.ACCEPTED,
        "alarm",
        incident.ref,
        s,
    )
    assert log.detail == "value=61.5"


def test_a_repeat_alarm_while_open_is_the_same_incident(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    first = receive(message(secret, s.code, "alarm"))
    second = receive(message(secret, s.code, "alarm", value=70))
    assert second.accepted
    assert not second.created
    assert second.incident_ref == first.incident_ref
    assert Incident.objects.filter(sensor_code=s.code).count() == 1
    assert SensorMessage.objects.filter(outcome=MessageOutcome.ACCEPTED).count() == 2


def test_a_heartbeat_marks_the_sensor_online(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    assert not s.online
    now = timezone.now()
    result = receive(message(secret, s.code, "heartbeat", ts=int(now.timestamp())), now=now)
    assert result.accepted
    assert result.incident_ref == ""
    s.refresh_from_db()
    assert s.online
    assert s.last_seen_at == now
    assert s.last_alarm_at is None
    assert Incident.objects.count() == 0


# --- Bad messages ---------------------------------------------------------------------------------
def assert_refused(result: services.Received, code: str, claimed: str = "") -> SensorMessage:
    assert not result.accepted
    assert result.code == code
    assert result.message
    assert result.incident_ref == ""
    log = last_log()
    assert log.outcome == MessageOutcome.REFUSED
    assert log.reason == code
    if claimed:
        assert log.claimed_code == claimed
    assert Incident.objects.count() == 0
    return log


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"", b"\xff\xfe", b"[1, 2]", b'"alarm"', b"{"],
    ids=["text", "empty", "binary", "list", "string", "truncated"],
)
def test_not_json_is_refused(raw: bytes, sensor: tuple[Sensor, str]) -> None:
    assert_refused(receive(raw), "sensor.message.not_json")


def test_an_unknown_sensor_is_refused() -> None:
    raw = message(signing.new_secret(), "tidak-dikenal-01", "alarm")
    log = assert_refused(receive(raw), "sensor.unknown", "tidak-dikenal-01")
    assert log.sensor is None
    assert log.message_type == "alarm"


def test_a_revoked_sensor_is_refused(sensor: tuple[Sensor, str], fires_admin: Any) -> None:
    s, secret = sensor
    services.sensor_revoke(actor=fires_admin, code=s.code)
    log = assert_refused(receive(message(secret, s.code, "alarm")), "sensor.revoked", s.code)
    assert log.sensor == s


def test_a_bad_signature_is_refused(sensor: tuple[Sensor, str]) -> None:
    s, _secret = sensor
    assert_refused(receive(message("another-secret", s.code, "alarm")), "sensor.signature.bad")
    # A valid signature over other content (value changed in transit).
    body = json.loads(message(_secret, s.code, "alarm", value=20))
    body["value"] = 90
    assert_refused(receive(json.dumps(body).encode()), "sensor.signature.bad")
    # A signature for a heartbeat on an alarm.
    body = json.loads(message(_secret, s.code, "heartbeat"))
    body["type"] = "alarm"
    assert_refused(receive(json.dumps(body).encode()), "sensor.signature.bad")


def test_a_replayed_nonce_is_refused(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    raw = message(secret, s.code, "heartbeat")
    assert receive(raw).accepted
    assert_refused(receive(raw), "sensor.replay", s.code)
    # Even with a fresh time, the same nonce is a replay.
    again = message(secret, s.code, "alarm", nonce=json.loads(raw)["nonce"])
    assert_refused(receive(again), "sensor.replay")


@pytest.mark.parametrize("offset", [-301, 301, -86400, 10**9])
def test_a_stale_or_future_timestamp_is_refused(offset: int, sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    now = timezone.now()
    raw = message(secret, s.code, "alarm", ts=int(now.timestamp()) + offset)
    assert_refused(receive(raw, now=now), "sensor.timestamp.stale", s.code)


def test_a_timestamp_inside_the_window_is_accepted(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    now = timezone.now()
    assert receive(message(secret, s.code, "heartbeat", ts=int(now.timestamp()) - 290), now=now)
    assert receive(message(secret, s.code, "heartbeat", ts=int(now.timestamp()) + 290), now=now)


def test_a_topic_naming_another_sensor_is_refused(
    make_sensor: Callable[..., Any],
) -> None:
    a, secret_a = make_sensor("pasar-a")
    b, _secret_b = make_sensor("pasar-b")
    raw = message(secret_a, a.code, "alarm")
    log = assert_refused(receive(raw, topic_code=b.code), "sensor.topic_mismatch")
    assert log.claimed_code == a.code


def test_no_signature_is_refused(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    body = json.loads(message(secret, s.code, "alarm"))
    del body["sig"]
    log = assert_refused(receive(json.dumps(body).encode()), "sensor.credentials.missing")
    assert log.claimed_code == s.code
    body["sig"] = ""
    assert_refused(receive(json.dumps(body).encode()), "sensor.credentials.missing")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"type": "fire"}, "type"),
        ({"ts": "now"}, "ts"),
        ({"ts": True}, "ts"),
        ({"nonce": "short"}, "nonce"),
        ({"nonce": "has space in it"}, "nonce"),
        ({"value": "hot"}, "value"),
        ({"sensor": ""}, "sensor"),
        ({"sensor": 12}, "sensor"),
    ],
)
def test_a_malformed_message_is_refused(
    change: dict[str, Any], detail: str, sensor: tuple[Sensor, str]
) -> None:
    s, secret = sensor
    body = json.loads(message(secret, s.code, "alarm"))
    body.update(change)
    log = assert_refused(receive(json.dumps(body).encode()), "sensor.message.invalid")
    assert log.detail == detail


def test_a_huge_message_is_refused(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    body = json.loads(message(secret, s.code, "alarm"))
    body["padding"] = "x" * 5000
    assert_refused(receive(json.dumps(body).encode()), "sensor.message.too_large")


def test_every_refusal_status_is_known() -> None:
    """The webhook maps each refusal code to an HTTP status; none may be missing."""
    for code in (
        "sensor.message.not_json",
        "sensor.unknown",
        "sensor.revoked",
        "sensor.signature.bad",
        "sensor.replay",
        "sensor.timestamp.stale",
        "sensor.topic_mismatch",
        "sensor.credentials.missing",
        "sensor.message.invalid",
        "sensor.message.too_large",
    ):
        assert services.REFUSAL_STATUS[code] >= 400


# --- Offline detection ----------------------------------------------------------------------------
@pytest.fixture
def owned_sensor(
    make_sensor: Callable[..., Any],
    agencies: dict[str, Any],
    make_staff: Callable[..., Any],
) -> tuple[Sensor, str, Any, Any]:
    owner = verified(make_staff(Role.PETUGAS_OPD, agency=agencies["damkar"]))
    head = verified(make_staff(Role.KEPALA_OPD, agency=agencies["damkar"]))
    s, secret = make_sensor("pasar-mentaya-01", owner=owner, agency_id=agencies["damkar"].pk)
    return s, secret, owner, head


def test_offline_detection_tells_the_owner_once_and_a_heartbeat_brings_it_back(
    owned_sensor: tuple[Sensor, str, Any, Any],
) -> None:
    s, secret, owner, head = owned_sensor
    t0 = timezone.now()
    assert receive(message(secret, s.code, "heartbeat", ts=int(t0.timestamp())), now=t0)
    # Within three heartbeats (3 x 300 s): still online.
    assert services.sensors_check_offline(now=t0 + dt.timedelta(seconds=899)) == 0
    s.refresh_from_db()
    assert s.online
    # Past it: offline, owner and the agency's head told (in-app and e-mail).
    t1 = t0 + dt.timedelta(seconds=901)
    assert services.sensors_check_offline(now=t1) == 1
    s.refresh_from_db()
    assert not s.online
    assert s.offline_since == t1
    alerts = FireAlert.objects.filter(kind=AlertKind.SENSOR_OFFLINE)
    assert set(alerts.values_list("recipient_id", flat=True)) == {owner.pk, head.pk}
    assert alerts.count() == 4  # in-app + e-mail each
    assert all(s.code in a.title for a in alerts.all())
    assert Notification.objects.filter(kind="fires.sensor_mati").count() == 2
    # Checking again (and again later) changes nothing.
    assert services.sensors_check_offline(now=t1 + dt.timedelta(minutes=5)) == 0
    assert services.sensors_check_offline(now=t1 + dt.timedelta(hours=5)) == 0
    assert alerts.count() == 4
    # A heartbeat brings it back.
    t2 = t1 + dt.timedelta(hours=6)
    assert receive(message(secret, s.code, "heartbeat", ts=int(t2.timestamp())), now=t2).accepted
    s.refresh_from_db()
    assert s.online
    assert s.offline_since is None
    assert services.sensors_check_offline(now=t2 + dt.timedelta(seconds=60)) == 0
    # A new outage is a new alert.
    t3 = t2 + dt.timedelta(seconds=1000)
    assert services.sensors_check_offline(now=t3) == 1
    assert alerts.count() == 8


def test_a_sensor_never_heard_from_goes_offline_after_its_heartbeats(
    owned_sensor: tuple[Sensor, str, Any, Any],
) -> None:
    s, _secret, _owner, _head = owned_sensor
    assert services.sensors_check_offline(now=s.created_at + dt.timedelta(seconds=600)) == 0
    assert services.sensors_check_offline(now=s.created_at + dt.timedelta(seconds=1000)) == 1


def test_a_revoked_sensor_is_not_reported_offline(
    owned_sensor: tuple[Sensor, str, Any, Any], fires_admin: Any
) -> None:
    s, _secret, _owner, _head = owned_sensor
    services.sensor_revoke(actor=fires_admin, code=s.code)
    assert services.sensors_check_offline(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert FireAlert.objects.count() == 0


# --- Secrets --------------------------------------------------------------------------------------
def test_rekey_invalidates_the_old_secret(
    owned_sensor: tuple[Sensor, str, Any, Any],
) -> None:
    s, old, _owner, head = owned_sensor
    assert receive(message(old, s.code, "heartbeat")).accepted
    rotated = services.sensor_rotate_secret(actor=head, code=s.code)
    assert rotated.secret != old
    assert_refused(receive(message(old, s.code, "alarm")), "sensor.signature.bad")
    assert receive(message(rotated.secret, s.code, "alarm")).accepted


def test_rekey_reactivates_a_revoked_sensor(
    owned_sensor: tuple[Sensor, str, Any, Any], fires_admin: Any
) -> None:
    s, old, _owner, _head = owned_sensor
    services.sensor_revoke(actor=fires_admin, code=s.code)
    rotated = services.sensor_rotate_secret(actor=fires_admin, code=s.code)
    assert_refused(receive(message(old, s.code, "heartbeat")), "sensor.signature.bad")
    assert receive(message(rotated.secret, s.code, "heartbeat")).accepted


def test_only_the_owner_agency_head_or_an_admin_may_rekey(
    owned_sensor: tuple[Sensor, str, Any, Any], bpbd_head: Any, bpbd_officer: Any
) -> None:
    s, _old, owner, _head = owned_sensor
    with pytest.raises(NotFound):
        services.sensor_rotate_secret(actor=bpbd_head, code=s.code)  # another agency's head
    with pytest.raises(PermissionDenied):
        services.sensor_rotate_secret(actor=owner, code=s.code)  # an officer, not the head
    with pytest.raises(PermissionDenied):
        services.sensor_revoke(actor=bpbd_officer, code=s.code)


def test_the_secret_is_stored_encrypted(sensor: tuple[Sensor, str]) -> None:
    s, secret = sensor
    assert secret not in s.secret_encrypted


def test_sensor_create_returns_a_working_secret(fires_admin: Any) -> None:
    created = services.sensor_create(
        actor=fires_admin,
        code="pasar-keramat-01",
        name="Detektor asap blok A",
        building="Pasar Keramat",
        lat=SAMPIT[0],
        lng=SAMPIT[1],
    )
    assert created.sensor.desa_code == SAMPIT_DESA
    assert receive(message(created.secret, "pasar-keramat-01", "alarm")).accepted


# --- Over the real MQTT broker --------------------------------------------------------------------
def topic(code: str, kind: str = "alarm") -> str:
    return f"{django_settings.MQTT_TOPIC_PREFIX}/{code}/{kind}"


@pytest.mark.django_db(transaction=True)
def test_an_mqtt_alarm_opens_an_incident_within_two_seconds(
    mqtt_listener: Any, make_sensor: Callable[..., Any]
) -> None:
    from kotacerdas.hotspots.mqtt import publish

    code = f"mqtt-{secrets.token_hex(3)}"
    s, secret = make_sensor(code)
    started = time.monotonic()
    publish(topic(code), message(secret, code, "alarm", value=72.5))
    incident = wait_for(lambda: Incident.objects.filter(sensor_code=code).first(), timeout=2.0)
    elapsed = time.monotonic() - started
    assert incident is not None, "no incident within 2 s"
    assert elapsed < 2.0
    assert incident.kind == IncidentKind.FIRE
    assert incident.source == Source.SENSOR
    assert incident.priority == Priority.RED
    assert incident.desa_code == s.desa_code
    log = wait_for(lambda: SensorMessage.objects.filter(sensor=s).first())
    assert log.channel == MessageChannel.MQTT
    assert log.outcome == MessageOutcome.ACCEPTED
    assert log.incident_ref == incident.ref
    # A heartbeat over MQTT.
    publish(topic(code, "heartbeat"), message(secret, code, "heartbeat"))
    assert wait_for(lambda: SensorMessage.objects.filter(sensor=s).count() == 2)
    s.refresh_from_db()
    assert s.online


@pytest.mark.django_db(transaction=True)
def test_mqtt_garbage_and_strangers_are_refused_and_logged(
    mqtt_listener: Any, make_sensor: Callable[..., Any]
) -> None:
    from kotacerdas.hotspots.mqtt import publish

    code = f"mqtt-{secrets.token_hex(3)}"
    _s, secret = make_sensor(code)
    publish(topic(code), b"\x00garbage{")
    stranger = f"stranger-{secrets.token_hex(3)}"
    publish(topic(stranger), message(signing.new_secret(), stranger, "alarm"))
    publish(topic(code), message("wrong-secret", code, "alarm"))
    # Sensor's own message on another sensor's topic.
    publish(topic(stranger), message(secret, code, "alarm"))
    assert wait_for(lambda: SensorMessage.objects.count() == 4)
    reasons = sorted(SensorMessage.objects.values_list("claimed_code", "reason"))
    assert reasons == sorted(
        [
            (code, "sensor.message.not_json"),
            (stranger, "sensor.unknown"),
            (code, "sensor.signature.bad"),
            (code, "sensor.topic_mismatch"),
        ]
    )
    assert set(SensorMessage.objects.values_list("outcome", "channel")) == {
        (MessageOutcome.REFUSED, MessageChannel.MQTT)
    }
    assert Incident.objects.count() == 0
    # The listener survived all of it: a good alarm still gets through.
    publish(topic(code), message(secret, code, "alarm"))
    assert wait_for(lambda: Incident.objects.filter(sensor_code=code).exists(), timeout=2.0)
