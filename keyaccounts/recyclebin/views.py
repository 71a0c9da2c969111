"""The recycle bin page (回收站): what was deleted, by whom, when, and the way back.

Rows come from `selectors.deletions_visible_to` (who deleted them, and the managers
who can see their account); a restore goes through the record type's restore service
(`restores`, registered by each app), so the rules (who may restore, not while the
account is in the bin) stay there.
"""

import datetime

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from keyaccounts.exceptions import ApplicationError
from keyaccounts.links import safe_next
from keyaccounts.paging import keyset_page

from . import restores
from .filters import DeletionFilter
from .labels import along_text, type_label
from .selectors import BIN_ORDER, deletions_visible_to

PAGE_SIZE = 25


def _entry(deletion, *, today: datetime.date, days: int) -> dict:
    purge_on = timezone.localdate(deletion.deleted_at) + datetime.timedelta(days=days)
    return {
        "deletion": deletion,
        "type": type_label(deletion.model),
        "along": along_text(deletion.counts),
        "purge_on": purge_on,
        "days_left": max((purge_on - today).days, 0),
    }


def bin_view(request):
    queryset = deletions_visible_to(request.user).select_related("deleted_by")
    filterset = DeletionFilter(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    page = keyset_page(request, rows, BIN_ORDER, size=PAGE_SIZE, count=True)
    today = timezone.localdate()
    days = settings.RECYCLE_BIN_DAYS
    return render(
        request,
        "recyclebin/bin.html",
        {
            "filter": filterset,
            "page": page,
            "entries": [_entry(d, today=today, days=days) for d in page.object_list],
            "query": page.query,
            "days": days,
            "here": request.get_full_path(),
        },
    )


def _back(request) -> str:
    return safe_next(request) or reverse("recyclebin:bin")


@require_POST
def restore_view(request, pk):
    deletion = get_object_or_404(deletions_visible_to(request.user, in_bin=False), pk=pk)
    back = _back(request)
    model = apps.get_model(deletion.model)
    record = model.all_objects.filter(pk=deletion.object_id).first()
    if record is None or not deletion.in_bin:
        messages.error(
            request,
            _("“%(name)s” is not in the recycle bin any more: it was restored or purged.")
            % {"name": deletion.label},
        )
        return redirect(back)
    try:
        restored = restores.restore(deletion.model, record, request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    others = len(restored) - 1
    name = str(record)
    text = (
        ngettext(
            "Restored %(name)s (and %(count)d record deleted with it).",
            "Restored %(name)s (and %(count)d records deleted with it).",
            others,
        )
        if others
        else _("Restored %(name)s.")
    ) % {"name": name, "count": others}
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            text,
            record.get_absolute_url(),
            _("Open %(name)s") % {"name": name},
        ),
    )
    _warn_of_twins(request, deletion.model, record)
    return redirect(back)


def _warn_of_twins(request, label: str, record) -> None:
    """A record back from the bin is checked against the live ones as a new one would be:
    one of the same name (or code, phone, email) added meanwhile is likely the same, and
    the person is told, with the way to merge them (nothing is refused: the restore was
    asked for, and a merge keeps both records' data)."""
    twins, hidden = restores.twins(label, record, request.user)
    if not twins and not hidden:
        return
    lparen, rparen = pgettext("punctuation", " ("), pgettext("punctuation", ")")
    links = format_html_join(
        pgettext("between names", ", "),
        '<a href="{}">{}</a>{}',
        (
            (
                twin["url"],
                twin["name"],
                format_html(
                    '{}<a href="{}">{}</a>{}',
                    lparen,
                    twin["merge_url"],
                    _("compare and merge"),
                    rparen,
                )
                if twin["merge_url"]
                else "",
            )
            for twin in twins
        ),
    )
    name = str(record)
    if not twins:
        text = ngettext(
            "%(name)s looks like %(count)d record already here that you cannot see: ask "
            "your manager.",
            "%(name)s looks like %(count)d records already here that you cannot see: ask "
            "your manager.",
            hidden,
        ) % {"name": name, "count": hidden}
    else:
        full_stop = pgettext("punctuation", ". ").strip()
        more = ""
        if hidden:
            more = " " + ngettext(
                "and %(count)d more that you cannot see",
                "and %(count)d more that you cannot see",
                hidden,
            ) % {"count": hidden}
        listed = format_html("{}{}{}", links, more, full_stop)
        parts = [_("%(name)s looks like a record that is already here:") % {"name": name}, listed]
        if any(twin["merge_url"] for twin in twins):
            parts.append(_("If they are the same, merge them."))
        else:
            parts.append(_("If they are the same, ask your manager to merge them."))
        text = format_html_join(" ", "{}", ((part,) for part in parts))
    messages.warning(request, text)
