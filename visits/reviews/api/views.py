from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from keyaccounts.api.bulk import BulkUpsertMixin
from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.serializers import READ_ACTIONS
from keyaccounts.api.sync import SyncViewSetMixin
from keyaccounts.prefetch import listed
from visits.reviews.models import ReviewMeeting
from visits.reviews.selectors import review_follow_ups_visible_to, reviews_visible_to
from visits.reviews.services import (
    follow_up_delete,
    follow_up_restore,
    review_delete,
    review_restore,
)

from .filters import ReviewFilter, ReviewFollowUpFilter
from .serializers import ReviewFollowUpSerializer, ReviewSerializer


@extend_schema_view(
    list=extend_schema(summary="Review meetings (年度/半年度回顾) at the accounts you can see")
)
@extend_schema(tags=["review meetings"])
class ReviewViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """Review meetings with the customer: one per account and period (a year; a half-year
    for A accounts), scheduled, then held with minutes (who attended on both sides, what
    the customer said about our products, service and people, what was agreed) or
    cancelled. A second review in a period answers 409 duplicate_period."""

    serializer_class = ReviewSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ReviewFilter
    ordering_fields = ["scheduled_for", "held_on", "created_at", "updated_at", "id"]
    ordering = ["-scheduled_for", "-id"]
    idempotent_actions = {"create", "bulk"}
    extra_error_codes = {"destroy": {403}}
    bulk_label = "review meetings"

    def get_queryset(self):
        reviews = reviews_visible_to(self.request.user)
        if self.action == "retrieve":  # ids only, as plain lists
            return reviews.prefetch_related(
                listed(ReviewMeeting, "contacts"), listed(ReviewMeeting, "attendees")
            )
        if self.action in READ_ACTIONS:  # read for the whole list by `ListedIds`
            return reviews
        return reviews.prefetch_related("contacts", "attendees")

    def get_bulk_queryset(self):
        return self.get_queryset().select_related("account")

    def perform_destroy(self, instance, *, expected_version=None):
        review_delete(review=instance, by=self.request.user, expected_version=expected_version)

    def get_restore_queryset(self):
        return reviews_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        review_restore(review=instance, by=self.request.user)


@extend_schema_view(list=extend_schema(summary="Follow-ups of review meetings you can see"))
@extend_schema(tags=["review follow-ups"])
class ReviewFollowUpViewSet(BulkUpsertMixin, SyncViewSetMixin, viewsets.ModelViewSet):
    """What a held review meeting agreed: what, who on our side (someone who sees the
    account), by when, and when it was done."""

    serializer_class = ReviewFollowUpSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ReviewFollowUpFilter
    ordering_fields = ["due_on", "done_on", "created_at", "updated_at", "id"]
    ordering = ["due_on", "id"]
    idempotent_actions = {"create", "bulk"}
    bulk_label = "review follow-ups"

    def get_queryset(self):
        return review_follow_ups_visible_to(self.request.user)

    def get_bulk_queryset(self):
        return self.get_queryset().select_related("review__account")

    def perform_destroy(self, instance, *, expected_version=None):
        follow_up_delete(
            follow_up=instance, by=self.request.user, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return review_follow_ups_visible_to(self.request.user, deleted=True)

    def perform_restore(self, instance):
        follow_up_restore(follow_up=instance, by=self.request.user)
