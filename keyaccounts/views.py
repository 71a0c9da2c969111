import sys

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from . import health, user_language


def home(request):
    return redirect("visits:my_week")


# The language switch (on the login page too): keyaccounts/user_language.py.
set_language_view = user_language.set_language_view


@login_not_required
@never_cache
def healthz(request):
    """For load balancers, monitoring and `make run`: each part the app depends on
    (keyaccounts/health.py). 200 while the app can serve, 503 when the database does not
    answer. The details for staff and `HEALTHZ_TOKEN` only; anyone else: ok/degraded."""
    body, status = health.report()
    if not health.may_see_details(request):
        body = health.public(body)  # no numbers, names or times for anyone else
    return JsonResponse(body, status=status)


def server_error(request):
    """handler500: a database that does not answer is a 503 with Retry-After (a page in
    the request's language, or the API's JSON error), rendered without a query; anything
    else is Django's plain 500 page."""
    if not health.is_database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    retry_after = health.DATABASE_RETRY_AFTER_SECONDS
    if request.path.startswith("/api/"):
        from .api.exceptions import error_body

        response = JsonResponse(
            error_body(
                _("The service is unavailable for a moment. Try again in a few seconds."),
                "service_unavailable",
            ),
            status=503,
        )
    else:
        # No request context: its processors would ask the database (the user, the header).
        html = loader.get_template("503.html").render({"retry_after": retry_after})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    return response
