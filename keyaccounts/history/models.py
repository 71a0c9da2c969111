"""The pieces every historical model shares (django-simple-history `bases=`)."""

from django.db import models
from django.dispatch import receiver
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .context import Origin, current_origin, history_user


class HistoryBase(models.Model):
    """Adds where a change came from to each historical row."""

    origin = models.CharField(
        pgettext_lazy("where a change came from", "from"),
        max_length=10,
        choices=Origin.choices,
        default=Origin.SYSTEM,
    )

    class Meta:
        abstract = True


class RecordHistory(HistoricalRecords):
    """The history of a record read by its id (`keyaccounts.history.timeline`, the
    changes feed's details, the recycle bin's purge, the analytics' versions by deal):
    the historical table keeps the indexes simple-history gives its own columns (the
    entry's id, date and user), the one on the record's id, and those the model names in
    `history_indexes` (a deal's expected close: the forecast as a month began reads the
    versions by it); none on the other copied columns (the record's foreign keys, its
    unique and indexed fields, and the `varchar_pattern_ops` twin of each text among
    them). No query reads a record's history by those, and every saved change wrote an
    entry in each: a bulk job of 20,000 changed visits wrote 180,000 index entries no
    query reads. The snapshot tables of many-to-many fields (a visit's people) keep
    theirs: the recycle bin's purge deletes from them by the purged contact or visit."""

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        if model._meta.auto_created:  # a many-to-many field's snapshot table
            return fields
        kept = {model._meta.pk.name, *getattr(model, "history_indexes", ())}
        for name, field in fields.items():
            if name not in kept:
                field.db_index = False
        return fields


def tracked(*, by_id: bool = False, **kwargs) -> HistoricalRecords:
    """`history = tracked()` on a model: its changes are kept, with actor and origin.
    `by_id`: the history is only ever read by the record's id (`RecordHistory`): a part
    (a deal's contact) keeps the index on its parent, which its timeline reads by."""
    kind = RecordHistory if by_id else HistoricalRecords
    return kind(bases=[HistoryBase], get_user=history_user, **kwargs)


@receiver(pre_create_historical_record)
def _stamp_origin(sender, history_instance, **kwargs):
    if hasattr(history_instance, "origin"):
        history_instance.origin = current_origin()
