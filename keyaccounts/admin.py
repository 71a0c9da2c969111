from django.contrib import admin

from .exports.admin import ExportFileAdmin  # noqa: F401  (registers export files)
from .feed.models import AccessChange, FeedCheckpoint, FeedExit, FeedState
from .imports.admin import ImportJobAdmin  # noqa: F401  (registers import jobs)
from .models import ChangeCounter, IdempotencyKey, Tombstone
from .recyclebin.models import Deletion
from .snapshots.admin import SnapshotAdmin  # noqa: F401  (registers page snapshots)


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


# The changes feed's own records (keyaccounts.feed): to answer "why did this client get
# (or not get) that record", by user id and change number.


@admin.register(AccessChange)
class AccessChangeAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "kind", "account_id", "change_seq", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=user_id", "=account_id"]
    show_full_result_count = False


@admin.register(FeedExit)
class FeedExitAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "model", "object_id", "external_id", "reason", "change_seq"]
    list_filter = ["reason", "model"]
    search_fields = ["=user_id", "=object_id", "external_id"]
    show_full_result_count = False


@admin.register(FeedState)
class FeedStateAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "horizon", "purged_at"]


@admin.register(FeedCheckpoint)
class FeedCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["change_seq", "taken_at"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "status_code", "created_at"]
    list_select_related = ["user"]
    search_fields = ["key", "user__username"]
    show_full_result_count = False


@admin.register(ChangeCounter)
class ChangeCounterAdmin(ReadOnlyAdmin):
    list_display = ["value"]


@admin.register(Deletion)
class DeletionAdmin(ReadOnlyAdmin):
    """The recycle bin's entries; restoring happens on the recycle bin page."""

    list_display = ["label", "model", "deleted_by", "deleted_at", "restored_at", "purged_at"]
    list_filter = ["model"]
    list_select_related = ["deleted_by"]
    search_fields = ["label"]
