"""Each record type's restore service, registered by its app from its
`AppConfig.ready()`, so the recycle bin's page restores any record through the service
that keeps its rules (who may restore, not while its account is in the bin) without
importing the app:

    restores.register(Account, lambda record, by: account_restore(account=record, by=by))
"""

from collections.abc import Callable

_restores: dict[str, Callable] = {}


def register(model: type, restore: Callable) -> None:
    """`restore(record, by)` brings a `model` record back (a list of what came back)."""
    _restores[model._meta.label_lower] = restore


def restore(label: str, record, by) -> list:
    """Restore `record`, of the model `label` (a `Deletion`'s `model`), as `by`."""
    return _restores[label](record, by)


def registered() -> set[str]:
    return set(_restores)
