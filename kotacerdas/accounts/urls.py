from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("daftar/", views.signup, name="signup"),
    path("masuk/", views.login_view, name="login"),
    path("masuk/otp/", views.login_otp, name="login_otp"),
    path("masuk/otp/daftar/", views.otp_enroll, name="otp_enroll"),
    path("keluar/", views.logout_view, name="logout"),
]
