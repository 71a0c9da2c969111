"""The webhook signature, as Stripe signs its events.

    X-Keyaccounts-Signature: t=1767225600,v1=5257a869e7ecebeda32a…(64 hex digits)

`t` is the Unix time of the attempt; `v1` the hex HMAC-SHA256, keyed with the webhook's
secret, of `"<t>.<body>"` (the body's bytes as sent). A receiver recomputes it, compares
in constant time, and refuses a `t` far from its clock (replays). docs/api.md shows a
receiver.
"""

import hashlib
import hmac
import secrets

HEADER = "X-Keyaccounts-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
