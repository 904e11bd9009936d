from django.urls import path, register_converter

from . import views


class RefConverter:
    """A report number: YYMM-XXXXXX in the alphabet services use (no 0/O, 1/I), so that
    "baru", "saya" or "sekitar" are never taken for one."""

    regex = "[0-9]{4}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RefConverter, "report_ref")

app_name = "reports"
urlpatterns = [
    path("laporan/", views.report_list, name="list"),
    path("laporan/baru/", views.report_create, name="create"),
    path("laporan/saya/", views.my_reports, name="mine"),
    path("laporan/sekitar/", views.nearby, name="nearby"),
    path("laporan/peta.json", views.map_data, name="map_data"),
    path("aspirasi/", views.aspirations, name="aspirations"),
    path("laporan/<report_ref:ref>/", views.report_detail, name="detail"),
    path("laporan/<report_ref:ref>/dukung/", views.support, name="support"),
    path("laporan/<report_ref:ref>/jawab/", views.answer, name="answer"),
    path("laporan/<report_ref:ref>/konfirmasi/", views.confirm, name="confirm"),
    path("laporan/<report_ref:ref>/sanggah/", views.dispute, name="dispute"),
    path("laporan/<report_ref:ref>/nilai/", views.rate, name="rate"),
    path("laporan/<report_ref:ref>/foto/<int:photo_id>/", views.photo, name="photo"),
    path(
        "laporan/<report_ref:ref>/foto/<int:photo_id>/kecil/",
        views.photo_thumb,
        name="photo_thumb",
    ),
]
