from django.urls import include, path

from . import views_kantor as v

app_name = "kantor"
urlpatterns = [
    path("", v.home, name="home"),
    path("staf/", v.staff_list, name="staff_list"),
    path("staf/baru/", v.staff_create, name="staff_create"),
    path("staf/<int:user_id>/", v.staff_detail, name="staff_detail"),
    path("staf/<int:user_id>/aktif/", v.staff_set_active, name="staff_set_active"),
    path("staf/<int:user_id>/reset-otp/", v.staff_reset_totp, name="staff_reset_totp"),
    path("peran/<int:membership_id>/cabut/", v.membership_revoke, name="membership_revoke"),
    path("opd/", v.agency_list, name="agency_list"),
    path("opd/baru/", v.agency_edit, name="agency_create"),
    path("opd/<int:agency_id>/", v.agency_edit, name="agency_edit"),
    path("warga/", v.citizen_list, name="citizen_list"),
    path("warga/<int:user_id>/", v.citizen_detail, name="citizen_detail"),
    path("token/", v.token_list, name="token_list"),
    path("token/<int:token_id>/cabut/", v.token_revoke, name="token_revoke"),
    path("audit/", include("kotacerdas.core.urls_kantor")),
]
