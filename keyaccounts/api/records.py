"""The API's resources of records (`/api/v1/<type>/`): one router for every app's record
viewsets (keyaccounts/api/urls.py routes them, beside the integrations' own resources),
each registered by its app from its `AppConfig.ready()` at its place (`register(…,
order=…)`: the accounts 10, contacts 20, visits 30, development records 40, reviews 50
and their follow-ups 60, complaints 70, deals 80, plans 90 and their actions 100,
receivables 110, stages 120, the service policy 130, approvals 140), so this module
imports no app. The router's URLs are built when the URLconf is first read, after every
app's `ready()`.

What the integrations call the record types — webhooks' and tokens' record types
(`keyaccounts.integrations.registry`), the bulk jobs' types — is read off this router, so
a record type added here is one there too; they import this module, never the URLconf,
which routes to their own views.
"""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.include_root_view = False
_places: dict[str, int] = {}


def register(prefix: str, viewset: type, *, basename: str, order: int) -> None:
    """Route `/api/v1/<prefix>/` to `viewset`, at its place among the others (`order`,
    lower first). The same prefix again is a no-op (the apps' `ready()` run once)."""
    if prefix in _places:
        return
    _places[prefix] = order
    router.register(prefix, viewset, basename=basename)
    router.registry.sort(key=lambda entry: _places[entry[0]])
