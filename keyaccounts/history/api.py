"""The change history in the API (`GET /api/v1/<type>/{id}/history/`): the same entries
as the record's history page, with raw values beside the displayed ones."""

from rest_framework import serializers

from .context import Origin
from .timeline import Action


class HistoryObjectSerializer(serializers.Serializer):
    type = serializers.CharField(
        source="object_type",
        help_text='What the entry concerns: the record ("accounts.account") or one of its '
        'parts ("accounts.accountteammember", "opportunities.criterioncheck", ...).',
    )
    id = serializers.IntegerField(source="object_id")
    label = serializers.CharField(
        source="object_label", help_text="Its name, in the request's language."
    )


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name: owner, stage, attitude, ...")
    label = serializers.CharField(help_text="The field's label, in the request's language.")
    old = serializers.JSONField(
        allow_null=True,
        help_text="The value before, as stored: ids for links to other records, a sorted list "
        'of ids for lists of them, ISO 8601 for dates, strings for decimals; null or "" when '
        "empty.",
    )
    new = serializers.JSONField(allow_null=True, help_text="The value after, as `old`.")
    old_display = serializers.CharField(
        help_text='The value before as the page shows it (choices by label, links by name, "—" '
        "when empty)."
    )
    new_display = serializers.CharField(help_text="The value after as the page shows it.")


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="when")
    user = serializers.IntegerField(
        source="user_id", allow_null=True, help_text="Who made the change; null: a system task."
    )
    user_name = serializers.CharField()
    origin = serializers.ChoiceField(choices=Origin.choices)
    action = serializers.ChoiceField(
        choices=Action.choices,
        help_text="created, changed, deleted (to the recycle bin), restored, merged, or "
        "removed (a part: a team member, competitor, contact in a deal, an exit criterion "
        "unticked).",
    )
    object = HistoryObjectSerializer(source="*")
    changes = HistoryChangeSerializer(many=True)
