from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kotacerdas.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("akun/", include("kotacerdas.accounts.urls")),
    path("kantor/", include("kotacerdas.accounts.urls_kantor")),
    path("kantor/", include("kotacerdas.reports.urls_kantor")),
    path("kantor/", include("kotacerdas.emergency.urls_kantor")),
    path("kantor/awak/", include("kotacerdas.emergency.urls_crew")),
    path("kantor/karhutla/", include("kotacerdas.hotspots.urls_kantor")),
    path("open311/v2/", include("kotacerdas.reports.urls_open311")),
    path("", include("kotacerdas.council.urls")),
    path("", include("kotacerdas.reports.urls")),
    path("", include("kotacerdas.emergency.urls")),
    path("", include("kotacerdas.hotspots.urls")),
    path("", include("kotacerdas.regions.urls")),
    path("", include("kotacerdas.core.urls")),
]

handler400 = "kotacerdas.core.errors.bad_request"
handler403 = "kotacerdas.core.errors.permission_denied"
handler404 = "kotacerdas.core.errors.page_not_found"
handler500 = "kotacerdas.core.errors.server_error"
