"""Django's `date` filter, with the formats the pages use written directly.

A built-in library (settings.TEMPLATES), loaded after Django's own filters, so every
template's `{{ value|date:"Y-m-d" }}` comes here. Django's filter builds a `DateFormat`
for each value (with the time zone's ambiguity checks) and parses the format each time:
20–25 µs a date, where a list of visits or a board of cards writes a hundred of them.
The formats below are written as Django writes them — "Y" four digits even before the
year 1000, the rest two, "c" ISO 8601 — for a `datetime` (already in local time: the
filter asks for it, as Django's does) or a `date`; any other format or value goes to
Django's own filter (keyaccounts/tests/test_dates_filter.py compares the two).
"""

import datetime

from django import template
from django.template import defaultfilters

register = template.Library()


def _ymd(v) -> str:
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"


def _hm(v) -> str:
    return f"{v.hour:02d}:{v.minute:02d}"


DATETIME_FORMATS = {
    "c": lambda v: v.isoformat(),
    "Y-m-d": _ymd,
    "Y-m-d H:i": lambda v: f"{_ymd(v)} {_hm(v)}",
    "Y-m-d H:i:s": lambda v: f"{_ymd(v)} {_hm(v)}:{v.second:02d}",
    "Y-m": lambda v: f"{v.year:04d}-{v.month:02d}",
    "H:i": _hm,
}
DATE_FORMATS = {
    "c": lambda v: v.isoformat(),
    "Y-m-d": _ymd,
    "Y-m": lambda v: f"{v.year:04d}-{v.month:02d}",
}


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` (`django.template.defaultfilters.date`), faster for the formats
    above."""
    kind = type(value)
    if kind is datetime.datetime:
        write = DATETIME_FORMATS.get(arg)
    elif kind is datetime.date:
        write = DATE_FORMATS.get(arg)
    else:
        write = None
    if write is None:
        return defaultfilters.date(value, arg)
    return write(value)
