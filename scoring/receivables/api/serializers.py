from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import accounts_visible_to
from keyaccounts.amounts import AMOUNT_MAX, money
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
)
from scoring.money.risk import BUCKETS, bucket_of
from scoring.receivables.models import Receivable
from scoring.receivables.services import receivable_create, receivable_update

BUCKET_CHOICES = [(key, label) for key, label, _low, _high in BUCKETS]


def days_overdue(receivable: Receivable, today) -> int:
    """Days past the due date on `today`; 0 when not yet due or paid in full."""
    if receivable.is_paid:
        return 0
    return max((today - receivable.due_on).days, 0)


class BucketField(serializers.ChoiceField):
    """The invoice's ageing bucket today (scoring.money.risk's), null when it is paid."""

    def __init__(self, **kwargs):
        kwargs.update(choices=BUCKET_CHOICES, read_only=True, allow_null=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, receivable):
        if receivable.is_paid:
            return None
        return bucket_of((timezone.localdate() - receivable.due_on).days)


@extend_schema_field({"type": "integer", "minimum": 0})
class DaysOverdueField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, receivable):
        return days_overdue(receivable, timezone.localdate())


class EmptyIsNullDateField(serializers.DateField):
    """A date where "" means none, as null does (a spreadsheet's empty cell)."""

    def validate_empty_values(self, data):
        return super().validate_empty_values(None if data == "" else data)


class ReceivableSerializer(VersionedModelSerializer):
    """An invoice of ours to an account (应收账款), and what has been paid of it."""

    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to,
        help_text="The account the invoice is to; it cannot change after creation (another "
        "account answers 400 on account).",
    )
    due_on = EmptyIsNullDateField(
        required=False,
        allow_null=True,
        help_text="When it is to be paid, not before issued_on. Left out, null or empty on "
        "create (null or empty on a change): issued_on plus the account's payment terms "
        "(else the default terms, 30 days).",
    )
    paid_amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        max_value=AMOUNT_MAX,
        required=False,
        help_text="What has been paid of it so far, CNY (default 0); at most amount. "
        "pay/ adds a payment.",
    )
    paid_on = serializers.DateField(
        required=False, allow_null=True, help_text="The date of the latest payment."
    )
    open_amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text="What is still owed: amount − paid_amount. Read-only.",
    )
    days_overdue = DaysOverdueField(
        help_text="Days past due_on today (the site's time zone); 0 when not yet due or "
        "paid in full. Read-only."
    )
    bucket = BucketField(
        help_text="Its ageing bucket today: current (not yet due), days_1_30, days_31_60, "
        "days_61_90, over_90; null when paid in full. Read-only."
    )
    recorded_by = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="User id of who recorded it; null: an import by the system.",
    )

    class Meta:
        model = Receivable
        fields = [
            *SYNC_FIELDS,
            "account",
            "invoice_number",
            "issued_on",
            "due_on",
            "amount",
            "paid_amount",
            "paid_on",
            "note",
            "open_amount",
            "days_overdue",
            "bucket",
            "recorded_by",
        ]
        # The live invoice number per account is checked in validate(), naming the field
        # (the model's constraint alone would answer a message about no field).
        validators = []
        extra_kwargs = {
            "invoice_number": {
                "help_text": "As on the invoice (发票号); unique among the account's live "
                "invoices (another answers 400 on invoice_number)."
            },
            "issued_on": {"help_text": "The invoice's date."},
            "amount": {"help_text": "The invoice's amount, CNY (more than 0)."},
            "note": {"help_text": "Free text; several lines allowed."},
        }

    def validate(self, attrs):
        instance = self.instance
        account = attrs.get("account")
        if instance is not None and account is not None and account.pk != instance.account_id:
            raise serializers.ValidationError(
                {
                    "account": _(
                        "An invoice stays with its account: record it at the other account "
                        "and move this one to the recycle bin."
                    )
                }
            )

        def value(name, default=None):
            if name in attrs:
                return attrs[name]
            return getattr(instance, name) if instance is not None else default

        errors = {}
        amount, paid = value("amount"), value("paid_amount") or 0
        if amount is not None and paid > amount:
            errors["paid_amount"] = _(
                "What was paid (%(paid)s) cannot exceed the invoice's amount (%(amount)s)."
            ) % {"paid": money(paid), "amount": money(amount)}
        issued_on, due_on = value("issued_on"), value("due_on")
        if issued_on is not None and due_on is not None and due_on < issued_on:
            errors["due_on"] = _(
                "The due date (%(due)s) cannot be before the issue date (%(issued)s); leave "
                "it out for the account's payment terms."
            ) % {"due": due_on.isoformat(), "issued": issued_on.isoformat()}
        number = (value("invoice_number") or "").strip()
        account = account or (instance.account if instance is not None else None)
        # A live invoice keeps its own number unclashed: asked only for a new number.
        renumbered = instance is None or number != instance.invoice_number
        if number and account is not None and renumbered:
            clash = Receivable.objects.filter(account=account, invoice_number=number)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["invoice_number"] = _(
                    "This account already has an invoice %(number)s: give its own number."
                ) % {"number": number}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        validated_data.pop("expected_version", None)
        account = validated_data.pop("account")
        return receivable_create(by=self.by, account=account, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("account", None)
        return receivable_update(receivable=instance, by=self.by, **validated_data)


class ReceivablePaySerializer(serializers.Serializer):
    """A payment of an invoice (回款)."""

    amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        max_value=AMOUNT_MAX,
        required=False,
        allow_null=True,
        help_text="The payment, CNY: more than 0 and at most open_amount. Left out or null: "
        "all that is open.",
    )
    paid_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="When it was paid (default: today in the site's time zone).",
    )
