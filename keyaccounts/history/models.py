"""The pieces every historical model shares (django-simple-history `bases=`)."""

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .context import Origin, current_origin, history_user


class HistoryBase(models.Model):
    """Adds where a change came from to each historical row."""

    origin = models.CharField(
        _("from"), max_length=10, choices=Origin.choices, default=Origin.SYSTEM
    )

    class Meta:
        abstract = True


def tracked(**kwargs) -> HistoricalRecords:
    """`history = tracked()` on a model: its changes are kept, with actor and origin."""
    return HistoricalRecords(bases=[HistoryBase], get_user=history_user, **kwargs)


@receiver(pre_create_historical_record)
def _stamp_origin(sender, history_instance, **kwargs):
    if hasattr(history_instance, "origin"):
        history_instance.origin = current_origin()
