from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import accounts_visible_to
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    PrimaryKeyRelatedField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
    active_users,
)
from opportunities.models import ExitCriterion, Opportunity, Stage
from opportunities.services import opportunity_create, opportunity_update
from scoring.api import GradeOrNullField

BULK_MAX_ITEMS = 500


class ExitCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExitCriterion
        fields = ["id", "name", "name_zh", "order"]


class StageSerializer(serializers.ModelSerializer):
    criteria = ExitCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Stage
        fields = [
            "id",
            "key",
            "name",
            "name_zh",
            "order",
            "default_probability",
            "is_won",
            "is_lost",
            "criteria",
        ]


class OpportunitySerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(scope=accounts_visible_to)
    owner = VisiblePrimaryKeyRelatedField(
        scope=active_users, required=False, help_text="User id; default: you."
    )
    stage = PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="Stage id (see /api/v1/stages/); default: the first open stage. Moving "
        "forward needs the exit criteria of every stage passed (else 409 "
        "exit_criteria_missing); closing (won or lost) needs close_reason.",
    )
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Left out, it follows the stage's default; given, it sticks.",
    )
    checked_criteria = serializers.SerializerMethodField(
        help_text="Ids of the exit criteria ticked for this deal (tick with criteria/)."
    )
    account_grade = GradeOrNullField(
        source="account.score.grade",
        help_text="The account's grade (A–D); null: not graded yet.",
    )

    class Meta:
        model = Opportunity
        fields = [
            *SYNC_FIELDS,
            "account",
            "account_grade",
            "name",
            "kind",
            "owner",
            "amount",
            "currency",
            "expected_close_date",
            "stage",
            "probability",
            "probability_is_custom",
            "checked_criteria",
            "tender_published_on",
            "bid_submitted_on",
            "bid_opened_on",
            "bid_result",
            "close_reason",
            "closed_on",
            "description",
        ]
        read_only_fields = ["probability_is_custom", "closed_on"]

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_checked_criteria(self, obj) -> list[int]:
        return sorted(check.criterion_id for check in obj.criterion_checks.all())

    def create(self, validated_data):
        return opportunity_create(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        return opportunity_update(opportunity=instance, by=self.by, **validated_data)


class OpportunityBulkItemSerializer(OpportunitySerializer):
    """One item of a bulk upsert: an opportunity keyed by its external_id."""

    external_id = serializers.CharField(
        # No uniqueness check here: an external_id that exists means "replace".
        max_length=100,
        help_text="Your key of the deal: it is created or replaced by it.",
    )


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the list sent.")
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["created", "updated", "unchanged", "error"],
        help_text="unchanged: the item equals the deal, nothing was written (same version).",
    )
    id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; empty unless status is error.",
    )


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    failed = serializers.IntegerField()


class CriterionCheckSerializer(serializers.Serializer):
    criterion = PrimaryKeyRelatedField(
        queryset=ExitCriterion.objects.all(), help_text="Exit criterion id (see stages)."
    )
    checked = serializers.BooleanField(help_text="True ticks it, false unticks it.")
