from django.contrib import admin

from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import ReviewFollowUp, ReviewMeeting


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = ["account", "period_kind", "period_start", "scheduled_for", "status", "held_on"]
    list_filter = ["status", "period_kind", "satisfaction"]
    list_select_related = ["account"]
    search_fields = ["account__name", "external_id", "place"]
    autocomplete_fields = ["account", "scheduled_by", "contacts", "attendees"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "scheduled_for"
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.review_delete(review=obj, by=by)


@admin.register(ReviewFollowUp)
class ReviewFollowUpAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = ["what", "account", "owner", "due_on", "done_on"]
    list_filter = ["done_on"]
    list_select_related = ["account", "owner"]
    search_fields = ["what", "account__name", "external_id"]
    autocomplete_fields = ["review", "owner"]
    readonly_fields = ["version", "created_at", "updated_at"]
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.follow_up_delete(follow_up=obj, by=by)
