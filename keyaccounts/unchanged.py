"""A write that changes nothing changes nothing.

Synced records (`VersionedModel.save`) compare themselves with their stored row. The
plain parts of a record — an account's competitors, a deal's competitors — have no
such save, and django-simple-history records every `.save()` of them: their services
ask `same_as_stored` first and skip the save.
"""

from django.core.exceptions import ValidationError
from django.db import models, router


def same_as_stored(instance: models.Model) -> bool:
    """True when `instance` is saved already and every field equals its stored row
    (False for a new instance, or one whose row is gone)."""
    if instance._state.adding or instance.pk is None:
        return False
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
    stored = (
        type(instance)
        ._base_manager.using(router.db_for_write(type(instance), instance=instance))
        .filter(pk=instance.pk)
        .values(*(f.attname for f in fields))
        .first()
    )
    if stored is None:
        return False
    try:
        return all(stored[f.attname] == f.to_python(getattr(instance, f.attname)) for f in fields)
    except ValidationError:
        return False
