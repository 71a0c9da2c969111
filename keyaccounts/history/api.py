"""The change history in the API (`GET /api/v1/<type>/{id}/history/`): the same entries
as the record's history page, with raw values beside the displayed ones."""

from rest_framework import serializers

from keyaccounts.api.serializers import CharField as StrictCharField

from .context import Origin
from .timeline import Action


class HistoryObjectSerializer(serializers.Serializer):
    type = StrictCharField(
        source="object_type",
        help_text='What the entry concerns: the record ("accounts.account") or one of its '
        'parts ("accounts.accountteammember", "opportunities.criterioncheck", ...).',
    )
    id = serializers.IntegerField(source="object_id")
    label = StrictCharField(source="object_label", help_text="Its name, in the request's language.")


class HistoryChangeSerializer(serializers.Serializer):
    field = StrictCharField(help_text="The field's name: owner, stage, attitude, ...")
    label = StrictCharField(help_text="The field's label, in the request's language.")
    old = serializers.JSONField(
        allow_null=True,
        help_text="The value before, as stored: ids for links to other records, a sorted list "
        'of ids for lists of them, ISO 8601 for dates, strings for decimals; null or "" when '
        "empty.",
    )
    new = serializers.JSONField(allow_null=True, help_text="The value after, as `old`.")
    old_display = StrictCharField(
        help_text='The value before as the page shows it (choices by label, links by name, "—" '
        "when empty)."
    )
    new_display = StrictCharField(help_text="The value after as the page shows it.")


class HistoryMergedSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True,
        help_text="The merged record's id (its type: the entry's); null for a record you "
        "cannot see.",
    )
    label = StrictCharField(
        help_text='Its name, in the request\'s language; "an account you cannot see" (or '
        "contact) when the reader may not see it."
    )


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="when")
    user = serializers.IntegerField(
        source="user_id", allow_null=True, help_text="Who made the change; null: a system task."
    )
    user_name = StrictCharField()
    origin = serializers.ChoiceField(choices=Origin.choices)
    action = serializers.ChoiceField(
        choices=Action.choices,
        help_text="created, changed, deleted (to the recycle bin), restored, merged (this "
        "record merged into another), merge_kept (the survivor of a merge: `merged` names the "
        "records merged into it), or removed (a part: a team member, competitor, contact in a "
        "deal, an exit criterion unticked).",
    )
    object = HistoryObjectSerializer(source="*")
    changes = HistoryChangeSerializer(many=True)
    merged = HistoryMergedSerializer(
        many=True,
        help_text="Of a `merge_kept` entry: the records merged into this one by that merge; "
        "empty otherwise.",
    )
