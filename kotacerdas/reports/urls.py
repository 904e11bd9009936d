from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("laporan/", views.report_list, name="list"),
    path("laporan/<str:ref>/", views.report_detail, name="detail"),
]
