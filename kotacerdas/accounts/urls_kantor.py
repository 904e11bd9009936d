from django.urls import path

app_name = "kantor"
urlpatterns: list = []
