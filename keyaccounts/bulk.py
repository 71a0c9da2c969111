"""Helpers for bulk writes keyed by external_id (demo data now, imports later)."""

from django.db import connection


def existing_external_ids(model, external_ids: list[str]) -> set[str]:
    """Which of these external_ids are taken, in IN-lists the database accepts."""
    size = connection.features.max_query_params or 10000
    found = set()
    for start in range(0, len(external_ids), size):
        found.update(
            model.objects.filter(external_id__in=external_ids[start : start + size]).values_list(
                "external_id", flat=True
            )
        )
    return found


def fill_pks(model, objs: list) -> None:
    """Make sure bulk-created rows know their pk (databases without RETURNING do not)."""
    missing = [obj for obj in objs if obj.pk is None]
    size = connection.features.max_query_params or 10000
    pks = {}
    for start in range(0, len(missing), size):
        external_ids = [obj.external_id for obj in missing[start : start + size]]
        pks.update(
            model.objects.filter(external_id__in=external_ids).values_list("external_id", "pk")
        )
    for obj in missing:
        obj.pk = pks[obj.external_id]


def stamp_change_seqs(objs: list) -> list:
    """Give each unsaved synced record its own change number before a bulk_create
    (which skips save()), so the changes feed sees every row, in order. Call inside the
    transaction that inserts them."""
    from .models import next_change_seq

    if objs:
        last = next_change_seq(count=len(objs))
        for offset, obj in enumerate(objs):
            obj.change_seq = last - len(objs) + 1 + offset
    return objs
