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
then says so and shows the record as it is). A versioned record edited as an inline row
of another's page (an account's contacts) is checked the same way, row by row
(`VersionCheckedInline`, mixed into every such inline by `HistoryAdmin`): a row the
admin changed is refused, with the row's input kept, when its record has a newer version;
a row left as it was is not saved at all, so another's newer version of it is no
conflict.
"""

import base64
import hashlib

from csp.decorators import csp_update
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from keyaccounts.exceptions import VersionConflict

from .bulk import people_into_latest_entry
from .merge import SEEN_VERSION, MergingForm, shown_value

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


def _versioned_model(model) -> bool:
    from keyaccounts.models import VersionedModel

    return issubclass(model, VersionedModel)


def _versioned(obj) -> bool:
    return obj is not None and _versioned_model(type(obj)) and obj.pk is not None


def _with_version_fields(fieldsets):
    """`fieldsets` with the hidden version fields added to the first (once)."""
    if OPENED_VERSION in flatten_fieldsets(fieldsets):
        return fieldsets
    (name, options), *rest = fieldsets
    first = (name, {**options, "fields": [*options["fields"], OPENED_VERSION, SEEN_VERSION]})
    return [first, *rest]


class OpenedVersionForm(MergingForm):
    """Mixed into a versioned record's admin change form: the version it was opened at,
    and the one a refused save was shown against (keyaccounts.history.merge)."""

    opened_field = OPENED_VERSION
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    bound_field_class = forms.BoundField  # what they saved is in the field's help here

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[OPENED_VERSION].initial = self.instance.version

    def _say_theirs(self, name: str) -> None:
        # The admin draws a field's help text under it (and names it for screen readers).
        field = self.fields[name]
        said = _("Saved meanwhile by someone else: %(value)s") % {
            "value": shown_value(self.instance, name)
        }
        field.help_text = format_html(
            "{}{}<strong>{}</strong>", field.help_text, " " if field.help_text else "", said
        )

    def clean(self):
        cleaned = super().clean()
        expected = self.expected_version
        current = self.instance.version  # read afresh for this POST
        if self.instance.pk is not None and expected is not None and expected != current:
            # Shown again with what was typed; saving once more, now, is a choice.
            self.show_conflict(current)
            message = _(
                "Someone else saved this record (now version %(current)s) since you "
                "opened it at version %(opened)s. Your changes are below, not saved; "
                "under each field they changed, what they saved (its history has the "
                "rest). Saving again writes the fields you changed and keeps their other "
                "changes."
            )
            both = self.both_changed()
            if both:
                message += " " + _("You both changed: %(fields)s.")
            raise ValidationError(
                message,
                code="version_conflict",
                params={
                    "current": current,
                    "opened": self._posted_version(OPENED_VERSION),
                    "fields": ", ".join(both),
                },
            )
        return cleaned


class OpenedVersionInlineForm(OpenedVersionForm):
    """An inline row's form, judged against the row as it was opened.

    Django's formset saves a row whose input differs from the record as it is now: a row
    the admin left alone, whose record someone else saved since, would be written back
    with the old values. Judged against the version it was opened at (MergingForm's
    initial values), such a row is unchanged and not saved; a row the admin did change
    is a conflict; and the row is saved with `expected_version`."""

    def has_changed(self):
        return bool(self.own_changes())  # the version moving on is not the admin's change

    def clean(self):
        if not self.has_changed():
            return super(OpenedVersionForm, self).clean()  # not saved: nothing to check
        return super().clean()

    def save(self, commit=True):
        expected = self.expected_version
        if not commit or expected is None or self.instance.pk is None:
            return super().save(commit=commit)
        self.instance.save(expected_version=expected)  # VersionConflict: nothing written
        self._save_m2m()
        return self.instance


class VersionCheckedInline:
    """Mixed into an inline of versioned records (HistoryAdmin does it): each row carries
    the version it was opened at, hidden, and is saved only at that version."""

    def _checks_versions(self, request, obj) -> bool:
        return self.has_change_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        if "form" not in kwargs and self._checks_versions(request, obj):
            kwargs["form"] = type(self.form.__name__, (OpenedVersionInlineForm, self.form), {})
        return super().get_formset(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._checks_versions(request, obj):
            return fieldsets
        return _with_version_fields(fieldsets)


_CHECKED_INLINES: dict[type, type] = {}


def _version_checked(inline: type) -> type:
    """The inline class with VersionCheckedInline mixed in, if its rows are versioned."""
    if not _versioned_model(inline.model) or issubclass(inline, VersionCheckedInline):
        return inline
    if inline not in _CHECKED_INLINES:
        _CHECKED_INLINES[inline] = type(inline.__name__, (VersionCheckedInline, inline), {})
    return _CHECKED_INLINES[inline]


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose History page answers with HISTORY_PAGE_POLICY added, and
    whose change form of a versioned record refuses to write over a newer version."""

    @method_decorator(csp_update(HISTORY_PAGE_POLICY))
    def history_view(self, request, object_id, extra_context=None):
        try:  # "abc" for an id: what the change page says ("doesn't exist"), not a 500
            self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if _versioned(obj) and "form" not in kwargs and self.has_change_permission(request, obj):
            kwargs["form"] = type(self.form.__name__, (OpenedVersionForm, self.form), {})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return [_version_checked(inline) for inline in super().get_inlines(request, obj)]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not _versioned(obj) or not self.has_change_permission(request, obj):
            return fieldsets  # a view-only page: no form
        return _with_version_fields(fieldsets)

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
        expected = form.expected_version if change and isinstance(form, MergingForm) else None
        if expected is None:
            return super().save_model(request, obj, form, change)
        obj._history_user = request.user  # as SimpleHistoryAdmin.save_model
        obj.save(expected_version=expected)
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
