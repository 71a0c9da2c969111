"""Keep, show and drop page snapshots (keyaccounts.snapshots).

`shown(name=…, user=…, params=…, compute=…)` is what a page calls: it answers the
snapshot of that page for that person and those parameters when one is fresh, and else
runs `compute()` (which renders the figures to HTML), keeps what it returns and answers
that. A snapshot is fresh when:

- it was computed less than `SNAPSHOT_SECONDS` ago (settings; 0 turns snapshots off:
  every view computes);
- its person has saved nothing since (`SnapshotWritesMiddleware` notes the moment of
  every successful write request of a signed-in person, in the shared cache; a cache that
  does not answer reads as "just saved"), so a rep who logs a visit sees it counted on
  their next view;
- what its person may see has not changed since: a change of the access table
  (`accounts.access`) drops the snapshots of everyone it concerns (`forget`).

Its time (`computed_at`) is when the computation started: a write that lands while it
runs makes it old at once.
"""

import datetime
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from keyaccounts.cache import shared_cache_answers

from .models import Snapshot

logger = logging.getLogger(__name__)

# A person's snapshots of a page older than this are deleted when a new one is kept (one
# row per page, person and combination of filters: the table stays small).
KEPT_FOR = datetime.timedelta(days=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Shown:
    content: str
    computed_at: datetime.datetime
    kept: bool  # True: read from a snapshot computed earlier
    keeping: bool = True  # False: SNAPSHOT_SECONDS is 0, every view computes (no note)


def _wrote_key(user_id) -> str:
    return f"keyaccounts:snapshot-wrote:{user_id}"


def note_write(user) -> None:
    """Remember that `user` has just saved something: their snapshots computed before
    now are not shown again. Nothing to remember when no page keeps snapshots."""
    if settings.SNAPSHOT_SECONDS <= 0:
        return
    try:
        cache.set(_wrote_key(user.pk), time.time(), timeout=settings.SNAPSHOT_SECONDS + 60)
    except Exception:  # noqa: BLE001 - a cache that is down reads as "just saved" anyway
        logger.warning("could not note user %s's write for their snapshots", user.pk)


def _wrote_since(user, moment: datetime.datetime) -> bool:
    """True when `user` saved something after `moment`, or when the cache cannot tell."""
    try:
        wrote_at = cache.get(_wrote_key(user.pk))
    except Exception:  # noqa: BLE001 - unknown: compute again
        return True
    if not shared_cache_answers():
        return True  # another web process may hold the note
    return wrote_at is not None and wrote_at >= moment.timestamp()


def params_key(name: str, params: dict) -> str:
    """The snapshot key of `params` (any JSON values) with the active language, time zone
    and day: the same figures render differently in each."""
    canonical = json.dumps(
        {
            "page": name,
            "params": params,
            "language": translation.get_language(),
            "zone": timezone.get_current_timezone_name(),
            "day": timezone.localdate().isoformat(),
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def shown(
    *, name: str, user, params: dict, compute: Callable[[], str], refresh: bool = False
) -> Shown:
    """The figures of page `name` for `user` and `params`: a fresh snapshot's, or
    `compute()`'s (kept as the new snapshot). `refresh` computes them whatever is kept."""
    seconds = settings.SNAPSHOT_SECONDS
    key = params_key(name, params)
    if seconds > 0 and not refresh:
        found = (
            Snapshot.objects.filter(user=user, name=name, key=key)
            .values_list("computed_at", "content")
            .first()
        )
        if found is not None:
            computed_at, content = found
            age = (timezone.now() - computed_at).total_seconds()
            if 0 <= age < seconds and not _wrote_since(user, computed_at):
                return Shown(content=content, computed_at=computed_at, kept=True)
    started = timezone.now()
    content = compute()
    if seconds > 0:
        _keep(user=user, name=name, key=key, computed_at=started, content=content)
    return Shown(content=content, computed_at=started, kept=False, keeping=seconds > 0)


def refresh_urls(request, path: str) -> tuple[str, str]:
    """(the page at `path` with the request's parameters but `refresh`, the same with
    `refresh=1`): where a refresh answers, and its link."""
    query = request.GET.copy()
    query.pop("refresh", None)
    here = f"{path}?{query.urlencode()}" if query else path
    query["refresh"] = "1"
    return here, f"{path}?{query.urlencode()}"


def _keep(*, user, name: str, key: str, computed_at, content: str) -> None:
    rows = Snapshot.objects.filter(user=user, name=name)
    try:
        with transaction.atomic():
            if not rows.filter(key=key).update(computed_at=computed_at, content=content):
                Snapshot.objects.create(
                    user=user, name=name, key=key, computed_at=computed_at, content=content
                )
            rows.filter(computed_at__lt=computed_at - KEPT_FOR).delete()
    except IntegrityError:
        # Another request of the same person kept the same page a moment before: theirs
        # is as good as this one.
        pass


def forget(*, user_ids: Iterable[int] | None = None, using: str = "default") -> int:
    """Drop the snapshots of these people (None: of everyone). Returns how many."""
    rows = Snapshot.objects.using(using).all()
    if user_ids is not None:
        user_ids = sorted(set(user_ids))
        if not user_ids:
            return 0
        rows = rows.filter(user_id__in=user_ids)
    return rows.delete()[0]


class SnapshotWritesMiddleware:
    """After a successful request that is not a GET by a signed-in person (a page's
    POST, an API write, an import), note the moment: their snapshots older than it are
    computed again (`note_write`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            # Read after the view: DRF sets the API token's user on the request.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_write(user)
        return response
