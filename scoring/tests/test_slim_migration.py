"""Migration 0003 slims the contributions already stored and keeps the close date."""

import datetime

import pytest
from django.utils import timezone

from keyaccounts.tests.migrating import latest, migrate
from scoring.defaults import ensure_default_model

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("scoring", "0002_default_model")]
AFTER = [("scoring", "0003_slim_contributions_next_close")]


def part(key, labels, source, raw, points, weight, contribution):
    """A contribution as rescoring stored it before 0003: every field of the factor."""
    label, label_zh = labels
    return {
        "key": key,
        "label": label,
        "label_zh": label_zh,
        "source": source,
        "raw": raw,
        "points": points,
        "weight": weight,
        "contribution": contribution,
    }


def test_old_rows_are_slimmed_and_keep_their_close_date_both_ways(personas):
    account_id = personas.account.pk
    computed = timezone.make_aware(datetime.datetime(2026, 3, 1, 10, 0))
    changed = timezone.make_aware(datetime.datetime(2026, 2, 20, 9, 0))
    # The labels are version 1's (scoring/defaults.py): the reverse reads them back.
    size = ("Customer size and budget", "客户规模与预算")
    time = ("Time to close", "成交时间")
    budget = part("size_budget", size, "annual_budget", 600.0, 55, 15, 8.25)
    close_30 = part("time_to_close", time, "days_to_close", 30.0, 100, 5, 5.0)
    close_40 = part("time_to_close", time, "days_to_close", 40.0, 80, 5, 4.0)
    try:
        apps = migrate(BEFORE)
        model = ensure_default_model(apps)
        # Only the rows written here (saving the account graded it already).
        apps.get_model("scoring", "AccountScore").objects.all().delete()
        apps.get_model("scoring", "GradeChange").objects.all().delete()
        apps.get_model("scoring", "AccountScore").objects.create(
            account_id=account_id,
            score="13.3",
            computed_grade="D",
            grade="D",
            closing="soon",
            days_to_close=30,
            model_id=model.pk,
            contributions=[budget, close_30],
            computed_at=computed,
        )
        apps.get_model("scoring", "GradeChange").objects.create(
            account_id=account_id,
            from_grade="",
            to_grade="D",
            score="12.3",
            model_id=model.pk,
            reason="first",
            contributions=[budget, close_40],
            changed_at=changed,
        )

        apps = migrate(AFTER)
        score = apps.get_model("scoring", "AccountScore").objects.get(account_id=account_id)
        change = apps.get_model("scoring", "GradeChange").objects.get(account_id=account_id)
        slim_budget = {"key": "size_budget", "raw": 600.0, "points": 55, "contribution": 8.25}
        # 1 March + 30 days; 20 February + 40 days
        assert score.next_close == datetime.date(2026, 3, 31)
        assert score.contributions == [
            slim_budget,
            {"key": "time_to_close", "on": "2026-03-31", "points": 100, "contribution": 5.0},
        ]
        assert change.contributions == [
            slim_budget,
            {"key": "time_to_close", "on": "2026-04-01", "points": 80, "contribution": 4.0},
        ]

        apps = migrate(BEFORE)
        score = apps.get_model("scoring", "AccountScore").objects.get(account_id=account_id)
        change = apps.get_model("scoring", "GradeChange").objects.get(account_id=account_id)
        assert score.days_to_close == 30
        assert score.contributions == [budget, close_30]
        assert change.contributions == [budget, close_40]
    finally:
        latest()
