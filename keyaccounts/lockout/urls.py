from django.urls import path

from . import views

app_name = "lockout"

urlpatterns = [
    path("", views.lockouts_view, name="list"),
]
