from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from accounts.selectors import accounts_visible_to, contacts_visible_to
from accounts.services import account_delete, contact_delete
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.sync import SyncViewSetMixin

from .filters import AccountFilter, ContactFilter
from .serializers import AccountSerializer, ContactSerializer


@extend_schema_view(
    list=extend_schema(summary="Accounts you can see"),
    destroy=extend_schema(
        summary="Delete an account with its contacts, visits and deals (owner or manager)"
    ),
)
@extend_schema(tags=["accounts"])
class AccountViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """Customer accounts you own, work on, or manage the team of (others answer 404)."""

    serializer_class = AccountSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AccountFilter
    ordering_fields = ["name", "region", "created_at", "updated_at", "id"]
    ordering = ["name"]
    idempotent_actions = {"create"}
    extra_error_codes = {"destroy": {403}}

    def get_queryset(self):
        return accounts_visible_to(self.request.user)

    def perform_destroy(self, instance, *, expected_version=None):
        account_delete(account=instance, by=self.request.user, expected_version=expected_version)


@extend_schema_view(list=extend_schema(summary="Contacts at the accounts you can see"))
@extend_schema(tags=["contacts"])
class ContactViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """The people at your accounts: the buying center."""

    serializer_class = ContactSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at", "updated_at", "id"]
    ordering = ["name"]
    idempotent_actions = {"create"}

    def get_queryset(self):
        return contacts_visible_to(self.request.user)

    def perform_destroy(self, instance, *, expected_version=None):
        contact_delete(contact=instance, by=self.request.user, expected_version=expected_version)
