"""Which parts of a record a new version was made for (a deal's contacts, team,
competitors, ticked exit criteria).

A part is its own table with its own history; the record's new version (its "touch")
changes none of the record's fields. So that readers of the record's history — the
changes feed's `changed_fields` — can still say what changed, the touch's historical row
carries the parts' names as its change reason: `parts:contacts,team`. The timeline
ignores the reason (the part's own rows show the change)."""

from collections.abc import Iterable

PARTS_REASON_PREFIX = "parts:"


def parts_reason(names: Iterable[str]) -> str:
    """The change reason of a new version made for these parts."""
    return PARTS_REASON_PREFIX + ",".join(sorted(set(names)))


def parts_in_reason(reason: str | None) -> list[str]:
    """The parts a change reason names (none for any other reason)."""
    if not reason or not reason.startswith(PARTS_REASON_PREFIX):
        return []
    return [name for name in reason.removeprefix(PARTS_REASON_PREFIX).split(",") if name]
