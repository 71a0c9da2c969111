from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("jobs/<int:pk>/", views.job_view, name="job"),
    path("jobs/<int:pk>/map/", views.map_view, name="map"),
    path("jobs/<int:pk>/confirm/", views.confirm_view, name="confirm"),
    path("jobs/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("jobs/<int:pk>/recheck/", views.recheck_view, name="recheck"),
    path("jobs/<int:pk>/progress/", views.progress_view, name="progress"),
    path("jobs/<int:pk>/rejected.<str:fmt>", views.rejected_view, name="rejected"),
    path("<slug:kind>/", views.upload_view, name="upload"),
    path("<slug:kind>/template.xlsx", views.template_view, name="template"),
]
