from functools import lru_cache

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from keyaccounts.links import record_url
from visits import heatmap, reminders

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """Minutes as "2 h 30 min" (the development record's total time)."""
    try:
        minutes = int(minutes or 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


@register.filter
def at_most(count, limit) -> str:
    """A count read up to `limit` + 1 rows (`keyaccounts.paging.bounded_counts`): the
    number, or "1000+" when there are more than `limit`."""
    if count > limit:
        return _("%(limit)s+") % {"limit": limit}
    return str(count)


@register.filter
def notification_text(notification) -> str:
    """The reminder's sentence, the same one its email carries."""
    return reminders.notification_text(notification)


@register.filter
def notification_path(notification) -> str:
    """Where the reminder points: its visit, complaint, plan action, review … or account."""
    return reminders.notification_path(notification)


# How recently a person was met, against the account's rhythm (the heat-map's legend
# says the same words).
FRESHNESS_LABELS = {
    heatmap.FRESH: gettext_lazy("within the rhythm"),
    heatmap.FADING: gettext_lazy("up to three rhythms ago"),
    heatmap.STALE: gettext_lazy("longer ago"),
    heatmap.NEVER: gettext_lazy("never met"),
}


@register.simple_tag
def heat_cells(row) -> str:
    """A heat-map row's cells, a `<td>` per column (`heat_cell`)."""
    return mark_safe(
        "".join(
            f'<td data-role="{escape(column)}">{heat_cell(cell)}</td>'
            for column, cell in row.cells.items()
        )
    )


@register.simple_tag
def heat_cell(cell) -> str:
    """A heat-map cell: the first person in the role, linked to their page, with others
    in the role counted, their attitude in words and how long ago we met them (the
    freshness in words for a screen reader; the colour and the border say it again);
    a dash and, for a screen reader, "nobody in this role" when nobody is. A tag, not
    template markup: a page of 25 accounts draws 150 cells (every value escaped)."""
    words = _heat_words(get_language())
    if not cell.contact:
        return mark_safe(
            '<span class="muted" aria-hidden="true">–</span>'
            f'<span class="visually-hidden">{words["nobody"]}</span>'
        )
    more = f' <span class="muted">+{int(cell.more)}</span>' if cell.more else ""
    if cell.days is None:
        met = words[heatmap.NEVER]
    else:
        days = ngettext("met %(days)s day ago", "met %(days)s days ago", cell.days)
        freshness = words.get(cell.freshness, words[heatmap.STALE])
        met = (
            f"{escape(days % {'days': int(cell.days)})}"
            f'<span class="visually-hidden">, {freshness}</span>'
        )
    freshness = escape(cell.freshness)
    attitude = cell.contact["attitude"]
    attitude_label = words["attitudes"].get(attitude) or escape(cell.attitude_label)
    return mark_safe(
        f'<a class="hm-cell att-{escape(attitude)} met-{freshness}"'
        f' data-freshness="{freshness}" href="{escape(cell.url)}">'
        f'<span class="hm-name">{escape(cell.contact["name"])}</span>{more}'
        f' <span class="hm-att">{attitude_label}</span>'
        f' <span class="hm-met">{met}</span></a>'
    )


@lru_cache(maxsize=16)
def _heat_words(language: str | None) -> dict:
    """The heat-map's fixed words in `language` (the active one when called), escaped:
    translated once per language and process, not once per cell (a page draws 150) and
    level check."""
    return {
        "nobody": escape(_("nobody in this role")),
        "only_a_b": escape(_("checked for A and B")),
        "yes": escape(_("yes")),
        "plan": escape(_("plan the visit")),
        "add": escape(_("add the contact")),
        "late": escape(_("not within the rhythm")),
        "levels": {key: escape(str(label)) for key, label in LEVEL_LABELS.items()},
        # str(): `escape` of a lazy label answers a lazy result, translated when shown.
        **{key: escape(str(label)) for key, label in FRESHNESS_LABELS.items()},
        "attitudes": {
            value: escape(str(label)) for value, label in heatmap.ATTITUDE_LABELS.items()
        },
    }


# The multi-level coverage checks of an A or B account (立体沟通), in words.
LEVEL_LABELS = {
    "decider_by_sponsor": gettext_lazy("Decider met by our executive sponsor"),
    "user_by_rep": gettext_lazy("User met by the rep"),
    "evaluator_by_presales": gettext_lazy("Evaluator met by presales"),
}


@register.simple_tag
def heat_levels(row) -> str:
    """A heat-map row's level checks (A and B accounts): each met or not, and if not a
    link to plan the visit with the person in the role (or to add one when nobody is);
    "checked for A and B" for other accounts. Ticks and crosses are hidden from screen
    readers: the words say it."""
    if not row.checks:
        if row.grade in heatmap.COVERED_GRADES:
            return ""
        only = _heat_words(get_language())["only_a_b"]
        return mark_safe(f'<span class="muted">{only}</span>')
    words = _heat_words(get_language())
    items = []
    for check in row.checks:
        label = words["levels"].get(check.key) or escape(check.key)
        if check.ok:
            yes = words["yes"]
            said = f'<span aria-hidden="true">✓</span> {label}: {yes}'
        else:
            if check.contact_id:
                url = record_url("visits:create", row.account.pk)
                url += f"?status=planned&contact={int(check.contact_id)}"
                action = words["plan"]
            else:
                url = record_url("accounts:contact_create", row.account.pk)
                url += f"?role={check.role}"
                action = words["add"]
            late = words["late"]
            said = (
                f'<span aria-hidden="true">✗</span> {label}: '
                f'{late} · <a href="{escape(url)}">{action}</a>'
            )
        items.append(
            f'<li data-check="{escape(check.key)}" data-ok="{"yes" if check.ok else "no"}">'
            f"{said}</li>"
        )
    return mark_safe(f'<ul role="list" class="plain levels">{"".join(items)}</ul>')
