"""/api/v1/: the records' router (keyaccounts/api/records.py), the integrations' resources,
the token endpoint, schema and docs."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from keyaccounts.integrations.api.views import IntegrationTokenViewSet, WebhookViewSet
from keyaccounts.integrations.jobs.api import BulkJobViewSet

from .auth import TokenObtainView
from .exceptions import error_body
from .records import router
from .throttling import note_rate_limit_of_plain_answer

# The integrations' own resources: no records of the sync contract, no bulk upsert.
integrations = DefaultRouter()
integrations.include_root_view = False
integrations.register("webhooks", WebhookViewSet, basename="webhook")
integrations.register("integration-tokens", IntegrationTokenViewSet, basename="integration-token")
integrations.register("jobs", BulkJobViewSet, basename="bulk-job")

# Every resource of the API, the records first (as the URLs list them).
registry = [*router.registry, *integrations.registry]


@csrf_exempt
@login_not_required
def not_found(request, path=""):
    """Any other address under /api/v1/ (say, an id that is no number): a JSON 404
    like every other error of the API, never the HTML page or a login redirect."""
    note_rate_limit_of_plain_answer(request)
    return JsonResponse(error_body(_("Not found."), "not_found"), status=404)


app_name = "api"
urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its script is served from its own URL and its styles from static/: no inline code
    # under the Content-Security-Policy (templates/api/swagger_ui.html).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    *router.urls,
    *integrations.urls,
    re_path(r"^(?P<path>[\s\S]*)$", not_found),
]
