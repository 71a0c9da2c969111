"""The working-day clock: weekends, holidays and weekend days worked (调休)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from keyaccounts.workdays import add_working_days, is_working_day, working_days_between

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=SH)


# 2026-11-27 is a Friday.
FRIDAY = at(2026, 11, 27)


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])
def test_friday_plus_one_is_monday_same_time():
    assert add_working_days(FRIDAY, 1) == at(2026, 11, 30)
    assert add_working_days(FRIDAY, 5) == at(2026, 12, 4)
    assert working_days_between(FRIDAY, at(2026, 11, 30)) == 1
    assert working_days_between(FRIDAY, at(2026, 12, 4)) == 5


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])
def test_weekend_start_counts_from_the_next_working_day():
    saturday = at(2026, 11, 28)
    assert add_working_days(saturday, 1) == at(2026, 12, 1, 0)
    assert working_days_between(saturday, at(2026, 11, 30, 12)) == 0.5
    assert add_working_days(FRIDAY, 0.5) == at(2026, 11, 27, 22)
    assert add_working_days(FRIDAY, 0) == FRIDAY


@override_settings(
    TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=["2026-11-30"], WORKDAY_EXTRA_WORKDAYS=[]
)
def test_holiday_is_skipped():
    assert not is_working_day(dt.date(2026, 11, 30))
    assert add_working_days(FRIDAY, 1) == at(2026, 12, 1)
    assert working_days_between(FRIDAY, at(2026, 12, 1)) == 1


@override_settings(
    TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=["2026-11-29"]
)
def test_extra_workday_on_a_sunday_counts():
    assert is_working_day(dt.date(2026, 11, 29))
    assert not is_working_day(dt.date(2026, 11, 28))
    assert add_working_days(FRIDAY, 1) == at(2026, 11, 29)
    assert add_working_days(FRIDAY, 2) == at(2026, 11, 30)
    assert working_days_between(FRIDAY, at(2026, 11, 30)) == 2


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])
def test_between_is_negative_backwards_and_inverse_of_add():
    assert working_days_between(at(2026, 11, 30), FRIDAY) == -1
    for days in (1, 2, 3, 7, 12):
        assert working_days_between(FRIDAY, add_working_days(FRIDAY, days)) == days


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=["30.11.2026"])
def test_bad_date_in_settings_names_the_setting():
    with pytest.raises(ImproperlyConfigured, match="WORKDAY_HOLIDAYS"):
        is_working_day(dt.date(2026, 11, 30))


def test_negative_days_refused():
    with pytest.raises(ValueError):
        add_working_days(FRIDAY, -1)
