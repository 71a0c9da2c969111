from functools import lru_cache
from urllib.parse import quote

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from keyaccounts.links import record_url
from keyaccounts.templatetags.dates import date as date_filter
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


FRESHNESS_LABELS = heatmap.FRESHNESS_LABELS


@register.simple_tag(takes_context=True)
def heat_cells(context, row) -> str:
    """A heat-map row's cells, a `<td>` per column (`heat_cell`); each person's link
    comes back to the page's `back` (the heat-map at its address) after saving."""
    back = _back(context)
    return mark_safe(
        "".join(
            f'<td data-role="{escape(column)}">{heat_cell(cell, back=back)}</td>'
            for column, cell in row.cells.items()
        )
    )


def _back(context) -> str:
    """`?next=` for the page's `back` address, "" without one."""
    back = context.get("back")
    return f"?next={quote(back)}" if back else ""


@register.simple_tag
def heat_cell(cell, *, back: str = "") -> str:
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
        if cell.days <= 0:
            days = words["today"]
        else:
            days = escape(
                ngettext("met %(days)s day ago", "met %(days)s days ago", cell.days)
                % {"days": int(cell.days)}
            )
        freshness = words.get(cell.freshness, words[heatmap.STALE])
        met = f'{days}<span class="visually-hidden">{words["phrases"]}{freshness}</span>'
    freshness = escape(cell.freshness)
    attitude = cell.contact["attitude"]
    attitude_label = words["attitudes"].get(attitude) or escape(cell.attitude_label)
    return mark_safe(
        f'<a class="hm-cell att-{escape(attitude)} met-{freshness}"'
        f' data-freshness="{freshness}" href="{escape(cell.url + back)}">'
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
        "today": escape(_("met today")),
        "only_a_b": escape(_("checked for A and B")),
        "yes": escape(_("yes")),
        "plan": escape(_("plan the visit")),
        "add": escape(_("add the contact")),
        "late": escape(_("not within the rhythm")),
        "no_colleague": escape(_("nobody on the account team in this role")),
        "add_colleague": escape(_("add them to the team")),
        "ask_colleague": escape(_("ask the account's owner or a manager to add them")),
        "colon": escape(pgettext("punctuation", ": ")),
        "phrases": escape(pgettext("between phrases", ", ")),
        "levels": {key: escape(str(label)) for key, label in LEVEL_LABELS.items()},
        # str(): `escape` of a lazy label answers a lazy result, translated when shown.
        **{key: escape(str(label)) for key, label in FRESHNESS_LABELS.items()},
        "attitudes": {
            value: escape(str(label)) for value, label in heatmap.ATTITUDE_LABELS.items()
        },
    }


LEVEL_LABELS = heatmap.LEVEL_LABELS


@register.simple_tag(takes_context=True)
def heat_levels(context, row) -> str:
    """A heat-map row's level checks (A and B accounts): each met or not, and if not
    why, with the link that closes it: plan the visit with the person in the role, add
    that person when nobody is in it, or add our colleague of the level's role (an
    executive sponsor, presales) to the account team when none is on it;
    "checked for A and B" for other accounts. Ticks and crosses are hidden from screen
    readers: the words say it. Adding to the team is linked for whoever may shape it (the
    account's owner, a manager: the page's `manages_teams`); anyone else is told whom to
    ask."""
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
            said = f'<span aria-hidden="true">✓</span> {label}{words["colon"]}{yes}'
        else:
            if not check.contact_id:  # nobody to meet: add them first
                url = record_url("accounts:contact_create", row.account.pk)
                url += f"?role={check.role}" + _back(context).replace("?", "&", 1)
                why, action = words["nobody"], words["add"]
            elif not check.colleague:  # nobody of ours to meet them: the team first
                url = record_url("accounts:detail", row.account.pk) + "#team"
                why, action = words["no_colleague"], words["add_colleague"]
                user = context.get("user")
                if not (
                    context.get("manages_teams") or row.account.owner_id == getattr(user, "pk", 0)
                ):
                    url = None  # the team's form is not theirs: whom to ask
                    action = words["ask_colleague"]
            else:
                url = record_url("visits:create", row.account.pk)
                url += f"?status=planned&contact={int(check.contact_id)}"
                user = context.get("user")
                # With whom the level is met: along (not the one planning: they own it).
                if check.colleague_id and check.colleague_id != getattr(user, "pk", None):
                    url += f"&attendee={int(check.colleague_id)}"
                why, action = words["late"], words["plan"]
            said = f'<span aria-hidden="true">✗</span> {label}{words["colon"]}{why} · ' + (
                f'<a href="{escape(url)}">{action}</a>' if url else action
            )
        items.append(
            f'<li data-check="{escape(check.key)}" data-ok="{"yes" if check.ok else "no"}">'
            f"{said}</li>"
        )
    return mark_safe(f'<ul role="list" class="plain levels">{"".join(items)}</ul>')


# --- a visit in a list ------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def visit_item(context, visit, *, show_account=False, show_owner=False, next="") -> str:
    """A visit as an item of a timeline (my week, the planned visits, an account's
    visits): when (linked to its page, back to `next` after), its status unless done,
    how, the account (`show_account`), whom we met, who went (`show_owner`), then what
    was said and the follow-up (done), or the purpose and, for a visit planned before
    the page's `start_today` and not recorded, the button to record it. A tag, not an
    include: a list draws dozens, and each include with its translations and filters
    cost more than the rest of the row (the fixed words translated once per language,
    `_visit_words`). Reads `today` and `start_today` from the page.

    `visit` carries its account (`show_account`, the record button) and owner
    (`show_owner`) selected, and its contacts (`selectors.with_people`)."""
    words = _visit_words(get_language())
    status = escape(visit.status)
    back = f"?next={escape(quote(next))}" if next else ""
    when = template_localtime(visit.when)
    out = [
        f'<li class="visit vs-{status}" data-visit="{visit.pk}">\n',
        '  <div class="visit-head">\n',
        f'    <a href="{record_url("visits:detail", visit.pk)}{back}"><time datetime="'
        f'{_date(when, "c")}">{_date(when, "Y-m-d H:i")}</time></a>\n',
        "    ",
    ]
    if visit.status != "done":
        out.append(f'<span class="badge vs-{status}">{escape(visit.get_status_display())}</span>')
    out.append(f'\n    <span class="muted">{escape(visit.get_method_display())}</span>\n    ')
    if show_account:
        account = visit.account
        out.append(
            f'<a class="visit-account" href="{record_url("accounts:detail", account.pk)}">'
            f"{escape(account.name)}</a>"
        )
    out.append('\n  </div>\n  <div class="visit-who muted">\n    ')
    names = [escape(contact.name) for contact in visit.contacts_met]
    out.append(words["comma"].join(names) if names else words["no_contact"])
    out.append("\n    ")
    if show_owner:
        out.append(" · " + words["by"] % {"owner": escape(visit.owner)})
    out.append("\n  </div>\n  ")
    if visit.status == "done":
        out.append("\n    ")
        if visit.talking_points:
            out.append(f'<p class="visit-text">{_truncated(visit.talking_points)}</p>')
        out.append("\n    ")
        if visit.follow_up_open:
            due = escape(_date(visit.follow_up_due, "Y-m-d"))
            if _before(visit.follow_up_due, context.get("today")):
                badge = words["overdue"] % {"date": due}
                badge = f'<span class="badge danger" data-follow-up="overdue">{badge}</span>'
            else:
                badge = words["due"] % {"date": due}
                badge = f'<span class="badge warn" data-follow-up="due">{badge}</span>'
            out.append(f"\n      {badge}\n    ")
        elif visit.followed_up_on:
            done = words["followed_up"] % {"date": escape(_date(visit.followed_up_on, "Y-m-d"))}
            out.append(f'\n      <span class="badge ok">{done}</span>\n    ')
        out.append("\n  ")
    else:
        out.append("\n    ")
        if visit.purpose:
            out.append(f'<p class="visit-text">{_truncated(visit.purpose)}</p>')
        out.append("\n    ")
        start_today = context.get("start_today")
        if start_today and visit.status == "planned" and _before(visit.planned_at, start_today):
            planned = escape(_date(template_localtime(visit.planned_at), "Y-m-d H:i"))
            label = words["record_label"] % {"date": planned, "account": escape(visit.account.name)}
            edit = record_url("visits:edit", visit.pk)
            more = f"&amp;next={escape(quote(next))}" if next else ""
            out.append(
                f'<a class="button small-button" href="{edit}?status=done{more}"'
                f' aria-label="{label}">{words["record"]}</a>'
            )
        out.append("\n  ")
    out.append("\n</li>\n")
    return mark_safe("".join(out))


@register.simple_tag(takes_context=True)
def follow_up_item(context, visit) -> str:
    """A visit's open follow-up in a list (my week, the follow-ups): the account and the
    visit's date and whom we met, linked to the visit's follow-up form (back to this
    page after), and when it is due: overdue, soon (by the page's `tomorrow`) or later.
    A tag for the reason `visit_item` is one. Reads `request`, `today` and `tomorrow`
    from the page.

    `visit` carries its account selected and its contacts (`selectors.with_people`)."""
    words = _visit_words(get_language())
    request = context.get("request")
    back = escape(quote(request.path)) if request is not None else ""
    names = [escape(contact.name) for contact in visit.contacts_met]
    met = " · " + words["comma"].join(names) if names else ""
    occurred = escape(_date(template_localtime(visit.occurred_at), "Y-m-d"))
    when = words["visit_of"] % {"date": occurred}
    due = visit.follow_up_due
    date = escape(_date(due, "Y-m-d"))
    if _before(due, context.get("today")):
        badge = f'<span class="badge danger">{words["overdue_since"] % {"date": date}}</span>'
    elif _at_most(due, context.get("tomorrow")):
        badge = f'<span class="badge warn">{words["due_soon"] % {"date": date}}</span>'
    else:
        badge = f'<span class="badge">{words["due_on"] % {"date": date}}</span>'
    return mark_safe(
        f'<li class="followup" data-visit="{visit.pk}">\n'
        f'  <a href="{record_url("visits:detail", visit.pk)}?next={back}#follow-up"'
        ' class="fu-link">\n'
        f"    <strong>{escape(visit.account.name)}</strong>\n"
        f'    <span class="muted">{when}{met}</span>\n'
        "  </a>\n"
        f"  {badge}\n"
        "</li>\n"
    )


def _at_most(value, other) -> bool:
    """`{% if value <= other %}` (see `_before`)."""
    try:
        return value <= other
    except TypeError:
        return False


def _before(value, other) -> bool:
    """`{% if value < other %}`: false when either is missing (the template's `<` answers
    false where Python's raises)."""
    try:
        return value < other
    except TypeError:
        return False


def _date(value, format: str) -> str:
    """`{{ value|date:format }}`, the value already in local time ("" for None)."""
    return "" if value is None else date_filter(value, format)


def _truncated(text: str) -> str:
    """`{{ text|truncatechars:160 }}`, escaped."""
    return escape(Truncator(text).chars(160))


@lru_cache(maxsize=16)
def _visit_words(language: str | None) -> dict:
    """A visit's item's and follow-up's fixed words in `language` (the active one when
    called): escaped as `{% translate %}` escapes them; the sentences with a blank as
    `{% blocktranslate %}` leaves them (its values escaped where they go in)."""
    return {
        "comma": escape(pgettext("punctuation", ", ")),
        "no_contact": escape(_("No contact recorded")),
        "by": _("by %(owner)s"),
        "overdue": _("Follow-up overdue since %(date)s"),
        "due": _("Follow-up due %(date)s"),
        "followed_up": _("Followed up %(date)s"),
        "record_label": _("Record the outcome of the visit planned %(date)s at %(account)s"),
        "record": escape(_("Record the outcome")),
        "visit_of": _("visit of %(date)s"),
        "overdue_since": _("overdue since %(date)s"),
        "due_soon": _("due soon: %(date)s"),
        "due_on": _("due %(date)s"),
    }
