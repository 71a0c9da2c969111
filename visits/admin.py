from django import forms
from django.contrib import admin

from keyaccounts.admin import ReadOnlyAdmin
from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import DevelopmentRecord, Notification, PlannedAttendance, Visit


class VisitAdminForm(forms.ModelForm):
    """The admin's visit: who was met is of the visit's account, as the pages, the API
    and imports require (`services._check_visit`). Its model and fields are the
    admin's (`VisitAdmin`)."""

    def clean(self):
        data = super().clean()
        account, contacts = data.get("account"), data.get("contacts")
        foreign = services.foreign_contacts(contacts or (), account) if account else None
        if foreign:
            self.add_error("contacts", foreign)
        return data


@admin.register(Visit)
class VisitAdmin(RecycleBinAdminMixin, HistoryAdmin):
    form = VisitAdminForm
    list_display = [
        "account",
        "status",
        "method",
        "planned_at",
        "occurred_at",
        "owner",
        "follow_up_due",
        "followed_up_on",
    ]
    list_filter = ["status", "method", "customer_attitude"]
    list_select_related = ["account", "owner"]
    search_fields = ["account__name", "external_id", "place", "purpose"]
    autocomplete_fields = ["account", "owner", "contacts", "attendees", "followed_up_by"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.visit_delete(visit=obj, by=by)


@admin.register(DevelopmentRecord)
class DevelopmentRecordAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = [
        "account",
        "result",
        "started_on",
        "closed_on",
        "prepared_by",
        "reviewed_by",
        "reviewed_on",
    ]
    list_filter = ["result", "reviewed_on"]
    list_select_related = ["account", "prepared_by", "reviewed_by"]
    search_fields = ["account__name", "summary", "remarks", "review_comment"]
    autocomplete_fields = ["account", "prepared_by", "reviewed_by"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def delete_service(self, obj, *, by):
        return services.development_record_delete(record=obj, by=by)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "recipient",
        "account",
        "due_date",
        "created_at",
        "read_at",
        "email_sent_at",
    ]
    list_filter = ["kind", "read_at", "email_sent_at"]
    list_select_related = ["recipient", "account"]
    search_fields = ["account__name", "recipient__username"]
    raw_id_fields = ["recipient", "account", "visit"]
    show_full_result_count = False


@admin.register(PlannedAttendance)
class PlannedAttendanceAdmin(ReadOnlyAdmin):
    """Whom each person goes along to, to look up: the rows follow the visits' attendees
    (visits.attendance keeps them; `manage.py rebuild_planned_attendance` rebuilds them),
    so nobody edits them here."""

    list_display = ["user", "visit", "planned_at"]
    list_select_related = ["user", "visit__account"]
    search_fields = ["user__username", "visit__account__name"]
    ordering = ["user_id", "planned_at", "visit_id"]  # the (user, planned_at, visit) index
    show_full_result_count = False
