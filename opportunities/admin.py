from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from keyaccounts.admin import ReadOnlyAdmin
from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import (
    BoardCounted,
    BoardTotal,
    BoardTotalsState,
    CriterionCheck,
    ExitCriterion,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    Stage,
    StageApproval,
    StageChange,
)


class ExitCriterionInline(admin.TabularInline):
    model = ExitCriterion
    extra = 1


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "name_zh", "default_probability", "is_won", "is_lost"]
    list_display_links = ["name"]
    inlines = [ExitCriterionInline]


@admin.register(ExitCriterion)
class ExitCriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh", "stage", "order"]
    list_filter = ["stage"]


class CompetitorInline(admin.TabularInline):
    model = OpportunityCompetitor
    extra = 0


class ContactRolesFormSet(BaseInlineFormSet):
    """The deal's buying center in the admin: each contact is of the deal's account as
    its form sets it (moved to another account, the old account's rows are errors until
    removed), as the pages and the API require (`services._contacts_change`)."""

    def clean(self):
        super().clean()
        account = self.instance.account if self.instance.account_id else None
        for form in self.forms:
            if account is None or not hasattr(form, "cleaned_data"):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            contact = form.cleaned_data.get("contact")
            if contact is not None and contact.account_id != account.pk:
                form.add_error("contact", services.not_in_buying_center(contact, account))


class ContactInline(admin.TabularInline):
    model = OpportunityContact
    formset = ContactRolesFormSet
    autocomplete_fields = ["contact"]
    extra = 0


class TeamInline(admin.TabularInline):
    model = OpportunityTeamMember
    autocomplete_fields = ["user"]
    extra = 0


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["from_stage", "to_stage", "changed_by", "changed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = [
        "name",
        "account",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "probability",
        "owner",
    ]
    list_filter = ["stage", "kind", "currency", "bid_result"]
    list_select_related = ["account", "stage", "owner"]
    search_fields = ["name", "external_id", "account__name"]
    autocomplete_fields = ["account", "owner"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [ContactInline, TeamInline, CompetitorInline, StageChangeInline]
    date_hierarchy = "expected_close_date"
    show_full_result_count = False

    def delete_service(self, obj, *, by):
        return services.opportunity_delete(opportunity=obj, by=by)


@admin.register(OpportunityCompetitor)
class OpportunityCompetitorAdmin(HistoryAdmin):
    list_display = ["name", "opportunity", "threat"]
    list_select_related = ["opportunity"]
    search_fields = ["name", "opportunity__name"]
    raw_id_fields = ["opportunity"]


@admin.register(OpportunityContact)
class OpportunityContactAdmin(HistoryAdmin):
    list_display = ["contact", "opportunity", "role", "stance"]
    list_select_related = ["contact", "opportunity"]
    raw_id_fields = ["opportunity", "contact"]


@admin.register(OpportunityTeamMember)
class OpportunityTeamMemberAdmin(HistoryAdmin):
    list_display = ["user", "opportunity", "role"]
    list_select_related = ["user", "opportunity"]
    raw_id_fields = ["opportunity", "user"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "from_stage", "to_stage", "changed_by", "changed_at"]
    list_select_related = ["opportunity", "from_stage", "to_stage", "changed_by"]
    raw_id_fields = ["opportunity", "changed_by"]


@admin.register(CriterionCheck)
class CriterionCheckAdmin(HistoryAdmin):
    list_display = ["opportunity", "criterion", "checked_by", "checked_at"]
    raw_id_fields = ["opportunity", "checked_by"]


@admin.register(StageApproval)
class StageApprovalAdmin(HistoryAdmin):
    """Decisions are made on the deal's page (they move the deal); the admin reads."""

    list_display = ["opportunity", "to_stage", "status", "requested_by", "decided_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["opportunity", "to_stage", "requested_by", "decided_by"]
    raw_id_fields = ["opportunity", "requested_by", "decided_by"]
    readonly_fields = ["created_at"]


# The board's kept totals (opportunities.board_totals keeps them; `manage.py
# rebuild_board_totals` counts them again), to look up.


@admin.register(BoardTotal)
class BoardTotalAdmin(ReadOnlyAdmin):
    list_display = ["stage", "currency", "closed_on", "deals", "total", "weighted"]
    list_filter = ["stage", "currency"]
    list_select_related = ["stage"]
    ordering = ["stage_id", "currency", "closed_on"]
    show_full_result_count = False


@admin.register(BoardCounted)
class BoardCountedAdmin(ReadOnlyAdmin):
    list_display = ["deal_id", "stage_id", "currency", "closed_on", "amount", "weighted"]
    search_fields = ["=deal_id"]
    ordering = ["deal_id"]
    show_full_result_count = False


@admin.register(BoardTotalsState)
class BoardTotalsStateAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "seq", "rebuilt_at"]
