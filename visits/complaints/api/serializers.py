from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User
from accounts.selectors import accounts_visible_to, contacts_visible_to
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    DateTimeField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
)
from keyaccounts.api.serializers import CharField as StrictCharField
from visits.complaints.models import Complaint, ComplaintChannel, ComplaintSeverity
from visits.complaints.services import complaint_create, complaint_update


def handlers_visible_to(user):
    """Who may be given a complaint, as the API looks them up: the owners and team
    members of the accounts `user` sees (the service checks the complaint's own team)."""
    accounts = accounts_visible_to(user)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(pk__in=accounts.values("owner_id")) | Q(account_memberships__account__in=accounts)
        )
        .distinct()
    )


class ComplaintSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to, help_text="The account; it cannot change after creation."
    )
    contact = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        required=False,
        allow_null=True,
        help_text="The contact who complained, of the same account.",
    )
    assignee = VisiblePrimaryKeyRelatedField(
        scope=handlers_visible_to,
        required=False,
        help_text="User id of who handles it: the account's owner (the default) or someone "
        "on its team. Changing it needs the owner, the assignee or a manager.",
    )
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices, required=False)
    severity = serializers.ChoiceField(choices=ComplaintSeverity.choices, required=False)
    received_at = DateTimeField(
        required=False,
        help_text="When the customer complained (default: now); the clock "
        "of the service level starts here.",
    )
    status = StrictCharField(
        read_only=True,
        help_text="open → answered → resolved → closed; changed only by the actions "
        "respond/, resolve/, close/ (the customer's confirmation) and reopen/.",
    )
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True)
    responded_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    resolved_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    closed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    confirmed_by_contact = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Complaint
        fields = [
            *SYNC_FIELDS,
            "account",
            "contact",
            "channel",
            "severity",
            "subject",
            "description",
            "received_at",
            "recorded_by",
            "assignee",
            "status",
            "respond_by",
            "resolve_by",
            "service_grade",
            "policy_version",
            "respond_days",
            "resolve_days",
            "response",
            "responded_at",
            "responded_by",
            "resolution",
            "resolved_at",
            "resolved_by",
            "resolution_working_days",
            "confirmed_at",
            "confirmed_by_contact",
            "confirmation_note",
            "closed_at",
            "closed_by",
            "reopened_at",
            "reopened_count",
            "reopen_reason",
            "follow_up",
        ]
        read_only_fields = [
            "respond_by",
            "resolve_by",
            "service_grade",
            "policy_version",
            "respond_days",
            "resolve_days",
            "response",
            "responded_at",
            "resolution",
            "resolved_at",
            "resolution_working_days",
            "confirmed_at",
            "confirmation_note",
            "closed_at",
            "reopened_at",
            "reopened_count",
            "reopen_reason",
        ]

    def validate(self, attrs):
        data = getattr(self, "initial_data", None) or {}
        if self.instance is not None and isinstance(data, dict):
            if "status" in data and data["status"] != self.instance.status:
                raise serializers.ValidationError(
                    {
                        "status": _(
                            "The status changes by the actions respond/, resolve/, close/ "
                            "and reopen/, not by an edit."
                        )
                    }
                )
            account = attrs.get("account")
            if account is not None and account.pk != self.instance.account_id:
                raise serializers.ValidationError(
                    {"account": _("A complaint stays with its account: record a new one.")}
                )
        return attrs

    def create(self, validated_data):
        validated_data.pop("expected_version", None)
        return complaint_create(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("account", None)
        return complaint_update(by=self.by, complaint=instance, **validated_data)


class RespondSerializer(serializers.Serializer):
    response = StrictCharField(help_text="The answer given to the customer.")


class ResolveSerializer(serializers.Serializer):
    resolution = StrictCharField(help_text="What was done to resolve it.")


class CloseSerializer(serializers.Serializer):
    confirmed_by_contact = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        required=False,
        allow_null=True,
        help_text="The contact of the account who confirmed.",
    )
    confirmation_note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Who confirmed and how, when not a contact on record. One of the two is needed.",
    )
    confirmed_at = DateTimeField(
        required=False, allow_null=True, help_text="When the customer confirmed (default: now)."
    )


class ReopenSerializer(serializers.Serializer):
    reason = StrictCharField(help_text="Why the complaint is reopened.")


class AssignSerializer(serializers.Serializer):
    assignee = VisiblePrimaryKeyRelatedField(
        scope=handlers_visible_to, help_text="User id: the account's owner or a team member."
    )
