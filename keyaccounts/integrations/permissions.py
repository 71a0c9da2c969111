"""What an integration token may do: its access (read only or read and write) and its
record types.

`IntegrationTokenScope` is in REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES, after
IsAuthenticated; a view that sets its own `permission_classes` must list it too. A
request with any other credentials passes. For a token, the view says which record
types the request touches:

- a synced record type's viewset (accounts, contacts, …; every action, bulk included):
  its own type, found in the registry;
- any other view: `integration_token_types(request)` — the types it touches, or an
  empty list for data of no record type (the sales stages); a view without it cannot
  be used with an integration token at all.

A write (any method but GET, HEAD, OPTIONS) with a read-only token, or a type outside
the token's scope, answers 403 with a message saying which and what the token allows.
"""

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import IntegrationToken
from .registry import labels, record_type_of_viewset


def token_types_of(view, request) -> list[str] | None:
    """The record types `request` to `view` touches; None: not for integration tokens."""
    from keyaccounts.api.sync import SyncViewSetMixin

    declared = getattr(view, "integration_token_types", None)
    if declared is not None:
        return list(declared(request))
    if isinstance(view, SyncViewSetMixin):
        kind = record_type_of_viewset(type(view))
        return [kind.name] if kind is not None else None
    return None


class IntegrationTokenScope(BasePermission):
    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, IntegrationToken):
            return True
        types = token_types_of(view, request)
        if types is None:
            self.code = "token_not_allowed"
            self.message = _(
                "An integration token cannot be used here; sign in with your own account."
            )
            return False
        if request.method not in SAFE_METHODS and not token.can_write:
            self.code = "token_read_only"
            self.message = _(
                "The integration token “%(name)s” is read only: it cannot change anything. "
                "Create a read and write token for this."
            ) % {"name": token.name}
            return False
        outside = [name for name in types if name not in token.record_types]
        if outside:
            self.code = "token_scope"
            self.message = _(
                "The integration token “%(name)s” may not use %(types)s: it is for %(scope)s only."
            ) % {"name": token.name, "types": labels(outside), "scope": labels(token.record_types)}
            return False
        return True
