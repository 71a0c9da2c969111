"""What the history tests share."""

import datetime

from django.apps import apps
from django.db.models import F


def as_if_an_hour_ago() -> None:
    """Move every history row written so far an hour back: what a test does next is not
    taken for part of the same change (rows by one actor within seconds are one entry)."""
    for model in apps.get_models():
        if model.__name__.startswith("Historical") and hasattr(model, "history_date"):
            model.objects.update(history_date=F("history_date") - datetime.timedelta(hours=1))
