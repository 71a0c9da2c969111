from django.contrib import admin

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Derived data, written by the pages only: operators look, or delete to have the
    figures computed again."""

    list_display = ["name", "user", "computed_at", "viewed_at"]
    list_filter = ["name"]
    search_fields = ["user__username"]
    readonly_fields = [
        "user",
        "name",
        "key",
        "path",
        "prefix",
        "language",
        "zone",
        "computed_at",
        "viewed_at",
        "content",
    ]
    list_select_related = ["user"]
    show_full_result_count = False

    # A snapshot holds the figures of everything its person may see (a superuser's: the
    # whole company): only superusers look.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
