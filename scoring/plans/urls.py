from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("accounts/<int:account_pk>/plans/", views.plan_list_view, name="list"),
    path("accounts/<int:account_pk>/plans/new/", views.plan_create_view, name="create"),
    path("accounts/<int:account_pk>/plans/<int:pk>/", views.plan_detail_view, name="detail"),
    path("accounts/<int:account_pk>/plans/<int:pk>/edit/", views.plan_edit_view, name="edit"),
    path("accounts/<int:account_pk>/plans/<int:pk>/delete/", views.plan_delete_view, name="delete"),
    path(
        "accounts/<int:account_pk>/plans/<int:pk>/history/",
        views.plan_history_view,
        name="history",
    ),
    path(
        "accounts/<int:account_pk>/plans/<int:pk>/actions/new/",
        views.action_create_view,
        name="action_create",
    ),
    path("plans/actions/", views.action_list_view, name="action_list"),
    path("plans/actions/<int:pk>/", views.action_detail_view, name="action_detail"),
    path("plans/actions/<int:pk>/edit/", views.action_edit_view, name="action_edit"),
    path("plans/actions/<int:pk>/done/", views.action_done_view, name="action_done"),
    path("plans/actions/<int:pk>/delete/", views.action_delete_view, name="action_delete"),
    path("plans/actions/<int:pk>/history/", views.action_history_view, name="action_history"),
]
