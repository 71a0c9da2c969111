"""Review periods (年度/半年度): a year from 1 January, or a half-year from 1 January or
1 July — the same periods as account plans.

Which period an account is reviewed in follows its grade
(`settings.REVIEW_PERIOD_BY_GRADE`, default A: half-yearly, B: yearly); any other
grade, or none yet, is reviewed yearly when a review is held at all, and only A and B
accounts are listed as missing one.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_PERIOD_BY_GRADE = {"A": "half", "B": "year"}


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")  # 年度
    HALF = "half", _("Half-year")  # 半年度


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        if self.kind == PeriodKind.HALF and self.start.month == 1:
            return self.start.replace(month=7)
        return self.start.replace(year=self.start.year + 1, month=1)

    @property
    def label(self) -> str:
        return period_label(self.kind, self.start)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes [start, end) in the current time zone."""
        return _start_of_day(self.start), _start_of_day(self.end)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_of(kind: str, day: datetime.date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == PeriodKind.HALF:
        return Period(kind, datetime.date(day.year, 1 if day.month < 7 else 7, 1))
    return Period(PeriodKind.YEAR, datetime.date(day.year, 1, 1))


def period_label(kind: str, start: datetime.date) -> str:
    """ "2026" for a year, "2026 H1" / "2026 H2" for a half-year (2026年度, 2026年上半年 /
    2026年下半年 in Chinese), in the active language."""
    if kind == PeriodKind.HALF:
        text = _("%(year)s H1") if start.month < 7 else _("%(year)s H2")
        return text % {"year": start.year}
    return pgettext_lazy("a year as a period", "%(year)s") % {"year": start.year}


def period_key(text: str) -> str:
    """How two names of a period compare: width, case and spaces set aside."""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def period_keys(kind: str, start: datetime.date) -> set[str]:
    """The period's names a file may give (`period_key`), as an export writes it in
    either language of the site: "2026 H1" and 2026年上半年 alike."""
    keys = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(period_key(period_label(kind, start)))
    return keys


def period_by_grade() -> dict[str, str]:
    return getattr(settings, "REVIEW_PERIOD_BY_GRADE", None) or DEFAULT_PERIOD_BY_GRADE


def period_kind_for_grade(grade: str | None) -> str:
    """How often an account of `grade` is reviewed: half-yearly or yearly."""
    kind = period_by_grade().get(grade or "")
    return kind if kind in PeriodKind.values else PeriodKind.YEAR


def reviewed_grades() -> list[str]:
    """The grades whose accounts must have a review in their period (A and B)."""
    return sorted(period_by_grade())


def current_period_for_grade(grade: str | None, today: datetime.date) -> Period:
    return period_of(period_kind_for_grade(grade), today)
