from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.schema import ETAG, IF_MATCH
from keyaccounts.api.sync import SyncViewSetMixin, check_if_match, idempotent
from visits.complaints import services
from visits.complaints.selectors import complaints_visible_to

from .filters import ComplaintApiFilter
from .serializers import (
    AssignSerializer,
    CloseSerializer,
    ComplaintSerializer,
    ReopenSerializer,
    ResolveSerializer,
    RespondSerializer,
)


def _action_schema(summary: str, description: str, request):
    return extend_schema(
        summary=summary,
        description=description
        + " A complaint whose status does not allow it answers 400 (invalid_status). With "
        "If-Match, a complaint changed since you read it answers 412 and is not changed.",
        parameters=[IF_MATCH, ETAG],
        request=request,
        responses={200: ComplaintSerializer},
    )


@extend_schema_view(
    list=extend_schema(summary="Complaints (投诉) at the accounts you can see"),
    destroy=extend_schema(
        summary="Move a complaint to the recycle bin (who recorded it, the owner or a manager)"
    ),
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Complaints of your accounts' customers, handled in a closed loop (投诉闭环):
    recorded (account, contact, channel, severity, what happened), assigned to the owner or
    someone on the account team, answered by respond_by and resolved by resolve_by — working
    days from the service level of the account's grade — and closed only when the customer
    confirms. Status moves only by the actions respond/, resolve/, close/ and reopen/ (new
    deadlines from the reopening); assign/ hands it over."""

    serializer_class = ComplaintSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ComplaintApiFilter
    ordering_fields = ["received_at", "respond_by", "resolve_by", "created_at", "updated_at", "id"]
    ordering = ["-received_at", "-id"]
    idempotent_actions = {"create", "bulk", "respond", "resolve", "close", "reopen", "assign"}
    bulk_label = "complaints"
    extra_error_codes = {"destroy": {403}, "assign": {403, 412}, "respond": {412},
                         "resolve": {412}, "close": {412}, "reopen": {412}}  # fmt: skip

    def get_queryset(self):
        return complaints_visible_to(self.request.user).select_related("account")

    def perform_destroy(self, instance, *, expected_version=None):
        services.complaint_delete(
            by=self.request.user, complaint=instance, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return complaints_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        services.complaint_restore(by=self.request.user, complaint=instance)

    def _act(self, request, serializer_class, run):
        complaint = self.get_object()

        def produce():
            expected_version = check_if_match(request, complaint)
            data = serializer_class(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            result = run(complaint, data.validated_data, expected_version)
            return self._with_etag(Response(self.get_serializer(result).data))

        return idempotent(request, produce)

    @_action_schema("Answer the customer", "open → answered.", RespondSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def respond(self, request, pk=None):
        return self._act(
            request,
            RespondSerializer,
            lambda c, data, version: services.complaint_respond(
                by=request.user, complaint=c, expected_version=version, **data
            ),
        )

    @_action_schema("Record the resolution", "open or answered → resolved.", ResolveSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request, pk=None):
        return self._act(
            request,
            ResolveSerializer,
            lambda c, data, version: services.complaint_resolve(
                by=request.user, complaint=c, expected_version=version, **data
            ),
        )

    @_action_schema(
        "Close it: the customer confirmed",
        "resolved → closed; give confirmed_by_contact or confirmation_note.",
        CloseSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request, pk=None):
        return self._act(
            request,
            CloseSerializer,
            lambda c, data, version: services.complaint_close(
                by=request.user, complaint=c, expected_version=version, **data
            ),
        )

    @_action_schema(
        "Reopen it", "resolved or closed → open, with new deadlines from now.", ReopenSerializer
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        return self._act(
            request,
            ReopenSerializer,
            lambda c, data, version: services.complaint_reopen(
                by=request.user, complaint=c, expected_version=version, **data
            ),
        )

    @_action_schema(
        "Hand it over (the owner, the assignee or a manager)",
        "To the account's owner or someone on its team.",
        AssignSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request, pk=None):
        return self._act(
            request,
            AssignSerializer,
            lambda c, data, version: services.complaint_assign(
                by=request.user, complaint=c, expected_version=version, **data
            ),
        )
