from django.urls import path, re_path

from kotacerdas.core.refs import REF_PATTERN

from . import views_kantor as v

# A report number (core.refs), so "kinerja", "katalog", "open311", "agenda" or "peta.json" are
# never taken for one.
REF = rf"(?P<ref>{REF_PATTERN})"

app_name = "reports_kantor"
urlpatterns = [
    path("laporan/", v.queue, name="queue"),
    path("laporan/peta.json", v.map_data, name="map_data"),
    path("laporan/kinerja/", v.performance, name="performance"),
    path("laporan/katalog/", v.catalogue, name="catalogue"),
    path("laporan/katalog/baru/", v.category_edit, name="category_create"),
    path("laporan/katalog/kebijakan/", v.policy_edit, name="policy"),
    path("laporan/katalog/template/baru/", v.template_edit, name="template_create"),
    path("laporan/katalog/template/<int:pk>/", v.template_edit, name="template_edit"),
    path("laporan/katalog/<slug:code>/", v.category_edit, name="category_edit"),
    path("laporan/open311/", v.open311_clients, name="open311_clients"),
    path("laporan/open311/<int:client_id>/cabut/", v.open311_revoke, name="open311_revoke"),
    path("laporan/agenda/", v.agenda, name="agenda"),
    re_path(rf"^laporan/agenda/{REF}/$", v.agenda_respond, name="agenda_respond"),
    re_path(rf"^laporan/{REF}/$", v.detail, name="detail"),
    re_path(rf"^laporan/{REF}/verify/$", v.verify, name="verify"),
    re_path(rf"^laporan/{REF}/reject/$", v.reject, name="reject"),
    re_path(rf"^laporan/{REF}/forward/$", v.forward, name="forward"),
    re_path(rf"^laporan/{REF}/ask/$", v.ask, name="ask"),
    re_path(rf"^laporan/{REF}/progress/$", v.progress, name="progress"),
    re_path(rf"^laporan/{REF}/complete/$", v.complete, name="complete"),
]
