"""POST /api/v1/auth/token/ {"username", "password"} → {"token": "..."}."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny

from .throttling import AnonRateThrottle


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenObtainView(ObtainAuthToken):
    """A user's API token (the same one every time, until an admin deletes it)."""

    # No session here: a login form needs no CSRF token and no prior sign-in; per IP,
    # the anonymous rate slows down password guessing.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=ObtainAuthToken.serializer_class,
        responses={200: TokenSerializer},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
