from django.contrib import admin

from keyaccounts.history.admin import HistoryAdmin
from keyaccounts.recyclebin.admin import RecycleBinAdminMixin

from . import services
from .models import Receivable


@admin.register(Receivable)
class ReceivableAdmin(RecycleBinAdminMixin, HistoryAdmin):
    list_display = [
        "invoice_number",
        "account",
        "issued_on",
        "due_on",
        "amount",
        "paid_amount",
        "paid_on",
    ]
    list_filter = ["due_on", "issued_on"]
    list_select_related = ["account"]
    search_fields = ["invoice_number", "account__name", "external_id"]
    autocomplete_fields = ["account"]
    readonly_fields = ["recorded_by", "version", "created_at", "updated_at"]
    date_hierarchy = "due_on"
    show_full_result_count = False

    def has_add_permission(self, request):
        # The service records it as the user, through the visibility rule: a superuser
        # sees every account; other staff record invoices from the account's page.
        return request.user.is_superuser and super().has_add_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "due_on" in form.base_fields:
            # Empty: the issue date plus the account's payment terms (the service's rule).
            form.base_fields["due_on"].required = False
        return form

    def save_model(self, request, obj, form, change):
        if change:
            if obj.due_on is None:
                obj.due_on = services.default_due_on(obj.account, obj.issued_on)
            super().save_model(request, obj, form, change)
            return
        # A new invoice is recorded by the service: the due date's default, who recorded it.
        created = services.receivable_create(
            by=request.user,
            account=obj.account,
            **{name: getattr(obj, name) for name in services.FIELDS},
        )
        obj.__dict__.update(created.__dict__)

    def delete_service(self, obj, *, by):
        return services.receivable_delete(receivable=obj, by=by)
