"""The service policy in the admin: read-only (a change is a new version, saved in the
policy editor at /policy/edit/, which keeps who changed what and when)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .models import GradePolicy, ServicePolicy


class ReadOnlyPolicy:
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GradePolicyInline(ReadOnlyPolicy, admin.TabularInline):
    model = GradePolicy
    extra = 0


@admin.register(ServicePolicy)
class ServicePolicyAdmin(ReadOnlyPolicy, admin.ModelAdmin):
    list_display = ["version", "is_active", "note", "created_by", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["created_by"]
    inlines = [GradePolicyInline]

    def changelist_view(self, request, extra_context=None):
        messages.info(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Versions of the service policy are read-only here; change it in the editor."),
                reverse("policy:edit"),
                _("Open the editor"),
            ),
        )
        return super().changelist_view(request, extra_context)


@admin.register(GradePolicy)
class GradePolicyAdmin(ReadOnlyPolicy, admin.ModelAdmin):
    list_display = [
        "policy",
        "grade",
        "contact_rhythm_days",
        "respond_working_days",
        "resolve_working_days",
        "discount_ceiling_percent",
    ]
    list_select_related = ["policy"]
    list_filter = ["grade"]
