"""Score rows keep only what is the account's own.

* `AccountScore.days_to_close` becomes `next_close`, the date (the days changed every
  night for every account with an open deal, so every row was rewritten every night).
* The contributions of scores and grade changes drop what their version of the table
  holds (each factor's label, label_zh, source and weight): [{"key", "raw", "points",
  "contribution"}], and a day count (days to close, since contact) keeps its date
  (`"on"`) instead of the count, as `scoring.engine.score` now writes them. The dates
  are counted from the day the row was computed (`computed_at`, `changed_at`), which is
  the day the counts were counted to.

Self-contained (no import of the app's code), in batches, on SQLite and PostgreSQL.
The reverse puts the counts and the factors' fields back from the rows' versions.
"""

import datetime

from django.db import migrations, models
from django.utils import timezone

BATCH = 2000
DAY_COUNTS = {"days_to_close": 1, "days_since_contact": -1}


def _day(moment) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def slim(contributions: list, day: datetime.date) -> list:
    rows = []
    for item in contributions:
        row = {"key": item["key"]}
        source = item.get("source")
        if source in DAY_COUNTS and "on" not in item:
            raw = item.get("raw")
            on = None if raw is None else day + datetime.timedelta(days=DAY_COUNTS[source] * raw)
            row["on"] = None if on is None else on.isoformat()
        elif "on" in item:
            row["on"] = item["on"]
        else:
            row["raw"] = item.get("raw")
        row["points"] = item["points"]
        row["contribution"] = item["contribution"]
        rows.append(row)
    return rows


def full(contributions: list, day: datetime.date, factors: dict) -> list:
    rows = []
    for item in contributions:
        factor = factors.get(item["key"])
        source = factor.source if factor else ""
        raw = item.get("raw")
        if "on" in item:
            on = item["on"]
            raw = (
                None
                if on is None
                else float(DAY_COUNTS[source] * (datetime.date.fromisoformat(on) - day).days)
            )
        rows.append(
            {
                "key": item["key"],
                "label": factor.label if factor else item["key"],
                "label_zh": factor.label_zh if factor else "",
                "source": source,
                "raw": raw,
                "points": item["points"],
                "weight": factor.weight if factor else 0,
                "contribution": item["contribution"],
            }
        )
    return rows


def _batches(queryset, key):
    last = None
    while True:
        batch = queryset.order_by(key)
        if last is not None:
            batch = batch.filter(**{f"{key}__gt": last})
        batch = list(batch[:BATCH])
        if not batch:
            return
        yield batch
        last = getattr(batch[-1], key)


def forwards(apps, schema_editor):
    AccountScore = apps.get_model("scoring", "AccountScore")
    GradeChange = apps.get_model("scoring", "GradeChange")
    for batch in _batches(AccountScore.objects.all(), "account_id"):
        for score in batch:
            day = _day(score.computed_at)
            if score.days_to_close is not None:
                score.next_close = day + datetime.timedelta(days=score.days_to_close)
            score.contributions = slim(score.contributions, day)
        AccountScore.objects.bulk_update(batch, ["next_close", "contributions"])
    for batch in _batches(GradeChange.objects.all(), "id"):
        for change in batch:
            change.contributions = slim(change.contributions, _day(change.changed_at))
        GradeChange.objects.bulk_update(batch, ["contributions"])


def backwards(apps, schema_editor):
    AccountScore = apps.get_model("scoring", "AccountScore")
    GradeChange = apps.get_model("scoring", "GradeChange")
    Factor = apps.get_model("scoring", "Factor")
    factors = {}
    for factor in Factor.objects.all():
        factors.setdefault(factor.model_id, {})[factor.key] = factor
    for batch in _batches(AccountScore.objects.all(), "account_id"):
        for score in batch:
            day = _day(score.computed_at)
            if score.next_close is not None:
                score.days_to_close = (score.next_close - day).days
            score.contributions = full(score.contributions, day, factors.get(score.model_id, {}))
        AccountScore.objects.bulk_update(batch, ["days_to_close", "contributions"])
    for batch in _batches(GradeChange.objects.all(), "id"):
        for change in batch:
            change.contributions = full(
                change.contributions, _day(change.changed_at), factors.get(change.model_id, {})
            )
        GradeChange.objects.bulk_update(batch, ["contributions"])


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_default_model")]

    operations = [
        migrations.AddField(
            model_name="accountscore",
            name="next_close",
            field=models.DateField(blank=True, null=True, verbose_name="nearest expected close"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="accountscore", name="days_to_close"),
    ]
