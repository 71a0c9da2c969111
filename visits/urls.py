from django.urls import path

from . import heatmap_views, views

app_name = "visits"

urlpatterns = [
    path("my-week/", views.my_week_view, name="my_week"),
    path("relationships/", heatmap_views.heat_map_view, name="heat_map"),
    path("my-week/follow-ups/", views.follow_up_list_view, name="follow_ups"),
    path("my-week/planned/", views.planned_list_view, name="planned"),
    path("visits/new/", views.visit_start_view, name="start"),
    path("accounts/<int:account_pk>/visits/", views.account_visits_view, name="account_visits"),
    path("accounts/<int:account_pk>/visits/new/", views.visit_create_view, name="create"),
    path("visits/<int:pk>/", views.visit_detail_view, name="detail"),
    path("visits/<int:pk>/edit/", views.visit_edit_view, name="edit"),
    path("visits/<int:pk>/history/", views.visit_history_view, name="history"),
    path("visits/<int:pk>/cancel/", views.visit_cancel_view, name="cancel"),
    path("visits/<int:pk>/delete/", views.visit_delete_view, name="delete"),
    path("visits/<int:pk>/follow-up/", views.follow_up_log_view, name="follow_up"),
    path("development-records/", views.record_list_view, name="record_list"),
    path(
        "accounts/<int:account_pk>/development-records/new/",
        views.record_create_view,
        name="record_create",
    ),
    path("development-records/<int:pk>/", views.record_detail_view, name="record_detail"),
    path("development-records/<int:pk>/edit/", views.record_edit_view, name="record_edit"),
    path(
        "development-records/<int:pk>/history/",
        views.development_record_history_view,
        name="record_history",
    ),
    path("development-records/<int:pk>/review/", views.record_review_view, name="record_review"),
    path("development-records/<int:pk>/delete/", views.record_delete_view, name="record_delete"),
    path("team/", views.team_view, name="team"),
    path("notifications/", views.notification_list_view, name="notifications"),
    path(
        "notifications/read-all/",
        views.notification_read_all_view,
        name="notifications_read_all",
    ),
    path("notifications/<int:pk>/read/", views.notification_read_view, name="notification_read"),
]
