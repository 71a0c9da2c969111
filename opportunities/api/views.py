from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.schema import ETAG, IF_MATCH
from keyaccounts.api.serializers import READ_ACTIONS
from keyaccounts.api.sync import SyncViewSetMixin, check_if_match, idempotent
from opportunities.selectors import (
    deals_listed_for,
    opportunities_visible_to,
    stages,
    with_account_grade,
    with_deal_parts,
)
from opportunities.services import criterion_set, opportunity_delete, opportunity_restore

from .filters import OpportunityFilter
from .serializers import (
    CriterionCheckSerializer,
    OpportunitySerializer,
    StageSerializer,
)


@extend_schema(tags=["stages"])
class StageViewSet(viewsets.ReadOnlyModelViewSet):
    """The sales stages in order, each with its exit criteria. Read-only: managers
    change them in the admin."""

    serializer_class = StageSerializer
    pagination_class = None
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return stages()

    def integration_token_types(self, request) -> list[str]:
        """Reference data of no record type: any integration token may read it."""
        return []


@extend_schema_view(
    list=extend_schema(summary="Opportunities at the accounts you can see"),
    partial_update=extend_schema(
        summary='Change a deal; {"stage": id} moves it (exit criteria and close_reason apply)'
    ),
)
@extend_schema(tags=["opportunities"])
class OpportunityViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Deals at your accounts. {"stage": id} moves one: forward needs the exit criteria
    of every stage passed (tick them with criteria/), closing needs close_reason."""

    serializer_class = OpportunitySerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = OpportunityFilter
    ordering_fields = ["expected_close_date", "amount", "name", "created_at", "updated_at", "id"]
    ordering = ["expected_close_date"]
    idempotent_actions = {"create", "bulk", "criteria"}
    bulk_label = "deals"
    extra_error_codes = {"criteria": {400, 404, 412}}

    def get_queryset(self):
        # Each deal's parts (contacts, team, competitors, ticks): one query per part.
        deals = opportunities_visible_to(self.request.user)
        if self.action == "list":  # a page in any order: through the user's accounts
            deals = deals_listed_for(self.request.user)
        if self.action == "retrieve":
            # The account's grade only; the parts are read by the record's serializer.
            return with_account_grade(deals)
        if self.action in READ_ACTIONS:
            # A page of deals: the list's serializer reads their parts and their accounts'
            # grades after the page (`attach_deal_parts`, `attach_account_grades`).
            return deals
        return with_deal_parts(deals.select_related("account__score"))

    def get_bulk_queryset(self):
        # What the deals' writes read of them: the stage (for a move), the owner (an
        # owner sent back as it is), the parts an item may send back as they are.
        return with_deal_parts(
            opportunities_visible_to(self.request.user).select_related("stage", "owner")
        )

    def perform_destroy(self, instance, *, expected_version=None):
        opportunity_delete(
            opportunity=instance, by=self.request.user, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return opportunities_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        opportunity_restore(opportunity=instance, by=self.request.user)

    # --- exit criteria, as the board ticks them ---

    @extend_schema(
        summary="Tick or untick one exit criterion of the deal",
        description="With If-Match, a deal changed since you read it answers 412 (even when "
        "the criterion is already as asked). With an Idempotency-Key, a retry replays the "
        "answer; the same key with another body answers 422.",
        parameters=[IF_MATCH, ETAG],
        request=CriterionCheckSerializer,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def criteria(self, request, pk=None):
        opportunity = self.get_object()
        return idempotent(request, lambda: self._criteria(request, opportunity))

    def _criteria(self, request, opportunity) -> Response:
        expected_version = check_if_match(request, opportunity)  # before the body
        serializer = CriterionCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        criterion_set(
            opportunity=opportunity,
            criterion=serializer.validated_data["criterion"],
            checked=serializer.validated_data["checked"],
            by=request.user,
            expected_version=expected_version,
        )
        opportunity = self.get_queryset().get(pk=opportunity.pk)
        return self._with_etag(Response(OpportunitySerializer(opportunity).data))
