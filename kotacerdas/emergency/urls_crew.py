from django.urls import path

from . import views_crew as v

app_name = "emergency_crew"
urlpatterns = [
    path("", v.home, name="home"),
    path("unit/<int:unit_id>/", v.unit, name="unit"),
    path("unit/<int:unit_id>/status/", v.step, name="step"),
    path("unit/<int:unit_id>/posisi/", v.position, name="position"),
    path("unit/<int:unit_id>/state.json", v.state, name="state"),
    path("unit/<int:unit_id>/pasien/", v.patient_save, name="patient_save"),
]
