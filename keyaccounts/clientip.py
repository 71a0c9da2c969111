"""Which address a request comes from, for the login lockout and the API's throttles.

`REMOTE_ADDR` — the peer of the connection, which a client cannot choose — unless
`TRUSTED_PROXY_COUNT` (settings, default 0) says how many reverse proxies stand in front
of the app. Each proxy appends the address it was connected from to
`X-Forwarded-For`, so with N trusted proxies the client is the N-th entry from the
right; everything left of it is whatever the client sent and counts for nothing. A
header with fewer entries than N (the request did not pass every proxy) or an entry
that is no IP address gives `REMOTE_ADDR`.

The count must match the deployment: with 0 behind a proxy every client is the proxy
(one lockout for all); with more than there are, a client picks its own address.
The app must be reachable only through the proxies (gunicorn bound to 127.0.0.1 or a
private network).
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address as text (IPv6 in its short form)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
