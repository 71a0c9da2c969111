"""The grade of an account in the REST API: `GET /api/v1/accounts/{id}/grade/`.

The route is an action of the accounts viewset (`accounts.api.views`), so the account is
found by the same visibility rule and answers 404 outside it; this module says what the
answer holds (docs/api.md, "Grades").
"""

from django.utils import timezone
from rest_framework import serializers

from accounts.api.grades import GRADES, GradeField, GradeOrNullField
from keyaccounts.api.serializers import CharField as StrictCharField

from .models import AccountScore, Closing, GradeChange, GradePin, Source, pin_in_force
from .specs import explained

HISTORY_SIZE = 20


class ContributionSerializer(serializers.Serializer):
    """One factor's part of the score: the account's own (raw, points, contribution)
    with the factor as the score's version of the table defines it."""

    key = StrictCharField(help_text="The factor's key in the risk-evaluation table.")
    label = StrictCharField(help_text="The factor's name.")
    label_zh = StrictCharField(default="", help_text="The factor's Chinese name, if any.")
    source = serializers.ChoiceField(
        choices=Source.choices, help_text="Where the raw value comes from."
    )
    raw = serializers.FloatField(
        allow_null=True,
        help_text="The account's value for the source; null: unknown. A count of days "
        "(days_to_close, days_since_contact) is counted to today.",
    )
    points = serializers.IntegerField(
        min_value=0, max_value=100, help_text="0–100, from the factor's bands."
    )
    weight = serializers.IntegerField(min_value=0, help_text="The factor's weight.")
    contribution = serializers.FloatField(
        help_text="Its share of the score (weight × points ÷ total weight); the "
        "contributions add up to the score."
    )


# The grade fields are the account's (accounts/api/grades.py): every record's serializer
# shows a grade without importing scoring.
__all__ = ["GRADES", "GradeField", "GradeOrNullField"]


class GradePinSerializer(serializers.ModelSerializer):
    grade = GradeField()
    pinned_by = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="User id of the manager who pinned it."
    )

    class Meta:
        model = GradePin
        fields = ["grade", "reason", "expires_on", "pinned_by"]
        read_only_fields = fields


class GradeChangeSerializer(serializers.ModelSerializer):
    from_grade = GradeOrNullField(help_text="null: the account's first grade.")
    to_grade = GradeField()
    model_version = serializers.IntegerField(
        source="model.version", read_only=True, help_text="The table's version it was given by."
    )

    class Meta:
        model = GradeChange
        fields = [
            "from_grade",
            "to_grade",
            "score",
            "reason",
            "note",
            "model_version",
            "changed_at",
        ]
        read_only_fields = fields


class AccountGradeSerializer(serializers.ModelSerializer):
    """An account's current grade, why, and its latest changes."""

    account = serializers.IntegerField(source="account_id", read_only=True)
    grade = GradeField(help_text="The grade in force: the pin's while pinned.")
    computed_grade = GradeField(help_text="The grade the table gives.")
    pinned = serializers.BooleanField(read_only=True, help_text="A manager's pin holds the grade.")
    pin = GradePinSerializer(
        source="active_pin", read_only=True, allow_null=True, help_text="null: not pinned."
    )
    model_version = serializers.IntegerField(
        source="model.version", read_only=True, help_text="The risk-evaluation table's version."
    )
    closing = serializers.ChoiceField(
        choices=Closing.choices, read_only=True, help_text="Time to close of the open deals."
    )
    next_close = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The nearest expected close date of an open deal; null: no open deal.",
    )
    days_to_close = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Days from today to next_close (negative: passed); null: no open deal.",
    )
    computed_at = serializers.DateTimeField(
        read_only=True,
        help_text="When the score, grade or contributions last changed (a rescore that "
        "finds them the same leaves them and this time as they are).",
    )
    contributions = ContributionSerializer(
        source="explained", many=True, read_only=True, help_text="In the table's order."
    )
    history = GradeChangeSerializer(
        source="recent_changes",
        many=True,
        read_only=True,
        help_text=f"The latest {HISTORY_SIZE} changes of the grade, newest first.",
    )

    class Meta:
        model = AccountScore
        fields = [
            "account",
            "grade",
            "computed_grade",
            "score",
            "pinned",
            "pin",
            "model_version",
            "closing",
            "next_close",
            "days_to_close",
            "computed_at",
            "contributions",
            "history",
        ]
        read_only_fields = fields


# What `account_grade` reads with the account: select_related these.
GRADE_RELATED = ("score__model", "grade_pin")


def account_grade(account) -> AccountScore | None:
    """The account's score ready for AccountGradeSerializer, or None if not graded yet.
    `account` comes with GRADE_RELATED selected; its history is one more query."""
    score = getattr(account, "score", None)
    if score is None:
        return None
    pin = getattr(account, "grade_pin", None)
    today = timezone.localdate()
    # A pin past its date no longer holds, even before the next rescore says so.
    score.active_pin = pin_in_force(pin, today)
    score.explained = explained(score, today)
    score.recent_changes = list(
        GradeChange.objects.filter(account=account)
        .select_related("model")
        .order_by("-changed_at", "-pk")[:HISTORY_SIZE]
    )
    return score
