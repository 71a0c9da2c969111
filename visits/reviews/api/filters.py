import django_filters
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import BooleanFilter, IdFilter, IsoDateTimeFilter, SyncFilterSet
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus


class ReviewFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    scheduled_after = IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="gte", label=_("Scheduled at or after")
    )
    scheduled_before = IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="lt", label=_("Scheduled before")
    )

    class Meta:
        model = ReviewMeeting
        fields = ["account", "status", "scheduled_after", "scheduled_before", "updated_after"]


class ReviewFollowUpFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    review = IdFilter(field_name="review_id", label=_("Review meeting id"))
    owner = IdFilter(field_name="owner_id", label=_("Owner (user id)"))
    done = BooleanFilter(method="filter_done", label=_("true: done; false: still open"))

    class Meta:
        model = ReviewFollowUp
        fields = ["account", "review", "owner", "done", "updated_after"]

    def filter_done(self, queryset, name, value):
        return queryset.filter(done_on__isnull=not value)
