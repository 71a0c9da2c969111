"""Integration tokens in the API: `Authorization: Bearer ka_…` (or `Token ka_…`).

`IntegrationTokenAuthentication` comes before DRF's TokenAuthentication in
REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES and answers for keys that start with
`ka_`, and for a user's personal token sent as `Bearer` (as many HTTP clients send every
token: DRF's class reads only `Token`, and answered "credentials were not provided");
a personal token sent as `Token` goes on to DRF's class as before.
An expired or revoked token answers 401 saying so; what a valid token may do is
`IntegrationTokenScope`'s (permissions.py).
"""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import IntegrationToken
from .services import TOKEN_PREFIX, hash_key

# last_used_at is written at most this often per token: not a write per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
KEYWORDS = (b"bearer", b"token")


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() not in KEYWORDS:
            return None
        try:
            key = header[1].decode()
        except UnicodeError:
            return None
        if not key.startswith(TOKEN_PREFIX):
            if header[0].lower() == b"bearer":  # a personal token, as `Bearer`
                return authentication.TokenAuthentication().authenticate_credentials(key)
            return None  # a user's personal token: DRF's TokenAuthentication decides
        token = (
            IntegrationToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This integration token was revoked on %(date)s.")
                % {"date": formats.date_format(timezone.localtime(token.revoked_at), "Y-m-d")},
                code="token_revoked",
            )
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(
                _(
                    "This integration token expired on %(date)s: create a new one on your "
                    "profile page."
                )
                % {"date": formats.date_format(timezone.localtime(token.expires_at), "Y-m-d")},
                code="token_expired",
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        # As DRF's TokenAuthentication: one challenge for both kinds of token.
        return "Token"
