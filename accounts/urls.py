from django.urls import path

from keyaccounts.history.views import account_history_view, contact_history_view

from . import brief_views, merge_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list_view, name="list"),
    path("new/", views.account_create_view, name="create"),
    path("search/", views.account_search_view, name="search"),
    path("<int:pk>/", views.account_detail_view, name="detail"),
    path("<int:pk>/edit/", views.account_edit_view, name="edit"),
    path("<int:pk>/merge/", merge_views.account_merge_pick_view, name="merge"),
    path("<int:pk>/merge/<int:other_pk>/", merge_views.account_merge_view, name="merge_confirm"),
    path("<int:pk>/history/", account_history_view, name="history"),
    path("<int:pk>/brief/", brief_views.account_brief_view, name="brief"),
    path("<int:pk>/delete/", views.account_delete_view, name="delete"),
    path("<int:account_pk>/contacts/", views.account_contacts_view, name="contacts"),
    path("<int:account_pk>/contacts/new/", views.contact_create_view, name="contact_create"),
    path("<int:account_pk>/contacts/<int:pk>/edit/", views.contact_edit_view, name="contact_edit"),
    path(
        "<int:account_pk>/contacts/<int:pk>/delete/",
        views.contact_delete_view,
        name="contact_delete",
    ),
    path(
        "<int:account_pk>/contacts/<int:pk>/merge/",
        merge_views.contact_merge_pick_view,
        name="contact_merge",
    ),
    path(
        "<int:account_pk>/contacts/<int:pk>/merge/<int:other_pk>/",
        merge_views.contact_merge_view,
        name="contact_merge_confirm",
    ),
    path(
        "<int:account_pk>/contacts/<int:pk>/history/",
        contact_history_view,
        name="contact_history",
    ),
    path("<int:account_pk>/team/add/", views.team_member_add_view, name="team_add"),
    path(
        "<int:account_pk>/team/<int:pk>/remove/", views.team_member_remove_view, name="team_remove"
    ),
    path("<int:account_pk>/competitors/new/", views.competitor_edit_view, name="competitor_create"),
    path(
        "<int:account_pk>/competitors/<int:pk>/edit/",
        views.competitor_edit_view,
        name="competitor_edit",
    ),
    path(
        "<int:account_pk>/competitors/<int:pk>/remove/",
        views.competitor_remove_view,
        name="competitor_remove",
    ),
]
