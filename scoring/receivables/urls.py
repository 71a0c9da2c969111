from django.urls import path

from . import views

app_name = "receivables"

urlpatterns = [
    path("receivables/", views.receivable_list_view, name="list"),
    path(
        "accounts/<int:account_pk>/receivables/new/",
        views.receivable_create_view,
        name="create",
    ),
    path("receivables/<int:pk>/", views.receivable_detail_view, name="detail"),
    path("receivables/<int:pk>/edit/", views.receivable_edit_view, name="edit"),
    path("receivables/<int:pk>/pay/", views.receivable_pay_view, name="pay"),
    path("receivables/<int:pk>/history/", views.receivable_history_view, name="history"),
    path("receivables/<int:pk>/delete/", views.receivable_delete_view, name="delete"),
]
