"""Pages: your profile with your integration tokens, and your webhooks with their logs.

Everything here is the signed-in user's own: another user's token or webhook answers
404. A secret (a new token, a webhook's signing secret) is shown once, on the answer to
the POST that made it, never stored where a page could show it again.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from keyaccounts.exceptions import ApplicationError
from keyaccounts.formtokens import already_saved, create_once, form_token

from . import services
from .forms import TokenForm, WebhookCreateForm, WebhookForm
from .models import DeliveryStatus, IntegrationToken, Webhook, WebhookDelivery
from .registry import labels
from .selectors import deliveries_of, tokens_of, webhooks_of

PAGE_SIZE = 25


def _secret_page(request, *, title: str, secret: str, intro: str, back: str, back_label: str):
    response = render(
        request,
        "integrations/secret.html",
        {"title": title, "secret": secret, "intro": intro, "back": back, "back_label": back_label},
    )
    response["Cache-Control"] = "no-store"
    return response


# --- the profile and integration tokens ---------------------------------------------------


def profile_view(request):
    tokens = list(tokens_of(request.user))
    now = timezone.now()
    for token in tokens:
        token.types_label = labels(token.record_types)
        token.expired = token.is_expired(now)
    return render(
        request,
        "integrations/profile.html",
        {
            "tokens": tokens,
            "can_manage_webhooks": services.can_manage_webhooks(request.user),
            "has_webhooks": webhooks_of(request.user).exists(),
        },
    )


def _create_once_with_secret(request, form, model, make, *, url=None):
    """A create page's POST: `make(cleaned_data)` returns (record, secret) and runs at
    most once per form token (keyaccounts.formtokens). Returns (record, secret, None) when
    this POST created it; (None, None, response) for a repeat, sent to what the first one
    created (its secret is not shown again); (None, None, None) when the form, or the
    service, found mistakes (they are on the form)."""
    repeat = already_saved(request, model)
    if repeat is not None:
        return None, None, repeat
    if not form.is_valid():
        return None, None, None
    made = {}

    def create():
        record, made["secret"] = make(form.cleaned_data)
        return record

    try:
        record, repeat = create_once(request, model, create, url=url)
    except ValidationError as error:
        form.add_service_errors(error)
        return None, None, None
    return record, made.get("secret"), repeat


@never_cache
def token_create_view(request):
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST":
        token, key, repeat = _create_once_with_secret(
            request,
            form,
            IntegrationToken,
            lambda data: services.token_create(
                user=request.user,
                name=data["name"],
                access=data["access"],
                record_types=data["record_types"],
                expires_at=timezone.now() + datetime.timedelta(days=data["expires_in"]),
            ),
            url=lambda _token: reverse("integrations:profile"),
        )
        if repeat is not None:
            return repeat
        if token is not None:
            return _secret_page(
                request,
                title=_("Token “%(name)s” created") % {"name": token.name},
                secret=key,
                intro=_(
                    "Copy the token now and keep it where the integration reads it: it is "
                    "not shown again. Send it as “Authorization: Bearer <token>”."
                ),
                back=reverse("integrations:profile"),
                back_label=_("Back to your profile"),
            )
    return render(
        request, "integrations/token_form.html", {"form": form, "form_token": form_token(request)}
    )


def token_revoke_view(request, pk):
    token = get_object_or_404(tokens_of(request.user), pk=pk)
    if request.method == "POST":
        services.token_revoke(token=token, by=request.user)
        messages.success(
            request,
            _("Token “%(name)s” revoked: requests with it are refused from now on.")
            % {"name": token.name},
        )
        return redirect("integrations:profile")
    return render(
        request,
        "integrations/confirm.html",
        {
            "title": _("Revoke the token “%(name)s”?") % {"name": token.name},
            "text": _(
                "Whatever uses it is refused from the next request on. This cannot be undone: "
                "to connect it again, create a new token."
            ),
            "button": _("Revoke"),
            "cancel": reverse("integrations:profile"),
        },
    )


# --- webhooks -------------------------------------------------------------------------------


def _check_can_manage(request) -> None:
    if not services.can_manage_webhooks(request.user):
        raise PermissionDenied


def webhook_list_view(request):
    webhooks = list(webhooks_of(request.user))
    for webhook in webhooks:
        webhook.types_label = labels(webhook.record_types)
    return render(
        request,
        "integrations/webhook_list.html",
        {"webhooks": webhooks, "can_manage": services.can_manage_webhooks(request.user)},
    )


@never_cache
def webhook_create_view(request):
    _check_can_manage(request)
    form = WebhookCreateForm(request.POST or None)
    if request.method == "POST":
        webhook, secret, repeat = _create_once_with_secret(
            request,
            form,
            Webhook,
            lambda data: services.webhook_create(
                owner=request.user,
                url=data["url"],
                record_types=data["record_types"],
                description=data["description"],
                secret=data["secret"],
            ),
        )
        if repeat is not None:
            return repeat
        if webhook is not None and form.cleaned_data["secret"]:
            messages.success(request, _("Webhook saved, with the secret you chose."))
            return redirect(webhook)
        if webhook is not None:
            return _secret_page(
                request,
                title=_("Webhook saved"),
                secret=secret,
                intro=_(
                    "Every delivery is signed with this secret (header "
                    "X-Keyaccounts-Signature). Copy it to your receiver now: it is not shown "
                    "again."
                ),
                back=webhook.get_absolute_url(),
                back_label=_("Open the webhook"),
            )
    return render(
        request,
        "integrations/webhook_form.html",
        {"form": form, "form_token": form_token(request), "webhook": None},
    )


def webhook_edit_view(request, pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    _check_can_manage(request)
    form = WebhookForm(request.POST or None, instance=webhook)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.webhook_update(
                webhook=Webhook.objects.get(pk=webhook.pk),
                by=request.user,
                url=data["url"],
                record_types=data["record_types"],
                description=data["description"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect(webhook)
    return render(request, "integrations/webhook_form.html", {"form": form, "webhook": webhook})


def webhook_detail_view(request, pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    webhook.types_label = labels(webhook.record_types)
    rows = deliveries_of(webhook)
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "integrations/webhook_detail.html",
        {
            "webhook": webhook,
            "page": page,
            "query": query.urlencode(),
            "status": status,
            "statuses": DeliveryStatus.choices,
            "can_manage": services.can_manage_webhooks(request.user),
            "retry_hours": settings.WEBHOOK_RETRY_HOURS,
            "keep_days": settings.WEBHOOK_KEEP_DAYS,
            "here": request.get_full_path(),
        },
    )


@require_POST
@never_cache
def webhook_secret_view(request, pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    _check_can_manage(request)
    secret = services.webhook_new_secret(webhook=webhook, by=request.user)
    return _secret_page(
        request,
        title=_("New signing secret"),
        secret=secret,
        intro=_(
            "Every delivery from now on, retries included, is signed with this secret; the "
            "old one no longer verifies. Copy it to your receiver now: it is not shown again."
        ),
        back=webhook.get_absolute_url(),
        back_label=_("Back to the webhook"),
    )


@require_POST
def webhook_state_view(request, pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    try:
        if request.POST.get("active") == "1":
            services.webhook_enable(webhook=webhook, by=request.user)
            messages.success(
                request, _("Webhook enabled: what waited is being sent, oldest first.")
            )
        else:
            services.webhook_disable(webhook=webhook, by=request.user)
            messages.success(request, _("Webhook disabled: changes are no longer queued for it."))
    except ApplicationError as refusal:
        messages.error(request, refusal.message)
    return redirect(webhook)


def webhook_delete_view(request, pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    if request.method == "POST":
        services.webhook_delete(webhook=webhook, by=request.user)
        messages.success(request, _("Webhook deleted."))
        return redirect("integrations:webhook_list")
    return render(
        request,
        "integrations/confirm.html",
        {
            "title": _("Delete the webhook %(url)s?") % {"url": webhook.url},
            "text": _(
                "Changes stop going there, and what waits in its outbox is not sent. To stop "
                "it for a while instead, disable it."
            ),
            "button": _("Delete"),
            "cancel": webhook.get_absolute_url(),
        },
    )


@require_POST
def delivery_redeliver_view(request, pk, delivery_pk):
    webhook = get_object_or_404(webhooks_of(request.user), pk=pk)
    delivery = get_object_or_404(WebhookDelivery, webhook=webhook, pk=delivery_pk)
    try:
        services.delivery_redeliver(delivery=delivery, by=request.user)
    except ApplicationError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Queued to be sent again now."))
    return redirect(webhook)
