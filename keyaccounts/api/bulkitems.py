"""What a bulk upsert answers for each item, and which external ids name a record: shared
by the per-item path (`bulk`) and the set-based one (`setbased`), which `bulk` offers
each list first."""

from .sync import EXTERNAL_ID_MAX_LENGTH

CREATED, UPDATED, UNCHANGED, ERROR, ROLLED_BACK = (
    "created",
    "updated",
    "unchanged",
    "error",
    "rolled_back",
)
STATUSES = [CREATED, UPDATED, UNCHANGED, ERROR, ROLLED_BACK]


def usable_key(external_id) -> bool:
    """An external_id a record may have: a lookup by anything else finds nothing."""
    return (
        isinstance(external_id, str)
        and bool(external_id)
        and len(external_id) <= EXTERNAL_ID_MAX_LENGTH
        and "\x00" not in external_id
    )
