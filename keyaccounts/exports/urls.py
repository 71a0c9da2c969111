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
    path("<slug:kind>/", views.export_view, name="export"),
]
