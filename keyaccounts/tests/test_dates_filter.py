"""`|date` (keyaccounts/templatetags/dates.py) writes every value in every format as
Django's own `date` filter does: the formats it writes itself, and all others passed on."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Engine, defaultfilters
from django.template.loader import get_template
from django.utils import timezone, translation

from keyaccounts.templatetags import dates

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
VALUES = [
    datetime.datetime(2026, 12, 3, 9, 5, 7, 123456),
    datetime.datetime(2026, 1, 1, 0, 0),
    datetime.datetime(580, 5, 4, 8, 14, 21, tzinfo=SHANGHAI),  # +08:05:43
    datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
    datetime.datetime(2026, 3, 8, 2, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    datetime.date(2026, 12, 3),
    datetime.date(999, 2, 9),
    None,
    "",
    "2026-12-03",
    0,
]
FORMATS = [
    *dates.DATETIME_FORMATS,
    "Y-m-d H:i:s",
    "DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "N j, Y",
    None,
]


def outcome(write, value, arg):
    """What `write(value, arg)` answers, or the kind of error it raises (Django's filter
    refuses a time format for a date)."""
    try:
        return "written", write(value, arg)
    except Exception as error:  # noqa: BLE001 - compared, not handled
        return "raised", type(error)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_value_and_format_is_written_as_djangos_filter_writes_it(language):
    with translation.override(language):
        for value in VALUES:
            for arg in FORMATS:
                ours = outcome(dates.date, value, arg)
                assert ours == outcome(defaultfilters.date, value, arg), (value, arg)


def test_the_pages_templates_use_it_and_write_local_times():
    engine = get_template("base.html").template.engine
    assert engine.template_builtins[-1].filters["date"] is dates.date
    django_only = Engine(builtins=[])  # Django's own filters alone
    source = '{{ v|date:"Y-m-d H:i" }} {{ v|date:"c" }} {{ d|date:"Y-m-d" }} {{ v|date:"l" }}'
    context = {
        "v": datetime.datetime(2026, 12, 2, 17, 30, tzinfo=datetime.UTC),
        "d": datetime.date(2026, 12, 3),
    }
    with timezone.override("Asia/Shanghai"):
        ours = engine.from_string(source).render(Context(context))
        theirs = django_only.from_string(source).render(Context(context))
    assert ours == theirs == "2026-12-03 01:30 2026-12-03T01:30:00+08:00 2026-12-03 Thursday"
