from django.urls import path
from django.views.generic import TemplateView

app_name = "regions"
urlpatterns = [
    # Placeholder: replaced by the map page.
    path("peta/", TemplateView.as_view(template_name="core/offline.html"), name="map"),
]
