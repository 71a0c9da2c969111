"""The approval gate's pages: ask for approval, decide, the managers' list, the deal's
section (registered on the deal page from `OpportunitiesConfig.ready()`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from keyaccounts import sections
from keyaccounts.exceptions import ApplicationError

from . import approvals
from .gates import account_gate_reasons, closing_gate_reason, closing_stage_ids
from .models import ApprovalStatus, Opportunity, Stage, StageApproval
from .selectors import opportunity_get_visible


class ApprovalRequestForm(forms.Form):
    stage = forms.ModelChoiceField(
        label=gettext_lazy("Move to"),
        queryset=Stage.objects.filter(is_lost=False).order_by("order"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose the stage to move the deal to."),
            "invalid_choice": gettext_lazy("Choose one of the stages listed."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the move should go ahead"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={
            "required": gettext_lazy(
                "Say why the deal should move despite the risk, e.g. a payment plan agreed."
            )
        },
    )
    close_reason = forms.CharField(
        label=gettext_lazy("Why it was won"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Only when moving to won: the deal is closed with it."),
    )

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the stages a move needs approval for (closing ones), not where it is.
        self.fields["stage"].queryset = (
            Stage.objects.filter(pk__in=closing_stage_ids())
            .exclude(pk=opportunity.stage_id)
            .order_by("order")
        )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the rep"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


def _visible(request, pk):
    try:
        return opportunity_get_visible(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404 from None


def _visible_approval(request, aid) -> StageApproval:
    approval = (
        approvals.approvals_visible_to(request.user)
        .select_related("opportunity__account", "opportunity__owner", "to_stage")
        .filter(pk=aid)
        .first()
    )
    if approval is None:
        raise Http404
    return approval


def approval_request_url(opportunity, stage) -> str:
    url = reverse("opportunities:approval_request", args=[opportunity.pk])
    return f"{url}?{urlencode({'stage': stage.pk})}"


def keep_close_reason(request, opportunity, close_reason: str) -> None:
    """The close reason the rep typed before being sent to ask for approval: the request
    page offers it again (kept in the session, not the address: a long reason in Chinese
    would make an address too long)."""
    request.session[_close_reason_key(opportunity)] = (close_reason or "")[:2000]


def _close_reason_key(opportunity) -> str:
    return f"close_reason:{opportunity.pk}"


def approval_request_view(request, pk):
    """The rep asks for approval (a reason); a manager of the team moves it now, with
    their reason recorded as the approval."""
    opportunity = _visible(request, pk)
    manager = approvals.can_approve(request.user, opportunity)
    chosen = request.GET.get("stage", "")
    form = ApprovalRequestForm(
        request.POST or None,
        opportunity=opportunity,
        initial={
            "stage": int(chosen) if chosen.isdigit() else None,
            "close_reason": request.session.get(_close_reason_key(opportunity), ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        stage = form.cleaned_data["stage"]
        reason = form.cleaned_data["reason"]
        try:
            if manager:
                from .services import opportunity_move_stage

                opportunity_move_stage(
                    opportunity=opportunity,
                    to_stage=stage,
                    by=request.user,
                    approval_reason=reason,
                    close_reason=form.cleaned_data["close_reason"] or None,
                )
                messages.success(
                    request,
                    _("“%(deal)s” moved to %(stage)s; your approval is recorded.")
                    % {"deal": opportunity.name, "stage": stage},
                )
            else:
                approvals.approval_request(
                    opportunity=opportunity,
                    to_stage=stage,
                    by=request.user,
                    reason=reason,
                    close_reason=form.cleaned_data["close_reason"],
                )
                messages.success(
                    request,
                    _("Approval requested: a manager of the team has been notified."),
                )
            request.session.pop(_close_reason_key(opportunity), None)
            return redirect(opportunity.get_absolute_url() + "#approvals")
        except ApplicationError as exc:
            form.add_error("stage" if exc.code != "invalid" else None, exc.message)
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error(None, error)
    stage = form.cleaned_data.get("stage") if form.is_bound and form.is_valid() else None
    if stage is None and chosen.isdigit():
        stage = Stage.objects.filter(pk=chosen).first()
    risk = closing_gate_reason(opportunity, stage) if stage is not None else None
    return render(
        request,
        "opportunities/approval_request.html",
        {"form": form, "opportunity": opportunity, "risk": risk, "manager": manager},
    )


@require_POST
def approval_decide_view(request, aid, decision):
    if decision not in ("approve", "reject"):
        raise Http404
    approval = _visible_approval(request, aid)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    back = approval.opportunity.get_absolute_url() + "#approvals"
    try:
        if decision == "approve":
            approvals.approval_approve(approval=approval, by=request.user, note=note)
            approval.opportunity.refresh_from_db()
            if approval.opportunity.stage_id == approval.to_stage_id:
                messages.success(
                    request,
                    _("Approved: “%(deal)s” moved to %(stage)s.")
                    % {"deal": approval.opportunity.name, "stage": approval.to_stage},
                )
            else:
                messages.info(
                    request,
                    _("Approved. The rep can now move the deal to %(stage)s.")
                    % {"stage": approval.to_stage},
                )
        else:
            approvals.approval_reject(approval=approval, by=request.user, note=note)
            messages.success(request, _("Rejected: the rep has been told why."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


def approval_go_view(request, aid):
    """Where a notification points: the request on its deal's page."""
    approval = _visible_approval(request, aid)
    return redirect(approval.get_absolute_url())


def approvals_list_view(request):
    """The requests waiting for this manager's decision, oldest first (a bounded list:
    what one manager's teams asked and nobody decided yet, at most 200 shown)."""
    if not request.user.is_authenticated:
        raise Http404
    pending = approvals.first_pending_for_manager(request.user, limit=201)
    return render(
        request,
        "opportunities/approvals_list.html",
        {"pending": pending[:200], "more": len(pending) > 200, "form": DecisionForm()},
    )


# --- the deal page's section ---------------------------------------------------------


def deal_approvals_section(request, *, opportunity, **page_data) -> dict | None:
    """The deal's approval requests (the latest 10) with Approve / Reject for managers,
    and, on an open deal at an account a gate flags, why closing needs approval and the
    way to ask — or, when a move was approved and not made yet, the way to make it: at
    most five queries (the requests, the flags, an approval's use, the managers)."""
    rows = list(
        StageApproval.objects.filter(opportunity=opportunity)
        .select_related("to_stage", "requested_by", "decided_by")
        .order_by("-created_at", "-pk")[:10]
    )
    risk = None
    if not opportunity.stage.is_closed:
        risk = account_gate_reasons([opportunity.account]).get(opportunity.account_id)
    if not rows and not risk:
        return None
    pending = [row for row in rows if row.status == ApprovalStatus.PENDING]
    approved = [
        row.pk
        for row in rows
        if row.status == ApprovalStatus.APPROVED
        and row.to_stage.order > opportunity.stage.order  # a stage ahead, not one passed
    ]
    if approved and risk:  # an approval not spent yet: move the deal, ask nothing again
        unspent = set(
            approvals.unspent_approvals().filter(pk__in=approved).values_list("pk", flat=True)
        )
        ready = next((row for row in rows if row.pk in unspent), None)
    else:
        ready = None
    return {
        "opportunity": opportunity,
        "rows": rows,
        "risk": risk,
        "ready": ready,
        "waiting": pending[0] if pending else None,
        "request_url": reverse("opportunities:approval_request", args=[opportunity.pk]),
        "can_decide": bool(pending) and approvals.can_approve(request.user, opportunity),
        "form": DecisionForm(),
    }


def my_week_approvals_section(request, **page_data) -> dict | None:
    """A manager's week: the requests waiting for their decision (the oldest five)."""
    if not request.user.is_authenticated:
        return None
    pending = approvals.first_pending_for_manager(request.user, limit=6)
    if not pending:
        return None
    return {"rows": pending[:5], "more": len(pending) > 5}


def register() -> None:
    from visits.reminders import register_kind

    register_kind(
        approvals.KIND_REQUESTED, text=approvals.approval_text, path=approvals.approval_path
    )
    register_kind(
        approvals.KIND_DECIDED, text=approvals.approval_text, path=approvals.approval_path
    )
    sections.register(
        "deal",
        template="opportunities/includes/approvals_section.html",
        context=deal_approvals_section,
        order=20,
    )
    sections.register(
        "my_week",
        template="opportunities/includes/approvals_my_week.html",
        context=my_week_approvals_section,
        order=15,
    )
