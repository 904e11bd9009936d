from django.urls import path, re_path

from kotacerdas.core.refs import REF_PATTERN

from . import views_board as b
from . import views_fleet as f
from . import views_kantor as v

REF = rf"(?P<ref>{REF_PATTERN})"

app_name = "emergency_kantor"
urlpatterns = [
    path("119/", b.board, name="board"),
    path("119/papan.json", b.board_state, name="board_state"),
    path("119/stream/", b.board_stream, name="board_stream"),
    path("119/panggilan/", v.call_new, name="call_new"),
    path("119/insiden/", v.incident_list, name="incident_list"),
    re_path(rf"^119/insiden/{REF}/$", v.incident_detail, name="incident_detail"),
    re_path(rf"^119/insiden/{REF}/triase/$", v.incident_triage, name="incident_triage"),
    re_path(rf"^119/insiden/{REF}/kirim/$", v.incident_dispatch, name="incident_dispatch"),
    re_path(rf"^119/insiden/{REF}/batal/$", v.incident_cancel, name="incident_cancel"),
    re_path(rf"^119/insiden/{REF}/tutup/$", v.incident_close, name="incident_close"),
    re_path(rf"^119/insiden/{REF}/pasien/$", v.patient_save, name="patient_save"),
    path(
        "119/penugasan/<int:assignment_id>/tarik/", v.assignment_release, name="assignment_release"
    ),
    path("119/unit/<int:unit_id>/layanan/", b.unit_service, name="unit_service"),
    path("119/unit/<int:unit_id>/status/", b.unit_status, name="unit_status"),
    path("119/kinerja/", f.performance, name="performance"),
    path("119/armada/", f.fleet, name="fleet"),
    path("119/armada/stasiun/", f.station_edit, name="station_new"),
    path("119/armada/stasiun/<int:station_id>/", f.station_edit, name="station_edit"),
    path("119/armada/unit/", f.unit_edit, name="unit_new"),
    path("119/armada/unit/<int:unit_id>/", f.unit_edit, name="unit_edit"),
    path("119/armada/akses/", f.desa_access, name="desa_access"),
]
