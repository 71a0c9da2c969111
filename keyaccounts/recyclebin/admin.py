"""Deleting in the admin moves records to the recycle bin, through the same services as
the pages and the API: nothing but the purge removes a synced record for good."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError


class RecycleBinAdminMixin:
    """For the ModelAdmin of a VersionedModel: "Delete" (one, or the selected) calls the
    type's delete service with the admin user; a refusal is shown as an admin message
    and changes nothing.

    Set `delete_service(obj, by)`, and `deleted_along(obj)` (the querysets the delete
    takes with it) for the confirmation page."""

    delete_confirmation_template = "admin/recyclebin/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/recyclebin/delete_selected_confirmation.html"

    def delete_service(self, obj, *, by):
        raise NotImplementedError("call the record type's delete service")

    def deleted_along(self, obj) -> list:
        return []

    def _soft_delete(self, request, obj) -> bool:
        try:
            self.delete_service(obj, by=request.user)
        except ApplicationError as exc:
            self.message_user(
                request,
                _("“%(name)s” was not deleted: %(reason)s") % {"name": obj, "reason": exc.message},
                messages.ERROR,
            )
            return False
        except type(obj).DoesNotExist:  # someone deleted it a moment earlier
            return True
        super().log_deletions(request, [obj])
        return True

    def log_deletions(self, request, queryset):
        """Django logs before it deletes; here only what the service did move is logged
        (`_soft_delete`), not a deletion it refused."""
        return []

    def delete_model(self, request, obj):
        request._recycle_bin_refused = not self._soft_delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._soft_delete(request, obj)

    def get_deleted_objects(self, objs, request):
        """What the confirmation page lists: each record and what goes to the recycle bin
        with it. Nothing is protected (the rows stay), and the service decides who may."""
        listed, counts = [], {}
        for obj in objs:
            along = [child for queryset in self.deleted_along(obj) for child in queryset]
            listed += [str(obj), [str(child) for child in along]] if along else [str(obj)]
            for record in [obj, *along]:
                name = str(record._meta.verbose_name_plural)
                counts[name] = counts.get(name, 0) + 1
        return listed, counts, set(), []

    def render_delete_form(self, request, context):
        context["recycle_bin_days"] = settings.RECYCLE_BIN_DAYS
        return super().render_delete_form(request, context)

    def response_delete(self, request, obj_display, obj_id):
        if IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        opts = self.opts
        if getattr(request, "_recycle_bin_refused", False):
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id])
            )
        self.message_user(
            request,
            _("“%(name)s” moved to the recycle bin; restore it from the recycle bin page.")
            % {"name": obj_display},
            messages.SUCCESS,
        )
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        preserved = self.get_preserved_filters(request)
        return HttpResponseRedirect(
            add_preserved_filters({"preserved_filters": preserved, "opts": opts}, url)
        )
