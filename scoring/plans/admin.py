from django.contrib import admin

from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import AccountPlan, PlanAction, PlanAdvantage


class PlanAdvantageInline(admin.TabularInline):
    model = PlanAdvantage
    extra = 0


@admin.register(AccountPlan)
class AccountPlanAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = ["account", "period_kind", "period_start", "sales_target", "owner"]
    list_filter = ["period_kind", "period_start"]
    list_select_related = ["account", "owner"]
    search_fields = ["account__name", "external_id", "summary"]
    autocomplete_fields = ["account", "owner"]
    readonly_fields = ["period_end", "version", "created_at", "updated_at"]
    inlines = [PlanAdvantageInline]
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.plan_delete(plan=obj, by=by)


@admin.register(PlanAction)
class PlanActionAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = ["what", "account", "owner", "due_on", "done_on"]
    list_filter = ["done_on", "due_on"]
    list_select_related = ["account", "owner"]
    search_fields = ["what", "account__name", "external_id"]
    autocomplete_fields = ["plan", "owner"]
    readonly_fields = ["account", "version", "created_at", "updated_at"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        obj.account_id = obj.plan.account_id  # an action lives at its plan's account
        super().save_model(request, obj, form, change)

    def delete_service(self, obj, *, by):
        return services.action_delete(action=obj, by=by)
