from django import template
from django.utils.translation import gettext as _

from visits import reminders

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
