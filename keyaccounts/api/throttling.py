"""Per-client request rates, from settings (API_THROTTLE_RATE, API_ANON_THROTTLE_RATE).

Signed-in clients are counted per user: a token belongs to one user, so per user is per
token (and a user's browser session shares the count). Anonymous clients (the token
endpoint) are counted per address: `keyaccounts.clientip.client_ip`, which is
REMOTE_ADDR unless TRUSTED_PROXY_COUNT says how many proxies append to X-Forwarded-For,
so a client that sends that header itself gains nothing (DRF's own `get_ident` would
key on the whole header, which the client chooses). The counts live in Django's cache:
Redis when REDIS_URL is set, so all web processes share them; without it, or while
Redis does not answer (keyaccounts/cache.py), each process counts on its own, which lets
a client through N times the rate with N processes. A refused request answers 429 with
Retry-After (seconds).

Every answer of the API says where the client stands, in the headers of the IETF's
RateLimit draft (as GitHub's and Stripe-like APIs send them): `RateLimit-Limit` (requests
per window), `RateLimit-Remaining` (left in it now) and `RateLimit-Reset` (seconds until
the oldest request counted leaves the window, so one more is allowed: on a 429 that is
Retry-After). The throttles note their count on the request as they check it; an answer
given before they ran (401, 403: DRF authenticates and checks permissions first) reads
the count without adding to it (`note_rate_limit_without_counting`, from the exception
handler); `RateLimitHeadersMiddleware` writes the headers. Where several throttles apply
(an anonymous client: per user and per address), the one with the fewest requests left
is told.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from rest_framework import exceptions, throttling

from keyaccounts.clientip import client_ip

RATE_LIMIT_ATTRIBUTE = "keyaccounts_rate_limit"
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # seconds

    def tighter_than(self, other: "RateLimit | None") -> bool:
        return other is None or (self.remaining, -self.reset) < (other.remaining, -other.reset)


def _django_request(request):
    return getattr(request, "_request", request)


def _note(request, rate_limit: RateLimit) -> None:
    target = _django_request(request)
    if rate_limit.tighter_than(getattr(target, RATE_LIMIT_ATTRIBUTE, None)):
        setattr(target, RATE_LIMIT_ATTRIBUTE, rate_limit)


def _rate_limit(throttle, history: list[float], now: float) -> RateLimit:
    remaining = max(0, throttle.num_requests - len(history))
    reset = math.ceil(throttle.duration - (now - history[-1])) if history else 0
    return RateLimit(limit=throttle.num_requests, remaining=remaining, reset=max(0, reset))


class RateLimitNoteMixin:
    """Notes on the request where this throttle's count stands after the check."""

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "key", None) is not None:
            _note(request, _rate_limit(self, self.history, self.now))
        return allowed


def note_rate_limit_without_counting(request, view) -> None:
    """For an answer given before the throttles ran: note the count as it stands, adding
    nothing to it (a refused sign-in is not a request counted)."""
    if request is None or view is None:
        return
    if getattr(_django_request(request), RATE_LIMIT_ATTRIBUTE, None):
        return
    try:
        request.user  # noqa: B018 - the per-user throttle keys on it
    except DatabaseError:
        return  # the database is down (503): who asks cannot be told, nor their count
    for throttle in view.get_throttles():
        if getattr(throttle, "rate", None) is None:
            continue
        key = throttle.get_cache_key(request, view)
        if key is None:
            continue
        now = throttle.timer()
        history = [t for t in throttle.cache.get(key, []) if t > now - throttle.duration]
        _note(request, _rate_limit(throttle, history, now))


def note_rate_limit_of_plain_answer(django_request) -> None:
    """For an API answer no DRF view gives (the catch-all 404): note the count of who
    asks, as DRF's authentication names them (bad credentials: as anonymous)."""
    from rest_framework.views import APIView  # it loads the throttles: not at import

    view = APIView()
    view.args, view.kwargs = (), {}
    request = view.initialize_request(django_request)
    try:
        request.user  # noqa: B018
    except exceptions.APIException:
        pass  # DRF took the caller for anonymous, and counts them so
    note_rate_limit_without_counting(request, view)


class RateLimitHeadersMiddleware:
    """Writes the RateLimit-* headers onto every API answer whose request was counted or
    read by a throttle (every answer of a DRF view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rate_limit = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
        if rate_limit is not None:
            response["RateLimit-Limit"] = str(rate_limit.limit)
            response["RateLimit-Remaining"] = str(rate_limit.remaining)
            response["RateLimit-Reset"] = str(rate_limit.reset)
        return response


class ClientAddressMixin:
    def get_ident(self, request):
        return client_ip(request) or ""


class UserRateThrottle(RateLimitNoteMixin, ClientAddressMixin, throttling.UserRateThrottle):
    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) applies.
        return settings.API_THROTTLE_RATE


class AnonRateThrottle(RateLimitNoteMixin, ClientAddressMixin, throttling.AnonRateThrottle):
    """Requests without a signed-in user: the token endpoint and the schema, per address."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE
