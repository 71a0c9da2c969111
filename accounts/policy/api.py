"""The service policy in the API: read-only reference data, like the stages.

`GET /api/v1/service-policy/` answers the versions, newest first, each with its rows per
grade; `GET /api/v1/service-policy/current/` the one in force. Mobile and ERP clients
need it to show a complaint's deadlines or an account's contact rhythm as the web does;
managers change it on the policy page (a new version each time), never through the API.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api.serializers import CharField as StrictCharField

from .models import GradePolicy, ServicePolicy


class GradePolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = GradePolicy
        fields = [
            "grade",
            "contact_rhythm_days",
            "respond_working_days",
            "resolve_working_days",
            "discount_ceiling_percent",
        ]


class ServicePolicySerializer(serializers.ModelSerializer):
    created_by = StrictCharField(
        read_only=True,
        allow_null=True,
        help_text="Who saved this version; null for the first, made by the migration.",
    )
    grades = GradePolicySerializer(many=True, read_only=True)

    class Meta:
        model = ServicePolicy
        fields = ["version", "is_active", "note", "created_by", "created_at", "grades"]


@extend_schema(tags=["service policy"])
class ServicePolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """The service policy by grade (分级服务政策): per grade A–D, the contact rhythm in
    days, the complaint service levels in working days and the discount ceiling. Each
    change is a new version; exactly one is active. Read-only."""

    serializer_class = ServicePolicySerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "version"
    lookup_value_regex = r"[0-9]{1,9}"

    def get_queryset(self):
        return (
            ServicePolicy.objects.select_related("created_by")
            .prefetch_related("grades")
            .order_by("-version")
        )

    @extend_schema(summary="The service policy in force", responses=ServicePolicySerializer)
    @action(detail=False, methods=["get"])
    def current(self, request):
        """The active version (404 before any version was saved)."""
        policy = self.get_queryset().filter(is_active=True).first()
        if policy is None:
            from django.http import Http404

            raise Http404
        return Response(self.get_serializer(policy).data)

    def integration_token_types(self, request) -> list[str]:
        """Reference data of no record type: any integration token may read it."""
        return []
