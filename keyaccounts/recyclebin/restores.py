"""Each record type's restore service, registered by its app from its
`AppConfig.ready()`, so the recycle bin's page restores any record through the service
that keeps its rules (who may restore, not while its account is in the bin) without
importing the app:

    restores.register(Account, lambda record, by: account_restore(account=record, by=by))

A type may also register `twins(record, user)`: the live records the restored one is
likely a duplicate of (the page and the API's answer say so after the restore: nothing
else checks a record that comes back), as `([{"id", "name", "url", "merge_url"}], how many
more the user cannot see)`.
"""

from collections.abc import Callable

_restores: dict[str, Callable] = {}
_twins: dict[str, Callable] = {}


def register(model: type, restore: Callable, *, twins: Callable | None = None) -> None:
    """`restore(record, by)` brings a `model` record back (a list of what came back)."""
    _restores[model._meta.label_lower] = restore
    if twins is not None:
        _twins[model._meta.label_lower] = twins


def twins(label: str, record, user) -> tuple[list[dict], int]:
    """The live records like the restored `record` (`register`'s `twins`), or none."""
    found = _twins.get(label)
    return found(record, user) if found else ([], 0)


def has_twins(label: str) -> bool:
    """Whether records of the model `label` are checked for likely duplicates."""
    return label in _twins


def restore(label: str, record, by) -> list:
    """Restore `record`, of the model `label` (a `Deletion`'s `model`), as `by`."""
    return _restores[label](record, by)


def registered() -> set[str]:
    return set(_restores)
