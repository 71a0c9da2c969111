"""POST /api/v1/auth/token/ {"username", "password"} → {"token": "..."}."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from keyaccounts.api.parsers import JSONParser
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.lockout.handler import forget_own_failures, lockouts_of_request, username_of
from keyaccounts.lockout.responses import lockout_message, retry_after

from .throttling import AnonRateThrottle


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins with this user name or from this address (429, like a
    throttle, with Retry-After): keyaccounts/lockout/."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, detail: str, wait: int):
        super().__init__(detail)
        self.wait = wait  # the exception handler sends it as Retry-After


class TokenSerializer(serializers.Serializer):
    token = StrictCharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenObtainView(ObtainAuthToken):
    """A user's API token (the same one every time, until an admin deletes it)."""

    # No session here: a login form needs no CSRF token and no prior sign-in. Per
    # address, the anonymous rate slows down password guessing; repeated failures lock
    # the user name or the address out (django-axes, keyaccounts/lockout/): 429.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        summary="Get your API token",
        description="Answers the user's token for a user name and password (the same token "
        "every time). A wrong password answers 400; after repeated failures with one user "
        "name or from one address, 429 `locked_out` with Retry-After, even for the right "
        "password.",
        request=ObtainAuthToken.serializer_class,
        responses={200: TokenSerializer},
    )
    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # django-axes refused or counted the sign-in on this (DRF) request.
            lockouts = getattr(request, "axes_locked_out", False) and lockouts_of_request(
                request, {"username": request.data.get("username")}
            )
            if lockouts:
                raise LockedOut(lockout_message(lockouts), retry_after(lockouts)) from None
            raise
        forget_own_failures(
            username_of(request, {"username": request.data.get("username")}),
            getattr(request, "axes_ip_address", None),
        )
        return response
