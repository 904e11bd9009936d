from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("peta/", views.region_map, name="map"),
]
