from django.db.models import Q
from rest_framework import serializers

from accounts.api.grades import GradeOrNullField
from accounts.duplicates import validate_credit_code, validate_phone
from accounts.models import Account, Contact, User
from accounts.selectors import accounts_visible_to, assignable_owners, contacts_visible_to
from accounts.services import account_create, account_update, contact_create, contact_update
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    PickableUserField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
)
from keyaccounts.api.serializers import CharField as StrictCharField


def account_owner_choices(user):
    """Whom an account's owner may be given as: those `user` may give accounts to, and
    the owners of the accounts `user` sees (so an unchanged owner is always accepted)."""
    if user is None:
        return User.objects.none()
    return User.objects.filter(
        Q(pk__in=assignable_owners(user).values("pk"))
        | Q(pk__in=accounts_visible_to(user).values("owner_id"))
    )


class KeptAccountField(PickableUserField):
    """An account by id among `scope(user)`, or the one the record already has (a parent
    company the user cannot see, sent back as it is): `PickableUserField`'s keeping."""


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
    parent = KeptAccountField(
        # The recycle bin too, so that the service says why a parent there is refused.
        scope=lambda user: accounts_visible_to(user, deleted=True),
        required=False,
        allow_null=True,
        help_text="Account id of the parent company (group customers, 集团客户); null: none. "
        "One you can see and not in the recycle bin; a cycle (the account itself or one of "
        "its subsidiaries at any depth) answers 400 with the reason on `parent`. A parent "
        "you cannot see is sent as it is stored and stays valid when sent back unchanged.",
    )
    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="true: save although an account with the same normalised name exists "
        "(a 409 `possible_duplicate` named it). Never saves a credit code twice.",
    )

    class Meta:
        model = Account
        fields = [
            *SYNC_FIELDS,
            "name",
            "credit_code",
            "industry",
            "region",
            "status",
            "owner",
            "parent",
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
            "payment_terms_days",
            "credit_limit",
            "confirm_duplicate",
        ]
        extra_kwargs = {
            # The uniqueness of a credit code is the service's to check, after its
            # duplicate check: a 409 names the account that has it, if you may see it.
            "credit_code": {
                "validators": [validate_credit_code],
                "help_text": "统一社会信用代码: 18 characters, the last a check character; "
                "unique. Lower case and full-width input is stored in capitals.",
            },
        }

    def create(self, validated_data):
        confirm = validated_data.pop("confirm_duplicate", False)
        return account_create(by=self.by, confirm_duplicate=confirm, **validated_data)

    def update(self, instance, validated_data):
        confirm = validated_data.pop("confirm_duplicate", False)
        return account_update(
            account=instance, by=self.by, confirm_duplicate=confirm, **validated_data
        )


class AccountTreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    parent = serializers.IntegerField(
        allow_null=True, help_text="Its parent company's id as stored (null: none)."
    )
    depth = serializers.IntegerField(
        help_text="0: the top shown; under its nearest company above it that you can see."
    )


class AccountTreeSerializer(serializers.Serializer):
    """The group an account belongs to, as the caller may see it (`tree/`)."""

    root = serializers.IntegerField(help_text="The highest company of the group you can see.")
    accounts = AccountTreeNodeSerializer(
        many=True, help_text="The group's accounts you can see, parents before subsidiaries."
    )
    hidden_count = serializers.IntegerField(
        help_text="How many subsidiaries of the group you cannot see (never named)."
    )
    above_hidden = serializers.BooleanField(
        help_text="true: the top shown belongs to a parent company you cannot see."
    )


class PhoneKeptOrValid:
    """A contact's phone number checked (`validate_phone`) unless it is the number the
    contact already has: one saved before numbers were checked is sent back untouched
    by a PUT of the record as read, an upsert, an echo (`contact_update` does not check
    it again either)."""

    requires_context = True

    def __call__(self, value, field) -> None:
        instance = getattr(field.parent, "instance", None)
        if value and value == getattr(instance, "phone", None):
            return
        validate_phone(value)


class ContactSerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to,
        help_text="The account; a contact stays with it (another account on an update is "
        "refused: mark them as no longer at the company and add them at the other).",
    )
    reports_to = VisiblePrimaryKeyRelatedField(
        scope=contacts_visible_to,
        required=False,
        allow_null=True,
        help_text="Contact id of this person's boss, at the same account.",
    )
    relationship_owner = PickableUserField(
        required=False,
        allow_null=True,
        help_text="User id of who keeps this relationship on our side: one of the people "
        "of your sales teams (or the value the contact already has).",
    )
    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="true: save although another contact of the account has the same phone "
        "number or email address (a 409 `possible_duplicate` named it).",
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
            "left_on",  # read-only: set when is_active goes false (people move)
            "notes",
            "confirm_duplicate",
        ]
        extra_kwargs = {"phone": {"validators": [PhoneKeptOrValid()]}}

    def create(self, validated_data):
        confirm = validated_data.pop("confirm_duplicate", False)
        return contact_create(by=self.by, confirm_duplicate=confirm, **validated_data)

    def update(self, instance, validated_data):
        confirm = validated_data.pop("confirm_duplicate", False)
        return contact_update(
            contact=instance, by=self.by, confirm_duplicate=confirm, **validated_data
        )
