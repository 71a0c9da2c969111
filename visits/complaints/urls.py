from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("complaints/", views.complaint_list_view, name="list"),
    path("accounts/<int:account_pk>/complaints/new/", views.complaint_create_view, name="create"),
    path("complaints/<int:pk>/", views.complaint_detail_view, name="detail"),
    path("complaints/<int:pk>/edit/", views.complaint_edit_view, name="edit"),
    path("complaints/<int:pk>/history/", views.complaint_history_view, name="history"),
    path("complaints/<int:pk>/delete/", views.complaint_delete_view, name="delete"),
    path("complaints/<int:pk>/respond/", views.complaint_respond_view, name="respond"),
    path("complaints/<int:pk>/resolve/", views.complaint_resolve_view, name="resolve"),
    path("complaints/<int:pk>/close/", views.complaint_close_view, name="close"),
    path("complaints/<int:pk>/reopen/", views.complaint_reopen_view, name="reopen"),
    path("complaints/<int:pk>/assign/", views.complaint_assign_view, name="assign"),
]
