from django.urls import path

from . import views

app_name = "recyclebin"

urlpatterns = [
    path("", views.bin_view, name="bin"),
    path("<int:pk>/restore/", views.restore_view, name="restore"),
]
