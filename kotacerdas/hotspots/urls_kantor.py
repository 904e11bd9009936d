from django.urls import path

from . import views_checks, views_kantor, views_sensors

app_name = "hotspots_kantor"
urlpatterns = [
    # Map, events, imports (BPBD / DLH / Damkar, desk, Council; desa and kecamatan staff)
    path("", views_kantor.map_page, name="map"),
    path("peta.json", views_kantor.map_data, name="map_data"),
    path("kejadian/", views_kantor.event_list, name="events"),
    path("kejadian/<str:ref>/", views_kantor.event_detail, name="event"),
    path("kejadian/<str:ref>/status/", views_kantor.event_status, name="event_status"),
    path("kejadian/<str:ref>/cek/", views_kantor.check_assign, name="check_assign"),
    path("impor/", views_kantor.imports, name="imports"),
    path("impor/<int:pk>/", views_kantor.import_detail, name="import_detail"),
    # Ground checks from the phone
    path("cek/", views_checks.check_list, name="checks"),
    path("cek/<int:pk>/", views_checks.check_detail, name="check"),
    path("cek/<int:pk>/batal/", views_checks.check_cancel, name="check_cancel"),
    path("cek/<int:pk>/foto/", views_checks.check_photo, name="check_photo"),
    path("cek/<int:pk>/foto-kecil/", views_checks.check_thumbnail, name="check_thumbnail"),
    # Building sensors
    path("sensor/", views_sensors.sensor_list, name="sensors"),
    path("sensor/baru/", views_sensors.sensor_create, name="sensor_create"),
    path("sensor/<slug:code>/", views_sensors.sensor_detail, name="sensor"),
]
