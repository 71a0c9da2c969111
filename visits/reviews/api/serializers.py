from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.selectors import accounts_visible_to, contacts_visible_to
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    ListedIds,
    PickableUserField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
)
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.exceptions import ApplicationError
from visits.reviews import services
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from visits.reviews.periods import PeriodKind
from visits.reviews.selectors import reviews_visible_to


class PeriodLabelField(StrictCharField):
    """A period's name as a program reads it, whatever the reader's language: "2026",
    "2026 H2" (a Chinese page says 2026年下半年; an import reads either)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        with translation.override("en"):
            return super().get_attribute(instance)


class ReviewSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to, help_text="The account; a review stays with its account."
    )
    scheduled_by = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Who scheduled it: whoever created it."
    )
    period_kind = serializers.ChoiceField(
        choices=PeriodKind.choices,
        required=False,
        allow_blank=True,
        help_text="year or half; left out: by the account's grade (A half-yearly, else yearly).",
    )
    period_start = serializers.DateField(
        read_only=True, help_text="1 January or 1 July: the period the meeting's date is in."
    )
    period_label = PeriodLabelField(help_text='"2026", "2026 H2".')
    status = serializers.ChoiceField(
        choices=ReviewStatus.choices,
        required=False,
        help_text="scheduled when created. Set held (with held_on, contacts, attendees and "
        "said_about_us) to record the minutes; cancelled to cancel a scheduled review.",
    )
    contacts = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        many=True,
        required=False,
        help_text="Contact ids of the customer's attendees, all of the review's account.",
    )
    attendees = PickableUserField(
        many=True,
        required=False,
        help_text="User ids of our attendees: people of your sales teams who can see the account.",
    )

    class Meta:
        model = ReviewMeeting
        # Their ids for a whole list at once (`ListedIds`).
        list_serializer_class = ListedIds
        listed_ids = ("contacts", "attendees")
        fields = [
            *SYNC_FIELDS,
            "account",
            "scheduled_by",
            "period_kind",
            "period_start",
            "period_label",
            "scheduled_for",
            "status",
            "place",
            "agenda",
            "held_on",
            "contacts",
            "attendees",
            "said_about_us",
            "said_about_our_people",
            "agreed_changes",
            "satisfaction",
            "notes",
            "cancelled_reason",
        ]

    def create(self, validated_data):
        status = validated_data.pop("status", ReviewStatus.SCHEDULED)
        fields = {k: validated_data.pop(k) for k in services.SCHEDULE_FIELDS if k in validated_data}
        review = services.review_schedule(
            by=self.by, account=validated_data.pop("account"), **fields
        )
        if status == ReviewStatus.HELD:
            review = self._minutes(review, validated_data)
        elif status == ReviewStatus.CANCELLED:
            review = services.review_cancel(
                review=review, by=self.by, reason=validated_data.get("cancelled_reason", "")
            )
        return review

    def update(self, instance, validated_data):
        account = validated_data.pop("account", instance.account)
        if account.pk != instance.account_id:
            raise ApplicationError(
                _("A review stays with its account: schedule a new one at the other account.")
            )
        expected = validated_data.pop("expected_version", None)
        status = validated_data.pop("status", instance.status)
        if status == ReviewStatus.CANCELLED and instance.status == ReviewStatus.SCHEDULED:
            return services.review_cancel(
                review=instance,
                by=self.by,
                reason=validated_data.get("cancelled_reason", ""),
                expected_version=expected,
            )
        if status == ReviewStatus.HELD:
            schedule = {k: validated_data.pop(k) for k in ("scheduled_for",) if k in validated_data}
            if schedule and instance.status == ReviewStatus.SCHEDULED:
                instance = services.review_update(
                    review=instance, by=self.by, expected_version=expected, **schedule
                )
                expected = None
            return self._minutes(instance, validated_data, expected_version=expected)
        if status != instance.status:
            raise ApplicationError(
                _("A %(from)s review cannot become %(to)s.")
                % {"from": instance.get_status_display(), "to": ReviewStatus(status).label},
                code="protected",
            )
        fields = {k: validated_data[k] for k in services.SCHEDULE_FIELDS if k in validated_data}
        return services.review_update(
            review=instance, by=self.by, expected_version=expected, **fields
        )

    def _minutes(self, review, data, *, expected_version=None):
        had = review.pk and review.status == ReviewStatus.HELD
        minutes = {name: data.get(name, getattr(review, name)) for name in services.MINUTES_FIELDS}
        return services.review_record_minutes(
            review=review,
            by=self.by,
            contacts=data.get("contacts", list(review.contacts.all()) if had else []),
            attendees=data.get("attendees", list(review.attendees.all()) if had else []),
            expected_version=expected_version,
            **minutes,
        )


class ReviewFollowUpSerializer(VersionedModelSerializer):
    review = VisiblePrimaryKeyRelatedField(
        scope=reviews_visible_to, help_text="The held review meeting it came out of."
    )
    account = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The review's account.")
    owner = PickableUserField(
        help_text="Who does it: someone of your sales teams who can see the account."
    )

    class Meta:
        model = ReviewFollowUp
        fields = [*SYNC_FIELDS, "review", "account", "what", "owner", "due_on", "done_on", "note"]

    def create(self, validated_data):
        done_on = validated_data.pop("done_on", None)
        follow_up = services.follow_up_create(by=self.by, **validated_data)
        if done_on:
            follow_up = services.follow_up_update(follow_up=follow_up, by=self.by, done_on=done_on)
        return follow_up

    def update(self, instance, validated_data):
        review = validated_data.pop("review", instance.review)
        if review.pk != instance.review_id:
            raise ApplicationError(_("A follow-up stays with its review meeting."))
        return services.follow_up_update(follow_up=instance, by=self.by, **validated_data)
