"""Building sensors in the back office (/kantor/karhutla/sensor/): the list with its states and
message log, registering a sensor (its secret shown once, stored encrypted), a new key and
revocation (both audited), who reaches what, bad input, and the query budgets."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts import crypto
from kotacerdas.accounts.models import Agency, Role
from kotacerdas.core.models import AuditEvent
from kotacerdas.hotspots import services, signing
from kotacerdas.hotspots.models import MessageChannel, MessageOutcome, Sensor, SensorMessage

from .conftest import SAMPIT, SAMPIT_DESA, message, verified

pytestmark = pytest.mark.django_db

BASE = "/kantor/karhutla/sensor"


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _broker(settings: Any) -> None:
    settings.MQTT_URL = "mqtts://platform:s3cr3t-pw@mqtt.kotimkab.example:8883"
    settings.MQTT_TOPIC_PREFIX = "kotacerdas/sensors"


@pytest.fixture
def login(staff_client: Callable[[Any], Client]) -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        client = staff_client(user)
        client.cookies["django_language"] = "en"
        return client

    return make


@pytest.fixture
def market_head(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    """The head of Disperdagin (the markets' agency): manages its own sensors only."""
    return verified(make_staff(Role.KEPALA_OPD, agency=agencies["disperdagin"]))


@pytest.fixture
def sensors(
    agencies: dict[str, Agency], make_sensor: Callable[..., tuple[Sensor, str]]
) -> dict[str, tuple[Sensor, str]]:
    """A market sensor (Disperdagin, online), a school sensor (Disdik, never seen) and a revoked
    one (Disperdagin)."""
    now = timezone.now()
    market = make_sensor(
        "pasar-mentaya-01",
        building="Pasar Mentaya",
        agency_id=agencies["disperdagin"].pk,
        kind="multi",
    )
    school = make_sensor(
        "smpn1-sampit-01", building="SMPN 1 Sampit", agency_id=agencies["disdik"].pk, kind="panas"
    )
    old = make_sensor(
        "pasar-lama-01",
        building="Pasar Lama",
        agency_id=agencies["disperdagin"].pk,
        is_active=False,
    )
    # The market sensor has been heard from: a heartbeat and an alarm, and a forged message.
    sensor, secret = market
    services.sensor_message_receive(
        channel=MessageChannel.MQTT, raw=message(secret, sensor.code, "heartbeat"), now=now
    )
    services.sensor_message_receive(
        channel=MessageChannel.HTTP, raw=message("wrong-secret", sensor.code, "alarm")
    )
    services.sensor_message_receive(
        channel=MessageChannel.HTTP, raw=message("whatever", "gudang-x-09", "alarm")
    )
    return {"market": market, "school": school, "old": old}


def html_of(response: Any) -> str:
    return str(response.content.decode())


def row_of(html: str, code: str) -> str:
    start = html.index(f'data-sensor="{code}"')
    return html[start : html.index("</tr>", start)]


def all_text_columns() -> str:
    """Every text the database holds about sensors, their messages and the audit trail."""
    with connection.cursor() as cursor:
        parts = []
        for table in ("hotspots_sensor", "hotspots_sensormessage", "core_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            parts.extend(str(row) for row in cursor.fetchall())
    return "\n".join(parts)


# --- The list ------------------------------------------------------------------------------------
def test_admin_sees_every_sensor_and_the_log(
    login: Callable[[Any], Client],
    fires_admin: Any,
    sensors: dict[str, tuple[Sensor, str]],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(fires_admin)
    client.get(f"{BASE}/")
    # Session, user, TOTP device, memberships, sensors, their agencies, the log, notifications.
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/")
    assert response.status_code == 200
    html = html_of(response)
    market = row_of(html, "pasar-mentaya-01")
    assert "Pasar Mentaya" in market
    assert "Smoke and heat" in market
    assert 'data-state="online"' in market
    assert ">Online<" in market
    assert "Disperdagin" in market
    seen = timezone.localtime(Sensor.objects.get(code="pasar-mentaya-01").last_seen_at)
    assert f"{seen:%-d %b %Y %H:%M}" in market
    assert sensors["market"][0].desa_name in market
    school = row_of(html, "smpn1-sampit-01")
    assert 'data-state="never"' in school
    assert "Never seen" in school
    assert "never seen" in school
    assert "Heat" in school
    assert "Disdik" in school
    old = row_of(html, "pasar-lama-01")
    assert 'data-state="revoked"' in old
    assert "Revoked" in old
    # The log: accepted, refused with its reason in words, and an unknown sender.
    log = html[html.index('class="table table-dense fires-sensor-log"') :]
    assert 'data-outcome="diterima"' in log
    assert 'data-reason="sensor.signature.bad"' in log
    assert "The signature does not match." in log
    assert 'data-reason="sensor.unknown"' in log
    assert "Unknown sensor." in log
    assert "gudang-x-09" in log
    assert "(unknown)" in log
    assert "Webhook" in log
    assert "MQTT" in log
    assert f'href="{BASE}/baru/"' in html


def test_list_queries_do_not_grow_with_sensors(
    login: Callable[[Any], Client],
    fires_admin: Any,
    agencies: dict[str, Agency],
    make_sensor: Callable[..., tuple[Sensor, str]],
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(8):
        sensor, secret = make_sensor(f"gedung-{i:02d}", agency_id=agencies["bpbd"].pk)
        services.sensor_message_receive(
            channel=MessageChannel.HTTP, raw=message(secret, sensor.code, "heartbeat")
        )
    client = login(fires_admin)
    client.get(f"{BASE}/")
    with django_assert_max_num_queries(8):
        html = html_of(client.get(f"{BASE}/"))
    assert html.count('data-state="online"') == 8
    assert html.count('data-outcome="diterima"') == 8


def test_an_agency_head_sees_only_their_agency(
    login: Callable[[Any], Client],
    market_head: Any,
    sensors: dict[str, tuple[Sensor, str]],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(market_head)
    client.get(f"{BASE}/")
    with django_assert_max_num_queries(11):
        html = html_of(client.get(f"{BASE}/"))
    assert 'data-sensor="pasar-mentaya-01"' in html
    assert 'data-sensor="pasar-lama-01"' in html
    assert "smpn1-sampit-01" not in html
    # Nor the school's messages, nor unknown senders'.
    assert "gudang-x-09" not in html
    assert client.get(f"{BASE}/smpn1-sampit-01/").status_code == 404
    assert client.post(f"{BASE}/smpn1-sampit-01/", {"action": "revoke"}).status_code == 404
    assert Sensor.objects.get(code="smpn1-sampit-01").is_active


def test_a_fire_agency_head_sees_all_but_manages_only_their_own(
    login: Callable[[Any], Client],
    bpbd_head: Any,
    sensors: dict[str, tuple[Sensor, str]],
) -> None:
    client = login(bpbd_head)
    html = html_of(client.get(f"{BASE}/"))
    assert 'data-sensor="smpn1-sampit-01"' in html
    assert 'data-sensor="pasar-mentaya-01"' in html
    page = html_of(client.get(f"{BASE}/smpn1-sampit-01/"))
    assert 'name="action" value="rotate"' not in page
    assert client.post(f"{BASE}/smpn1-sampit-01/", {"action": "rotate"}).status_code == 404


@pytest.mark.parametrize("who", ["pupr_officer", "desa_operator", "bpbd_officer", "desk"])
def test_people_without_the_permission_reach_no_sensor_page(
    login: Callable[[Any], Client],
    request: pytest.FixtureRequest,
    sensors: dict[str, tuple[Sensor, str]],
    who: str,
) -> None:
    client = login(request.getfixturevalue(who))
    for url in (f"{BASE}/", f"{BASE}/baru/", f"{BASE}/pasar-mentaya-01/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Pasar Mentaya" not in html_of(response)
    assert client.post(f"{BASE}/pasar-mentaya-01/", {"action": "revoke"}).status_code == 403
    assert Sensor.objects.get(code="pasar-mentaya-01").is_active


# --- Registering ---------------------------------------------------------------------------------
def sensor_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "pasar-keramat-01",
        "name": "Detektor asap los ikan",
        "building": "Pasar Keramat",
        "kind": "asap",
        "address": "Jl. Jend. Sudirman, Sampit",
        "lat": str(SAMPIT[0]),
        "lng": str(SAMPIT[1]),
        "heartbeat_seconds": "120",
        "agency_id": "",
    }
    data.update(overrides)
    return data


def test_register_shows_the_secret_once_and_stores_it_encrypted(
    login: Callable[[Any], Client],
    market_head: Any,
    agencies: dict[str, Agency],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(market_head)
    with django_assert_max_num_queries(7):
        form_page = client.get(f"{BASE}/baru/")
    form_html = html_of(form_page)
    # The head registers for their own agency only.
    options = re.findall(r'<option value="(\d*)"', form_html)
    assert options == [str(agencies["disperdagin"].pk)]
    assert "data-pick-map" in form_html

    response = client.post(f"{BASE}/baru/", sensor_form(agency_id=str(agencies["disperdagin"].pk)))
    assert response.status_code == 201  # the page itself, not a redirect
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    sensor = Sensor.objects.get(code="pasar-keramat-01")
    secret = re.search(r'data-testid="sensor-secret">([^<]+)<', html)
    assert secret is not None
    secret_text = secret.group(1)
    assert len(secret_text) >= 40
    assert html.count(secret_text) >= 2  # the secret, and the example command

    # Stored encrypted: the secret appears nowhere in the database in clear.
    assert sensor.secret_encrypted != secret_text
    assert secret_text not in all_text_columns()
    assert crypto.decrypt(sensor.secret_encrypted) == secret_text
    assert (sensor.agency_id, sensor.heartbeat_seconds, sensor.desa_code) == (
        agencies["disperdagin"].pk,
        120,
        SAMPIT_DESA,
    )
    assert AuditEvent.objects.filter(
        action="kotacerdas.hotspots.sensor.created", actor=market_head
    ).exists()

    # What the installer needs.
    assert '<code data-topic="alarm">kotacerdas/sensors/pasar-keramat-01/alarm</code>' in html
    assert (
        '<code data-topic="heartbeat">kotacerdas/sensors/pasar-keramat-01/heartbeat</code>' in html
    )
    assert "<code data-broker>mqtts://mqtt.kotimkab.example:8883</code>" in html
    assert "s3cr3t-pw" not in html
    assert "platform:" not in html
    assert "<code data-webhook>http://testserver/api/v1/fires/sensors/webhook</code>" in html
    assert "v1|{sensor}|{type}|{ts}|{nonce}|{value}" in html
    assert "v1|pasar-keramat-01|alarm|1763870000|5f2c9a1e77d04b1c|61.5" in html
    assert (
        f"python manage.py sensor_publish --type heartbeat -- pasar-keramat-01 {secret_text}"
        in html
    )
    # The example message is correctly signed (so firmware can be checked against it)...
    example = re.search(r"<pre class=\"fires-code\" data-example>(.*?)</pre>", html, re.S)
    assert example is not None
    body = example.group(1).replace("&quot;", '"')
    parsed = signing.parse(body.encode())
    assert signing.verify(secret_text, parsed)
    # ... but stale, so sending it raises nothing.
    refused = services.sensor_message_receive(channel=MessageChannel.HTTP, raw=body.encode())
    assert (refused.accepted, refused.code) == (False, "sensor.timestamp.stale")
    # The secret works for a fresh message.
    fresh = services.sensor_message_receive(
        channel=MessageChannel.HTTP, raw=message(secret_text, "pasar-keramat-01", "heartbeat")
    )
    assert fresh.accepted

    # Never again: not on the sensor's page, the list, nor in the session.
    for url in (f"{BASE}/", f"{BASE}/pasar-keramat-01/"):
        assert secret_text not in html_of(client.get(url))
    assert secret_text not in json.dumps(dict(client.session.items()), default=str)


def test_admin_may_register_without_or_for_any_agency(
    login: Callable[[Any], Client], fires_admin: Any, agencies: dict[str, Agency]
) -> None:
    client = login(fires_admin)
    options = re.findall(r'<option value="(\d*)"', html_of(client.get(f"{BASE}/baru/")))
    assert "" in options
    assert str(agencies["disdik"].pk) in options
    assert str(agencies["bpbd"].pk) in options
    response = client.post(f"{BASE}/baru/", sensor_form(agency_id=str(agencies["disdik"].pk)))
    assert response.status_code == 201
    assert Sensor.objects.get(code="pasar-keramat-01").agency_id == agencies["disdik"].pk
    response = client.post(f"{BASE}/baru/", sensor_form(code="kantor-bupati-01"))
    assert response.status_code == 201
    assert Sensor.objects.get(code="kantor-bupati-01").agency_id is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "Pasar Baru!"}, "2-40 lowercase letters, digits and dashes."),
        ({"code": "pasar-mentaya-01"}, "A sensor with this code already exists."),
        ({"lat": "1.35", "lng": "103.8"}, "The building must be inside the regency."),
        ({"lat": "abc"}, "Enter a number."),
        ({"heartbeat_seconds": "5"}, "Between 30 seconds and a day."),
        ({"kind": "nuklir"}, "Select a valid choice."),
        ({"building": ""}, "This field is required."),
        ({"agency_id": "OTHER"}, "Select a valid choice."),
    ],
    ids=["code", "duplicate", "outside", "lat", "heartbeat", "kind", "building", "agency"],
)
def test_bad_registrations_are_form_errors(
    login: Callable[[Any], Client],
    market_head: Any,
    agencies: dict[str, Agency],
    sensors: dict[str, tuple[Sensor, str]],
    overrides: dict[str, Any],
    message: str,
) -> None:
    if overrides.get("agency_id") == "OTHER":
        overrides = {"agency_id": str(agencies["disdik"].pk)}
    before = Sensor.objects.count()
    data = sensor_form(agency_id=str(agencies["disperdagin"].pk))
    data.update(overrides)
    response = login(market_head).post(f"{BASE}/baru/", data)
    assert response.status_code == 422
    html = html_of(response)
    assert message in html
    assert 'data-testid="sensor-secret"' not in html
    assert Sensor.objects.count() == before


# --- One sensor: new key, revocation -------------------------------------------------------------
def test_sensor_page(
    login: Callable[[Any], Client],
    market_head: Any,
    sensors: dict[str, tuple[Sensor, str]],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(market_head)
    client.get(f"{BASE}/pasar-mentaya-01/")
    # As for the list, plus the scoping's look-ups of the fire agencies (a head of another
    # agency sees only their own sensors, which the selectors find out each time).
    with django_assert_max_num_queries(10):
        response = client.get(f"{BASE}/pasar-mentaya-01/")
    html = html_of(response)
    assert response.status_code == 200
    assert "Pasar Mentaya" in html
    assert "Disperdagin" in html
    assert 'data-state="online"' in html
    assert "kotacerdas/sensors/pasar-mentaya-01/alarm" in html
    assert 'data-reason="sensor.signature.bad"' in html
    assert "gudang-x-09" not in html  # only this sensor's messages
    assert 'name="action" value="rotate"' in html
    assert 'name="action" value="revoke"' in html
    assert "data-confirm=" in html
    assert sensors["market"][1] not in html


def test_new_key_replaces_the_old_one_and_is_audited(
    login: Callable[[Any], Client],
    market_head: Any,
    sensors: dict[str, tuple[Sensor, str]],
) -> None:
    sensor, old_secret = sensors["market"]
    client = login(market_head)
    response = client.post(f"{BASE}/pasar-mentaya-01/", {"action": "rotate"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    found = re.search(r'data-testid="sensor-secret">([^<]+)<', html)
    assert found is not None
    new_secret = found.group(1)
    assert new_secret != old_secret
    assert "The old key no longer works." in html
    sensor.refresh_from_db()
    assert crypto.decrypt(sensor.secret_encrypted) == new_secret
    assert new_secret not in all_text_columns()
    assert AuditEvent.objects.filter(
        action="kotacerdas.hotspots.sensor.rekeyed", actor=market_head, object_repr=sensor.code
    ).exists()
    old = services.sensor_message_receive(
        channel=MessageChannel.HTTP, raw=message(old_secret, sensor.code, "heartbeat")
    )
    assert (old.accepted, old.code) == (False, "sensor.signature.bad")
    new = services.sensor_message_receive(
        channel=MessageChannel.HTTP, raw=message(new_secret, sensor.code, "heartbeat")
    )
    assert new.accepted
    assert new_secret not in html_of(client.get(f"{BASE}/pasar-mentaya-01/"))


def test_revoke_refuses_the_sensor_and_is_audited(
    login: Callable[[Any], Client],
    market_head: Any,
    sensors: dict[str, tuple[Sensor, str]],
) -> None:
    sensor, secret = sensors["market"]
    client = login(market_head)
    response = client.post(f"{BASE}/pasar-mentaya-01/", {"action": "revoke"})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/pasar-mentaya-01/"
    sensor.refresh_from_db()
    assert (sensor.is_active, sensor.online) == (False, False)
    assert AuditEvent.objects.filter(
        action="kotacerdas.hotspots.sensor.revoked", actor=market_head, object_repr=sensor.code
    ).exists()
    page = html_of(client.get(response["Location"]))
    assert "Sensor pasar-mentaya-01 was revoked" in page
    assert 'data-state="revoked"' in page
    assert 'name="action" value="revoke"' not in page
    assert "A new key also restores a revoked sensor." in page
    refused = services.sensor_message_receive(
        channel=MessageChannel.MQTT, raw=message(secret, sensor.code, "alarm")
    )
    assert (refused.accepted, refused.code) == (False, "sensor.revoked")
    assert SensorMessage.objects.filter(
        sensor=sensor, outcome=MessageOutcome.REFUSED, reason="sensor.revoked"
    ).exists()
    log = html_of(client.get(f"{BASE}/pasar-mentaya-01/"))
    assert "This sensor&#x27;s access has been revoked." in log
    # Revoking again says so, without a 500.
    again = client.post(f"{BASE}/pasar-mentaya-01/", {"action": "revoke"}, follow=True)
    assert again.status_code == 200
    assert "This sensor is already revoked." in html_of(again)
    assert AuditEvent.objects.filter(action="kotacerdas.hotspots.sensor.revoked").count() == 1


def test_unknown_action_or_sensor(
    login: Callable[[Any], Client], fires_admin: Any, sensors: dict[str, tuple[Sensor, str]]
) -> None:
    client = login(fires_admin)
    assert client.post(f"{BASE}/pasar-mentaya-01/", {"action": "explode"}).status_code == 404
    assert client.get(f"{BASE}/tidak-ada/").status_code == 404
    assert client.get(f"{BASE}/").status_code == 200


def test_offline_sensor_badge(
    login: Callable[[Any], Client], fires_admin: Any, sensors: dict[str, tuple[Sensor, str]]
) -> None:
    sensor, _secret = sensors["market"]
    Sensor.objects.filter(pk=sensor.pk).update(
        online=False, offline_since=timezone.now() - dt.timedelta(minutes=20)
    )
    html = html_of(login(fires_admin).get(f"{BASE}/"))
    row = row_of(html, "pasar-mentaya-01")
    assert 'data-state="offline"' in row
    assert ">Offline<" in row
