"""Integration tokens, webhooks and the outbox in the admin.

Operators look, revoke a token, disable a webhook and redeliver; secrets are never
shown (a token's is not even kept), and nothing is created here: a token or a webhook
belongs to its user, who creates it on their profile page or through the API.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from keyaccounts.history.admin import HistoryAdmin

from .models import DeliveryStatus, DisabledReason, IntegrationToken, Webhook, WebhookDelivery


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(HistoryAdmin):
    list_display = ["name", "user", "prefix", "access", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["access"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    fields = [
        "user", "name", "prefix", "access", "record_types", "expires_at", "created_at",
        "last_used_at", "revoked_at", "revoked_by",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        now = timezone.now()
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoked_at, token.revoked_by = now, request.user
            token.save(update_fields=["revoked_at", "revoked_by"])
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = [
        "record_type", "object_id", "event", "change_seq", "status", "attempts",
        "next_attempt_at", "finished_at", "response_code", "last_error",
    ]  # fmt: skip
    readonly_fields = fields
    ordering = ["-pk"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # The latest 20 only: an outbox can hold thousands of rows.
        ids = list(super().get_queryset(request).order_by("-pk").values_list("pk", flat=True)[:20])
        return super().get_queryset(request).filter(pk__in=ids).defer("body")


@admin.register(Webhook)
class WebhookAdmin(HistoryAdmin):
    list_display = ["url", "owner", "record_types", "is_active", "disabled_reason", "created_at"]
    list_filter = ["is_active", "disabled_reason"]
    list_select_related = ["owner"]
    search_fields = ["url", "description", "owner__username"]
    fields = [
        "owner", "url", "description", "record_types", "is_active", "disabled_at",
        "disabled_reason", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [DeliveryInline]
    actions = ["disable"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Disable the selected webhooks"), permissions=["change"])
    def disable(self, request, queryset):
        now = timezone.now()
        webhooks = list(queryset.filter(is_active=True))
        for webhook in webhooks:
            webhook.is_active, webhook.disabled_at = False, now
            webhook.disabled_reason = DisabledReason.OWNER
            webhook.save(
                update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"]
            )
        self.message_user(
            request,
            ngettext("%(count)d webhook disabled.", "%(count)d webhooks disabled.", len(webhooks))
            % {"count": len(webhooks)},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "webhook", "record_type", "object_id", "event", "change_seq", "status",
        "attempts", "response_code", "next_attempt_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["status", "event", "record_type"]
    list_select_related = ["webhook"]
    search_fields = ["webhook__url", "record_type"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected waiting deliveries now"), permissions=["change"])
    def redeliver(self, request, queryset):
        count = queryset.filter(status=DeliveryStatus.PENDING).update(
            next_attempt_at=timezone.now(), first_attempt_at=None
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent with the next pass.",
                "%(count)d deliveries will be sent with the next pass.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


from .jobs import admin as _jobs_admin  # noqa: E402, F401  (bulk jobs, read only)
