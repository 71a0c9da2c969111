"""The API's resources of records (`/api/v1/<type>/`): one router for every app's record
viewsets (keyaccounts/api/urls.py routes them, beside the integrations' own resources).

What the integrations call the record types — webhooks' and tokens' record types
(`keyaccounts.integrations.registry`), the bulk jobs' types — is read off this router, so
a record type added here is one there too; they import this module, never the URLconf,
which routes to their own views.
"""

from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, ContactViewSet
from accounts.policy.api import ServicePolicyViewSet
from opportunities.api.approvals import StageApprovalViewSet
from opportunities.api.views import OpportunityViewSet, StageViewSet
from scoring.plans.api.views import AccountPlanViewSet, PlanActionViewSet
from scoring.receivables.api.views import ReceivableViewSet
from visits.api.views import DevelopmentRecordViewSet, VisitViewSet
from visits.complaints.api.views import ComplaintViewSet
from visits.reviews.api.views import ReviewFollowUpViewSet, ReviewViewSet

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
