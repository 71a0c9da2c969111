"""The changes feed forgets after FEED_RETENTION_DAYS: tombstones, exits and the access
log older than that are purged, and cursors older than that answer 410.

Time is turned into change numbers by checkpoints: each purge first notes the last
change number issued (`FeedCheckpoint`); the horizon becomes the newest checkpoint at
least FEED_RETENTION_DAYS old, and everything numbered at or below it goes. A cursor
below the horizon is refused whether or not anything was purged for it, so a client
learns that it was away too long the same way every time.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AccessChange, FeedCheckpoint, FeedExit
from .reader import feed_state, last_committed_change


def feed_purge(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Note a checkpoint; move the horizon to the newest checkpoint older than `days`
    (FEED_RETENTION_DAYS) and delete what is numbered at or below it. Returns the
    horizon. Beat runs it nightly (keyaccounts.tasks.feed_purge)."""
    from keyaccounts.models import Tombstone

    now = now or timezone.now()
    days = settings.FEED_RETENTION_DAYS if days is None else days
    cutoff = now - datetime.timedelta(days=days)
    with transaction.atomic():
        state = feed_state()
        state = type(state).objects.select_for_update().get(pk=state.pk)
        FeedCheckpoint.objects.create(change_seq=last_committed_change(), taken_at=now)
        horizon = (
            FeedCheckpoint.objects.filter(taken_at__lte=cutoff)
            .order_by("-change_seq")
            .values_list("change_seq", flat=True)
            .first()
        )
        if horizon is None or horizon <= state.horizon:
            return state.horizon
        state.horizon, state.purged_at = horizon, now
        state.save(update_fields=["horizon", "purged_at"])
        for model in (Tombstone, FeedExit, AccessChange):
            model.objects.filter(change_seq__lte=horizon).delete()
        # The checkpoint that is the horizon stays: later purges compare with it.
        FeedCheckpoint.objects.filter(change_seq__lt=horizon).delete()
        return horizon
