from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("profile/", views.profile_view, name="profile"),
    path("profile/tokens/new/", views.token_create_view, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("webhooks/", views.webhook_list_view, name="webhook_list"),
    path("webhooks/new/", views.webhook_create_view, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail_view, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit_view, name="webhook_edit"),
    path("webhooks/<int:pk>/secret/", views.webhook_secret_view, name="webhook_secret"),
    path("webhooks/<int:pk>/state/", views.webhook_state_view, name="webhook_state"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete_view, name="webhook_delete"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.delivery_redeliver_view,
        name="delivery_redeliver",
    ),
]
