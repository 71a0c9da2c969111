from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "exports"

urlpatterns = [
    # The dashboard's workbook moved to the dashboard (/dashboard/export/): the old
    # address leads there, with its filters.
    path(
        "dashboard/",
        RedirectView.as_view(
            pattern_name="scoring:dashboard_export", query_string=True, permanent=True
        ),
        name="dashboard",
    ),
    # The files prepared in the background (before <kind>/: "files" is no export type).
    path("files/", views.files_view, name="files"),
    path("files/status/", views.files_status_view, name="files_status"),
    path("files/<int:pk>/", views.file_download_view, name="file_download"),
    path("files/<int:pk>/delete/", views.file_delete_view, name="file_delete"),
    path("<slug:kind>/", views.export_view, name="export"),
]
