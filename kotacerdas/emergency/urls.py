from django.urls import path, re_path

from kotacerdas.core.refs import REF_PATTERN

from . import views as v

REF = rf"(?P<ref>{REF_PATTERN})"

app_name = "emergency"
urlpatterns = [
    path("darurat/ambulans/", v.ambulance, name="ambulance"),
    path("darurat/kebakaran/", v.fire, name="fire"),
    path("darurat/saya/", v.mine, name="mine"),
    re_path(rf"^darurat/{REF}/$", v.status, name="status"),
    re_path(rf"^darurat/{REF}/rincian/$", v.details, name="details"),
    re_path(rf"^darurat/{REF}/batal/$", v.cancel, name="cancel"),
    re_path(rf"^darurat/{REF}/status\.json$", v.status_json, name="status_json"),
    re_path(rf"^darurat/{REF}/stream/$", v.status_stream, name="status_stream"),
]
