"""What a locked-out client is told: when to try again, in its language."""

import math

from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from .handler import Lockout, lockouts_of_request


def lockout_message(lockouts: list[Lockout]) -> str:
    until = max(lockout.until for lockout in lockouts)
    local = timezone.localtime(until)
    time = date_format(local, "H:i" if local.date() == timezone.localdate() else "Y-m-d H:i")
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins. Try again after %(time)s (in %(minutes)s minute). "
        "Your team's manager or an administrator can lift the lock sooner.",
        "Too many failed sign-ins. Try again after %(time)s (in %(minutes)s minutes). "
        "Your team's manager or an administrator can lift the lock sooner.",
        minutes,
    ) % {"time": time, "minutes": minutes}


def retry_after(lockouts: list[Lockout]) -> int:
    return max(lockout.seconds_left for lockout in lockouts)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again, with the lockout instead of the form's
    errors, 429 with Retry-After (the admin's login gets the same page)."""
    lockouts = lockouts_of_request(request, credentials)
    if not lockouts:  # lifted in the meantime: the page as it was
        return original_response
    context = dict(getattr(original_response, "context_data", None) or {})
    context.setdefault("form", AuthenticationForm(request))
    context["lockout"] = lockout_message(lockouts)
    # Rendered now: a response from a middleware is not rendered by Django.
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(retry_after(lockouts))
    return response
