"""Set-based writes that keep the history whole, many-to-many fields included."""

import datetime

from django.apps import apps
from django.db import models

from .context import Origin, current_origin


def bulk_update_with_history(
    objs: list[models.Model],
    fields: list[str],
    *,
    by,
    date: datetime.datetime,
    reason: str | None = None,
    manager: models.Manager | None = None,
) -> None:
    """`objs` (one model) updated in `fields` in one statement, with one history entry
    each, recorded against `by` with the current origin.

    simple-history's own `bulk_update_with_history` writes the entries without the
    many-to-many fields it tracks (a visit's contacts and attendees), so the next entry
    would read as if they had been emptied and refilled; here they are copied from the
    current rows, as a single save's entry has them."""
    if not objs:
        return
    model = type(objs[0])
    manager = manager or model._default_manager
    if fields:
        manager.bulk_update(objs, fields)
    entries = model.history.bulk_history_create(
        objs,
        update=True,
        default_user=by,
        default_change_reason=reason or "",
        default_date=date,
        custom_historical_attrs={"origin": current_origin()},
    )
    for name in getattr(model, "_history_m2m_fields", ()):
        _copy_m2m_rows(model, name, entries)


def baseline_create(stored: models.Model) -> None:
    """A "created" entry for a record that has none yet — inserted in bulk (the demo
    seed, an import) or before history was kept — with its values as stored, dated at its
    creation and by nobody (the timeline says "system"). Written just before the record's
    first change, so that change reads as old → new like any other."""
    stored._history_user = None  # not the current request's user: nobody is known
    model = type(stored)
    entries = model.history.bulk_history_create(
        [stored],
        default_date=getattr(stored, "created_at", None),
        custom_historical_attrs={"origin": Origin.SYSTEM},
    )
    for name in getattr(model, "_history_m2m_fields", ()):
        _copy_m2m_rows(model, name, entries)


def baseline_before_first_change(sender, instance, raw=False, using=None, **kwargs) -> None:
    """pre_save of a tracked part: before it changes for the first time since it was
    inserted in bulk (or before history was kept), record how it was."""
    if raw or instance._state.adding or instance.pk is None:
        return
    if sender.history.model._default_manager.using(using).filter(id=instance.pk).exists():
        return
    stored = sender._base_manager.using(using).filter(pk=instance.pk).first()
    if stored is not None:
        baseline_create(stored)


def _copy_m2m_rows(model: type[models.Model], name: str, entries: list) -> None:
    field = model._meta.get_field(name)
    through = field.remote_field.through
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    history_model = type(entries[0])
    # simple-history names the snapshot table after the historical model and the field.
    snapshot = apps.get_model(history_model._meta.app_label, f"{history_model.__name__}_{name}")
    entry_of = {entry.id: entry.pk for entry in entries}
    rows = through.objects.filter(**{f"{own}__in": list(entry_of)}).values_list(
        "pk", f"{own}_id", f"{other}_id"
    )
    snapshot.objects.bulk_create(
        [
            snapshot(
                history_id=entry_of[owner_id],
                id=pk,
                **{f"{own}_id": owner_id, f"{other}_id": other_id},
            )
            for pk, owner_id, other_id in rows
        ]
    )
