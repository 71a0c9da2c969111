from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.selectors import accounts_visible_to
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    PickableUserField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
    WholeItems,
)
from keyaccounts.api.serializers import CharField as StrictCharField
from scoring.plans import selectors, services
from scoring.plans.models import AccountPlan, Advantage, PeriodKind, PlanAction
from visits.reviews.api.serializers import PeriodLabelField
from visits.selectors import local_today


class AdvantageSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Advantage.choices,
        help_text="One of the six advantages of seed 001 §3: " + ", ".join(Advantage.values),
    )
    evidence = StrictCharField(help_text="What shows the customer gets it.")

    class Meta:
        list_serializer_class = WholeItems  # each advantage whole, also in a PATCH


class ProgressSerializer(serializers.Serializer):
    sales_actual = serializers.DecimalField(max_digits=18, decimal_places=2)
    sales_target = serializers.DecimalField(max_digits=16, decimal_places=2)
    percent = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    share_actual = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    actions_done = serializers.IntegerField()
    actions_overdue = serializers.IntegerField()
    actions_total = serializers.IntegerField()


class AccountPlanSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(scope=accounts_visible_to)
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, required=False)
    period_end = serializers.DateField(read_only=True, help_text="The period's last day.")
    period_label = PeriodLabelField(help_text='"2026", "2026 H2".')
    owner = PickableUserField(
        required=False,
        help_text="User id of the plan's owner: the account owner (the default) or someone "
        "on the account team.",
    )
    advantages = AdvantageSerializer(
        many=True,
        required=False,
        help_text="The advantages the plan builds, each with its evidence; written as a "
        "set: kinds left out are removed. One per kind.",
    )
    progress = serializers.SerializerMethodField(
        help_text="Sales of the period's months so far (monthly figures) against the "
        "target, and the actions done and overdue. Read-only."
    )

    class Meta:
        model = AccountPlan
        fields = [
            *SYNC_FIELDS,
            "account",
            "period_kind",
            "period_start",
            "period_end",
            "period_label",
            "sales_target",
            "share_target",
            "owner",
            "summary",
            "notes",
            "advantages",
            "progress",
        ]

    def get_progress(self, plan) -> dict:
        if not hasattr(plan, "sales_actual"):
            plan = with_progress(plan)
        data = selectors.progress(plan, today=local_today())
        return ProgressSerializer(data).data

    def to_representation(self, plan):
        data = super().to_representation(plan)
        data["advantages"] = [
            {"kind": a.kind, "evidence": a.evidence} for a in plan.advantages.all()
        ]
        return data

    def validate_advantages(self, value):
        kinds = [item["kind"] for item in value]
        if len(kinds) != len(set(kinds)):
            raise serializers.ValidationError(_("Give each advantage once."))
        return {item["kind"]: item["evidence"] for item in value}

    def create(self, validated_data):
        account = validated_data.pop("account")
        plan = services.plan_create(by=self.by, account=account, **validated_data)
        return with_progress(plan)

    def update(self, instance, validated_data):
        plan = services.plan_update(plan=instance, by=self.by, **validated_data)
        plan._prefetched_objects_cache = {}
        return with_progress(plan)


def with_progress(plan: AccountPlan) -> AccountPlan:
    """Set the list's annotations on one plan (after a write, or read without them)."""
    one = selectors.with_progress(
        AccountPlan.all_objects.filter(pk=plan.pk), today=local_today()
    ).values("sales_actual", "actions_total", "actions_done", "actions_overdue")
    for name, value in one.get().items():
        setattr(plan, name, value)
    return plan


class PlanActionSerializer(VersionedModelSerializer):
    plan = VisiblePrimaryKeyRelatedField(scope=selectors.plans_visible_to)
    account = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The plan's account.")
    owner = PickableUserField(
        required=False,
        help_text="User id: the account owner or someone on the account team (default: you).",
    )
    factor_key = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Optional: the key of a factor of the active risk-evaluation table.",
    )
    status = serializers.SerializerMethodField(help_text="done, overdue or open.")

    class Meta:
        model = PlanAction
        fields = [
            *SYNC_FIELDS,
            "plan",
            "account",
            "what",
            "owner",
            "due_on",
            "done_on",
            "status",
            "factor_key",
            "notes",
        ]

    def get_status(self, action) -> str:
        return action.status(local_today())

    def create(self, validated_data):
        return services.action_create(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        plan = validated_data.pop("plan", instance.plan)
        if plan.pk != instance.plan_id:
            raise serializers.ValidationError(
                {"plan": [_("An action stays with its plan: create a new one on the other plan.")]}
            )
        return services.action_update(action=instance, by=self.by, **validated_data)
