"""What a bulk upsert answers for each item, which external ids name a record and which
version an item names: shared
by the per-item path (`bulk`) and the set-based one (`setbased`), which `bulk` offers
each list first."""

from django.utils.translation import gettext as _

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


def read_version(item: dict) -> tuple[int | None, list[str]]:
    """The version an item names (None: none), or the message saying why it is not one."""
    version = item.get("version")
    if version is None:
        return None, []
    whole = isinstance(version, int) and not isinstance(version, bool)
    if not whole or not 1 <= version <= 2**31 - 1:
        return None, [_("Give the version you read, a whole number from 1 (or leave it out).")]
    return version, []
