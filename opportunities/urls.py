from django.urls import path

from . import approval_views, views

app_name = "opportunities"

urlpatterns = [
    path("pipeline/", views.board_view, name="board"),
    path(
        "accounts/<int:account_pk>/opportunities/new/",
        views.opportunity_create_view,
        name="create",
    ),
    path("pipeline/<int:pk>/", views.opportunity_detail_view, name="detail"),
    path("pipeline/approvals/", approval_views.approvals_list_view, name="approvals"),
    path("pipeline/approvals/<int:aid>/", approval_views.approval_go_view, name="approval"),
    path(
        "pipeline/approvals/<int:aid>/<str:decision>/",
        approval_views.approval_decide_view,
        name="approval_decide",
    ),
    path(
        "pipeline/<int:pk>/approval/",
        approval_views.approval_request_view,
        name="approval_request",
    ),
    path("pipeline/<int:pk>/edit/", views.opportunity_edit_view, name="edit"),
    path("pipeline/<int:pk>/delete/", views.opportunity_delete_view, name="delete"),
    path("pipeline/<int:pk>/history/", views.opportunity_history_view, name="history"),
    path("pipeline/<int:pk>/move/", views.opportunity_move_view, name="move"),
    path("pipeline/<int:pk>/close/", views.opportunity_close_view, name="close"),
    path("pipeline/<int:pk>/criteria/", views.criteria_view, name="criteria"),
    path("pipeline/<int:pk>/contacts/add/", views.contact_add_view, name="contact_add"),
    path(
        "pipeline/<int:pk>/contacts/<int:entry_pk>/remove/",
        views.contact_remove_view,
        name="contact_remove",
    ),
    path("pipeline/<int:pk>/team/add/", views.team_add_view, name="team_add"),
    path(
        "pipeline/<int:pk>/team/<int:member_pk>/remove/",
        views.team_remove_view,
        name="team_remove",
    ),
    path(
        "pipeline/<int:pk>/competitors/new/",
        views.competitor_edit_view,
        name="competitor_create",
    ),
    path(
        "pipeline/<int:pk>/competitors/<int:competitor_pk>/edit/",
        views.competitor_edit_view,
        name="competitor_edit",
    ),
    path(
        "pipeline/<int:pk>/competitors/<int:competitor_pk>/remove/",
        views.competitor_remove_view,
        name="competitor_remove",
    ),
]
