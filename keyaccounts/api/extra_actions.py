"""Routes that an app above adds to a record's viewset of an app below, so the viewset's
app never imports it: `GET /api/v1/accounts/{id}/grade/` and `…/next-actions/` are
scoring's, on the accounts viewset of `accounts`.

    extra_actions.add(AccountViewSet, grade)   # from ScoringConfig.ready()

`grade` is a function decorated with DRF's `@action` (and `@extend_schema` for the
schema), written as a method of the viewset: it finds its record with `self.get_object()`,
so the record answers 404 outside the one visibility rule as every other route of the
viewset does. DRF's router reads a viewset's extra actions when the URLs are first built,
after every app's `ready()`; the schema reads them from the same place, so an added action
is routed, described and tested like a declared one.
"""

from collections.abc import Callable


def add(viewset: type, function: Callable) -> None:
    """Make `function` (an `@action`) an extra action of `viewset`, under its own name."""
    name = function.__name__
    if not hasattr(function, "mapping"):
        raise TypeError(f"{name} is no DRF @action: decorate it with rest_framework's action")
    existing = viewset.__dict__.get(name)
    if existing is not None and existing is not function and not hasattr(existing, "mapping"):
        raise ValueError(f"{viewset.__name__}.{name} is taken by something other than an action")
    setattr(viewset, name, function)
