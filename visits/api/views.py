from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.sync import SyncViewSetMixin
from visits.selectors import visits_visible_to
from visits.services import visit_delete

from .filters import VisitFilter
from .serializers import VisitSerializer


@extend_schema_view(list=extend_schema(summary="Visits at the accounts you can see"))
@extend_schema(tags=["visits"])
class VisitViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """Visits planned and recorded at your accounts. A recorded visit (status done) gets
    its follow-up due a week later unless follow_up_due is given."""

    serializer_class = VisitSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = VisitFilter
    ordering_fields = ["occurred_at", "planned_at", "created_at", "updated_at", "id"]
    ordering = ["-occurred_at", "-planned_at"]
    idempotent_actions = {"create"}

    def get_queryset(self):
        return visits_visible_to(self.request.user).prefetch_related("contacts", "attendees")

    def perform_destroy(self, instance, *, expected_version=None):
        visit_delete(visit=instance, by=self.request.user, expected_version=expected_version)
