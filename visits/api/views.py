from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.schema import ETAG, IF_MATCH
from keyaccounts.api.serializers import READ_ACTIONS
from keyaccounts.api.sync import SyncViewSetMixin, check_if_match, idempotent
from keyaccounts.offline.permissions import OutboxUser
from keyaccounts.prefetch import listed
from visits.models import Visit
from visits.selectors import (
    development_records_visible_to,
    local_today,
    visits_visible_to,
    with_development_totals,
)
from visits.services import (
    check_followable,
    development_record_delete,
    development_record_restore,
    development_record_review,
    follow_up_log,
    visit_delete,
    visit_restore,
)

from .filters import DevelopmentRecordFilter, VisitFilter
from .serializers import (
    DevelopmentRecordReviewSerializer,
    DevelopmentRecordSerializer,
    VisitFollowUpSerializer,
    VisitSerializer,
)


@extend_schema_view(list=extend_schema(summary="Visits at the accounts you can see"))
@extend_schema(tags=["visits"])
class VisitViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Visits planned and recorded at your accounts. A recorded visit (status done) gets
    its follow-up due a week later unless follow_up_due is given."""

    serializer_class = VisitSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = VisitFilter
    ordering_fields = ["occurred_at", "planned_at", "created_at", "updated_at", "id"]
    ordering = ["-occurred_at", "-planned_at"]
    idempotent_actions = {"create", "bulk", "follow_up"}
    # What the phone's outbox sends (static/js/outbox.js): never as another user.
    outbox_actions = {"create", "follow_up"}
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, OutboxUser]
    extra_error_codes = {"follow_up": {412}}
    bulk_label = "visits"

    def get_queryset(self):
        visits = visits_visible_to(self.request.user)
        if self.action == "retrieve":  # ids only, as plain lists
            return visits.prefetch_related(listed(Visit, "contacts"), listed(Visit, "attendees"))
        if self.action in READ_ACTIONS:  # read for the whole list by `ListedIds`
            return visits
        return visits.prefetch_related("contacts", "attendees")

    def get_bulk_queryset(self):
        # With the account and people an item's update reads when it leaves them out.
        return self.get_queryset().select_related("account")

    def perform_destroy(self, instance, *, expected_version=None):
        visit_delete(visit=instance, by=self.request.user, expected_version=expected_version)

    def get_restore_queryset(self):
        return visits_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        visit_restore(visit=instance, by=self.request.user)

    @extend_schema(
        summary="Log the visit's follow-up",
        description="The follow-up of a recorded visit (status done): when, how and what the "
        "customer said; it settles the follow-up's reminders. A visit not recorded answers "
        "400, a follow-up logged already 409 (protected). With If-Match, a visit changed "
        "since you read it answers 412. With an Idempotency-Key, a retry replays the answer "
        "(the phone's outbox sends one logged with no signal this way).",
        parameters=[IF_MATCH, ETAG],
        request=VisitFollowUpSerializer,
        responses={200: VisitSerializer},
    )
    @action(detail=True, methods=["post"], url_path="follow-up", filter_backends=[])
    def follow_up(self, request, pk=None):
        visit = self.get_object()
        return idempotent(request, lambda: self._follow_up(request, visit))

    def _follow_up(self, request, visit) -> Response:
        expected_version = check_if_match(request, visit)  # before the body, as every write
        check_followable(visit)  # a planned visit: that, not the body's missing text
        body = VisitFollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = follow_up_log(
            visit=visit,
            by=request.user,
            followed_up_on=body.validated_data["followed_up_on"],
            method=body.validated_data["follow_up_method"],
            feedback=body.validated_data["follow_up_feedback"],
            today=local_today(),
            expected_version=expected_version,
        )
        return self._with_etag(Response(self.get_serializer(visit).data))


@extend_schema_view(
    list=extend_schema(summary="Development records (大客户开发记录) at the accounts you can see"),
    destroy=extend_schema(
        summary="Delete an unreviewed record (who prepared it, or a manager); a reviewed one "
        "answers 409"
    ),
)
@extend_schema(tags=["development records"])
class DevelopmentRecordViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Development records (大客户开发记录) at your accounts: one development effort, from
    its start to its result. contact_count and total_minutes are derived from the account's
    recorded visits in the record's period. Once the manager of the preparing rep's team
    (a superuser when no one on the team stands above the preparer) has reviewed a record
    (review/), it is locked: it can be neither changed nor deleted."""

    serializer_class = DevelopmentRecordSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = DevelopmentRecordFilter
    ordering_fields = ["prepared_on", "started_on", "closed_on", "created_at", "updated_at", "id"]
    ordering = ["-prepared_on", "-id"]
    idempotent_actions = {"create", "review", "bulk"}
    bulk_label = "development records"
    extra_error_codes = {"destroy": {403}, "review": {412}}

    def get_queryset(self):
        records = development_records_visible_to(self.request.user)
        return with_development_totals(records, today=local_today())

    def get_bulk_queryset(self):
        # Without the list's totals (an item's write reads its own), with the account
        # its update reads.
        return development_records_visible_to(self.request.user).select_related("account")

    def perform_destroy(self, instance, *, expected_version=None):
        development_record_delete(
            record=instance, by=self.request.user, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return development_records_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        development_record_restore(record=instance, by=self.request.user)

    @extend_schema(
        summary="Mark the record reviewed (the manager of the preparing rep's team, or a "
        "superuser when no one on the team stands above the preparer)",
        description="Locks the record for good, with the manager's `comment` to the rep "
        "(optional; kept as review_comment). Others who can see it get 403; a record "
        "already reviewed answers 409 (protected). With If-Match, a record changed since you read "
        "it answers 412 and is not reviewed.",
        parameters=[IF_MATCH, ETAG],
        request=DevelopmentRecordReviewSerializer,
        responses={200: DevelopmentRecordSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request, pk=None):
        record = self.get_object()
        # A retry with the same Idempotency-Key replays the first answer before If-Match
        # is looked at: the version it named was the one reviewed.
        return idempotent(request, lambda: self._review(request, record))

    def _review(self, request, record) -> Response:
        expected_version = check_if_match(request, record)  # before the body, as every write
        body = DevelopmentRecordReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = development_record_review(
            record=record,
            by=request.user,
            comment=body.validated_data.get("comment", ""),
            expected_version=expected_version,
        )
        return self._with_etag(Response(self.get_serializer(record).data))
