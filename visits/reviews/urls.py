from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("reviews/missing/", views.missing_reviews_view, name="missing"),
    path("accounts/<int:account_pk>/reviews/", views.account_reviews_view, name="account_list"),
    path("accounts/<int:account_pk>/reviews/new/", views.review_create_view, name="create"),
    path("reviews/<int:pk>/", views.review_detail_view, name="detail"),
    path("reviews/<int:pk>/edit/", views.review_edit_view, name="edit"),
    path("reviews/<int:pk>/minutes/", views.review_minutes_view, name="minutes"),
    path("reviews/<int:pk>/cancel/", views.review_cancel_view, name="cancel"),
    path("reviews/<int:pk>/history/", views.review_history_view, name="history"),
    path("reviews/<int:pk>/delete/", views.review_delete_view, name="delete"),
    path(
        "reviews/<int:pk>/follow-ups/new/",
        views.follow_up_create_view,
        name="follow_up_create",
    ),
    path("review-follow-ups/<int:pk>/edit/", views.follow_up_edit_view, name="follow_up_edit"),
    path("review-follow-ups/<int:pk>/done/", views.follow_up_done_view, name="follow_up_done"),
    path(
        "review-follow-ups/<int:pk>/reopen/",
        views.follow_up_reopen_view,
        name="follow_up_reopen",
    ),
    path(
        "review-follow-ups/<int:pk>/delete/",
        views.follow_up_delete_view,
        name="follow_up_delete",
    ),
    path(
        "review-follow-ups/<int:pk>/history/",
        views.follow_up_history_view,
        name="follow_up_history",
    ),
]
