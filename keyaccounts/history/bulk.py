"""Set-based writes that keep the history whole, many-to-many fields included."""

import datetime

from django.apps import apps
from django.db import models
from django.utils import timezone

from .context import Origin, current_origin

CHUNK = 1000  # records per IN (…) list


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
    baselines_first(model, [obj.pk for obj in objs])
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
        _copy_m2m_rows(model, name, {entry.id: entry.pk for entry in entries})


def baselines_first(model: type[models.Model], pks: list) -> None:
    """A "created" entry, as stored, for those of `pks` that have no history yet (in
    bulk, before it was kept): a bulk move (the recycle bin's, a merge's) is then their
    first change, read old → new as a save's is (`baseline_before_first_change`). One
    query per thousand, and one more only when some have none."""
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        have = set(
            model.history.filter(id__in=chunk).order_by().values_list("id", flat=True).distinct()
        )
        missing = [pk for pk in chunk if pk not in have]
        if missing:
            baseline_create_many(list(model._base_manager.filter(pk__in=missing).order_by("pk")))


def baseline_create(stored: models.Model) -> None:
    """A "created" entry for a record that has none yet — inserted in bulk (the demo
    seed, an import) or before history was kept — with its values as stored, dated at its
    creation and by nobody (the timeline says "system"). Written just before the record's
    first change, so that change reads as old → new like any other."""
    baseline_create_many([stored])


def baseline_create_many(stored: list[models.Model]) -> None:
    """`baseline_create` for many records of one model at once (a set-based write)."""
    if not stored:
        return
    history_insert(
        type(stored[0]),
        stored,
        history_type="+",
        user=None,  # not the current request's user: nobody is known
        dates=[getattr(record, "created_at", None) or timezone.now() for record in stored],
        origin=Origin.SYSTEM,
    )


def history_insert(
    model: type[models.Model],
    records: list[models.Model],
    *,
    history_type: str,
    user,
    dates: list,
    origin: str,
    reason: str | None = None,
) -> None:
    """One history entry per record of `records` (all of `model`, as they are now): "+"
    created or "~" changed, by `user`, at `dates` (one per record), from `origin` — what
    a save's entry holds, many-to-many fields included (a visit's people, as they are
    now), written set-based for an import or a baseline. The values go in as they are,
    by `keyaccounts.bulk.insert_rows` (COPY on PostgreSQL): building and compiling a
    historical instance per record took most of such a write."""
    if not records:
        return
    from keyaccounts.bulk import insert_rows, reserve_ids

    history = model.history.model
    tracked = [field.attname for field in history.tracked_fields]
    extra = {
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": getattr(user, "pk", None),
        "origin": origin,
    }
    columns = tracked + ["history_date", *extra]
    rows = [
        (*(getattr(record, name) for name in tracked), date, *extra.values())
        for record, date in zip(records, dates, strict=True)
    ]
    m2m = getattr(model, "_history_m2m_fields", ())
    if m2m:  # the entries' ids first: the snapshot rows of the people point at them
        ids = reserve_ids(history, len(rows))
        columns = [history._meta.pk.attname, *columns]
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    insert_rows(history, columns, rows)
    for name in m2m:
        _copy_m2m_rows(model, name, dict(zip((r.pk for r in records), ids, strict=True)))


def people_into_latest_entry(record: models.Model) -> None:
    """The many-to-many fields of `record` as they are now into the snapshot of its
    latest history entry: for people set just after the save that wrote the entry (a
    new record's contacts and attendees need its id), so that its "created" entry holds
    them, as an import's does, and no "changed" entry per add is written."""
    model = type(record)
    entry = (
        model.history.model._default_manager.filter(id=record.pk)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    if entry is None:
        return
    for name in getattr(model, "_history_m2m_fields", ()):
        # What the entry held when it was written (the people before an admin's change
        # of fields and people together) gives way to the people as they are now.
        _snapshot_model(model, name).objects.filter(history_id=entry).delete()
        _copy_m2m_rows(model, name, {record.pk: entry})


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


def _snapshot_model(model: type[models.Model], name: str) -> type[models.Model]:
    """The table of a many-to-many field's rows as each history entry of `model` saw them:
    simple-history names it after the historical model and the field."""
    history_model = model.history.model
    return apps.get_model(history_model._meta.app_label, f"{history_model.__name__}_{name}")


def _copy_m2m_rows(model: type[models.Model], name: str, entry_of: dict) -> None:
    """The snapshot rows of a many-to-many field for new history entries: `entry_of`
    maps each record's id to its entry's id."""
    from keyaccounts.bulk import insert_rows

    field = model._meta.get_field(name)
    through = field.remote_field.through
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    snapshot = _snapshot_model(model, name)
    ids = sorted(entry_of)
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += [
            (entry_of[owner_id], pk, owner_id, other_id)
            for pk, owner_id, other_id in through.objects.filter(
                **{f"{own}__in": ids[start : start + CHUNK]}
            ).values_list("pk", f"{own}_id", f"{other}_id")
        ]
    insert_rows(snapshot, ["history_id", "id", f"{own}_id", f"{other}_id"], rows)
