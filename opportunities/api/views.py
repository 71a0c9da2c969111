from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from keyaccounts.api.exceptions import (
    FIELD_OF_CODE,
    NON_FIELD,
    django_validation_errors,
    field_errors,
)
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.serializers import preload_related
from keyaccounts.api.sync import SyncViewSetMixin, idempotent
from keyaccounts.exceptions import ApplicationError
from opportunities.selectors import opportunities_visible_to, stages
from opportunities.services import criterion_set, opportunity_delete, opportunity_restore

from .filters import OpportunityFilter
from .serializers import (
    BULK_MAX_ITEMS,
    BulkResultSerializer,
    CriterionCheckSerializer,
    OpportunityBulkItemSerializer,
    OpportunitySerializer,
    StageSerializer,
)


@extend_schema(tags=["opportunities"])
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
class OpportunityViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """Deals at your accounts. {"stage": id} moves one: forward needs the exit criteria
    of every stage passed (tick them with criteria/), closing needs close_reason."""

    serializer_class = OpportunitySerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = OpportunityFilter
    ordering_fields = ["expected_close_date", "amount", "name", "created_at", "updated_at", "id"]
    ordering = ["expected_close_date"]
    idempotent_actions = {"create", "bulk"}
    extra_error_codes = {"criteria": {400, 404}}

    def get_queryset(self):
        return (
            opportunities_visible_to(self.request.user)
            .select_related("account__score")
            .prefetch_related("criterion_checks")
        )

    def get_serializer_class(self):
        if self.action == "bulk":
            return OpportunityBulkItemSerializer
        return super().get_serializer_class()

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
        request=CriterionCheckSerializer,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def criteria(self, request, pk=None):
        opportunity = self.get_object()
        serializer = CriterionCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        criterion_set(
            opportunity=opportunity,
            criterion=serializer.validated_data["criterion"],
            checked=serializer.validated_data["checked"],
            by=request.user,
        )
        opportunity = self.get_queryset().get(pk=opportunity.pk)
        return self._with_etag(Response(OpportunitySerializer(opportunity).data))

    # --- bulk upsert by external_id ---

    @extend_schema(
        summary=f"Create or replace up to {BULK_MAX_ITEMS} deals by external_id",
        description="Each item is written on its own, all or nothing for that item: a bad "
        "item is reported in its result and does not stop the others; an item equal to the "
        "deal it names is `unchanged` (same version, nothing written). The answer is 200 "
        "whenever the list itself was readable; look at each result's status.",
        request=OpportunityBulkItemSerializer(many=True),
        responses={200: OpenApiResponse(BulkResultSerializer, description="One result per item.")},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        items = request.data
        if not isinstance(items, list):
            raise ValidationError(_("Send a JSON list of opportunities."))
        if len(items) > BULK_MAX_ITEMS:
            raise ValidationError(
                _("Send at most %(max)d items at once; split the list.") % {"max": BULK_MAX_ITEMS}
            )
        if not all(isinstance(item, dict) for item in items):
            raise ValidationError(_("Each item must be a JSON object."))
        return idempotent(request, lambda: self._bulk(items))

    def _bulk(self, items: list[dict]) -> Response:
        # What every item refers to, read for the whole list: the deals named by their
        # external_id, the accounts, stages and owners named by id. Each item is then
        # validated from these and written through the services, as one alone would be.
        visible = opportunities_visible_to(self.request.user).select_related("stage")
        keys = [item.get("external_id") for item in items]
        deals = dict.fromkeys(key for key in keys if _usable_key(key))  # None: no such deal
        for deal in visible.filter(external_id__in=list(deals)):
            deal.remember_stored()
            deals[deal.external_id] = deal
        context = {
            **self.get_serializer_context(),
            "preloaded": preload_related(self.get_serializer(), items),
        }
        results = [
            self._bulk_item(index, item, visible, deals, context)
            for index, item in enumerate(items)
        ]
        counts = {status: 0 for status in ("created", "updated", "unchanged", "error")}
        for result in results:
            counts[result["status"]] += 1
        return Response(
            {
                "results": results,
                "created": counts["created"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "failed": counts["error"],
            }
        )

    def _bulk_item(self, index: int, item: dict, visible, deals: dict, context: dict) -> dict:
        external_id = item.get("external_id")
        result = {
            "index": index,
            "external_id": external_id if isinstance(external_id, str) else None,
            "status": "error",
            "id": None,
            "version": None,
            "errors": {},
        }
        instance = None
        if _usable_key(external_id):
            if external_id in deals:
                # As read for the list; taken once: a later item of the same deal reads
                # it as this one left it.
                instance = deals.pop(external_id)
            else:
                instance = visible.filter(external_id=external_id).first()
        serializer = self.get_serializer(instance, data=item, context=context)
        if not serializer.is_valid():
            result["errors"] = field_errors(serializer.errors)
            return result
        try:
            # An item fails whole, and alone: it is one call of one atomic service (a
            # savepoint when the request has a transaction); an unchanged deal is left
            # by the service before it opens one.
            saved = serializer.save()
        except ApplicationError as error:
            field = FIELD_OF_CODE.get(error.code, NON_FIELD)
            result["errors"] = {field: [error.message]}
            return result
        except DjangoValidationError as error:
            result["errors"] = django_validation_errors(error)
            return result
        except IntegrityError:
            result["errors"] = {
                NON_FIELD: [_("This conflicts with a record saved at the same time.")]
            }
            return result
        if instance is None:
            status = "created"
        elif saved.saved_changes:
            status = "updated"
        else:
            status = "unchanged"  # the item equals the deal: nothing written
        result.update(status=status, id=saved.pk, version=saved.version)
        return result


def _usable_key(external_id) -> bool:
    """An external_id a deal may have: a lookup by anything else finds nothing."""
    return isinstance(external_id, str) and bool(external_id) and "\x00" not in external_id
