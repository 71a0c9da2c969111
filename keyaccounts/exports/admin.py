"""Export files in the admin: to look at, and to delete one (its parts go with it)."""

from django.contrib import admin
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from .models import ExportFile, ExportFilePart


@admin.register(ExportFile)
class ExportFileAdmin(admin.ModelAdmin):
    list_display = ["kind", "format", "status", "rows", "size", "created_by", "created_at"]
    list_filter = ["kind", "format", "status"]
    list_select_related = ["created_by"]
    search_fields = ["created_by__username"]
    readonly_fields = [
        "created_by", "kind", "format", "query", "language", "status", "created_at",
        "started_at", "finished_at", "rows", "size", "message",
    ]  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportFilePart)
class ExportFilePartAdmin(admin.ModelAdmin):
    """A file's parts: which file, where, how large (their bytes are downloaded by the
    file's owner only, never shown here)."""

    list_display = ["file", "index", "length"]
    list_select_related = ["file"]
    exclude = ["content"]
    readonly_fields = ["file", "index", "length"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content").annotate(_length=Length("content"))

    @admin.display(description=_("size (bytes)"), ordering="_length")
    def length(self, part) -> int:
        return part._length

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
