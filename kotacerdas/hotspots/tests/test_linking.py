"""A fire reported to the 119 desk is linked to the satellite events near it: both ways (the
event lists the incident; the incident carries a link to the event), in either order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.core.geo import haversine_m
from kotacerdas.emergency import services as emergency_services
from kotacerdas.emergency.models import Incident
from kotacerdas.hotspots import services
from kotacerdas.hotspots.models import EventIncident, FireEvent, ImportOutcome
from kotacerdas.hotspots.tests.conftest import import_bytes, message, nrt_file, nrt_row

pytestmark = pytest.mark.django_db

HOTSPOT = (-3.1600, 112.9553)  # Ujung Pandaran
NEAR = (-3.1700, 112.9600)  # about 1.2 km away
FAR = (-3.1600, 112.9000)  # about 6 km away, Lampuyang


def import_event(
    capture: Any, *, ago_hours: float = 1.0, at: tuple[float, float] = HOTSPOT
) -> FireEvent:
    t = timezone.now() - dt.timedelta(hours=ago_hours)
    with capture(execute=True):
        run = import_bytes(nrt_file([nrt_row(at[0], at[1], t)]))
    assert run.outcome == ImportOutcome.DONE
    return FireEvent.objects.get(hotspots__lat=round(at[0], 6), hotspots__lng=round(at[1], 6))


def fire_call(
    capture: Any, at: tuple[float, float], kind: str = "kebakaran", **kw: Any
) -> Incident:
    citizen = CitizenFactory()
    with capture(execute=True):
        incident, created = emergency_services.incident_call(
            actor=citizen, kind=kind, lat=at[0], lng=at[1], phone="081234500099", **kw
        )
    assert created
    incident.refresh_from_db()
    return incident


def test_a_fire_call_near_a_fresh_event_is_linked(django_capture_on_commit_callbacks: Any) -> None:
    assert 1000 < haversine_m(*HOTSPOT, *NEAR) < 3000
    event = import_event(django_capture_on_commit_callbacks)
    incident = fire_call(django_capture_on_commit_callbacks, NEAR)
    link = EventIncident.objects.get()
    assert link.event == event
    assert link.incident_ref == incident.ref
    assert link.distance_m == pytest.approx(haversine_m(*HOTSPOT, *NEAR), abs=1)
    assert incident.links == [
        {
            "label": incident.links[0]["label"],
            "url": reverse("hotspots_kantor:event", args=[event.ref]),
        }
    ]
    assert event.ref in incident.links[0]["label"]
    assert "1.2 km" in incident.links[0]["label"]
    assert list(event.incidents.values_list("incident_ref", flat=True)) == [incident.ref]


def test_a_fire_call_far_away_is_not_linked(django_capture_on_commit_callbacks: Any) -> None:
    assert haversine_m(*HOTSPOT, *FAR) > 3000
    import_event(django_capture_on_commit_callbacks)
    incident = fire_call(django_capture_on_commit_callbacks, FAR)
    assert EventIncident.objects.count() == 0
    assert incident.links == []


def test_the_link_radius_is_a_setting(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FIRES_LINK_RADIUS_M = 10_000
    import_event(django_capture_on_commit_callbacks)
    incident = fire_call(django_capture_on_commit_callbacks, FAR)
    assert EventIncident.objects.get().incident_ref == incident.ref


def test_a_medical_call_nearby_is_not_linked(django_capture_on_commit_callbacks: Any) -> None:
    import_event(django_capture_on_commit_callbacks)
    incident = fire_call(django_capture_on_commit_callbacks, NEAR, kind="medis")
    assert EventIncident.objects.count() == 0
    assert incident.links == []


def test_an_old_event_is_not_linked(django_capture_on_commit_callbacks: Any) -> None:
    """Outside FIRES_LINK_WINDOW_HOURS (72 h) the event is another fire."""
    import_event(django_capture_on_commit_callbacks, ago_hours=24 * 5)
    fire_call(django_capture_on_commit_callbacks, NEAR)
    assert EventIncident.objects.count() == 0


def test_a_call_before_the_satellite_event_is_linked_when_it_arrives(
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = fire_call(django_capture_on_commit_callbacks, NEAR)
    assert incident.links == []
    event = import_event(django_capture_on_commit_callbacks, ago_hours=0.5)
    link = EventIncident.objects.get()
    assert (link.event, link.incident_ref) == (event, incident.ref)
    incident.refresh_from_db()
    assert [x["url"] for x in incident.links] == [
        reverse("hotspots_kantor:event", args=[event.ref])
    ]


def test_a_call_before_a_far_event_is_not_linked(django_capture_on_commit_callbacks: Any) -> None:
    fire_call(django_capture_on_commit_callbacks, FAR)
    import_event(django_capture_on_commit_callbacks)
    assert EventIncident.objects.count() == 0


def test_linking_is_once(django_capture_on_commit_callbacks: Any) -> None:
    event = import_event(django_capture_on_commit_callbacks)
    incident = fire_call(django_capture_on_commit_callbacks, NEAR)
    assert (
        services.link_incident(
            ref=incident.ref, lat=NEAR[0], lng=NEAR[1], received_at=incident.received_at
        )
        == 1
    )
    assert services.events_link_existing_incidents([event.pk]) == 1
    assert EventIncident.objects.count() == 1
    incident.refresh_from_db()
    assert len(incident.links) == 1


def test_a_sensor_alarm_near_an_event_is_linked(
    make_sensor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    event = import_event(django_capture_on_commit_callbacks)
    sensor, secret = make_sensor("gudang-pandaran", at=NEAR)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.sensor_message_receive(
            channel="http", raw=message(secret, sensor.code, "alarm")
        )
    assert result.accepted
    link = EventIncident.objects.get()
    assert (link.event, link.incident_ref) == (event, result.incident_ref)


def test_links_follow_a_merge(django_capture_on_commit_callbacks: Any) -> None:
    """Two events, each linked to the call, merge: the survivor keeps one link."""
    east = (-3.1600, 112.9715)  # 1.8 km east of HOTSPOT
    first = import_event(django_capture_on_commit_callbacks, ago_hours=3)
    second = import_event(django_capture_on_commit_callbacks, ago_hours=2, at=east)
    incident = fire_call(django_capture_on_commit_callbacks, (-3.1650, 112.9634))
    assert set(EventIncident.objects.values_list("event_id", flat=True)) == {first.pk, second.pk}
    import_event(django_capture_on_commit_callbacks, ago_hours=1, at=(-3.1600, 112.9634))
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert list(EventIncident.objects.values_list("event_id", "incident_ref")) == [
        (first.pk, incident.ref)
    ]
