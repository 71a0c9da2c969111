"""Bulk jobs in the admin: read only (their owners start, follow and cancel them by API)."""

from django.contrib import admin

from .models import BulkJob


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "owner", "record_type", "status", "total", "processed", "created", "updated",
        "unchanged", "failed", "created_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["status", "record_type"]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "record_type"]
    readonly_fields = [f.name for f in BulkJob._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
