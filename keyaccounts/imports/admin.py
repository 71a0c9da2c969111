"""Import jobs in the admin: to look at, and to delete one (its file goes with it)."""

from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "kind", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    search_fields = ["filename", "created_by__username"]
    exclude = ["content", "parsed", "result"]
    readonly_fields = [
        "kind", "created_by", "filename", "language", "headers", "mapping",
        "confirm_duplicates", "status", "dry_run", "started_at", "finished_at", "total",
        "processed",
    ]  # fmt: skip
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "parsed", "result")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
