"""/api/v1/approvals/: the approval gate of closing moves (opportunities/approvals.py).

A move to a closing stage at an account whose money is at risk answers 409
`approval_required` with the reason (`approval_reason`) — `PATCH /opportunities/{id}/`
with `{"stage": id}`. Then `POST /approvals/` asks a manager (`opportunity`, `to_stage`,
`reason`); the manager `POST /approvals/{id}/approve/` (the deal moves) or `/reject/`
(a `note` is required). People decide here, not integrations: integration tokens are
refused.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api.filters import refuse_given_twice
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.api.serializers import PrimaryKeyRelatedField
from keyaccounts.api.sync import idempotent, with_location
from opportunities import approvals
from opportunities.models import ApprovalStatus, Opportunity, Stage, StageApproval
from opportunities.selectors import opportunities_visible_to


class VisibleDealField(PrimaryKeyRelatedField):
    def get_queryset(self):
        return opportunities_visible_to(self.context["request"].user)


class StageApprovalSerializer(serializers.ModelSerializer):
    opportunity = VisibleDealField(queryset=Opportunity.objects.none())
    to_stage = PrimaryKeyRelatedField(queryset=Stage.objects.filter(is_lost=False))
    reason = StrictCharField(max_length=2000)
    close_reason = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="A move to won: why it was won. The approval then closes the deal with it "
        "(without it, the rep closes the deal once approved).",
    )
    risk = serializers.CharField(
        source="risk_shown",
        read_only=True,
        help_text="What made the move need approval when it was asked, in the language of "
        "the request (Accept-Language).",
    )

    class Meta:
        model = StageApproval
        fields = [
            "id",
            "opportunity",
            "to_stage",
            "risk",
            "requested_by",
            "reason",
            "close_reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        # One pending request per deal and stage: the service answers 409 approval_pending.
        validators = []
        read_only_fields = [
            "risk",
            "requested_by",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class DecisionSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="Approval requests on deals at the accounts you can see",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=list(ApprovalStatus.values),
                description="Only the requests in this state (pending: those waiting).",
            )
        ],
    ),
    create=extend_schema(
        summary="Ask a manager to approve moving a deal to a closing stage",
        description="After a move answered 409 `approval_required`. 409 `approval_pending` "
        "when one is already waiting; 400 `approval_not_needed` when the move needs none.",
    ),
)
@extend_schema(tags=["approvals"])
class StageApprovalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Managers' approvals of closing moves at accounts whose money is at risk (over the
    credit limit, or money over 90 days overdue). Closing stages: won, and the last open
    stage before it. `?status=pending` lists those waiting."""

    serializer_class = StageApprovalSerializer
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"
    # A retry after a lost answer replays it (keyaccounts.api.sync.idempotent): a second
    # request would be refused as approval_pending, a second decision as decided.
    idempotent_actions = {"create", "approve", "reject"}
    # approval_pending, exit_criteria_missing; approval_decided (keyaccounts/api/schema.py)
    extra_error_codes = {"create": (409,), "approve": (409,), "reject": (409,)}

    def get_queryset(self):
        rows = approvals.approvals_visible_to(self.request.user).select_related(
            "opportunity__account", "opportunity__owner", "to_stage"
        )
        refuse_given_twice(self.request.query_params, ["status"])
        wanted = self.request.query_params.get("status")
        if wanted in ApprovalStatus.values:
            rows = rows.filter(status=wanted)
        elif wanted is not None:  # `status=` too: a filter left empty is no filter
            raise serializers.ValidationError(
                {
                    "status": [
                        _("Give one of: %(values)s.") % {"values": ", ".join(ApprovalStatus.values)}
                    ]
                }
            )
        return rows.order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = approvals.approval_request(
            opportunity=data["opportunity"],
            to_stage=data["to_stage"],
            by=self.request.user,
            reason=data["reason"],
            close_reason=data.get("close_reason", ""),
        )

    def create(self, request, *args, **kwargs):
        answer = idempotent(request, lambda: super(StageApprovalViewSet, self).create(request))
        return with_location(self, answer)

    def _decide(self, request, decide):
        approval = self.get_object()

        def decision():
            form = DecisionSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            decide(approval=approval, by=request.user, note=form.validated_data["note"])
            approval.refresh_from_db()
            return Response(StageApprovalSerializer(approval, context={"request": request}).data)

        return idempotent(request, decision)

    @extend_schema(
        summary="Approve: the deal moves to the stage (its exit criteria still apply)",
        request=DecisionSerializer,
        responses={200: StageApprovalSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approvals.approval_approve)

    @extend_schema(
        summary="Reject, saying why (note required)",
        request=DecisionSerializer,
        responses={200: StageApprovalSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approvals.approval_reject)


__all__ = ["StageApprovalViewSet"]
