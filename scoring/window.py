"""The sales window and the money field that the scoring reads share (selectors, money):
a module of its own at the bottom, so that neither has to import the other for them."""

import datetime

from django.db.models import DecimalField
from django.utils import timezone

MONEY = DecimalField(max_digits=20, decimal_places=2)


def sales_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last 12 whole months plus this one: [first day 11 months back, first of next]."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    year, month = first.year, first.month - 11
    while month <= 0:
        year, month = year - 1, month + 12
    start = datetime.date(year, month, 1)
    end = datetime.date(first.year + (first.month // 12), first.month % 12 + 1, 1)
    return start, end
