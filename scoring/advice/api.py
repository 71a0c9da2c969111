"""The next best actions in the REST API: `GET /api/v1/accounts/{id}/next-actions/`.

The route is an action scoring adds to the accounts viewset (scoring/account_api.py), so
the account is found by the same visibility rule and answers 404 outside it; this module
says what the answer holds (docs/api.md, "Next best actions")."""

from rest_framework import serializers

from keyaccounts.api.serializers import CharField as StrictCharField
from scoring.api import GradeField

from . import actions


class ConcernsSerializer(serializers.Serializer):
    """The records an action concerns; only those it has are present."""

    contact = serializers.IntegerField(required=False, help_text="The contact to meet or win over.")
    deal = serializers.IntegerField(required=False, help_text="The deal whose criteria to tick.")
    visit = serializers.IntegerField(
        required=False,
        help_text="log_follow_up: the visit whose follow-up is most overdue; "
        "rate_relationship: the latest recorded visit, logged since the last rating.",
    )
    complaint = serializers.IntegerField(required=False, help_text="The first open complaint.")
    role = serializers.ChoiceField(
        choices=["evaluator", "user", "purchaser"],
        required=False,
        help_text="The buying role no active contact holds.",
    )


class NextActionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=actions.KINDS, help_text="What to do.")
    reason = StrictCharField(help_text="Why, in one sentence (in the request's language).")
    effect = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        help_text="Score points the action gains, by a re-score of the account's inputs with "
        "it done (0: it moves no factor of the active risk table).",
    )
    score_after = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="The score with the action done (0–100)."
    )
    grade_after = GradeField(help_text="The grade the table's grid gives with the action done.")
    ids = ConcernsSerializer(help_text="The records the action concerns.")


def next_actions_data(account, *, today) -> list[dict]:
    from .selectors import account_advice

    advice = account_advice(account, today=today)
    return [
        {
            "kind": action.kind,
            "reason": action.reason,
            "effect": action.effect,
            "score_after": action.score_after,
            "grade_after": action.grade_after,
            "ids": action.ids,
        }
        for action in advice.actions
    ]
