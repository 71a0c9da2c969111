"""The record types tokens and webhooks are scoped by: the API's synced resources.

Read off the API's router of records (keyaccounts/api/records.py), so a record type
added to the API (a viewset with the sync contract) is a record type here too, under the
router's basename (`account`, `contact`, `visit`, `development-record`, `opportunity`).
A record's representation in a webhook is what its API viewset answers to the webhook's
owner.
"""

import functools
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from rest_framework.request import Request


@dataclass(frozen=True)
class RecordType:
    name: str  # the router's basename: "account", "development-record"
    model: type[Model]
    viewset: type

    @property
    def label(self) -> str:
        return capfirst(self.model._meta.verbose_name_plural)


@functools.cache
def record_types() -> dict[str, RecordType]:
    """Every synced record type of the API, by name, in the API's order."""
    from keyaccounts.api.records import router
    from keyaccounts.api.sync import SyncViewSetMixin

    types = {}
    for _prefix, viewset, basename in router.registry:
        if issubclass(viewset, SyncViewSetMixin):
            types[basename] = RecordType(basename, viewset.serializer_class.Meta.model, viewset)
    return types


def record_type_choices() -> list[tuple[str, str]]:
    return [(kind.name, kind.label) for kind in record_types().values()]


def record_type_of_model(model: type[Model]) -> RecordType | None:
    for kind in record_types().values():
        if kind.model is model:
            return kind
    return None


def record_type_of_viewset(viewset: type) -> RecordType | None:
    for kind in record_types().values():
        if issubclass(viewset, kind.viewset):
            return kind
    return None


def labels(names) -> str:
    """The record types' names for a person: "Accounts, Contacts"."""
    kinds = record_types()
    return ", ".join(str(kinds[name].label) if name in kinds else name for name in names)


def _view_as(kind: RecordType, user):
    """The record type's API viewset, set up as for a GET by `user`."""
    http = HttpRequest()
    http.method = "GET"
    http.user = user
    request = Request(http)
    request.user = user
    view = kind.viewset(action="retrieve", format_kwarg=None, args=(), kwargs={})
    view.request = request
    return view


def visible_to(kind: RecordType, user) -> QuerySet:
    """The records of `kind` that `user` may see, those in the recycle bin included."""
    return _view_as(kind, user).get_restore_queryset()


def representation(kind: RecordType, user, pk: int) -> dict | None:
    """The record as its API answers it to `user` (the same serializer and query), or
    None when `user` cannot see it (or it is gone). A record in the recycle bin is
    represented as it was when deleted."""
    view = _view_as(kind, user)
    record = view.get_queryset().filter(pk=pk).first()
    if record is None:
        record = view.get_restore_queryset().filter(pk=pk).first()
    if record is None:
        return None
    return view.get_serializer(record).data
