"""Reads: a user's own tokens and webhooks (nobody else's: others answer 404)."""

from django.db.models import Count, Q, QuerySet

from .models import DeliveryStatus, IntegrationToken, Webhook, WebhookDelivery


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def tokens_of(user) -> QuerySet[IntegrationToken]:
    """The user's integration tokens, live and revoked, newest first."""
    if not _signed_in(user):
        return IntegrationToken.objects.none()
    return IntegrationToken.objects.filter(user=user).order_by("-created_at", "-pk")


def webhooks_of(user) -> QuerySet[Webhook]:
    """The user's webhooks, each with `pending`: its deliveries waiting to be sent."""
    if not _signed_in(user):
        return Webhook.objects.none()
    return (
        Webhook.objects.filter(owner=user)
        .annotate(pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)))
        .order_by("-created_at", "-pk")
    )


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The webhook's delivery log, newest first (the body left out: it can be large)."""
    return WebhookDelivery.objects.filter(webhook=webhook).defer("body").order_by("-pk")
