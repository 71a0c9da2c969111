from django.contrib import admin

from .models import ChangeCounter, IdempotencyKey, Tombstone


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the application only; operators look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnlyAdmin):
    list_display = ["model", "object_id", "external_id", "change_seq", "deleted_at"]
    list_filter = ["model"]
    search_fields = ["external_id"]
    show_full_result_count = False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "status_code", "created_at"]
    list_select_related = ["user"]
    search_fields = ["key", "user__username"]
    show_full_result_count = False


@admin.register(ChangeCounter)
class ChangeCounterAdmin(ReadOnlyAdmin):
    list_display = ["value"]
