from django.urls import path

from . import views

app_name = "council"
urlpatterns = [
    # Council dashboard (Dashboard Dewan)
    path("dewan/", views.dashboard, name="dashboard"),
    # Public open data: aggregates only
    path("data/", views.open_data, name="open_data"),
    path("data/indikator.csv", views.open_data_indicators_csv, name="open_data_indicators_csv"),
    path("data/indikator.json", views.open_data_indicators_json, name="open_data_indicators_json"),
    path("data/program.csv", views.open_data_programs_csv, name="open_data_programs_csv"),
    # Back office: masterplan programs
    path("kantor/program/", views.program_list, name="program_list"),
    path("kantor/program/baru/", views.program_create, name="program_create"),
    path("kantor/program/<slug:code>/", views.program_edit, name="program_edit"),
    path(
        "kantor/program/<slug:code>/target/", views.program_target_pick, name="program_target_pick"
    ),
    path(
        "kantor/program/<slug:code>/target/<int:year>/",
        views.program_target,
        name="program_target",
    ),
]
