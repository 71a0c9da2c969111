from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.schema import ETAG, IF_MATCH
from keyaccounts.api.sync import SyncViewSetMixin, check_if_match, idempotent
from scoring.receivables import services
from scoring.receivables.selectors import RECEIVABLE_ORDER, receivables_visible_to

from .filters import ReceivableApiFilter
from .serializers import ReceivablePaySerializer, ReceivableSerializer


@extend_schema_view(
    list=extend_schema(summary="Invoice receivables (应收账款) at the accounts you can see"),
    destroy=extend_schema(
        summary="Move an invoice to the recycle bin (who recorded it, the owner or a manager)"
    ),
)
@extend_schema(tags=["receivables"])
class ReceivableViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Receivables invoice by invoice (应收账款, 发票级): each invoice of ours to an
    account with its number, issue and due dates, amount and what has been paid of it,
    from the ERP or typed in. Whoever sees the account keeps its invoices; an account with
    invoices on record is aged from them (the money risk of its grade and deals). The
    invoice stays with its account; payments are recorded by pay/."""

    serializer_class = ReceivableSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ReceivableApiFilter
    ordering_fields = ["due_on", "issued_on", "amount", "created_at", "updated_at", "id"]
    ordering = list(RECEIVABLE_ORDER)
    idempotent_actions = {"create", "bulk", "pay"}
    bulk_label = "receivables"
    extra_error_codes = {"destroy": {403}, "pay": {412}}

    def get_queryset(self):
        return receivables_visible_to(self.request.user).select_related("account")

    def perform_destroy(self, instance, *, expected_version=None):
        services.receivable_delete(
            receivable=instance, by=self.request.user, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return receivables_visible_to(self.request.user, deleted=True).select_related("account")

    def perform_restore(self, instance):
        services.receivable_restore(receivable=instance, by=self.request.user)

    @extend_schema(
        summary="Record a payment",
        description="Adds `amount` (left out: all that is still open) to `paid_amount` "
        "and sets `paid_on` (default today). A payment of 0 or less, or more than "
        "`open_amount`, answers 400 on amount and records nothing. With If-Match, an "
        "invoice changed since you read it answers 412 and is not changed; an "
        "Idempotency-Key makes a retried payment answer the first answer, paying once.",
        parameters=[IF_MATCH, ETAG],
        request=ReceivablePaySerializer,
        responses={200: ReceivableSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def pay(self, request, pk=None):
        receivable = self.get_object()

        def produce():
            expected_version = check_if_match(request, receivable)
            data = ReceivablePaySerializer(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            paid = services.receivable_pay(
                receivable=receivable,
                by=request.user,
                amount=data.validated_data.get("amount"),
                on=data.validated_data.get("paid_on"),
                expected_version=expected_version,
            )
            return self._with_etag(Response(self.get_serializer(paid).data))

        return idempotent(request, produce)
