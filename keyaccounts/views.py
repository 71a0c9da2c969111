from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language


def home(request):
    return redirect("visits:my_week")


# The language switch is on the login page too, before anyone is signed in.
set_language_view = login_not_required(set_language)


@login_not_required
@never_cache
def healthz(request):
    """For load balancers and `make run`: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
