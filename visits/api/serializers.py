from rest_framework import serializers

from accounts.selectors import accounts_visible_to, contacts_visible_to
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
    active_users,
)
from visits.models import FollowUpMethod, Visit
from visits.services import visit_save


class VisitSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(scope=accounts_visible_to)
    owner = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Who logged the visit: whoever created it."
    )
    contacts = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        many=True,
        required=False,
        help_text="Contact ids of the people met, all of the visit's account.",
    )
    attendees = VisiblePrimaryKeyRelatedField(
        scope=active_users, many=True, required=False, help_text="User ids of our people."
    )
    # The follow-up is logged in the app (it settles its reminders), not set here.
    followed_up_on = serializers.DateField(read_only=True, allow_null=True)
    follow_up_method = serializers.ChoiceField(
        choices=FollowUpMethod.choices, allow_blank=True, read_only=True
    )
    follow_up_feedback = serializers.CharField(read_only=True)
    followed_up_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = [
            *SYNC_FIELDS,
            "account",
            "owner",
            "status",
            "contacts",
            "attendees",
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

    def create(self, validated_data):
        return visit_save(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        validated_data.setdefault("account", instance.account)
        validated_data.setdefault("contacts", list(instance.contacts.all()))
        validated_data.setdefault("attendees", list(instance.attendees.all()))
        return visit_save(by=self.by, visit=instance, **validated_data)
