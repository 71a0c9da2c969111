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
"""

import base64
import hashlib

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from simple_history.admin import SimpleHistoryAdmin

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


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose History page answers with HISTORY_PAGE_POLICY added."""

    @method_decorator(csp_update(HISTORY_PAGE_POLICY))
    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, object_id, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        # The version the form was opened at: did the save write a new one?
        obj._admin_version_before = getattr(obj, "version", None) if change else None
        super().save_model(request, obj, form, change)

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
