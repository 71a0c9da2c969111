from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Account
from accounts.selectors import (
    accounts_visible_to,
    contacts_visible_to,
    listed_account_ids,
    unfiltered_account_count,
    with_ids,
)
from accounts.services import account_delete, account_restore, contact_delete, contact_restore
from keyaccounts.api import pagination
from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.sync import SyncViewSetMixin

from .filters import AccountFilter, ContactFilter
from .serializers import AccountSerializer, AccountTreeSerializer, ContactSerializer

ACCOUNT_DUPLICATES = (
    "A likely duplicate of an existing account (the same unified social credit code, or "
    "the same name once case, width, spaces and legal forms such as 有限公司 or Co., Ltd. "
    "are set aside) answers 409 `possible_duplicate`: `duplicates` names those you may "
    "see, `hidden_duplicates` counts the others. Send the same body again with "
    '`"confirm_duplicate": true` to save a different company of a similar name; a credit '
    "code another account has is never saved twice. On a change, only a new name or "
    "credit code is checked."
)
CONTACT_DUPLICATES = (
    "Another contact of the account with the same phone number (+86 and separators set "
    "aside) or email address (case set aside) answers 409 `possible_duplicate` naming "
    'it; send the body again with `"confirm_duplicate": true` to save it anyway.'
)

# Of an account's score, what no answer of it shows: its contributions (the "why", a JSON
# document of 1–2 KB: `…/grade/` answers them).
LEAN = ("score__contributions",)


@extend_schema_view(
    list=extend_schema(summary="Accounts you can see"),
    create=extend_schema(description=ACCOUNT_DUPLICATES),
    update=extend_schema(description=ACCOUNT_DUPLICATES),
    partial_update=extend_schema(description=ACCOUNT_DUPLICATES),
    destroy=extend_schema(
        summary="Delete an account with its contacts, visits and deals (owner or manager)"
    ),
)
@extend_schema(tags=["accounts"])
class AccountViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Customer accounts you own, work on, or manage the team of (others answer 404)."""

    # The account's grade (`…/grade/`) and next best actions (`…/next-actions/`) are routes
    # scoring adds (scoring/account_api.py, `keyaccounts.api.extra_actions`).

    serializer_class = AccountSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AccountFilter
    ordering_fields = ["name", "region", "created_at", "updated_at", "id"]
    ordering = ["name"]
    idempotent_actions = {"create", "bulk"}
    extra_error_codes = {"destroy": {403}}
    bulk_label = "accounts"

    # How many accounts the list has, when its ids were read (the paginator's count).
    known_count = None

    def get_queryset(self):
        if self.action == "list":
            # A page of a person's few accounts read by their ids, not by walking the
            # company's name index (`listed_account_ids`, as the account list page);
            # their number is the count of the list unfiltered.
            ids = listed_account_ids(self.request.user)
            # Someone who sees more has them counted from their access rows alone.
            self.known_count = unfiltered_account_count(
                self.request.user, ids, up_to=pagination.COUNT_LIMIT
            )
            if ids is not None:
                return with_ids(Account.objects.all(), ids).select_related("score").defer(*LEAN)
        return accounts_visible_to(self.request.user).select_related("score").defer(*LEAN)

    def perform_destroy(self, instance, *, expected_version=None):
        account_delete(account=instance, by=self.request.user, expected_version=expected_version)

    def get_restore_queryset(self):
        return accounts_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        account_restore(account=instance, by=self.request.user)

    @extend_schema(
        summary="The account's group (集团客户): the accounts of it you can see, as a tree",
        responses={200: AccountTreeSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def tree(self, request, pk=None):
        """The group the account belongs to, from the highest company above it that you
        can see (or the account itself) down to every subsidiary at any depth: the
        accounts you can see as a flat list, parents before their subsidiaries, each with
        `parent` (its parent company's id as stored, which may be one you cannot see) and
        `depth` (0: the top shown; an account under one you cannot see hangs under its
        nearest company above it you can see); `hidden_count` counts the subsidiaries you
        cannot see, never naming them. 404 for an account you cannot see."""
        from accounts.group_tree import group_tree

        group = group_tree(user=request.user, account=self.get_object())
        data = {
            "root": group.root.pk,
            "accounts": [
                {
                    "id": row.account.pk,
                    "name": row.account.name,
                    "parent": row.account.parent_id,
                    "depth": row.depth,
                }
                for row in group.rows
            ],
            "hidden_count": group.hidden_count,
            "above_hidden": group.above_hidden,
        }
        return Response(AccountTreeSerializer(data).data)


@extend_schema_view(
    list=extend_schema(summary="Contacts at the accounts you can see"),
    create=extend_schema(description=CONTACT_DUPLICATES),
    update=extend_schema(description=CONTACT_DUPLICATES),
    partial_update=extend_schema(description=CONTACT_DUPLICATES),
)
@extend_schema(tags=["contacts"])
class ContactViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """The people at your accounts: the buying center."""

    serializer_class = ContactSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at", "updated_at", "id"]
    ordering = ["name"]
    idempotent_actions = {"create", "bulk"}
    bulk_label = "contacts"

    def get_queryset(self):
        return contacts_visible_to(self.request.user)

    def get_bulk_queryset(self):
        # The relationship owner an item may send back as it is.
        return contacts_visible_to(self.request.user).select_related("relationship_owner")

    def perform_destroy(self, instance, *, expected_version=None):
        contact_delete(contact=instance, by=self.request.user, expected_version=expected_version)

    def get_restore_queryset(self):
        return contacts_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        contact_restore(contact=instance, by=self.request.user)
