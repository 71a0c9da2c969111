from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("dashboard/", views.dashboard_export_view, name="dashboard"),
    path("<slug:kind>/", views.export_view, name="export"),
]
