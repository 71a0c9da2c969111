from django.db.models import Manager
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.api.grades import GradeOrNullField
from accounts.models import AccountTeamRole, Attitude, BuyingRole, ThreatLevel
from accounts.picker import keeping
from accounts.selectors import accounts_visible_to, contacts_visible_to, users_pickable_by
from keyaccounts.api.exceptions import NON_FIELD
from keyaccounts.api.filters import MAX_ID
from keyaccounts.api.serializers import (
    SYNC_FIELDS,
    ListedFirst,
    PickableUserField,
    PlainRows,
    PrimaryKeyRelatedField,
    VersionedModelSerializer,
    VisiblePrimaryKeyRelatedField,
    WholeItems,
)
from keyaccounts.api.serializers import CharField as StrictCharField
from opportunities.models import ExitCriterion, Opportunity, Stage
from opportunities.selectors import attach_account_grades, attach_deal_parts, deal_part
from opportunities.services import opportunity_create, opportunity_update

# At most this many items in one part of a deal (its contacts, team, …) in one request.
PART_MAX_ITEMS = 200
# A part's field source (the relation) → the services' argument.
PART_ARGUMENTS = {
    "contact_roles": "contacts",
    "team_members": "team",
    "competitors": "competitors",
    "criterion_checks": "checked_criteria",
}


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


class DealPartList(ListedFirst, PlainRows, WholeItems):
    """A part of a deal, as `attach_deal_parts` read it (rows of values, written by a plan
    made once: `PlainRows`) or `with_deal_parts` prefetched it (a list costs one query
    per part, however many deals), else read now (a deal just written)."""

    def to_representation(self, data):
        if isinstance(data, Manager):
            data = deal_part(data.instance, self.source)
        return super().to_representation(data)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict) and list(error.detail) == [NON_FIELD]:
                # Not a list, or too long: a message on the field itself, not the body's.
                raise serializers.ValidationError(error.detail[NON_FIELD]) from None
            raise


class DealContactSerializer(serializers.Serializer):
    """One of the account's contacts in the deal, with their role and stance in it."""

    contact = serializers.IntegerField(
        source="contact_id",
        min_value=1,
        max_value=MAX_ID,
        help_text="Contact id: a contact of the deal's account.",
    )
    role = serializers.ChoiceField(
        choices=BuyingRole.choices,
        required=False,
        help_text="Their role in this deal; left out: their buying role at the account.",
    )
    stance = serializers.ChoiceField(
        choices=Attitude.choices,
        required=False,
        help_text="Their stance on this deal; left out: their attitude to us.",
    )

    class Meta:
        list_serializer_class = DealPartList


class DealTeamMemberSerializer(serializers.Serializer):
    """One of our people on the deal's team."""

    user = serializers.IntegerField(
        source="user_id",
        min_value=1,
        max_value=MAX_ID,
        help_text="User id: one of the people of your sales teams (or one already on the "
        "deal's team).",
    )
    role = serializers.ChoiceField(choices=AccountTeamRole.choices)

    class Meta:
        list_serializer_class = DealPartList


class DealCompetitorSerializer(serializers.Serializer):
    """A competitor in the deal and how we stand against it. The name is its key in the
    deal: one entry per name."""

    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(max_length=200)
    threat = serializers.ChoiceField(
        choices=ThreatLevel.choices, default=ThreatLevel.MEDIUM, help_text="Left out: medium."
    )
    strengths = StrictCharField(allow_blank=True, default="", trim_whitespace=False)
    weaknesses = StrictCharField(allow_blank=True, default="", trim_whitespace=False)

    class Meta:
        list_serializer_class = DealPartList


class CheckedCriteriaField(ListedFirst, serializers.ListField):
    """The ids of the exit criteria ticked for the deal, in id order."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_representation(self, data):
        rows = deal_part(data.instance, self.source) if isinstance(data, Manager) else data
        return sorted(row.criterion_id for row in rows)


PART_HELP = (
    " Given, the list replaces this part of the deal (an empty list clears it), in the "
    "same write as the other fields: one new version, guarded by If-Match; left out, it "
    "stays as it is. A list equal to the stored one changes nothing."
)


class OpportunityList(serializers.ListSerializer):
    """Deals, each part of all of them and their accounts' grades read at once first
    (`attach_deal_parts`, `attach_account_grades`)."""

    def to_representation(self, data):
        deals = list(data.all() if isinstance(data, Manager) else data)
        attach_deal_parts(deals)
        attach_account_grades(deals)
        return super().to_representation(deals)


class OpportunitySerializer(VersionedModelSerializer):
    account = VisiblePrimaryKeyRelatedField(
        scope=accounts_visible_to,
        help_text="The account. Moved to another, the deal takes its contacts there, given "
        "with the move (`contacts`; an empty list for none): refused while it holds "
        "contacts of its account.",
    )
    owner = PickableUserField(
        required=False,
        help_text="User id, one of the people of your sales teams; default: you.",
    )
    stage = PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="Stage id (see /api/v1/stages/); default: the first open stage. Moving "
        "forward needs the exit criteria of every stage passed (else 409 "
        "exit_criteria_missing), and so does opening a deal at a later stage (tick them in "
        "the same body: checked_criteria); closing (won or lost) needs close_reason.",
    )
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Left out, it follows the stage's default; given, it sticks.",
    )
    checked_criteria = CheckedCriteriaField(
        source="criterion_checks",
        required=False,
        max_length=PART_MAX_ITEMS,
        help_text="Ids of the exit criteria ticked for this deal (of open stages: see "
        "/api/v1/stages/); one at a time with criteria/. Criteria ticked here count for a "
        "stage move in the same request." + PART_HELP,
    )
    contacts = DealContactSerializer(
        many=True,
        source="contact_roles",
        required=False,
        max_length=PART_MAX_ITEMS,
        help_text="The account's contacts in this deal (its buying center for the deal)."
        + PART_HELP,
    )
    team = DealTeamMemberSerializer(
        many=True,
        source="team_members",
        required=False,
        max_length=PART_MAX_ITEMS,
        help_text="Our people on the deal's team." + PART_HELP,
    )
    competitors = DealCompetitorSerializer(
        many=True,
        required=False,
        max_length=PART_MAX_ITEMS,
        help_text="The competitors in the deal, matched by name: a name the deal has keeps "
        "its entry; a field left out of an item takes its default." + PART_HELP,
    )
    account_grade = GradeOrNullField(
        source="account.score.grade",
        help_text="The account's grade (A–D); null: not graded yet.",
    )
    discount_ceiling = serializers.SerializerMethodField(
        help_text="The discount ceiling (%) of the account's grade under the service policy "
        "in force (an ungraded account: grade D's); null: no ceiling."
    )
    discount_over_ceiling = serializers.SerializerMethodField(
        help_text="True when discount_percent is above discount_ceiling: a warning, never "
        "a refusal."
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
            "discount_percent",
            "discount_ceiling",
            "discount_over_ceiling",
            "expected_close_date",
            "stage",
            "probability",
            "probability_is_custom",
            "checked_criteria",
            "contacts",
            "team",
            "competitors",
            "tender_published_on",
            "bid_submitted_on",
            "bid_opened_on",
            "bid_result",
            "close_reason",
            "closed_on",
            "description",
        ]
        read_only_fields = ["probability_is_custom", "closed_on"]
        list_serializer_class = OpportunityList

    def _discount(self, obj):
        """The deal's discount check, made once per deal for its two fields, the policy
        read once per response (the context is shared by the items of a list)."""
        from accounts.policy import current_policy
        from opportunities.discount import discount_check

        checked = getattr(obj, "_discount_checked", None)
        if checked is not None:  # the ceiling's field asked first: the over field's answer
            return checked
        policy = self.context.get("service_policy")
        if policy is None:
            policy = current_policy()
            if isinstance(self.context, dict):
                self.context["service_policy"] = policy
        obj._discount_checked = discount_check(obj, policy=policy)
        return obj._discount_checked

    def get_discount_ceiling(self, obj) -> str | None:
        ceiling = self._discount(obj).ceiling
        return None if ceiling is None else f"{ceiling:.2f}"

    def get_discount_over_ceiling(self, obj) -> bool:
        return self._discount(obj).over

    def validate(self, attrs):
        """The parts' ids, each part in one query: contacts of the deal's account that
        you can see, people you may pick (or already on the team), exit criteria. An id
        outside them, whether it exists or not, gets the same message, on its item."""
        attrs = super().validate(attrs)
        account = attrs.get("account") or getattr(self.instance, "account", None)
        if attrs.get("contact_roles") and account is not None:
            attrs["contact_roles"] = self._contacts(attrs["contact_roles"], account)
        if attrs.get("team_members"):
            attrs["team_members"] = self._team(attrs["team_members"])
        if attrs.get("criterion_checks"):
            attrs["criterion_checks"] = self._criteria(attrs["criterion_checks"])
        return attrs

    @staticmethod
    def _refuse(field: str, errors: dict[int, dict | list]) -> None:
        """Refuse the items of `field` at the indexes of `errors` (`contacts.1.contact`)."""
        if errors:
            raise serializers.ValidationError({field: errors})

    def _contacts(self, items: list[dict], account) -> list[dict]:
        ids = {item["contact_id"] for item in items}
        found = contacts_visible_to(self.by).filter(account=account, pk__in=ids).in_bulk()
        self._refuse(
            "contacts",
            {
                index: {
                    "contact": [
                        _(
                            "No contact of %(account)s has the id %(id)s: give the id of "
                            "one of its contacts (GET /api/v1/contacts/?account=%(account_id)s)."
                        )
                        % {
                            "account": account.name,
                            "id": item["contact_id"],
                            "account_id": account.pk,
                        }
                    ]
                }
                for index, item in enumerate(items)
                if item["contact_id"] not in found
            },
        )
        return [
            {
                "contact": (contact := found[item["contact_id"]]),
                "role": item.get("role") or contact.buying_role,
                "stance": item.get("stance") or contact.attitude,
            }
            for item in items
        ]

    def _team(self, items: list[dict]) -> list[dict]:
        ids = {item["user_id"] for item in items}
        on_team = (
            list(self.instance.team_members.values_list("user_id", flat=True))
            if self.instance
            else []
        )
        found = keeping(users_pickable_by(self.by), on_team).filter(pk__in=ids).in_bulk()
        self._refuse(
            "team",
            {
                index: {
                    "user": [
                        _(
                            "No one you may pick has the id %(id)s: give one of the people "
                            "of your sales teams."
                        )
                        % {"id": item["user_id"]}
                    ]
                }
                for index, item in enumerate(items)
                if item["user_id"] not in found
            },
        )
        return [{"user": found[item["user_id"]], "role": item["role"]} for item in items]

    def _criteria(self, ids: list[int]) -> list[ExitCriterion]:
        found = ExitCriterion.objects.select_related("stage").in_bulk(set(ids))
        self._refuse(
            "checked_criteria",
            {
                index: [
                    _(
                        "No exit criterion has the id %(id)s: give the id of one of the open "
                        "stages' criteria (GET /api/v1/stages/)."
                    )
                    % {"id": pk}
                ]
                for index, pk in enumerate(ids)
                if pk not in found
            },
        )
        return [found[pk] for pk in ids]

    @staticmethod
    def _service_arguments(validated_data: dict) -> dict:
        """The parts under the services' names (the fields' sources are the relations)."""
        for source, name in PART_ARGUMENTS.items():
            if source in validated_data:
                validated_data[name] = validated_data.pop(source)
        return validated_data

    def create(self, validated_data):
        return opportunity_create(by=self.by, **self._service_arguments(validated_data))

    def update(self, instance, validated_data):
        return opportunity_update(
            opportunity=instance, by=self.by, **self._service_arguments(validated_data)
        )


class CriterionCheckSerializer(serializers.Serializer):
    criterion = PrimaryKeyRelatedField(
        queryset=ExitCriterion.objects.all(), help_text="Exit criterion id (see stages)."
    )
    checked = serializers.BooleanField(help_text="True ticks it, false unticks it.")
