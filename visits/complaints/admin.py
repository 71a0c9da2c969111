from django.contrib import admin

from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import Complaint


@admin.register(Complaint)
class ComplaintAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = [
        "subject",
        "account",
        "severity",
        "status",
        "assignee",
        "received_at",
        "respond_by",
        "resolve_by",
    ]
    list_filter = ["status", "severity", "channel"]
    list_select_related = ["account", "assignee"]
    search_fields = ["account__name", "subject", "description", "external_id"]
    autocomplete_fields = [
        "account",
        "contact",
        "assignee",
        "recorded_by",
        "responded_by",
        "resolved_by",
        "closed_by",
        "confirmed_by_contact",
    ]
    readonly_fields = [
        "version",
        "created_at",
        "updated_at",
        "respond_by",
        "resolve_by",
        "service_grade",
        "policy_version",
        "respond_days",
        "resolve_days",
        "resolution_working_days",
    ]
    date_hierarchy = "received_at"
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.complaint_delete(complaint=obj, by=by)

    def has_add_permission(self, request):
        # Recorded from the account's page or the API: the service sets the deadlines.
        return False
