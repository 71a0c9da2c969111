"""The outbox's own guard on the API: what a user typed on a phone is never sent as
someone else's (static/js/outbox.js sends `X-Outbox-User`, the id of who typed it)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

HEADER = "X-Outbox-User"


class OutboxUser(BasePermission):
    """On a view's `outbox_actions`, signed in by the session (the app's pages, whose
    outbox it is): a request naming in `X-Outbox-User` another user than the one signed
    in is refused (403; the phone keeps it waiting for its user). A client with a token
    is that token's user: the header means nothing there."""

    message = _("This was typed by another user on this device: it is sent when they sign in.")

    def has_permission(self, request, view):
        if getattr(view, "action", None) not in getattr(view, "outbox_actions", ()):
            return True
        if not isinstance(
            getattr(request, "successful_authenticator", None), SessionAuthentication
        ):
            return True
        typed_by = request.headers.get(HEADER)
        return typed_by is None or typed_by == str(request.user.pk)
