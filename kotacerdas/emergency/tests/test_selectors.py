"""The 119 desk's reads: recommended units and facilities, the live board (content and a query
count that does not grow), related calls, and the response-time figures with the Council
indicators they feed, each with known values."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from kotacerdas.accounts.models import Role
from kotacerdas.core import indicators
from kotacerdas.core.indicators import IndicatorResult, IndicatorRow
from kotacerdas.core.refs import new_ref
from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import (
    Assignment,
    Incident,
    IncidentStatus,
    Station,
    Unit,
    UnitStatus,
)

from .conftest import KUALA_KUAYAN, SAMPIT, SAMPIT_DESA, verified

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 5, 0, tzinfo=dt.UTC)  # Friday 20 March 2026, 12:00 WIB
RIVER_DESA = "62.02.10.2001"  # Tumbang Kalang: the demo's 90-minute river access
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def incident(**fields: Any) -> Incident:
    """An incident row as the services leave it (figures need many, with chosen values)."""
    received = fields.pop("received_at", NOW)
    data: dict[str, Any] = {
        "ref": new_ref(received),
        "kind": "medis",
        "priority": "kuning",
        "need": "ambulans",
        "status": IncidentStatus.CLOSED,
        "source": "telepon",
        "caller_phone": f"62811000{next(_serial):05d}",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
        "desa_code": SAMPIT_DESA,
        "kecamatan_code": "62.02.06",
        "desa_name": "Sawahan",
        "kecamatan_name": "Mentawa Baru Ketapang",
        "received_at": received,
    }
    data.update(fields)
    return Incident.objects.create(**data)


def phone_call(actor: Any, **overrides: Any) -> Incident:
    data: dict[str, Any] = {
        "kind": "medis",
        "priority": "kuning",
        "chief_complaint": "sakit_umum",
        "caller_phone": "081234567890",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
    }
    data.update(overrides)
    return services.incident_record_call(actor=actor, **data)


def at_point(lat: float, lng: float, desa: str, need: str, priority: str = "kuning") -> Incident:
    return Incident(lat=lat, lng=lng, desa_code=desa, need=need, priority=priority, kind="medis")


# --- Recommendations ----------------------------------------------------------------------------------
def test_recommend_units_for_a_red_call_in_sampit(
    fleet: dict[str, Unit], django_assert_num_queries: Any
):
    red = at_point(*SAMPIT, SAMPIT_DESA, "ambulans_paramedis", "merah")

    with django_assert_num_queries(2):  # free units (with stations), the desa's override
        recs = selectors.recommend_units(incident=red, limit=5)

    # Paramedic ambulances of RSUD dr. Murjani first, then plain ones by ETA (Baamang II is
    # nearer than the RSUD's own plain ambulance).
    assert [(r.unit.call_sign, r.ranked.eta_seconds, r.ranked.exact) for r in recs] == [
        ("AMB-01", 181, True),
        ("AMB-02", 181, True),
        ("AMB-05", 95, False),
        ("AMB-03", 181, False),
        ("AMB-09", 698, False),
    ]
    assert [r.eta_minutes for r in recs] == [3, 3, 2, 3, 12]


def test_recommend_units_leaves_out_busy_and_out_of_service_units(
    fleet: dict[str, Unit], dispatcher: Any, django_assert_num_queries: Any
):
    services.incident_dispatch(
        actor=dispatcher, ref=phone_call(dispatcher).ref, unit_id=fleet["AMB-05"].pk
    )
    services.unit_set_service(
        actor=dispatcher, unit_id=fleet["AMB-01"].pk, in_service=False, reason="Servis"
    )
    Station.objects.filter(units__call_sign="AMB-09").update(is_active=False)
    call = at_point(*SAMPIT, SAMPIT_DESA, "ambulans")

    with django_assert_num_queries(2):
        recs = selectors.recommend_units(incident=call, limit=3)

    assert [r.unit.call_sign for r in recs] == ["AMB-02", "AMB-03", "AMB-04"]


def test_recommend_fire_trucks_for_a_fire(fleet: dict[str, Unit]):
    fire = at_point(*SAMPIT, SAMPIT_DESA, "damkar", "merah")

    recs = selectors.recommend_units(incident=fire, limit=3)

    assert [(r.unit.call_sign, r.ranked.eta_seconds) for r in recs] == [
        ("DMK-04", 138),
        ("DMK-01", 385),
        ("DMK-02", 385),
    ]


def test_recommend_units_for_a_river_desa(fleet: dict[str, Unit]):
    upriver = at_point(-1.5, 112.66, RIVER_DESA, "ambulans")

    recs = selectors.recommend_units(incident=upriver, limit=3)

    # The desa's own puskesmas ambulance by road; every other unit at the fixed 90 minutes.
    assert [(r.unit.call_sign, r.ranked.eta_seconds, r.ranked.fixed) for r in recs] == [
        ("AMB-20", 198, False),
        ("AMB-15", 5400, True),
        ("AMB-21", 5400, True),
    ]


@pytest.mark.parametrize(
    ("where", "desa", "priority", "expected"),
    [
        (SAMPIT, SAMPIT_DESA, "merah", ["RSUD dr. Murjani Sampit"]),
        (
            SAMPIT,
            SAMPIT_DESA,
            "kuning",
            ["RSUD dr. Murjani Sampit", "Puskesmas Baamang II", "Puskesmas Ketapang I"],
        ),
        (
            SAMPIT,
            SAMPIT_DESA,
            "hijau",
            ["Puskesmas Baamang II", "Puskesmas Ketapang I", "Puskesmas Baamang I"],
        ),
        (KUALA_KUAYAN, "62.02.03.1012", "merah", ["RSUD dr. Murjani Sampit"]),
        # 80 km from the hospital: the puskesmas next door beats the hospital's preference.
        (
            KUALA_KUAYAN,
            "62.02.03.1012",
            "kuning",
            ["Puskesmas Kuala Kuayan", "Puskesmas Tumbang Sangai", "Puskesmas Parenggean II"],
        ),
        (
            KUALA_KUAYAN,
            "62.02.03.1012",
            "hijau",
            ["Puskesmas Kuala Kuayan", "Puskesmas Tumbang Sangai", "Puskesmas Parenggean II"],
        ),
    ],
)
def test_recommend_facilities(
    where: tuple[float, float], desa: str, priority: str, expected: list[str]
):
    options = selectors.recommend_facilities(
        incident=at_point(*where, desa, "ambulans", priority), limit=3
    )

    assert [o.facility.name for o in options] == expected
    assert all(o.eta_seconds is not None for o in options)


def test_recommend_facilities_figures(db: None):
    options = selectors.recommend_facilities(
        incident=at_point(*SAMPIT, SAMPIT_DESA, "ambulans", "hijau"), limit=2
    )

    assert [(o.facility.name, o.eta_seconds, round(o.distance_m)) for o in options] == [
        ("Puskesmas Baamang II", 95, 566),
        ("Puskesmas Ketapang I", 698, 4157),
    ]


# --- The board --------------------------------------------------------------------------------------
def test_board_state_content(
    fleet: dict[str, Unit], dispatcher: Any, caller: Any, call: Callable[..., Incident]
):
    waiting = phone_call(dispatcher, priority="merah", address="Jl. Tidar")
    app_call = call("kebakaran")
    busy = phone_call(dispatcher)
    assignment = services.incident_dispatch(
        actor=dispatcher, ref=busy.ref, unit_id=fleet["AMB-05"].pk
    )
    services.unit_set_service(
        actor=dispatcher, unit_id=fleet["AMB-22"].pk, in_service=False, reason="Ban bocor"
    )
    closed = phone_call(dispatcher)
    services.incident_close(actor=dispatcher, ref=closed.ref)
    waiting.refresh_from_db()
    busy.refresh_from_db()

    state = selectors.board_state(actor=dispatcher)

    assert state["seq"] == selectors.latest_seq()
    # Waiting first (red before red-but-later), then the incidents units are on.
    assert [r["ref"] for r in state["incidents"]] == [waiting.ref, app_call.ref, busy.ref]
    row = state["incidents"][0]
    assert row == {
        "ref": waiting.ref,
        "kind": "medis",
        "kind_label": "Medical emergency",
        "priority": "merah",
        "priority_label": "Red",
        "status": "diterima",
        "status_label": "Accepted, waiting for a unit",
        "need": "ambulans_paramedis",
        "need_label": "Ambulance with paramedic",
        "complaint": "sakit_umum",
        "complaint_label": "Sick person",
        "source": "telepon",
        "caller_phone": "6281234567890",
        "sensor_building": "",
        "desa_code": SAMPIT_DESA,
        "desa_name": waiting.desa_name,
        "kecamatan_name": "Mentawa Baru Ketapang",
        "address": "Jl. Tidar",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
        "approximate": False,
        "patients_count": None,
        "conscious": None,
        "breathing": None,
        "received_at": waiting.received_at.isoformat(),
        "accepted_at": waiting.accepted_at.isoformat(),
        "dispatched_at": None,
        "on_scene_at": None,
        "waiting": True,
        "version": 1,
        "units": [],
        "offer": {
            "unit_id": fleet["AMB-01"].pk,
            "call_sign": "AMB-01",
            "eta_seconds": 181,
            "fixed": False,
            "exact": True,
        },
    }
    fire_row = state["incidents"][1]
    assert (fire_row["status"], fire_row["waiting"], fire_row["offer"]["call_sign"]) == (
        "masuk",
        True,
        "DMK-04",
    )
    busy_row = state["incidents"][2]
    assert busy_row["waiting"] is False
    assert busy_row["offer"] is None
    assert busy_row["units"] == [
        {
            "assignment_id": assignment.pk,
            "unit_id": fleet["AMB-05"].pk,
            "call_sign": "AMB-05",
            "status": "ditugaskan",
            "status_label": "Dispatched",
            "eta_seconds": assignment.eta_seconds,
            "eta_fixed": False,
            "dispatched_at": assignment.dispatched_at.isoformat(),
            "destination": "RSUD dr. Murjani Sampit",
        }
    ]
    units = {u["call_sign"]: u for u in state["units"]}
    assert len(units) == 30
    assert (units["AMB-05"]["status"], units["AMB-05"]["incident_ref"]) == ("ditugaskan", busy.ref)
    assert (units["AMB-22"]["status"], units["AMB-22"]["out_of_service_reason"]) == (
        "tidak_aktif",
        "Ban bocor",
    )
    assert units["AMB-01"] | {"status_changed_at": None, "version": None} == {
        "id": fleet["AMB-01"].pk,
        "call_sign": "AMB-01",
        "capability": "ambulans_paramedis",
        "capability_label": "Ambulance with paramedic",
        "status": "tersedia",
        "status_label": "Available",
        "status_changed_at": None,
        "station": "RSUD dr. Murjani Sampit",
        "lat": -2.5427758,
        "lng": 112.9468547,
        "position_at": None,
        "incident_ref": "",
        "out_of_service_reason": "",
        "version": None,
    }
    assert state["counts"] == {
        "open": 3,
        "waiting": 2,
        "no_unit": 0,
        "available": 28,
        "busy": 1,
        "out_of_service": 1,
    }


def test_board_alarms_when_no_free_unit_can_serve(fleet: dict[str, Unit], dispatcher: Any):
    for unit in Unit.objects.filter(capability="damkar"):
        services.unit_set_service(actor=dispatcher, unit_id=unit.pk, in_service=False, reason="x")
    fire = phone_call(
        dispatcher, kind="kebakaran", priority="merah", chief_complaint="kebakaran_lahan"
    )

    state = selectors.board_state(actor=dispatcher)

    row = next(r for r in state["incidents"] if r["ref"] == fire.ref)
    assert (row["waiting"], row["offer"]) == (True, None)
    assert (state["counts"]["waiting"], state["counts"]["no_unit"]) == (1, 1)
    assert selectors.waiting_without_unit() == 1


def test_board_is_the_desks_only(
    fleet: dict[str, Unit], make_staff: Callable[..., Any], agencies: Any
):
    from kotacerdas.core.errors import NotFound

    for role, agency in (
        (Role.ADMIN, None),
        (Role.KEPALA_OPD, agencies["dinkes"]),
        (Role.DEWAN, None),
    ):
        with pytest.raises(NotFound):
            selectors.board_state(actor=verified(make_staff(role, agency=agency)))


def add_rows(dispatcher: Any, n: int, tag: str) -> None:
    """n more open incidents (half with a unit on them) and n more units."""
    station = Station.objects.create(
        code=f"uji-{tag}",
        name=f"Pos uji {tag}",
        agency=Station.objects.first().agency,  # type: ignore[union-attr]
        lat=-2.55,
        lng=112.95,
        desa_code=SAMPIT_DESA,
        kecamatan_code="62.02.06",
    )
    units = [
        Unit.objects.create(call_sign=f"U{tag}-{i:02d}", station=station, capability="ambulans")
        for i in range(n)
    ]
    for i in range(n):
        row = incident(status=IncidentStatus.ACCEPTED, accepted_at=NOW, priority="hijau")
        if i % 2:
            Assignment.objects.create(incident=row, unit=units[i], dispatched_at=NOW)
            Unit.objects.filter(pk=units[i].pk).update(status=UnitStatus.DISPATCHED)
            Incident.objects.filter(pk=row.pk).update(status=IncidentStatus.DISPATCHED)


def test_board_query_count_does_not_grow(
    fleet: dict[str, Unit], dispatcher: Any, django_assert_num_queries: Any
):
    phone_call(dispatcher)
    # seq, open incidents, their open assignments (unit, destination), units, overrides
    with django_assert_num_queries(5):
        first = selectors.board_state(actor=dispatcher)

    add_rows(dispatcher, 20, "a")
    with django_assert_num_queries(5):
        second = selectors.board_state(actor=dispatcher)

    assert (len(first["incidents"]), len(first["units"])) == (1, 30)
    assert (len(second["incidents"]), len(second["units"])) == (21, 50)
    assert second["counts"]["busy"] == 10
    # Ten waiting incidents, each offered a different free unit.
    offered = [r["offer"]["unit_id"] for r in second["incidents"] if r["offer"]]
    assert len(offered) == len(set(offered)) == 11


def test_changes_since(fleet: dict[str, Unit], dispatcher: Any):
    start = selectors.latest_seq()
    incident_row = phone_call(dispatcher)
    services.incident_dispatch(actor=dispatcher, ref=incident_row.ref, unit_id=fleet["AMB-05"].pk)

    seq, incidents, units = selectors.changes_since(since=start)

    assert seq == selectors.latest_seq()
    assert (incidents, units) == ({incident_row.pk}, {fleet["AMB-05"].pk})
    assert selectors.changes_since(since=seq) == (seq, set(), set())
    assert selectors.changes_since(since=start, incident_id=incident_row.pk)[1] == {incident_row.pk}


# --- Related calls -------------------------------------------------------------------------------------
def test_related_calls(dispatcher: Any, caller: Any, frozen: dt.datetime):
    phone = "6281234500077"
    base = incident(caller_phone=phone, received_at=NOW)
    same_phone = incident(caller_phone=phone, received_at=NOW - dt.timedelta(days=10), lat=-2.0)
    old_same_phone = incident(caller_phone=phone, received_at=NOW - dt.timedelta(days=31))
    near = incident(
        received_at=NOW - dt.timedelta(days=1), lat=SAMPIT[0] + 0.0012, lng=SAMPIT[1]
    )  # ~130 m
    incident(received_at=NOW - dt.timedelta(hours=2), lat=SAMPIT[0] + 0.0030, lng=SAMPIT[1])
    incident(caller_phone=phone, received_at=NOW + dt.timedelta(minutes=5))  # later
    assert old_same_phone.pk

    related = selectors.related_calls(actor=dispatcher, incident=base)

    assert [r.pk for r in related] == [near.pk, same_phone.pk]
    assert selectors.related_calls(actor=caller, incident=base) == []
    assert selectors.related_calls(actor=dispatcher, incident=base, limit=1) == [near]


# --- Figures ------------------------------------------------------------------------------------------------
KETAPANG = ("62.02.06", "Mentawa Baru Ketapang", [300, 420, 600, 900, 1200])
BAAMANG = ("62.02.05", "Baamang", [60, 120, 180, 240, 300, 360, 420, 480, 540, 600])


@pytest.fixture
def responses(frozen: dt.datetime) -> None:
    """Closed incidents with known response times in two kecamatan (WIB months: February and
    March 2026), plus rows the figures must leave out."""
    for code, name, values in (KETAPANG, BAAMANG):
        for i, seconds in enumerate(values):
            incident(
                kecamatan_code=code,
                kecamatan_name=name,
                response_seconds=seconds,
                received_at=NOW - dt.timedelta(days=3 + 10 * i),
            )
    incident(response_seconds=None)  # nobody on scene (cancelled, closed by phone)
    incident(response_seconds=60, received_at=NOW - dt.timedelta(days=400))  # too old


def test_nearest_rank_p90():
    assert selectors._p90([7.0]) == 7.0
    assert selectors._p90([1.0, 2.0]) == 2.0
    assert selectors._p90([float(x) for x in range(1, 11)]) == 9.0  # ceil(9) = 9th
    assert selectors._p90([float(x) for x in range(1, 12)]) == 10.0  # ceil(9.9) = 10th
    assert selectors._p90([5.0, 1.0, 3.0, 2.0, 4.0]) == 5.0  # ceil(4.5) = 5th


def test_response_by_kecamatan_and_overall(responses: None):
    figures = selectors.response_by_kecamatan()

    assert figures == [
        selectors.ResponseFigure("62.02.05", "Baamang", 10, 330.0, 540.0),
        selectors.ResponseFigure("62.02.06", "Mentawa Baru Ketapang", 5, 600.0, 1200.0),
    ]
    assert selectors.response_overall(days=365) == selectors.ResponseFigure(
        "all", "", 15, 420.0, 900.0
    )
    # The last 30 days: the first three of each kecamatan (3, 13, 23 days ago).
    assert selectors.response_overall(days=30) == selectors.ResponseFigure(
        "all", "", 6, 240.0, 600.0
    )


def test_response_by_kind(responses: None):
    incident(kind="kebakaran", need="damkar", response_seconds=480, received_at=NOW)
    incident(kind="kebakaran", need="damkar", response_seconds=720, received_at=NOW)

    fire = selectors.response_overall(kind="kebakaran", days=30)

    assert fire == selectors.ResponseFigure("all", "", 2, 600.0, 720.0)


def test_response_by_month_uses_wib_months(frozen: dt.datetime):
    # 28 Feb 18:00 UTC is 1 March 01:00 WIB: March.
    incident(response_seconds=600, received_at=dt.datetime(2026, 2, 28, 18, 0, tzinfo=dt.UTC))
    incident(response_seconds=300, received_at=dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC))
    incident(response_seconds=900, received_at=dt.datetime(2026, 2, 10, 3, 0, tzinfo=dt.UTC))
    incident(response_seconds=1200, received_at=dt.datetime(2026, 3, 19, 3, 0, tzinfo=dt.UTC))

    assert selectors.response_by_month() == [
        selectors.ResponseFigure("2026-02", "2026-02", 2, 600.0, 900.0),
        selectors.ResponseFigure("2026-03", "2026-03", 2, 900.0, 1200.0),
    ]


def test_calls_per_day_counts_wib_days(frozen: dt.datetime):
    incident(received_at=dt.datetime(2026, 3, 19, 20, 0, tzinfo=dt.UTC))  # 20 Mar 03:00 WIB
    incident(received_at=dt.datetime(2026, 3, 20, 4, 0, tzinfo=dt.UTC))
    incident(received_at=dt.datetime(2026, 3, 19, 16, 0, tzinfo=dt.UTC))  # 19 Mar 23:00 WIB
    incident(received_at=dt.datetime(2026, 2, 19, 4, 0, tzinfo=dt.UTC))  # 29 days back
    incident(received_at=dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC))  # outside 30 days

    days = selectors.calls_per_day(days=30)

    assert len(days) == 30
    assert days[0] == (dt.date(2026, 2, 19), 1)
    assert days[-2:] == [(dt.date(2026, 3, 19), 1), (dt.date(2026, 3, 20), 2)]
    assert sum(n for _d, n in days) == 4


@pytest.fixture
def utilisation(agencies: dict[str, Any], frozen: dt.datetime) -> dict[str, Unit]:
    station = Station.objects.create(
        code="uji",
        name="Pos uji",
        agency=agencies["dinkes"],
        lat=SAMPIT[0],
        lng=SAMPIT[1],
        desa_code=SAMPIT_DESA,
        kecamatan_code="62.02.06",
    )
    units = {
        sign: Unit.objects.create(call_sign=sign, station=station, capability=cap)
        for sign, cap in (("AMB-A", "ambulans"), ("AMB-B", "ambulans"), ("DMK-C", "damkar"))
    }
    hours = dt.timedelta(hours=1)
    for sign, begun, ended in (
        ("AMB-A", NOW - 48 * hours, NOW - 42 * hours),  # 6 h
        ("AMB-A", NOW - 170 * hours, NOW - 166 * hours),  # 2 h inside the week
        ("AMB-B", NOW - 1 * hours, None),  # on a job for an hour now
        ("DMK-C", NOW - 300 * hours, NOW - 250 * hours),  # before the week
    ):
        row = incident(received_at=begun)
        Assignment.objects.create(
            incident=row, unit=units[sign], dispatched_at=begun, cleared_at=ended
        )
    return units


def test_unit_utilisation(utilisation: dict[str, Unit]):
    assert selectors.unit_utilisation(days=7) == [
        ("AMB-A", "ambulans", round(8 / 168, 4)),
        ("AMB-B", "ambulans", round(1 / 168, 4)),
        ("DMK-C", "damkar", 0.0),
    ]


def test_waiting_without_unit(fleet: dict[str, Unit], dispatcher: Any, call: Any):
    call()  # received from the app
    phone_call(dispatcher)  # accepted
    services.incident_dispatch(
        actor=dispatcher, ref=phone_call(dispatcher).ref, unit_id=fleet["AMB-05"].pk
    )

    assert selectors.waiting_without_unit() == 2


# --- Council indicators -----------------------------------------------------------------------------
def indicator(key: str) -> IndicatorResult:
    found = indicators.get(key)
    assert found is not None, key
    assert (found.app, found.public) == ("emergency", True)
    return found.compute()


def test_indicator_response_median_and_p90(responses: None):
    assert indicator("emergency.response_median") == IndicatorResult(
        rows=[
            IndicatorRow(label="Baamang", value=5.5, code="62.02.05"),
            IndicatorRow(label="Mentawa Baru Ketapang", value=10.0, code="62.02.06"),
        ],
        total=7.0,
    )
    assert indicator("emergency.response_p90") == IndicatorResult(
        rows=[
            IndicatorRow(label="Baamang", value=9.0, code="62.02.05"),
            IndicatorRow(label="Mentawa Baru Ketapang", value=20.0, code="62.02.06"),
        ],
        total=15.0,
    )


def test_indicator_response_by_month(responses: None):
    result = indicator("emergency.response_by_month")

    # WIB months of the rows 3..93 days before 20 March 2026.
    assert [(r.label, r.code) for r in result.rows] == [
        ("2025-12", "2025-12"),
        ("2026-01", "2026-01"),
        ("2026-02", "2026-02"),
        ("2026-03", "2026-03"),
    ]
    assert [r.value for r in result.rows] == [9.5, 7.0, 7.5, 3.5]
    assert result.note == "Median minutes; the 90th percentile is on the 119 performance page."


def test_indicator_response_30d(responses: None):
    incident(kind="kebakaran", need="damkar", response_seconds=480, received_at=NOW)

    assert indicator("emergency.response_30d") == IndicatorResult(
        rows=[
            IndicatorRow(label="Ambulance · median", value=4.0),
            IndicatorRow(label="Ambulance · p90", value=10.0),
            IndicatorRow(label="Fire brigade · median", value=8.0),
            IndicatorRow(label="Fire brigade · p90", value=8.0),
        ],
        total=4.0,
    )


def test_indicator_calls_per_day(frozen: dt.datetime):
    incident(received_at=NOW)
    incident(received_at=NOW - dt.timedelta(days=1))
    incident(received_at=NOW - dt.timedelta(days=1, hours=2))

    result = indicator("emergency.calls_per_day")

    assert len(result.rows) == 30
    assert result.rows[-2:] == [
        IndicatorRow(label="2026-03-19", value=2),
        IndicatorRow(label="2026-03-20", value=1),
    ]
    assert result.total == 3


def test_indicator_utilisation(utilisation: dict[str, Unit]):
    assert indicator("emergency.utilisation") == IndicatorResult(
        rows=[
            IndicatorRow(label="AMB-A", value=4.8, code="ambulans"),
            IndicatorRow(label="AMB-B", value=0.6, code="ambulans"),
            IndicatorRow(label="DMK-C", value=0.0, code="damkar"),
        ],
        total=1.8,
    )


def test_indicator_waiting_is_live(fleet: dict[str, Unit], dispatcher: Any):
    assert indicator("emergency.waiting") == IndicatorResult(
        rows=[IndicatorRow(label="Waiting", value=0)], total=0
    )
    phone_call(dispatcher)

    assert indicator("emergency.waiting") == IndicatorResult(
        rows=[IndicatorRow(label="Waiting", value=1)], total=1
    )


def test_indicators_with_no_data(db: None, frozen: dt.datetime):
    assert indicator("emergency.response_median") == IndicatorResult(rows=[], total=None)
    assert indicator("emergency.response_p90") == IndicatorResult(rows=[], total=None)
    assert indicator("emergency.response_30d") == IndicatorResult(rows=[], total=None)
