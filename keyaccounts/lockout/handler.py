"""The lockout rule: a limit per user name, another per address (see the package)."""

import dataclasses
import datetime
import logging

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

logger = logging.getLogger(__name__)

USERNAME = "username"
ADDRESS = "ip_address"
# No user name is longer (accounts.User); a longer one is counted by its start.
USERNAME_MAX_LENGTH = 150


@dataclasses.dataclass(frozen=True)
class Lockout:
    kind: str  # USERNAME or ADDRESS
    value: str
    failures: int
    until: datetime.datetime

    @property
    def seconds_left(self) -> int:
        return max(1, int((self.until - timezone.now()).total_seconds() + 0.999))


def cool_off() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def limit_of(kind: str) -> int:
    if kind == USERNAME:
        return settings.LOGIN_FAILURE_LIMIT
    return settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS


def username_of(request, credentials: dict | None = None) -> str | None:
    """The user name a sign-in tried (AXES_USERNAME_CALLABLE): text only, without NUL,
    at most USERNAME_MAX_LENGTH characters (the record's column holds 255)."""
    if credentials is not None:
        value = credentials.get("username")
    else:
        value = request.POST.get("username")
    if not isinstance(value, str):
        return None
    return value.replace("\0", "")[:USERNAME_MAX_LENGTH] or None


def lockout_of(kind: str, value: str | None, now: datetime.datetime | None = None):
    """The lockout of this user name or address, or None. Failures count while their
    record's last failure is within the cool-off; the lock lasts until the newest records
    that reach the limit together have aged out."""
    if not value:
        return None
    now = now or timezone.now()
    rows = (
        AccessAttempt.objects.filter(**{kind: value}, attempt_time__gte=now - cool_off())
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    limit, total = limit_of(kind), 0
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            return Lockout(kind, value, total, attempt_time + cool_off())
    return None


def lockouts_of(username: str | None, address: str | None) -> list[Lockout]:
    """The lockouts that refuse a sign-in with this user name from this address."""
    now = timezone.now()
    found = (lockout_of(USERNAME, username, now), lockout_of(ADDRESS, address, now))
    return [lockout for lockout in found if lockout]


def lockouts_of_request(request, credentials: dict | None = None) -> list[Lockout]:
    return lockouts_of(get_client_username(request, credentials), request.axes_ip_address)


def current_lockouts(kind: str, *, among=None, limit: int = 100) -> list[Lockout]:
    """The user names (or addresses) locked out now, at most `limit`, the latest failure
    first; `among`: only these values (a list or a values_list query)."""
    now = timezone.now()
    attempts = AccessAttempt.objects.filter(
        attempt_time__gte=now - cool_off(), **{f"{kind}__isnull": False}
    )
    if among is not None:
        attempts = attempts.filter(**{f"{kind}__in": among})
    over = (
        attempts.values(kind)
        .annotate(total=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(total__gte=limit_of(kind))
        .order_by("-last")
        .values_list(kind, flat=True)[:limit]
    )
    found = (lockout_of(kind, value, now) for value in over)
    return [lockout for lockout in found if lockout]


def forget_own_failures(username: str | None, address: str | None) -> int:
    """A sign-in succeeded: this client's failures with this user name no longer count
    (those of other addresses, and this address's with other user names, still do)."""
    if not username:
        return 0
    deleted, _ = AccessAttempt.objects.filter(username=username, ip_address=address).delete()
    return deleted


def lift_records(kind: str, value: str) -> int:
    """Forget every recorded failure of this user name (from any address) or address
    (with any user name): its lockout ends now. Returns how many records went. The rule
    of who may is `services.lockout_lift`."""
    deleted, _ = AccessAttempt.objects.filter(**{kind: value}).delete()
    return deleted


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, locking by `lockouts_of_request` instead of its one
    limit over the larger of the two counts."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return bool(lockouts_of_request(request, credentials))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        lockouts = lockouts_of_request(request, credentials)
        if lockouts:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            for lockout in lockouts:
                logger.warning(
                    "sign-in locked out after %s failures: %s until %s",
                    lockout.failures,
                    "a user name" if lockout.kind == USERNAME else f"address {lockout.value}",
                    lockout.until.isoformat(timespec="seconds"),
                )

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        forget_own_failures(user.get_username(), request.axes_ip_address)
