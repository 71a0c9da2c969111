"""The admin's History pages (django-simple-history), kept to the Content-Security-Policy.

django-simple-history's `object_history_list.html` writes `style="border-top: 0"` on its
paginator: an inline style, which the policy (settings.CONTENT_SECURITY_POLICY) blocks.
Rather than a copy of the library's template, its History view alone allows exactly that
attribute value, by its hash ('unsafe-hashes' in style-src-attr: no 'unsafe-inline'),
with django-csp's per-view decorator. Every other page of the admin has no inline code.

Who a record's many-to-many fields name (a visit's or review's contacts and attendees,
`_history_m2m_fields`) is part of the record, as in the services: the admin saves them
after the record, so `HistoryAdmin` writes them into the entry the save wrote (a new
record's "created" entry, or the change's), and a change of only them is a new version
of the record (a new change number: the changes feed tells sync clients) with one entry,
never an entry per add and removal without a version.

A change form of a versioned record (`VersionedModel`) carries the version it was opened
at (`opened_version`, hidden), as the app's own forms do: a save after someone else's
is refused with the form as it was typed, saying so (the hidden version then moves on,
so saving again is a choice), instead of writing the old values back over theirs; the
save itself is `save(expected_version=…)`, so one racing it is refused too (the page
then says so and shows the record as it is).
"""

import base64
import hashlib

from csp.decorators import csp_update
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from keyaccounts.exceptions import VersionConflict

from .bulk import people_into_latest_entry

# The inline style attributes of simple_history/object_history_list.html (3.13).
HISTORY_PAGE_STYLES = ("border-top: 0",)


def style_hash(value: str) -> str:
    """A CSP source for one style attribute's value: 'sha256-<base64 of its digest>'."""
    digest = hashlib.sha256(value.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


HISTORY_PAGE_POLICY = {
    "style-src-attr": ["'unsafe-hashes'", *(style_hash(style) for style in HISTORY_PAGE_STYLES)]
}


OPENED_VERSION = "opened_version"


def _versioned(obj) -> bool:
    from keyaccounts.models import VersionedModel

    return isinstance(obj, VersionedModel) and obj.pk is not None


class OpenedVersionForm(forms.ModelForm):
    """Mixed into a versioned record's admin change form: the version it was opened at."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[OPENED_VERSION].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get(OPENED_VERSION)
        current = self.instance.version  # read afresh for this POST
        if self.instance.pk is not None and opened is not None and opened != current:
            # Shown again with what was typed; saving once more, now, is a choice.
            self.data = self.data.copy()
            self.data[self.add_prefix(OPENED_VERSION)] = str(current)
            raise ValidationError(
                _(
                    "Someone else saved this record (now version %(current)s) since you "
                    "opened it at version %(opened)s. Your changes are below, not saved: "
                    "open its history to see theirs, then save again to write yours over "
                    "them."
                ),
                code="version_conflict",
                params={"current": current, "opened": opened},
            )
        return cleaned


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose History page answers with HISTORY_PAGE_POLICY added, and
    whose change form of a versioned record refuses to write over a newer version."""

    @method_decorator(csp_update(HISTORY_PAGE_POLICY))
    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, object_id, extra_context=extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if _versioned(obj) and "form" not in kwargs and self.has_change_permission(request, obj):
            kwargs["form"] = type(self.form.__name__, (OpenedVersionForm, self.form), {})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if (
            not _versioned(obj)
            or not self.has_change_permission(request, obj)  # a view-only page: no form
            or OPENED_VERSION in flatten_fieldsets(fieldsets)
        ):
            return fieldsets
        (name, options), *rest = fieldsets
        first = (name, {**options, "fields": [*options["fields"], OPENED_VERSION]})
        return [first, *rest]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except VersionConflict:
            # Someone saved between this form's check and its save: nothing was written.
            messages.error(
                request,
                _(
                    "Someone else saved this record at the same moment: nothing of yours "
                    "was saved. Here it is as it is now."
                ),
            )
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        # The version the form was opened at: did the save write a new one?
        obj._admin_version_before = getattr(obj, "version", None) if change else None
        opened = form.cleaned_data.get(OPENED_VERSION) if change else None
        if opened is None:
            return super().save_model(request, obj, form, change)
        obj._history_user = request.user  # as SimpleHistoryAdmin.save_model
        obj.save(expected_version=opened)
        return None

    def save_related(self, request, form, formsets, change):
        record = form.instance
        fields = getattr(type(record), "_history_m2m_fields", ())
        names = [name for name in fields if name in form.cleaned_data]
        if not names:
            return super().save_related(request, form, formsets, change)

        def now() -> dict:
            return {name: set(getattr(record, name).values_list("pk", flat=True)) for name in names}

        before = now() if change else None
        record.skip_history_when_saving = True  # no entry per add or removal
        try:
            super().save_related(request, form, formsets, change)
        finally:
            del record.skip_history_when_saving
        if not change:
            people_into_latest_entry(record)  # its "created" entry
        elif now() != before:
            if record.version != getattr(record, "_admin_version_before", None):
                people_into_latest_entry(record)  # the entry of the change just saved
            else:
                record.save(touch=True)  # only the people changed: a new version
