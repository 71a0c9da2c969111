"""What the complaint tests share: a fixed calendar and a graded account."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from scoring.models import AccountScore
from scoring.services import active_model

SH = ZoneInfo("Asia/Shanghai")
# 2026-11-27 is a Friday.
FRIDAY_10 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SH)


def at(y, m, d, h=10, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=SH)


def grade(account, letter: str) -> None:
    AccountScore.objects.update_or_create(
        account=account,
        defaults=dict(
            score=Decimal("50.0"),
            computed_grade=letter,
            grade=letter,
            closing="later",
            model=active_model(),
            computed_at=timezone.now(),
        ),
    )


def record(personas, **fields):
    from visits.complaints.services import complaint_create

    defaults = dict(
        by=personas.alice,
        account=personas.account,
        subject="Late delivery of the spare parts",
        severity="high",
        channel="phone",
        received_at=FRIDAY_10,
        description="Parts promised for Monday came on Thursday.",
    )
    defaults.update(fields)
    return complaint_create(**defaults)
