from django.urls import path

from . import views

app_name = "hotspots"
urlpatterns = [
    # Public: the hotspot map and open data (NASA FIRMS is public; no response details here).
    path("titik-panas/", views.public_map, name="public_map"),
    path("titik-panas/peta.json", views.public_map_data, name="public_map_data"),
    path("data/titik-panas.csv", views.export_hotspots_csv, name="export_hotspots_csv"),
    path("data/titik-panas.geojson", views.export_hotspots_geojson, name="export_hotspots_geojson"),
    path("data/kejadian-kebakaran.csv", views.export_events_csv, name="export_events_csv"),
    path(
        "data/kejadian-kebakaran.geojson",
        views.export_events_geojson,
        name="export_events_geojson",
    ),
]
