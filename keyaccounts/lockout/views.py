"""/lockouts/: the sign-in lockouts a manager (of their team's user names) or an admin
(every one, addresses too) can see, each with a button that lifts it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.selectors import is_manager
from keyaccounts.exceptions import ApplicationError

from .handler import ADDRESS, USERNAME
from .selectors import lockouts_visible_to
from .services import lockout_lift


@require_http_methods(["GET", "HEAD", "POST"])
def lockouts_view(request):
    if not is_manager(request.user):
        raise Http404
    if request.method == "POST":
        kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
        try:
            lockout_lift(by=request.user, kind=kind, value=value)
        except ApplicationError as exc:
            raise Http404(exc.message) from None
        messages.success(
            request,
            (
                _("The lockout of %(name)s is lifted: they can sign in again now.")
                if kind == USERNAME
                else _("The lockout of the address %(name)s is lifted.")
            )
            % {"name": value},
        )
        return redirect("lockout:list")
    return render(
        request,
        "lockout/lockouts.html",
        {**lockouts_visible_to(request.user), "USERNAME": USERNAME, "ADDRESS": ADDRESS},
    )
