"""Who is acting and from where, for every history entry written in this context.

A request sets it in `HistoryMiddleware` (web page or API, by the path); a command or
a task that writes sets it with `history_context(origin=..., user=...)`. Anything that
writes without a context (beat tasks, rescoring, the shell) is recorded as "system".
"""

import contextvars
from contextlib import contextmanager

from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    WEB = "web", _("web page")
    API = "api", _("API")
    IMPORT = "import", _("import")
    ADMIN = "admin", _("admin")
    SYSTEM = "system", _("system task")


_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar("history_origin", default=None)
_user: contextvars.ContextVar = contextvars.ContextVar("history_user", default=None)
_request: contextvars.ContextVar = contextvars.ContextVar("history_request", default=None)


def current_origin() -> str:
    return _origin.get() or Origin.SYSTEM


def current_user():
    """The user a write is recorded against: the one named by `history_context`, else
    the request's signed-in user (read late: DRF signs an API token's user in inside
    the view, after the middleware ran), else nobody."""
    user = _user.get()
    if user is not None:
        return user
    request = _request.get()
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


@contextmanager
def history_context(*, origin: str, user=None, request=None):
    tokens = [_origin.set(origin), _user.set(user)]
    if request is not None:
        tokens.append(_request.set(request))
    try:
        yield
    finally:
        for token in reversed(tokens):
            token.var.reset(token)


def history_user(instance=None, request=None, **kwargs):
    """`HistoricalRecords(get_user=...)`: the actor of the current context."""
    return current_user()


class HistoryMiddleware:
    """Every write a request makes is recorded with its origin and its user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            origin = Origin.API
        elif request.path.startswith("/admin/"):
            origin = Origin.ADMIN
        else:
            origin = Origin.WEB
        with history_context(origin=origin, request=request):
            return self.get_response(request)
