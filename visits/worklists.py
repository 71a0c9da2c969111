"""A rep's own lists from my week: their open follow-ups (`?due=`) and planned visits
(`?when=`), one group of my week's or all. The pages (`views.follow_up_list_view`,
`planned_list_view`) and their exports (`follow-ups`, `planned-visits`:
visits/exports.py) read the group alike, so a file holds what its page lists. A group
no page offers lists them all: the page says so above the list; the export command
refuses it, with the groups there are."""

import datetime

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from . import selectors

# The tabs of each page: all, then each of the selectors' groups, in their order.
_FOLLOW_UP_LABELS = {
    "overdue": _("Overdue"),
    "soon": _("Due today or tomorrow"),
    "week": _("Later this week"),
    "later": _("Later"),
}
_PLANNED_LABELS = {
    "unrecorded": _("Outcome not recorded"),
    "today": _("Today"),
    "week": _("The next 7 days"),
    "later": _("After the next 7 days"),
}
FOLLOW_UP_TABS = [("", _("All"))] + [
    (name, _FOLLOW_UP_LABELS[name]) for name in selectors.FOLLOW_UP_GROUPS
]
PLANNED_TABS = [("", _("All"))] + [
    (name, _PLANNED_LABELS[name]) for name in selectors.PLANNED_GROUPS
]


class FollowUpGroupForm(forms.Form):
    due = forms.ChoiceField(label=_("Due"), required=False, choices=FOLLOW_UP_TABS)


class PlannedGroupForm(forms.Form):
    when = forms.ChoiceField(label=_("When"), required=False, choices=PLANNED_TABS)


def _group(form: forms.Form, name: str) -> str:
    """The group the form read ("" for all, or for one it cannot read)."""
    return form.cleaned_data[name] if form.is_bound and form.is_valid() else ""


def follow_ups(*, user, data, today: datetime.date) -> tuple[QuerySet, FollowUpGroupForm]:
    """`user`'s open follow-ups of the group `data` names, soonest due first."""
    form = FollowUpGroupForm(data or None)
    rows = selectors.open_follow_ups(user=user, today=today)
    if due := _group(form, "due"):
        rows = rows.filter(selectors.follow_up_group(due, today=today))
    return rows, form


def planned(*, user, data, today: datetime.date) -> tuple[QuerySet, PlannedGroupForm]:
    """`user`'s planned visits (logged or going along) of the group `data` names,
    soonest first."""
    form = PlannedGroupForm(data or None)
    rows = selectors.planned_visits_of(user=user, today=today, group=_group(form, "when"))
    return rows, form
