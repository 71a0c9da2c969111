"""/api/v1/webhooks/ and /api/v1/integration-tokens/: each user's own (others: 404)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from keyaccounts.api.sync import with_location
from keyaccounts.integrations import services
from keyaccounts.integrations.models import (
    DeliveryStatus,
    IntegrationToken,
    Webhook,
    WebhookDelivery,
)
from keyaccounts.integrations.selectors import deliveries_of, tokens_of, webhooks_of

from .serializers import IntegrationTokenSerializer, WebhookDeliverySerializer, WebhookSerializer

DELIVERY_STATUS = OpenApiParameter(
    "status",
    {"type": "string", "enum": list(DeliveryStatus.values)},
    OpenApiParameter.QUERY,
    description="Only the deliveries in this status.",
)
DELIVERY_ID = OpenApiParameter(
    "delivery_id", {"type": "integer"}, OpenApiParameter.PATH, description="The delivery's id."
)


@extend_schema_view(
    list=extend_schema(summary="Your webhooks"),
    create=extend_schema(
        summary="Register a webhook (needs the permission “Can add webhook”)",
        description="The URL must be http(s) at a public address (a loopback, private or "
        "link-local one answers 400 unless the server allows them). Leave `secret` out to "
        "get a random one in `signing_secret`, shown this once. From now on every change "
        "you can see to the record types named is POSTed there, signed "
        "(X-Keyaccounts-Signature; docs/api.md).",
    ),
    partial_update=extend_schema(
        summary="Change a webhook; is_active false disables it, true enables it again"
    ),
    update=extend_schema(summary="Replace a webhook's URL, description and record types"),
    destroy=extend_schema(summary="Delete a webhook and what waits in its outbox"),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(viewsets.ModelViewSet):
    """Webhooks: the server POSTs every change you can see to their URL (docs/api.md)."""

    serializer_class = WebhookSerializer
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"
    extra_error_codes = {"redeliver": {409}}

    def get_queryset(self):
        webhooks = webhooks_of(self.request.user)
        token = getattr(self.request, "auth", None)
        if isinstance(token, IntegrationToken):
            # A token sees the webhooks of its record types only: one of other types
            # would show their ids and change numbers (its deliveries) to it.
            scope = set(token.record_types)
            inside = [
                pk
                for pk, types in Webhook.objects.filter(owner=self.request.user).values_list(
                    "pk", "record_types"
                )
                if set(types) <= scope
            ]
            webhooks = webhooks.filter(pk__in=inside)
        return webhooks

    def integration_token_types(self, request) -> list[str]:
        """For an integration token: a write touches the record types it names and those
        the webhook has (IntegrationTokenScope)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return []
        named = request.data.get("record_types") if isinstance(request.data, dict) else None
        types = [str(name) for name in named] if isinstance(named, list) else []
        pk = self.kwargs.get("pk")
        if pk is not None:
            # Among those the token sees: another's answers 404 (not 403 naming its types).
            webhook = self.get_queryset().filter(pk=pk).first()
            types += webhook.record_types if webhook is not None else []
        return types

    def create(self, request, *args, **kwargs):
        # No Idempotency-Key: its answer holds the signing secret, which a stored answer
        # would keep in the clear. A retry is refused on `url`, naming the webhook made.
        return with_location(self, self._create(request))

    def _create(self, request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook, secret = services.webhook_create(
            owner=request.user,
            url=data["url"],
            record_types=data["record_types"],
            description=data.get("description", ""),
            secret=data.get("secret", ""),
        )
        webhook = self.get_queryset().get(pk=webhook.pk)
        answer = WebhookSerializer(
            webhook, context={**self.get_serializer_context(), "signing_secret": secret}
        )
        return Response(answer.data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        webhook = self.get_object()
        serializer = self.get_serializer(webhook, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = {
            "url": data.get("url"),
            "record_types": data.get("record_types"),
            "description": data.get("description"),
            "secret": data.get("secret") or None,
        }
        with transaction.atomic():
            # Disabling alone needs no permission: anyone may stop their own webhook.
            if any(value is not None for value in changes.values()):
                services.webhook_update(webhook=webhook, by=request.user, **changes)
            if data.get("is_active") is False:
                services.webhook_disable(webhook=webhook, by=request.user)
            elif data.get("is_active") is True:
                services.webhook_enable(webhook=webhook, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=webhook.pk)).data)

    def perform_destroy(self, instance):
        services.webhook_delete(webhook=instance, by=self.request.user)

    @extend_schema(
        summary="A new random signing secret (shown this once)",
        request=None,
        responses={200: WebhookSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Every delivery from now on, retries included, is signed with the new secret,
        which the answer's `signing_secret` holds."""
        webhook = self.get_object()
        secret = services.webhook_new_secret(webhook=webhook, by=request.user)
        context = {**self.get_serializer_context(), "signing_secret": secret}
        return Response(
            WebhookSerializer(self.get_queryset().get(pk=webhook.pk), context=context).data
        )

    @extend_schema(
        summary="The webhook's delivery log, newest first",
        parameters=[DELIVERY_STATUS],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """Each change queued for the webhook: its event, status, attempts, the receiver's
        last answer and when it is tried next. Kept 30 days after it was sent."""
        rows = deliveries_of(self.get_object())
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in DeliveryStatus.values:
                raise ValidationError(
                    {
                        "status": [
                            _("Give one of %(values)s.")
                            % {"values": ", ".join(DeliveryStatus.values)}
                        ]
                    }
                )
            rows = rows.filter(status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery again now",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/redeliver",
        url_name="redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """A waiting delivery is tried at once; a delivered or skipped one is queued again
        (a new delivery, same event id and body). 409 `disabled` while the webhook is."""
        webhook = self.get_object()
        delivery = get_object_or_404(WebhookDelivery, webhook=webhook, pk=delivery_id)
        again = services.delivery_redeliver(delivery=delivery, by=request.user)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="Your integration tokens, revoked ones included"),
    create=extend_schema(
        summary="Create an integration token (the token is in the answer, this once)",
        description="Not with an integration token: sign in with your own token or session.",
    ),
    destroy=extend_schema(summary="Revoke an integration token (at once, for good)"),
)
@extend_schema(tags=["integration tokens"])
class IntegrationTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Named API tokens for integrations: read only or read and write, for some record
    types, until they expire. Send one as `Authorization: Bearer <token>`."""

    serializer_class = IntegrationTokenSerializer
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return tokens_of(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.token_create(user=request.user, **serializer.validated_data)
        answer = IntegrationTokenSerializer(
            token, context={**self.get_serializer_context(), "key": key}
        )
        return with_location(self, Response(answer.data, status=status.HTTP_201_CREATED))

    def perform_destroy(self, instance):
        services.token_revoke(token=instance, by=self.request.user)
