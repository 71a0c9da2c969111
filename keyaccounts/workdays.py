"""Working days: the clock of service levels (complaints answered/resolved in N days).

Pure functions over the local calendar (settings.TIME_ZONE). A working day is Monday to
Friday, minus the dates in settings.WORKDAY_HOLIDAYS, plus the weekend dates in
settings.WORKDAY_EXTRA_WORKDAYS (China's 调休). Both are lists of ISO dates taken from
the environment.

Time counts only while it is a working day: `add_working_days(start, n)` is the moment
when n × 24 hours of working-day time have passed since `start`. From a working day that
is the same time of day n working days later (Friday 10:00 + 1 → Monday 10:00); from a
weekend or holiday the clock starts at the next working day's midnight (Saturday 10:00 +
1 → Tuesday 00:00, i.e. the end of Monday). `working_days_between(a, b)` is its inverse:
the working-day time from a to b, in days (negative when b is before a).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=8)
def _parse_dates(setting: str, values: tuple[str, ...]) -> frozenset[dt.date]:
    dates = set()
    for value in values:
        try:
            dates.add(dt.date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ImproperlyConfigured(
                f"{setting} must list ISO dates (YYYY-MM-DD) separated by commas; got {value!r}"
            ) from None
    return frozenset(dates)


def _calendar() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    holidays = tuple(getattr(settings, "WORKDAY_HOLIDAYS", ()) or ())
    extra = tuple(getattr(settings, "WORKDAY_EXTRA_WORKDAYS", ()) or ())
    return (
        _parse_dates("WORKDAY_HOLIDAYS", holidays),
        _parse_dates("WORKDAY_EXTRA_WORKDAYS", extra),
    )


def _is_working(day: dt.date, holidays, extra) -> bool:
    if day in extra:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def is_working_day(day: dt.date) -> bool:
    """True when `day` (a date, or a datetime taken in local time) is worked."""
    if isinstance(day, dt.datetime):
        day = _local_naive(day).date()
    holidays, extra = _calendar()
    return _is_working(day, holidays, extra)


def _local_naive(moment: dt.datetime) -> dt.datetime:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None)


def _aware(naive: dt.datetime) -> dt.datetime:
    return timezone.make_aware(naive, timezone.get_current_timezone())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def add_working_days(start: dt.datetime, days: int | float) -> dt.datetime:
    """The deadline `days` working days after `start` (aware, local time zone)."""
    if days < 0:
        raise ValueError("days must not be negative")
    holidays, extra = _calendar()
    current = _local_naive(start)
    remaining = dt.timedelta(days=days)
    if not remaining:
        return _aware(current)
    while True:
        day = current.date()
        next_midnight = _midnight(day + ONE_DAY)
        if _is_working(day, holidays, extra):
            available = next_midnight - current
            if remaining <= available:
                return _aware(current + remaining)
            remaining -= available
        current = next_midnight


def working_days_between(a: dt.datetime, b: dt.datetime) -> float:
    """Working-day time from `a` to `b`, in days (fractional; negative if b < a)."""
    if b < a:
        return -working_days_between(b, a)
    holidays, extra = _calendar()
    start, end = _local_naive(a), _local_naive(b)
    total = dt.timedelta()
    day = start.date()
    while day <= end.date():
        if _is_working(day, holidays, extra):
            lo = max(start, _midnight(day))
            hi = min(end, _midnight(day + ONE_DAY))
            if hi > lo:
                total += hi - lo
        day += ONE_DAY
    return total / ONE_DAY
