"""Webhooks, their deliveries and integration tokens in the API. Writes call the services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.api.serializers import DateTimeField
from keyaccounts.events import RecordEvent
from keyaccounts.integrations.models import (
    DeliveryStatus,
    DisabledReason,
    IntegrationToken,
    TokenAccess,
    Webhook,
    WebhookDelivery,
)

RECORD_TYPES_HELP = (
    "Record types, by their API name: account, contact, visit, development-record, "
    "opportunity, complaint (and the others the API lists)."
)


class RecordTypesField(serializers.ListField):
    """A list of record type names; which exist is the service's to check (its message
    names them)."""

    child = StrictCharField(max_length=40)

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", RECORD_TYPES_HELP)
        super().__init__(**kwargs)


class WebhookSerializer(serializers.ModelSerializer):
    record_types = RecordTypesField()
    secret = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The signing secret, 24 to 100 visible ASCII characters. Leave it out on "
        "creation to get a random one (in `signing_secret`, this once). Never read back.",
    )
    signing_secret = serializers.SerializerMethodField(
        help_text="Only in the answer to a creation: the secret every delivery is signed "
        "with. Keep it; it is not shown again. Null otherwise."
    )
    disabled_reason = serializers.ChoiceField(
        choices=DisabledReason.choices,
        read_only=True,
        allow_blank=True,
        help_text="owner: disabled by its owner; failing: disabled after a day of failed "
        "deliveries. Empty while active.",
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="false disables the webhook: changes stop being queued for it. true "
        "enables it again: what waited is sent first, in order.",
    )
    pending = serializers.IntegerField(
        read_only=True, required=False, help_text="Deliveries waiting to be sent."
    )

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "description",
            "record_types",
            "secret",
            "signing_secret",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "pending",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["disabled_at", "created_at", "updated_at"]
        extra_kwargs = {
            "url": {
                "help_text": "http:// or https://, at a public address; the server POSTs "
                "each change there."
            }
        }

    def get_signing_secret(self, webhook) -> str | None:
        return self.context.get("signing_secret")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One row of a webhook's delivery log (read only)."""

    event_id = serializers.UUIDField(
        read_only=True, help_text="The `id` in the body: the same on every retry."
    )
    record_type = StrictCharField(read_only=True, help_text=RECORD_TYPES_HELP)
    event = serializers.ChoiceField(choices=RecordEvent.choices, read_only=True)
    change = serializers.IntegerField(
        source="change_seq", read_only=True, help_text="The change number."
    )
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices,
        read_only=True,
        help_text="pending: waiting (see next_attempt_at); delivered: the receiver answered "
        "2xx; skipped: not sent, the owner no longer sees the record.",
    )
    next_attempt_at = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "record_type",
            "object_id",
            "event",
            "change",
            "occurred_at",
            "status",
            "attempts",
            "created_at",
            "first_attempt_at",
            "last_attempt_at",
            "next_attempt_at",
            "finished_at",
            "response_code",
            "last_error",
            "redelivery_of",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True, help_text="When it is tried next; null unless pending."
        )
    )
    def get_next_attempt_at(self, delivery):
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return DateTimeField().to_representation(delivery.next_attempt_at)


class IntegrationTokenSerializer(serializers.ModelSerializer):
    record_types = RecordTypesField()
    access = serializers.ChoiceField(
        choices=TokenAccess.choices,
        help_text="read: GET only; read_write: also creates, changes and deletes.",
    )
    expires_at = DateTimeField(help_text="In the future, at most 366 days ahead.")
    token = serializers.SerializerMethodField(
        help_text="Only in the answer to a creation: the token, to send as "
        "`Authorization: Bearer <token>`. Keep it; it is not shown again. Null otherwise."
    )
    prefix = StrictCharField(read_only=True, help_text="Its first characters.")

    class Meta:
        model = IntegrationToken
        fields = [
            "id",
            "name",
            "prefix",
            "token",
            "access",
            "record_types",
            "expires_at",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["created_at", "last_used_at", "revoked_at"]

    def get_token(self, token) -> str | None:
        return self.context.get("key")
