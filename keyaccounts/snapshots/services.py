"""Keep, show and drop page snapshots (keyaccounts.snapshots).

A page calls `page_figures(request, name=…, params=…, template=…, compute=…)` (its
refresh link and `?refresh=1` included), which calls `shown(…)`: it answers the
snapshot of that page for that person and those parameters when one is fresh, and
else runs `compute()` (which renders the figures to HTML), keeps what it
returns and answers that. A snapshot is only ever read for the person it was computed
for, under a key that hashes the page, its parameters, the language, time zone and day,
the source of the page's template (a release that changes the page does not show the
old one's markup) and the latest change of what that person may see (their latest
`AccessChange`, read where the figures are read: an account given or taken, a team or
superuser flag changed, is a new key at once, and a computation that overlapped the
change is kept under the old one). It is fresh when:

- it was computed less than `SNAPSHOT_SECONDS` ago (settings; 0 turns snapshots off:
  every view computes; settings turn them off without a shared cache, REDIS_URL);
- its person has saved nothing since, or not within `SETTLE` before it was computed
  (`SnapshotWritesMiddleware` notes the moment of every successful write request of a
  signed-in person in the shared cache, and a bulk job or import notes its owner when it
  ends; a cache that does not answer reads as "just saved"): what a save sets off — the
  account's rescoring, `SCORING_RESCORE_DELAY_SECONDS` later — is counted too.

Kept fresh in the background (`refresh_due`, beat every minute): a snapshot its person
viewed within `SNAPSHOT_REFRESH_VIEWED_SECONDS` is computed again when it is within
`SNAPSHOT_REFRESH_LEAD_SECONDS` of going stale, and once a save of its person's has
settled — by its page's own view with `?refresh=1`, as its person, in the language and
time zone it was viewed in. So the person's next view shows figures at most a few
minutes old at once, where it would have waited for them (a whole company's dashboard:
seconds); a person who stopped looking costs nothing. A snapshot computed again
replaces the one it stands for (the same person, page, address, language and zone).

Its time (`computed_at`) is when the computation started. Snapshots are read and
written on the primary database, never the replica: "Compute them now" must show what
it just kept. Keeping one is a help, never a reason to fail the page: a database error
while keeping is logged and the page shows what it computed.
"""

import contextvars
import copy
import datetime
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.dispatch import receiver
from django.http import Http404, HttpRequest, QueryDict
from django.template.loader import get_template
from django.urls import Resolver404, get_script_prefix, resolve, set_script_prefix
from django.utils import timezone, translation

from keyaccounts.cache import shared_cache_answers
from keyaccounts.recyclebin.signals import records_moved

from .models import Snapshot

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Seconds after a person's save during which their figures are computed on every view:
# the rescoring a save queues lands SCORING_RESCORE_DELAY_SECONDS later.
SETTLE_MARGIN = 20


# A view of a kept snapshot notes the moment (`viewed_at`) at most this often.
VIEW_NOTE_SECONDS = 60
# One background refresh run stops starting new computations after this long (beat
# starts the next a minute after the last).
REFRESH_BUDGET_SECONDS = 50
REFRESH_EVERY_SECONDS = 60  # beat's schedule (settings: "snapshots-refresh")
REFRESH_LOCK = "keyaccounts:snapshots-refresh"


def settle_seconds() -> float:
    return settings.SCORING_RESCORE_DELAY_SECONDS + SETTLE_MARGIN


@dataclass(frozen=True)
class Page:
    """Where a snapshot was viewed: how to compute it again without its person."""

    path: str  # the page's path (without the script prefix) and query, without `refresh`
    prefix: str  # the script prefix it was served under ("/": none)
    language: str
    zone: str


# True while `refresh_due` computes a snapshot again: the snapshot that replaces it
# carries over when its person last viewed it (a refresh is no view).
_refreshing: contextvars.ContextVar = contextvars.ContextVar("snapshot_refresh", default=False)


@dataclass(frozen=True)
class Shown:
    content: str
    computed_at: datetime.datetime
    kept: bool  # True: read from a snapshot computed earlier
    keeping: bool = True  # False: SNAPSHOT_SECONDS is 0, every view computes (no note)


def _wrote_key(user_id) -> str:
    return f"keyaccounts:snapshot-wrote:{user_id}"


def note_write(user_or_id) -> None:
    """Remember that this person (a user or their id) has just saved something: their
    snapshots computed before now, or within `settle_seconds()` after it, are not shown.
    Nothing to remember when no page keeps snapshots."""
    if settings.SNAPSHOT_SECONDS <= 0 or user_or_id is None:
        return
    user_id = getattr(user_or_id, "pk", user_or_id)
    try:
        cache.set(
            _wrote_key(user_id),
            time.time(),
            timeout=settings.SNAPSHOT_SECONDS + settle_seconds() + 60,
        )
    except Exception:  # noqa: BLE001 - a cache that is down reads as "just saved" anyway
        logger.warning("could not note user %s's write for their snapshots", user_id)


class _Unknown(Exception):
    """The shared cache cannot say when a person last saved."""


def _wrote_at(user_id) -> float | None:
    """When the person `user_id` last saved something (a timestamp; None: not lately).
    Raises `_Unknown` when the cache does not answer."""
    try:
        wrote_at = cache.get(_wrote_key(user_id))
    except Exception as error:  # noqa: BLE001 - any failure of the cache: unknown
        raise _Unknown from error
    if not shared_cache_answers():
        raise _Unknown  # Redis is away: another web process may hold the note
    return wrote_at


def _wrote_since(user, moment: datetime.datetime) -> bool:
    """True when `user` saved something after `moment` less `settle_seconds()`, or when
    the cache cannot tell."""
    try:
        wrote_at = _wrote_at(user.pk)
    except _Unknown:
        return True  # unknown: compute again
    return wrote_at is not None and wrote_at + settle_seconds() >= moment.timestamp()


@functools.lru_cache(maxsize=32)
def _template_digest(template: str) -> str:
    """The template's source, hashed (what this release renders)."""
    source = get_template(template).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _access_seq(user) -> int:
    """The number of the latest change of what `user` may see (0: none kept)."""
    from keyaccounts.feed.models import AccessChange

    latest = (
        AccessChange.objects.filter(user_id=user.pk)
        .order_by("-change_seq")
        .values_list("change_seq", flat=True)
        .first()
    )
    return latest or 0


def params_key(name: str, params: dict, *, template: str, access_seq: int) -> str:
    """The snapshot key of page `name` with `params` (any JSON values)."""
    canonical = json.dumps(
        {
            "page": name,
            "params": params,
            "language": translation.get_language(),
            "zone": timezone.get_current_timezone_name(),
            "day": timezone.localdate().isoformat(),
            "template": _template_digest(template),
            "access": access_seq,
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def shown(
    *,
    name: str,
    user,
    params: dict,
    template: str,
    compute: Callable[[], str],
    refresh: bool = False,
    page: Page | None = None,
) -> Shown:
    """The figures of page `name` for `user` and `params`, rendered by `compute()` with
    `template`: a fresh snapshot's, or computed now (and kept). `refresh` computes them
    whatever is kept. `page`: where they are viewed, so that the background can keep
    them fresh (`refresh_due`); without it they are computed on views only."""
    seconds = settings.SNAPSHOT_SECONDS
    if seconds <= 0:
        return Shown(content=compute(), computed_at=timezone.now(), kept=False, keeping=False)
    key = params_key(name, params, template=template, access_seq=_access_seq(user))
    rows = Snapshot.objects.using(DEFAULT_DB_ALIAS)
    if not refresh:
        found = (
            rows.filter(user=user, name=name, key=key)
            .values_list("pk", "computed_at", "content", "viewed_at")
            .first()
        )
        if found is not None:
            pk, computed_at, content, viewed_at = found
            now = timezone.now()
            age = (now - computed_at).total_seconds()
            if 0 <= age < seconds and not _wrote_since(user, computed_at):
                if viewed_at is None or (now - viewed_at).total_seconds() >= VIEW_NOTE_SECONDS:
                    _note_view(pk, now)
                return Shown(content=content, computed_at=computed_at, kept=True)
    started = timezone.now()
    content = compute()
    keep(
        user=user,
        name=name,
        key=key,
        computed_at=started,
        content=content,
        page=page,
        viewed_at=None if _refreshing.get() else started,
    )
    return Shown(content=content, computed_at=started, kept=False)


def _note_view(pk: int, now: datetime.datetime) -> None:
    """Note that a snapshot was viewed: a help to the background refresh, never a
    reason to fail the page."""
    try:
        Snapshot.objects.using(DEFAULT_DB_ALIAS).filter(pk=pk).update(viewed_at=now)
    except DatabaseError:
        logger.warning("could not note a view of snapshot %s", pk, exc_info=True)


def keep(
    *,
    user,
    name: str,
    key: str,
    computed_at,
    content: str,
    page: Page | None = None,
    viewed_at: datetime.datetime | None = None,
) -> None:
    """Keep `content` as `user`'s snapshot `name` under `key` (the row of that key
    replaced), on the primary; never a reason to fail the page. With `page`, it replaces
    the snapshots of the same page viewed at the same address, language and zone under
    another key (another day, release or change of what the person may see): none of
    them can be shown again. `viewed_at` None with `page`: when its person last viewed
    the page, as the snapshots it replaces say (a background refresh)."""
    rows = Snapshot.objects.using(DEFAULT_DB_ALIAS)
    where = {}
    if page is not None:
        where = {
            "path": page.path,
            "prefix": page.prefix,
            "language": page.language,
            "zone": page.zone,
        }
    values = {"computed_at": computed_at, "content": content, "viewed_at": viewed_at, **where}
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            if page is not None and page.path:
                same_page = rows.filter(user=user, name=name, **where)
                if viewed_at is None:  # read here: a view noted meanwhile is kept
                    values["viewed_at"] = same_page.aggregate(last=Max("viewed_at"))["last"]
                same_page.exclude(key=key).delete()
            if not rows.filter(user=user, name=name, key=key).update(**values):
                rows.create(user=user, name=name, key=key, **values)
    except IntegrityError:
        # Another request of the same person kept the same page a moment before: theirs
        # is as good as this one.
        pass
    except DatabaseError:
        logger.warning("could not keep the %s snapshot of user %s", name, user.pk, exc_info=True)


def purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the snapshots no view can show any more (older than SNAPSHOT_SECONDS, at
    least an hour): beat runs it hourly. Returns how many."""
    now = now or timezone.now()
    age = datetime.timedelta(seconds=max(settings.SNAPSHOT_SECONDS, 3600))
    return Snapshot.objects.using(DEFAULT_DB_ALIAS).filter(computed_at__lt=now - age).delete()[0]


PATH_MAX_LENGTH = Snapshot._meta.get_field("path").max_length


@dataclass(frozen=True)
class PageFigures:
    shown: Shown
    refresh_url: str  # the page with `refresh=1`: "Compute them now"
    redirect_to: str | None  # after a refresh: the page without `refresh`


def page_figures(
    request,
    *,
    name: str,
    params: dict,
    template: str,
    compute: Callable[[], str],
    refresh_ahead: bool = True,
) -> PageFigures:
    """`shown` for the page of `request` and its signed-in person, with its refresh link;
    `?refresh=1` computes the figures now and asks the view to answer with the page
    without it (`redirect_to`). `refresh_ahead` False: the background does not keep this
    address fresh (its views compute it when it is stale): a list's later pages, each an
    address of its own, would multiply the background's work by the pages once seen."""
    refresh = request.GET.get("refresh") == "1"
    query = request.GET.copy()
    query.pop("refresh", None)
    here = f"{request.path}?{query.urlencode()}" if query else request.path
    address = f"{request.path_info}?{query.urlencode()}" if query else request.path_info
    page = Page(
        # Longer, or not to be refreshed ahead: its views compute it (`refresh_due`
        # passes over a snapshot without a path).
        path=address if refresh_ahead and len(address) <= PATH_MAX_LENGTH else "",
        prefix=request.path[: len(request.path) - len(request.path_info)] + "/",
        language=translation.get_language() or "",
        zone=timezone.get_current_timezone_name(),
    )
    shown_now = shown(
        name=name,
        user=request.user,
        params=params,
        template=template,
        compute=compute,
        refresh=refresh,
        page=page,
    )
    query["refresh"] = "1"
    return PageFigures(
        shown=shown_now,
        refresh_url=f"{request.path}?{query.urlencode()}",
        redirect_to=here if refresh else None,
    )


def without_refresh(request):
    """`request` as its page reads it: without `refresh` in its query (a copy when it
    had one), so that a page computed on "Compute them now" links, pages and exports as
    the page kept for its address does (a list's cursors carry its query)."""
    if "refresh" not in request.GET:
        return request
    query = request.GET.copy()
    query.pop("refresh")
    query._mutable = False
    plain = copy.copy(request)
    plain.GET = query
    return plain


def refresh_on() -> bool:
    """Whether the background keeps snapshots fresh: they are kept at all, a view lately
    counts, and a snapshot lasts longer than the lead plus the minute between beat's
    runs (shorter ones would be computed on every run, whether viewed or not)."""
    seconds = settings.SNAPSHOT_SECONDS
    return (
        seconds > 0
        and settings.SNAPSHOT_REFRESH_VIEWED_SECONDS > 0
        and seconds > settings.SNAPSHOT_REFRESH_LEAD_SECONDS + REFRESH_EVERY_SECONDS
    )


def refresh_due(*, now: datetime.datetime | None = None) -> int:
    """Compute again the snapshots their person viewed within
    SNAPSHOT_REFRESH_VIEWED_SECONDS that their next view would not show: within
    SNAPSHOT_REFRESH_LEAD_SECONDS of SNAPSHOT_SECONDS old, or computed before a save of
    their person's that has settled since. Each by its page's own view, the longest
    waiting first, for at most REFRESH_BUDGET_SECONDS. Beat runs it every minute;
    returns how many were computed."""
    if not refresh_on():
        return 0
    if not cache.add(REFRESH_LOCK, 1, timeout=REFRESH_BUDGET_SECONDS + 60):
        return 0  # the run before is still at it
    try:
        return _refresh_due(now or timezone.now())
    finally:
        cache.delete(REFRESH_LOCK)


def _refresh_due(now: datetime.datetime) -> int:
    viewed_since = now - datetime.timedelta(seconds=settings.SNAPSHOT_REFRESH_VIEWED_SECONDS)
    stale_at = settings.SNAPSHOT_SECONDS - settings.SNAPSHOT_REFRESH_LEAD_SECONDS
    candidates = (
        Snapshot.objects.using(DEFAULT_DB_ALIAS)
        .filter(viewed_at__gte=viewed_since)
        .exclude(path="")
        .defer("content")
        .order_by("computed_at", "pk")
    )
    started, done = time.monotonic(), 0
    for row in candidates.iterator(chunk_size=100):
        if time.monotonic() - started > REFRESH_BUDGET_SECONDS:
            break
        if _due(row, now, stale_at):
            done += _compute_again(row)
    return done


def _due(row: Snapshot, now: datetime.datetime, stale_at: float) -> bool:
    if (now - row.computed_at).total_seconds() >= stale_at:
        return True
    try:
        wrote_at = _wrote_at(row.user_id)
    except _Unknown:
        return False  # its view decides (it computes): nothing to gain here
    if wrote_at is None:
        return False
    settled = wrote_at + settle_seconds()
    return row.computed_at.timestamp() <= settled <= now.timestamp()


def _compute_again(row: Snapshot) -> int:
    """Run the page of `row` with `?refresh=1` as its person, read afresh (its view
    computes and keeps the figures); 1 when it did. A page its person can no longer
    open, or a person no longer active, has its snapshot deleted; a failure is logged
    and the snapshot left to its person's next view (not tried again meanwhile)."""
    rows = Snapshot.objects.using(DEFAULT_DB_ALIAS).filter(pk=row.pk)
    # Read now, on the primary: rights changed since the run began (a superuser made a
    # user) must not compute figures under the key of the rights they have now.
    user = get_user_model()._base_manager.using(DEFAULT_DB_ALIAS).filter(pk=row.user_id).first()
    parts = urlsplit(row.path)
    try:
        match = resolve(parts.path)
    except Resolver404:
        match = None
    if user is None or not user.is_active or match is None:
        rows.delete()
        return 0
    request = HttpRequest()
    request.method = "GET"
    prefix = row.prefix or "/"
    request.path = prefix.rstrip("/") + parts.path
    request.path_info = parts.path
    request.GET = QueryDict(parts.query, mutable=True)
    request.GET["refresh"] = "1"
    request.user = user
    token = _refreshing.set(True)
    served_under = get_script_prefix()
    set_script_prefix(prefix)  # the links in the figures, as the page has them
    try:
        with (
            translation.override(row.language or settings.LANGUAGE_CODE),
            timezone.override(row.zone or settings.TIME_ZONE),
        ):
            match.func(request, *match.args, **match.kwargs)
    except (Http404, PermissionDenied):
        rows.delete()
        return 0
    except Exception:  # noqa: BLE001 - one page's failure stops no other's refresh
        logger.exception("could not compute snapshot %s (%s) again", row.pk, row.name)
        rows.update(viewed_at=None)  # left to its person's next view
        return 0
    finally:
        set_script_prefix(served_under)
        _refreshing.reset(token)
    return 1


def note_writes_for_accounts(account_ids) -> None:
    """Note a write for everyone who may see one of `account_ids` (their access rows;
    superusers too): what they keep shows these accounts' records as they were."""
    if settings.SNAPSHOT_SECONDS <= 0 or not account_ids:
        return
    from django.apps import apps

    access = apps.get_model("accounts", "AccountAccess")
    user = apps.get_model("accounts", "User")
    people = set(
        access.objects.using(DEFAULT_DB_ALIAS)
        .filter(account_id__in=list(account_ids))
        .values_list("user_id", flat=True)
    )
    people |= set(
        user.objects.using(DEFAULT_DB_ALIAS)
        .filter(is_superuser=True, is_active=True)
        .values_list("pk", flat=True)
    )
    for person in people:
        note_write(person)


@receiver(records_moved)
def _records_moved(sender, account_ids, **kwargs):
    """Records went to or came back from the recycle bin (a deletion, a merge, a
    restore): a kept page of anyone who sees their accounts may list them (my week's
    next actions name the account) — computed again, once the move is committed."""
    ids = set(account_ids)
    transaction.on_commit(lambda: note_writes_for_accounts(ids), using=DEFAULT_DB_ALIAS)


SIGNING_IN = "_keyaccounts_signing_in"


@receiver(user_logged_in)
def _signing_in(sender, request, user, **kwargs):
    if request is not None:
        setattr(request, SIGNING_IN, True)


class SnapshotWritesMiddleware:
    """After a successful request that is not a GET by a signed-in person (a page's
    POST, an API write, an upload), note the moment: their snapshots older than it are
    computed again (`note_write`). Signing in saves nothing of theirs: not noted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, SIGNING_IN, False):
            return response
        if request.method not in SAFE_METHODS and response.status_code < 400:
            # Read after the view: DRF sets the API token's user on the request.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_write(user)
        return response
