"""Reads of the recycle bin, scoped by who may restore what."""

from django.db.models import QuerySet

from .models import Deletion

# The bin's order, latest first: its page (keyset) and its export.
BIN_ORDER = ("-deleted_at", "-pk")


def deletions_visible_to(user, *, in_bin: bool = True) -> QuerySet[Deletion]:
    """The delete actions `user` may see in the recycle bin and restore: those they
    made, and — for managers and superusers — every one, the same rule as
    `accounts.services.check_restorer`; always only at the accounts they can see (live
    or in the bin), by the one visibility rule: a rep whose account went to another
    team no longer sees what they deleted there.

    `in_bin=False` keeps the restored and purged ones too, so that a second click on
    "Restore" can be told what happened rather than answered 404."""
    from accounts.selectors import accounts_visible_to, is_manager

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Deletion.objects.none()
    # A merge is no deletion to undo: the survivor holds the data (merged_into).
    rows = Deletion.objects.exclude(reason="merged").filter(
        account_id__in=accounts_visible_to(user, deleted=True).values("pk")
    )
    if in_bin:
        rows = rows.filter(restored_at__isnull=True, purged_at__isnull=True)
    if is_manager(user):
        return rows
    return rows.filter(deleted_by=user)
