"""Per-client request rates, from settings (API_THROTTLE_RATE, API_ANON_THROTTLE_RATE).

Signed-in clients are counted per user: a token belongs to one user, so per user is per
token (and a user's browser session shares the count). The counts live in Django's
cache: Redis when REDIS_URL is set, so all web processes share them; without it each
process counts on its own, which lets a client through N times the rate with N
processes. A refused request answers 429 with Retry-After (seconds).
"""

from django.conf import settings
from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) applies.
        return settings.API_THROTTLE_RATE


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Requests without a signed-in user: the token endpoint and the schema, per IP."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE
