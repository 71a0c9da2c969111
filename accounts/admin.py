from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .groups import check_cycle
from .models import (
    Account,
    AccountAccess,
    AccountCompetitor,
    AccountTeamMember,
    Contact,
    SalesTeam,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "sales_team",
        "is_active",
        "is_staff",
    ]
    list_filter = [*BaseUserAdmin.list_filter, "sales_team"]
    list_select_related = ["sales_team"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Sales"), {"fields": ["sales_team"]}),
        (_("Preferences"), {"fields": ["language"]}),
    ]


class MemberInline(admin.TabularInline):
    model = User
    fields = ["username", "first_name", "last_name", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesTeam)
class SalesTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    list_select_related = ["manager"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]
    inlines = [MemberInline]


class TeamMemberInline(admin.TabularInline):
    model = AccountTeamMember
    autocomplete_fields = ["user"]
    extra = 0


class CompetitorInline(admin.TabularInline):
    model = AccountCompetitor
    extra = 0


# An account of more contacts than this lists them on the contacts' own admin list (a
# link, with their number) instead of as rows of its form: a form of thousands of rows is
# slow to open, and saving it sends more fields than a request may carry
# (DATA_UPLOAD_MAX_NUMBER_FIELDS), so the account could not be saved at all.
CONTACTS_INLINE_LIMIT = 50


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["name", "title", "buying_role", "is_coach", "attitude", "influence", "is_active"]
    extra = 0
    show_change_link = True
    can_delete = False  # a contact is deleted on its own page, into the recycle bin


class AccountAdminForm(forms.ModelForm):
    """The admin's account form: a parent company that would make a cycle is refused
    with the reason (accounts.groups), as the pages and the API refuse it."""

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and parent.pk != self.instance.parent_id:
            try:
                check_cycle(account=self.instance, parent=parent)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from None
        return parent


@admin.register(Account)
class AccountAdmin(RecycleBinAdminMixin, HistoryAdmin):
    form = AccountAdminForm
    list_display = ["name", "industry", "region", "status", "owner", "credit_rating", "updated_at"]
    list_filter = ["status", "industry", "credit_rating", "growth_potential", "owner__sales_team"]
    list_select_related = ["owner"]
    search_fields = ["name", "external_id", "region"]
    autocomplete_fields = ["owner", "parent"]
    readonly_fields = ["version", "created_at", "updated_at", "contacts_listed"]
    inlines = [TeamMemberInline, ContactInline, CompetitorInline]
    show_full_result_count = False  # a COUNT(*) over 100,000 rows on every page is waste
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _contact_count(self, obj) -> int:
        if not hasattr(obj, "_admin_contacts"):
            obj._admin_contacts = Contact._default_manager.filter(account=obj).count()
        return obj._admin_contacts

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is not None and self._contact_count(obj) > CONTACTS_INLINE_LIMIT:
            return [inline for inline in inlines if not issubclass(inline, ContactInline)]
        return inlines

    @admin.display(description=_("Contacts"))
    def contacts_listed(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        count = self._contact_count(obj)
        url = reverse("admin:accounts_contact_changelist") + f"?account__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext(
                "%(count)s contact: open their list", "%(count)s contacts: open their list", count
            )
            % {"count": count},
        )

    def delete_service(self, obj, *, by):
        return services.account_delete(account=obj, by=by)

    def deleted_along(self, obj):
        return services.account_deleted_along(obj)


@admin.register(Contact)
class ContactAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = ["name", "account", "title", "buying_role", "is_coach", "attitude", "is_active"]
    list_filter = ["buying_role", "is_coach", "attitude", "influence", "is_active"]
    list_select_related = ["account"]
    search_fields = ["name", "external_id", "account__name", "email"]
    autocomplete_fields = ["account", "reports_to", "relationship_owner"]
    readonly_fields = ["version", "created_at", "updated_at"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A contact stays with their account, as everywhere (`services.contact_update`).
        return [*fields, "account"] if obj is not None else fields

    def delete_service(self, obj, *, by):
        return services.contact_delete(contact=obj, by=by)


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(HistoryAdmin):
    list_display = ["account", "user", "role"]
    list_filter = ["role"]
    list_select_related = ["account", "user"]
    search_fields = ["account__name", "user__username"]
    autocomplete_fields = ["account", "user"]


@admin.register(AccountCompetitor)
class AccountCompetitorAdmin(HistoryAdmin):
    list_display = ["name", "account", "threat"]
    list_filter = ["threat"]
    list_select_related = ["account"]
    search_fields = ["name", "account__name"]
    autocomplete_fields = ["account"]


@admin.register(AccountAccess)
class AccountAccessAdmin(admin.ModelAdmin):
    """Who may see which account, to look up: the rows follow the visibility rule
    (accounts.access keeps them; `manage.py rebuild_access` rebuilds them), so nobody
    edits them here."""

    list_display = ["user", "account"]
    list_select_related = ["user", "account"]
    search_fields = ["user__username", "account__name"]
    ordering = ["user_id", "account_id"]  # the (user, account) index
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from .policy import admin as policy_admin  # noqa: E402, F401  (the service policy)
