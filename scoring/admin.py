from django.contrib import admin

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


class FactorInline(admin.TabularInline):
    model = Factor
    extra = 0
    fields = ["order", "key", "label", "label_zh", "source", "weight", "missing_points"]
    show_change_link = True


class GridCellInline(admin.TabularInline):
    model = GridCell
    extra = 0


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["version", "is_active", "note", "created_by", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["created_at"]
    inlines = [FactorInline, GridCellInline]


class BandInline(admin.TabularInline):
    model = Band
    extra = 1


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ["label", "model", "source", "weight", "order"]
    list_filter = ["model", "source"]
    search_fields = ["label", "label_zh", "key"]
    inlines = [BandInline]


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
