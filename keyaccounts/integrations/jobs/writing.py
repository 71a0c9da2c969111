"""The job's items written through the record type's bulk upsert.

The API's bulk endpoint (`BulkUpsertMixin`, keyaccounts/api/bulk.py) reads what a list
of items refers to in one go and writes each item through the type's serializer and
services; a job hands it each chunk's items, as the owner, outside any request. The one
thing this module adds is the viewset set up as for `POST <type>/bulk/` by the owner
(the same visibility, serializer context and services as that request would have).

Items of a record type the spreadsheet import also writes (accounts, contacts, visits,
deals) are first offered, as the endpoint's are, to its set-based check and write
(keyaccounts/api/setbased.py), which takes a chunk only when its results are exactly the
per-item path's; the setting `BULK_SET_BASED` (default True) False, or
`bulk_writer(..., set_based=False)`, writes every item alone.
"""

from django.http import HttpRequest
from rest_framework.request import Request

from keyaccounts.api.bulk import BulkUpsertMixin


def bulk_types() -> dict[str, type]:
    """The API's resources that take a bulk upsert, by URL prefix ("accounts": viewset)."""
    from keyaccounts.api.records import router

    return {
        prefix: viewset
        for prefix, viewset, _basename in router.registry
        if issubclass(viewset, BulkUpsertMixin)
    }


def models_grown(record_type: str) -> list:
    """The models whose tables a chunk of this type grows or reads by the visibility
    rule: its own, its history, and the accounts with their access table
    (`keyaccounts.bulk.analyze_grown` keeps their statistics up with a load). A job of
    contacts, visits or deals right after the job that loaded their accounts would
    otherwise plan its reads with the statistics of the accounts before that load: the
    check of 500 records by external ID walked every visit of every account the owner
    sees (44 ms a chunk, 5 ms with the accounts analysed)."""
    from accounts.models import Account, AccountAccess

    model = bulk_types()[record_type].serializer_class.Meta.model
    models = [model]
    history = getattr(model, "history", None)
    if history is not None:
        models.append(history.model)
    models += [m for m in (Account, AccountAccess) if m not in models]
    return models


def basename_of(record_type: str) -> str | None:
    """The record type's name for integration tokens ("accounts" → "account")."""
    from keyaccounts.api.records import router

    for prefix, _viewset, basename in router.registry:
        if prefix == record_type:
            return basename
    return None


def bulk_writer(record_type: str, user, *, set_based: bool | None = None):
    """A function writing a list of item dicts as `user`'s `POST <type>/bulk/` would,
    returning one result dict per item (keyaccounts.api.bulk's statuses). `set_based`
    (None: the setting BULK_SET_BASED, default True): offer each list to the import's
    set-based write first (keyaccounts/api/setbased.py), item by item when it declines."""
    viewset = bulk_types()[record_type]
    http = HttpRequest()
    http.method = "POST"
    http.user = user
    request = Request(http)
    request.user = user
    view = viewset(action="bulk", format_kwarg=None, args=(), kwargs={}, request=request)
    view.request = request
    view.headers = {}
    view.bulk_set_based = set_based
    return view._bulk_write
