from django.urls import path

from . import views_kantor

urlpatterns = [
    path("", views_kantor.audit_list, name="audit_list"),
]
