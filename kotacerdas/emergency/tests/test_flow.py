"""The whole flow through the services: a citizen's call, the desk's triage and dispatch of the
recommended unit, the crew's steps, and the response time in the figures."""

from __future__ import annotations

from typing import Any

import pytest

from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import IncidentStatus, UnitStatus

from .conftest import SAMPIT


@pytest.mark.django_db
def test_call_to_closed(fleet: dict[str, Any], call: Any, dispatcher: Any, make_crew: Any) -> None:
    incident = call("medis", SAMPIT)
    assert incident.status == IncidentStatus.RECEIVED
    assert incident.desa_code == "62.02.06.1007"
    assert incident.need == "ambulans"

    services.incident_add_details(actor=incident.caller, ref=incident.ref, conscious="false")
    incident.refresh_from_db()
    assert (incident.priority, incident.need) == ("merah", "ambulans_paramedis")

    recs = selectors.recommend_units(incident=incident)
    # Paramedic ambulances first (the two at RSUD dr. Murjani), then plain ones.
    assert [r.unit.call_sign for r in recs[:2]] == ["AMB-01", "AMB-02"]
    assert all(r.ranked.exact for r in recs[:2])
    assert not recs[2].ranked.exact
    best = recs[0].unit

    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=best.pk)
    assert assignment.destination is not None
    assert assignment.destination.subtype == "rumah_sakit"
    crew = make_crew(best)
    for step in ["diterima", "berangkat", "di_lokasi", "membawa_pasien", "tiba_di_faskes"]:
        services.unit_step(actor=crew, unit_id=best.pk, status=step)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AT_FACILITY
    assert incident.response_seconds is not None
    services.unit_step(actor=crew, unit_id=best.pk, status="tersedia")
    incident.refresh_from_db()
    best.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert best.status == UnitStatus.AVAILABLE
    overall = selectors.response_overall()
    assert overall is not None
    assert overall.calls == 1
    assert overall.median_s == incident.response_seconds


@pytest.mark.django_db
def test_board_offers_most_urgent_first(
    fleet: dict[str, Any], call: Any, dispatcher: Any, caller: Any
) -> None:
    board = selectors.board_state(actor=dispatcher)
    assert board["counts"]["open"] == 0
    fire = call("kebakaran", SAMPIT)
    board = selectors.board_state(actor=dispatcher)
    row = board["incidents"][0]
    assert row["ref"] == fire.ref
    assert row["waiting"] is True
    assert row["offer"]["call_sign"].startswith("DMK-")
