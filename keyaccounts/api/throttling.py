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
"""

from django.conf import settings
from rest_framework import throttling

from keyaccounts.clientip import client_ip


class ClientAddressMixin:
    def get_ident(self, request):
        return client_ip(request) or ""


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) applies.
        return settings.API_THROTTLE_RATE


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    """Requests without a signed-in user: the token endpoint and the schema, per address."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE
