from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from accounts.picker import TypedMany, UsersPickerField
from accounts.selectors import accounts_visible_to, contacts_visible_to, users_pickable_by
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    ListedIds,
    PickableUserField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
)
from keyaccounts.api.serializers import CharField as StrictCharField
from visits.models import (
    DevelopmentRecord,
    DevelopmentResult,
    FollowUpMethod,
    Visit,
    VisitStatus,
)
from visits.selectors import local_today, with_development_totals
from visits.services import (
    RECORDED_IN_THE_FUTURE,
    REVIEW_COMMENT_MAX,
    development_record_save,
    recorded_in_the_future,
    visit_save,
)

# How many typed texts `attendee_names` takes (each may name several, separated), and
# how long each may be.
ATTENDEE_NAMES_MAX = 20
ATTENDEE_TEXT_MAX = 3000


class VisitSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to,
        help_text="The account. Moved to another, the contacts met are given with the move: "
        "each must be of the new account.",
    )
    owner = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Who logged the visit: whoever created it."
    )
    contacts = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        many=True,
        required=False,
        help_text="Contact ids of the people met, all of the visit's account.",
    )
    attendees = PickableUserField(
        many=True,
        required=False,
        help_text="User ids of our people: the people of your sales teams (and those the "
        "visit already has).",
    )
    attendee_names = serializers.ListField(
        # A text may name several (the picker's box): each name is held to the
        # picker's longest (`resolve`), the text only to a bound.
        child=StrictCharField(max_length=ATTENDEE_TEXT_MAX),
        max_length=ATTENDEE_NAMES_MAX,
        write_only=True,
        required=False,
        help_text="Colleagues as a person typed them, when no id is at hand (a phone with "
        "no signal to look them up): each a name, username or email address (several in "
        "one text: separated by ; , 、 ； ， or a new line). Each must name exactly one of the "
        "people of your sales teams, as the pages' people picker finds them; they join "
        "`attendees`. One that names nobody or several people is a 400 on "
        "`attendee_names`, saying which.",
    )
    # The follow-up is logged in the app (it settles its reminders), not set here.
    followed_up_on = serializers.DateField(read_only=True, allow_null=True)
    follow_up_method = serializers.ChoiceField(
        choices=FollowUpMethod.choices, allow_blank=True, read_only=True
    )
    follow_up_feedback = StrictCharField(read_only=True)
    followed_up_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        # Their ids for a whole list at once (`ListedIds`).
        list_serializer_class = ListedIds
        listed_ids = ("contacts", "attendees")
        fields = [
            *SYNC_FIELDS,
            "account",
            "owner",
            "status",
            "contacts",
            "attendees",
            "attendee_names",
            "planned_at",
            "occurred_at",
            "duration_minutes",
            "place",
            "method",
            "purpose",
            "preparation",
            "pre_visit_call_held",
            "talking_points",
            "customer_views",
            "customer_attitude",
            "next_steps",
            "follow_up_due",
            "followed_up_on",
            "follow_up_method",
            "follow_up_feedback",
            "followed_up_by",
        ]

    def validate_occurred_at(self, value):
        """A recorded visit's time in the future, refused with the other fields' problems
        (the service's rule, checked again when it saves): a phone's outbox learns them
        all at once, not one per attempt."""
        given = getattr(self, "initial_data", None)
        status = given.get("status") if isinstance(given, dict) else None
        if status is None and self.instance is not None:
            status = self.instance.status
        if status == VisitStatus.DONE and value and recorded_in_the_future(value, timezone.now()):
            raise serializers.ValidationError(RECORDED_IN_THE_FUTURE())
        return value

    def validate_attendee_names(self, value):
        """The people typed, resolved here (a field's own check) so that a name nobody
        has is said with the other fields' problems, not after them."""
        return _typed_colleagues(value, by=self.by)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        named = attrs.pop("attendee_names", None)
        if named:
            if "attendees" not in attrs:
                attrs["attendees"] = list(self.instance.attendees.all()) if self.instance else []
            attrs["attendees"] = list({u.pk: u for u in [*attrs["attendees"], *named]}.values())
        return attrs

    def create(self, validated_data):
        return visit_save(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        validated_data.setdefault("account", instance.account)
        validated_data.setdefault("contacts", list(instance.contacts.all()))
        validated_data.setdefault("attendees", list(instance.attendees.all()))
        return visit_save(by=self.by, visit=instance, **validated_data)


def _typed_colleagues(typed: list[str], *, by) -> list:
    """The people `typed` names, as the visit form's colleague picker resolves its box
    (`accounts.picker.UsersPickerField`: each name exactly one of the people `by` may
    pick, by name, username or email); ValidationError naming each name that is nobody
    or several people."""
    picker = UsersPickerField(queryset=users_pickable_by(by), required=False)
    try:
        return picker.clean(TypedMany(pks=(), text="\n".join(typed)))
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class DevelopmentRecordSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(scope=accounts_visible_to)
    prepared_by = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Who prepared the record: whoever created it."
    )
    prepared_on = serializers.DateField(read_only=True, help_text="The day it was created.")
    result = serializers.ChoiceField(
        choices=DevelopmentResult.choices,
        required=False,
        help_text="in_progress while the development goes on; success or failure needs "
        "summary, and closed_on defaults to today.",
    )
    # Reviewing is its own action (review/): the manager of the preparing rep's team, or a
    # superuser when no one on it stands above the preparer (services.can_review).
    reviewed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    reviewed_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Set when the manager reviews it; a reviewed record is locked for good.",
    )
    review_comment = StrictCharField(
        read_only=True,
        help_text="The manager's comment to the rep, given with the review (may be empty).",
    )
    is_archived = serializers.BooleanField(
        read_only=True, help_text="True once the result is success or failure."
    )
    contact_count = serializers.IntegerField(
        read_only=True,
        help_text="Recorded visits at the account between started_on and closed_on (or "
        "today): derived, never typed.",
    )
    total_minutes = serializers.IntegerField(
        read_only=True, help_text="Their duration in minutes, added up."
    )

    class Meta:
        model = DevelopmentRecord
        fields = [
            *SYNC_FIELDS,
            "account",
            "prepared_by",
            "prepared_on",
            "started_on",
            "closed_on",
            "result",
            "is_archived",
            "summary",
            "remarks",
            "reviewed_by",
            "reviewed_on",
            "review_comment",
            "contact_count",
            "total_minutes",
        ]

    def to_representation(self, record):
        if not hasattr(record, "contact_count"):
            with_totals(record)  # read without its totals (the list has them annotated)
        return super().to_representation(record)

    def create(self, validated_data):
        return with_totals(development_record_save(by=self.by, **validated_data))

    def update(self, instance, validated_data):
        validated_data.setdefault("account", instance.account)
        record = development_record_save(by=self.by, record=instance, **validated_data)
        return with_totals(record)  # its period may have changed


def with_totals(record: DevelopmentRecord) -> DevelopmentRecord:
    """Set `contact_count` and `total_minutes` on one record, as the list annotates them."""
    one = DevelopmentRecord.all_objects.filter(pk=record.pk)
    totals = with_development_totals(one, today=local_today())
    record.contact_count, record.total_minutes = totals.values_list(
        "contact_count", "total_minutes"
    ).get()
    return record


# The longest follow-up note the API takes (a long call's notes; the body's size bounds
# the rest).
FOLLOW_UP_FEEDBACK_MAX = 10_000


class VisitFollowUpSerializer(serializers.Serializer):
    """The body of a visit's `follow-up/`: when, how, and what the customer said."""

    followed_up_on = serializers.DateField(
        help_text="The day of the follow-up: not before the visit, not in the future."
    )
    follow_up_method = serializers.ChoiceField(
        choices=FollowUpMethod.choices,
        default=FollowUpMethod.PHONE,
        help_text="How the customer was followed up.",
    )
    follow_up_feedback = StrictCharField(
        max_length=FOLLOW_UP_FEEDBACK_MAX,
        help_text="What the customer said (required, not blank).",
    )


class DevelopmentRecordReviewSerializer(serializers.Serializer):
    """The body of `review/`: the manager's comment to the rep, optional."""

    comment = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=REVIEW_COMMENT_MAX,
        help_text="What the manager says to the rep, kept on the record (review_comment).",
    )
