"""The sales window, the money field and the ageing buckets that the scoring's reads share
(selectors, money, receivables): a module of its own at the bottom, so that none has to
import another for them."""

import datetime

from django.db.models import DecimalField
from django.utils import timezone
from django.utils.translation import gettext_lazy

MONEY = DecimalField(max_digits=20, decimal_places=2)

# (key, label, more than this many days overdue, at most this many) — None: no bound.
BUCKETS = (
    ("current", gettext_lazy("Not yet due"), None, 0),  # 未到期
    ("days_1_30", gettext_lazy("1–30 days overdue"), 0, 30),  # 逾期1–30天
    ("days_31_60", gettext_lazy("31–60 days overdue"), 30, 60),
    ("days_61_90", gettext_lazy("61–90 days overdue"), 60, 90),
    ("over_90", gettext_lazy("Over 90 days overdue"), 90, None),  # 逾期90天以上
)


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
