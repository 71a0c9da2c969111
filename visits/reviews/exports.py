"""Review meetings and their follow-ups as spreadsheets (keyaccounts.exports.registry)."""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, TEXT, Column, RecordColumns
from keyaccounts.exports.listing import Listing

from . import selectors
from .api.filters import ReviewFilter, ReviewFollowUpFilter
from .models import ReviewFollowUp, ReviewMeeting

REVIEWS = RecordColumns(
    ReviewMeeting,
    (
        # An account's review meetings: when, which period, status, who attended on both
        # sides, what the customer said about us and our people, what was agreed.
        Column("account"),
        ACCOUNT_NAME,
        Column("period_kind"),
        Column("period_start"),
        Column("scheduled_for"),
        Column("status"),
        Column("place"),
        Column("held_on"),
        Column("contacts"),
        Column("attendees"),
        Column("said_about_us"),
        Column("said_about_our_people"),
        Column("agreed_changes"),
        Column("satisfaction"),
        Column("notes"),
        Column("scheduled_by"),
        Column("external_id"),
    ),
)

REVIEW_FOLLOW_UPS = RecordColumns(
    ReviewFollowUp,
    (
        Column("account"),
        ACCOUNT_NAME,
        Column(
            "review_period",
            label=ReviewMeeting._meta.get_field("period_kind").verbose_name,
            kind=TEXT,
            value=lambda follow_up: follow_up.review.period_label,
            related=("review",),
            importable=False,
        ),
        Column("what"),
        Column("owner"),
        Column("due_on"),
        Column("done_on"),
        Column("note"),
        Column("external_id"),
    ),
)


def review_listing(request, data: QueryDict):

    queryset = selectors.reviews_visible_to(request.user)
    filterset = ReviewFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(rows.order_by(*selectors.REVIEW_ORDER), [filterset])


def review_follow_up_listing(request, data: QueryDict):

    queryset = selectors.review_follow_ups_visible_to(request.user)
    filterset = ReviewFollowUpFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(rows.order_by(*selectors.FOLLOW_UP_ORDER), [filterset])


def register() -> None:
    registry.register(
        registry.ExportType("reviews", _("Review meetings"), REVIEWS, review_listing),
        order=100,
    )
    registry.register(
        registry.ExportType(
            "review-follow-ups",
            _("Review follow-ups"),
            REVIEW_FOLLOW_UPS,
            review_follow_up_listing,
        ),
        order=110,
    )
