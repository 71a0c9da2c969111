"""The admin's History pages (django-simple-history), kept to the Content-Security-Policy.

django-simple-history's `object_history_list.html` writes `style="border-top: 0"` on its
paginator: an inline style, which the policy (settings.CONTENT_SECURITY_POLICY) blocks.
Rather than a copy of the library's template, its History view alone allows exactly that
attribute value, by its hash ('unsafe-hashes' in style-src-attr: no 'unsafe-inline'),
with django-csp's per-view decorator. Every other page of the admin has no inline code.
"""

import base64
import hashlib

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from simple_history.admin import SimpleHistoryAdmin

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
