from django.urls import path

from . import views_kantor

app_name = "reports_kantor"
urlpatterns = [
    path("laporan/", views_kantor.queue, name="queue"),
    path("laporan/kinerja/", views_kantor.performance, name="performance"),
    path("laporan/katalog/", views_kantor.catalogue, name="catalogue"),
    path("laporan/open311/", views_kantor.open311_clients, name="open311_clients"),
    path("laporan/agenda/", views_kantor.agenda, name="agenda"),
    path("laporan/<str:ref>/", views_kantor.detail, name="detail"),
]
