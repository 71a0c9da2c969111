"""/api/v1/: one router for every app's viewsets, the token endpoint, schema and docs."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, ContactViewSet
from accounts.policy.api import ServicePolicyViewSet
from keyaccounts.integrations.api.views import IntegrationTokenViewSet, WebhookViewSet
from keyaccounts.integrations.jobs.api import BulkJobViewSet
from opportunities.api.approvals import StageApprovalViewSet
from opportunities.api.views import OpportunityViewSet, StageViewSet
from scoring.plans.api.views import AccountPlanViewSet, PlanActionViewSet
from scoring.receivables.api.views import ReceivableViewSet
from visits.api.views import DevelopmentRecordViewSet, VisitViewSet
from visits.complaints.api.views import ComplaintViewSet
from visits.reviews.api.views import ReviewFollowUpViewSet, ReviewViewSet

from .auth import TokenObtainView
from .exceptions import error_body
from .throttling import note_rate_limit_of_plain_answer

router = DefaultRouter()
router.include_root_view = False
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("visits", VisitViewSet, basename="visit")
router.register("development-records", DevelopmentRecordViewSet, basename="development-record")
router.register("reviews", ReviewViewSet, basename="review")
router.register("review-follow-ups", ReviewFollowUpViewSet, basename="review-follow-up")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("plans", AccountPlanViewSet, basename="account-plan")
router.register("plan-actions", PlanActionViewSet, basename="plan-action")
router.register("receivables", ReceivableViewSet, basename="receivable")
router.register("stages", StageViewSet, basename="stage")
router.register("service-policy", ServicePolicyViewSet, basename="service-policy")
router.register("approvals", StageApprovalViewSet, basename="stage-approval")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("integration-tokens", IntegrationTokenViewSet, basename="integration-token")
router.register("jobs", BulkJobViewSet, basename="bulk-job")


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
    re_path(r"^(?P<path>[\s\S]*)$", not_found),
]
