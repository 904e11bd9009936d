from django.urls import path
from django.views.generic import TemplateView

app_name = "council"
urlpatterns = [
    # Placeholder: replaced by the open-data page.
    path("data/", TemplateView.as_view(template_name="core/offline.html"), name="open_data"),
]
