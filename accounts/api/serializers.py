from django.db.models import Q
from rest_framework import serializers

from accounts.models import Account, Contact, User
from accounts.selectors import accounts_visible_to, assignable_owners, contacts_visible_to
from accounts.services import account_create, account_update, contact_create, contact_update
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
    active_users,
)
from scoring.api import GradeOrNullField


def account_owner_choices(user):
    """Whom an account's owner may be given as: those `user` may give accounts to, and
    the owners of the accounts `user` sees (so an unchanged owner is always accepted)."""
    if user is None:
        return User.objects.none()
    return User.objects.filter(
        Q(pk__in=assignable_owners(user).values("pk"))
        | Q(pk__in=accounts_visible_to(user).values("owner_id"))
    )


class AccountSerializer(VersionedModelSerializer):
    owner = VisiblePrimaryKeyRelatedField(
        scope=account_owner_choices,
        required=False,
        help_text="User id; default: you. Only a manager gives an account to someone else.",
    )
    grade = GradeOrNullField(
        source="score.grade",
        help_text="A, B, C or D (pinned or computed); null: not graded yet. Why: grade/.",
    )
    score = serializers.DecimalField(
        source="score.score",
        max_digits=5,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="0–100 from the risk-evaluation table; null: not graded yet.",
    )

    class Meta:
        model = Account
        fields = [
            *SYNC_FIELDS,
            "name",
            "industry",
            "region",
            "status",
            "owner",
            "grade",
            "score",
            "website",
            "address",
            "employees",
            "annual_revenue",
            "annual_budget",
            "growth_potential",
            "credit_rating",
            "debt_to_asset_ratio",
            "net_profit_margin",
            "return_on_assets",
            "payment_cycle_days",
            "inventory_cycle_days",
            "customer_markets",
            "logistics",
            "category_purchases",
            "our_share",
            "purchase_cost_level",
            "technology_content",
            "policy_factors",
            "expected_sales",
            "expected_profit",
            "cost_to_serve",
            "notes",
        ]

    def create(self, validated_data):
        return account_create(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        return account_update(account=instance, by=self.by, **validated_data)


class ContactSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(scope=accounts_visible_to)
    reports_to = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        required=False,
        allow_null=True,
        help_text="Contact id of this person's boss, at the same account.",
    )
    relationship_owner = VisiblePrimaryKeyRelatedField(
        scope=active_users,
        required=False,
        allow_null=True,
        help_text="User id of who keeps this relationship on our side.",
    )

    class Meta:
        model = Contact
        fields = [
            *SYNC_FIELDS,
            "account",
            "name",
            "title",
            "department",
            "phone",
            "email",
            "buying_role",
            "is_coach",
            "influence",
            "attitude",
            "job_interests",
            "personal_interests",
            "personality",
            "pressures",
            "hobbies",
            "reports_to",
            "relationship_owner",
            "is_active",
            "notes",
        ]

    def create(self, validated_data):
        return contact_create(by=self.by, **validated_data)

    def update(self, instance, validated_data):
        return contact_update(contact=instance, by=self.by, **validated_data)
