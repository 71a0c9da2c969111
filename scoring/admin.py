from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .models import (
    AccountScore,
    Assessment,
    Band,
    Factor,
    GradeChange,
    GradePin,
    GridCell,
    MonthlySales,
    RescoreRequest,
    ScoringModel,
)


class ReadOnlyTable:
    """The risk-evaluation table is read-only here: every version is history that past
    grades are explained with, and a change must go through the browser editor, which
    saves a new version (`services.scoring_model_new_version`) and rescores every
    account. Editing a version in place here would do neither."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _point_to_the_editor(request) -> None:
    messages.info(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Versions of the risk-evaluation table are read-only here. To change the "
                "table, save a new version in the editor: every account is then rescored."
            ),
            reverse("scoring:table_edit"),
            _("Open the editor"),
        ),
    )


class FactorInline(ReadOnlyTable, admin.TabularInline):
    model = Factor
    extra = 0
    fields = ["order", "key", "label", "label_zh", "source", "weight", "missing_points"]
    show_change_link = True


class GridCellInline(ReadOnlyTable, admin.TabularInline):
    model = GridCell
    extra = 0


@admin.register(ScoringModel)
class ScoringModelAdmin(ReadOnlyTable, admin.ModelAdmin):
    list_display = ["version", "is_active", "note", "created_by", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["created_by"]
    inlines = [FactorInline, GridCellInline]

    def changelist_view(self, request, extra_context=None):
        _point_to_the_editor(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        _point_to_the_editor(request)
        return super().change_view(request, object_id, form_url, extra_context)


class BandInline(ReadOnlyTable, admin.TabularInline):
    model = Band
    extra = 0


@admin.register(Factor)
class FactorAdmin(ReadOnlyTable, admin.ModelAdmin):
    list_display = ["label", "model", "source", "weight", "order"]
    list_filter = ["model", "source"]
    list_select_related = ["model"]
    search_fields = ["label", "label_zh", "key"]
    inlines = [BandInline]

    def changelist_view(self, request, extra_context=None):
        _point_to_the_editor(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        _point_to_the_editor(request)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Band)
class BandAdmin(ReadOnlyTable, admin.ModelAdmin):
    list_display = ["factor", "min_value", "points"]
    list_filter = ["factor__model"]
    list_select_related = ["factor", "factor__model"]


@admin.register(GridCell)
class GridCellAdmin(ReadOnlyTable, admin.ModelAdmin):
    list_display = ["model", "closing", "strength", "grade"]
    list_filter = ["model", "closing", "strength"]
    list_select_related = ["model"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["account", "need_fit", "competitive_position", "relationship", "rated_by"]
    search_fields = ["account__name"]
    autocomplete_fields = ["account"]
    raw_id_fields = ["rated_by"]


@admin.register(AccountScore)
class AccountScoreAdmin(admin.ModelAdmin):
    list_display = ["account", "grade", "computed_grade", "score", "closing", "pinned", "model"]
    list_filter = ["grade", "computed_grade", "closing", "pinned"]
    search_fields = ["account__name"]
    list_select_related = ["account", "model"]
    raw_id_fields = ["account"]

    def has_add_permission(self, request):
        return False  # computed by rescoring

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GradeChange)
class GradeChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "from_grade", "to_grade", "score", "reason", "changed_at"]
    list_filter = ["to_grade", "reason"]
    search_fields = ["account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GradePin)
class GradePinAdmin(admin.ModelAdmin):
    list_display = ["account", "grade", "expires_on", "reason", "pinned_by"]
    search_fields = ["account__name", "reason"]
    raw_id_fields = ["account", "pinned_by"]


@admin.register(MonthlySales)
class MonthlySalesAdmin(admin.ModelAdmin):
    list_display = ["account", "month", "sales", "receivables"]
    search_fields = ["account__name"]
    raw_id_fields = ["account"]
    date_hierarchy = "month"


@admin.register(RescoreRequest)
class RescoreRequestAdmin(admin.ModelAdmin):
    list_display = ["account", "requested_at"]
    raw_id_fields = ["account"]
