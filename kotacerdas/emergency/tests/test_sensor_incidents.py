"""Sensor alarms on the desk, links from other modules and the fire-incident signal."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kotacerdas.emergency import selectors, services, signals
from kotacerdas.emergency.models import (
    DeskEvent,
    Incident,
    IncidentKind,
    IncidentStatus,
    Priority,
    Source,
)

from .conftest import SAMPIT, SAMPIT_DESA

pytestmark = pytest.mark.django_db


def alarm(code: str = "pasar-01") -> tuple[Incident, bool]:
    return services.incident_from_sensor(
        sensor_code=code,
        building="Pasar Uji",
        address="Jl. Uji 1",
        lat=SAMPIT[0],
        lng=SAMPIT[1],
        detail="Alarm 61.5",
    )


def test_sensor_alarm_opens_a_red_fire_incident_waiting_for_the_desk() -> None:
    events_before = DeskEvent.objects.count()
    incident, created = alarm()
    assert created
    incident.refresh_from_db()
    assert (incident.kind, incident.priority, incident.source, incident.status) == (
        IncidentKind.FIRE,
        Priority.RED,
        Source.SENSOR,
        IncidentStatus.RECEIVED,
    )
    assert incident.desa_code == SAMPIT_DESA
    assert incident.caller_name == "Pasar Uji"
    assert incident.sensor_code == "pasar-01"
    assert DeskEvent.objects.count() == events_before + 1


def test_repeated_alarm_while_open_is_the_same_incident_and_a_new_one_after_close(
    dispatcher: Any,
) -> None:
    first, _ = alarm()
    again, created = alarm()
    assert not created
    assert again.pk == first.pk
    other, created_other = alarm("pasar-02")
    assert created_other
    assert other.pk != first.pk
    services.incident_close(actor=dispatcher, ref=first.ref, note="false alarm")
    third, created_third = alarm()
    assert created_third
    assert third.pk != first.pk


def test_link_is_added_once_and_shown_on_the_incident_page(
    dispatcher: Any, staff_client: Any
) -> None:
    incident, _ = alarm()
    assert services.incident_link_add(ref=incident.ref, label="Titik panas KH-1", url="/x/1/")
    assert not services.incident_link_add(ref=incident.ref, label="again", url="/x/1/")
    incident.refresh_from_db()
    assert incident.links == [{"label": "Titik panas KH-1", "url": "/x/1/"}]
    page = staff_client(dispatcher).get(
        reverse("emergency_kantor:incident_detail", args=[incident.ref])
    )
    body = page.content.decode()
    assert 'href="/x/1/"' in body
    assert "Titik panas KH-1" in body
    assert "pasar-01" in body


def test_board_row_names_the_sensor_building() -> None:
    incident, _ = alarm()
    row = selectors.incident_row(incident, [], None)
    assert row["sensor_building"] == "Pasar Uji"


def test_fire_calls_are_announced_after_commit_and_medical_ones_not(
    call: Any, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kw: Any) -> None:
        heard.append(kw)

    signals.fire_incident_opened.connect(listener, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            fire = call(kind="kebakaran")
        with django_capture_on_commit_callbacks(execute=True):
            call(kind="medis", user=None)
    finally:
        signals.fire_incident_opened.disconnect(dispatch_uid="test-listener")
    assert [h["ref"] for h in heard] == [fire.ref]
    assert heard[0]["lat"] == pytest.approx(SAMPIT[0])
