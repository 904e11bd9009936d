from django.urls import path
from django.views.generic import TemplateView

app_name = "accounts"
_placeholder = TemplateView.as_view(template_name="core/offline.html")
urlpatterns = [
    path("masuk/", _placeholder, name="login"),
    path("daftar/", _placeholder, name="signup"),
    path("", _placeholder, name="profile"),
]
