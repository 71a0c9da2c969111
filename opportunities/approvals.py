"""The approval gate's writes and reads: a rep asks, a manager approves or rejects.

`opportunities.gates` says when a move needs approval (a closing stage at an account a
gate flags — scoring's money risk). `gate_check` is what `opportunity_move_stage` asks:
the move goes ahead when an approved request for that deal and stage exists, or when the
user moving is a manager of the owner's team who gives a reason (the approval is then
recorded at once, approved by them); otherwise it is refused with `approval_required`
and the gate's reason. `approval_request` records the rep's request and notifies the
managers; `approval_approve` records the decision and performs the move through
`opportunity_move_stage`; `approval_reject` records a refusal. The requester is told
either way. Each step is a row of `StageApproval`'s history, which the deal's timeline
shows (a part of the deal: `keyaccounts.history.timeline.PARTS`).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import accounts_visible_to, is_manager, visible_account_ids
from keyaccounts.exceptions import ApplicationError

from .gates import (  # noqa: F401 - the gate's check lives with the gates; named here too
    approvers_of,
    can_approve,
    closing_gate_reason,
    closing_gate_texts,
    gate_check,
    unspent_approvals,
)
from .models import ApprovalStatus, Opportunity, Stage, StageApproval

KIND_REQUESTED = "approval_requested"  # visits.NotificationKind.APPROVAL_REQUESTED
KIND_DECIDED = "approval_decided"  # visits.NotificationKind.APPROVAL_DECIDED


def _notify(approval: StageApproval, kind: str, recipients) -> None:
    from visits.models import Notification
    from visits.reminders import insert_new

    today = timezone.localdate()
    insert_new(
        [
            Notification(
                recipient=user,
                kind=kind,
                object_key=f"approval:{approval.pk}",
                due_date=today,
                account_id=approval.opportunity.account_id,
            )
            for user in recipients
            if user is not None and user.is_active
        ]
    )


@transaction.atomic
def approval_request(
    *, opportunity: Opportunity, to_stage: Stage, by: User, reason: str, close_reason: str = ""
) -> StageApproval:
    """The rep asks a manager to approve the move to `to_stage`, saying why;
    `close_reason`, for a move to won: why it was won, so that the approval moves it.
    A move whose exit criteria are not ticked is refused now, not after a manager
    approved a move the deal could not make."""
    from .services import check_exit_criteria

    if not accounts_visible_to(by).filter(pk=opportunity.account_id).exists():
        raise ApplicationError(_("You cannot work deals at this account."), code="not_found")
    if to_stage.pk == opportunity.stage_id:
        raise ApplicationError(
            _("The deal is already in %(stage)s.") % {"stage": to_stage}, code="invalid"
        )
    risk = closing_gate_reason(opportunity, to_stage)
    if risk is None:
        raise ApplicationError(
            _("Moving this deal to %(stage)s needs no approval: move it.") % {"stage": to_stage},
            code="approval_not_needed",
        )
    pending = StageApproval.objects.filter(
        opportunity=opportunity, to_stage=to_stage, status=ApprovalStatus.PENDING
    ).first()
    if pending is not None:
        raise ApplicationError(
            _("A request to move this deal to %(stage)s is already waiting for a manager.")
            % {"stage": to_stage},
            code="approval_pending",
            extra={"pending_approval": pending.pk},
        )
    check_exit_criteria(opportunity, to_stage)
    approval = StageApproval(
        opportunity=opportunity,
        to_stage=to_stage,
        risk=risk[:500],
        risk_texts=closing_gate_texts(opportunity, to_stage),
        requested_by=by,
        reason=(reason or "").strip(),
        close_reason=(close_reason or "").strip() if to_stage.is_closed else "",
    )
    approval.full_clean()
    approval.save()
    _notify(approval, KIND_REQUESTED, [m for m in approvers_of(opportunity) if m.pk != by.pk])
    return approval


def _check_decider(approval: StageApproval, by: User) -> None:
    # Its state read again under a row lock (the callers' transaction holds it): an
    # approve and a reject at the same moment cannot both decide it.
    status = (
        StageApproval.objects.select_for_update()
        .filter(pk=approval.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is not None:
        approval.status = status
    if approval.status != ApprovalStatus.PENDING:
        raise ApplicationError(
            _("This request was decided already (%(status)s).")
            % {"status": approval.get_status_display()},
            code="approval_decided",
        )
    if not can_approve(by, approval.opportunity):
        raise ApplicationError(
            _("Only a manager of the deal owner's team can decide this request."),
            code="permission_denied",
        )


def _decide(approval: StageApproval, *, by: User, status: str, note: str) -> None:
    approval.status = status
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.decision_note = (note or "").strip()
    approval.full_clean()
    approval.save()
    _notify(approval, KIND_DECIDED, [approval.requested_by])


@transaction.atomic
def approval_approve(*, approval: StageApproval, by: User, note: str = "") -> StageApproval:
    """Approve, then move the deal — won with the reason the rep gave when asking (its
    exit criteria still apply: when something changed since and the move is refused,
    the approval stands and the rep moves the deal). Closing as won without a reason
    given: the rep closes it."""
    from .services import opportunity_move_stage

    _check_decider(approval, by)
    if withdraw_outdated(approval.opportunity, [approval]):
        raise ApplicationError(
            _(
                "This request no longer applies: the deal is now in %(stage)s, so there is "
                "nothing to approve."
            )
            % {"stage": approval.opportunity.stage},
            code="approval_decided",
        )
    _decide(approval, by=by, status=ApprovalStatus.APPROVED, note=note)
    opportunity = approval.opportunity
    stage = approval.to_stage
    close_reason = approval.close_reason or None
    reasoned = not stage.is_closed or close_reason or opportunity.close_reason
    if opportunity.stage_id != stage.pk and reasoned:
        try:
            with transaction.atomic():
                opportunity_move_stage(
                    opportunity=opportunity, to_stage=stage, by=by, close_reason=close_reason
                )
        except (ApplicationError, ValidationError):
            opportunity.refresh_from_db()
    return approval


def withdraw_outdated(opportunity: Opportunity, pending=None) -> list[StageApproval]:
    """Mark the pending requests of `opportunity` that its stage has made moot (it is
    closed, or at or past the stage asked for) as no longer needed, and return them:
    approved later, one would move a won deal back or a lost one to won. `pending`: the
    requests to look at (default: the deal's pending ones, one query)."""
    if pending is None:
        pending = list(
            StageApproval.objects.filter(
                opportunity=opportunity, status=ApprovalStatus.PENDING
            ).select_related("to_stage")
        )
    stage = opportunity.stage
    moot = [
        approval
        for approval in pending
        if approval.status == ApprovalStatus.PENDING
        and (stage.is_closed or stage.order >= approval.to_stage.order)
    ]
    now = timezone.now()
    for approval in moot:
        approval.status = ApprovalStatus.WITHDRAWN
        approval.decided_at = now
        approval.save(update_fields=["status", "decided_at"])
    return moot


@transaction.atomic
def approval_reject(*, approval: StageApproval, by: User, note: str) -> StageApproval:
    """Refuse the move; the note (required) tells the rep why."""
    _check_decider(approval, by)
    if not (note or "").strip():
        raise ApplicationError(
            _("Say why the move is rejected, so the rep knows what to do."),
            code="invalid",
            extra={"field": "note"},
        )
    _decide(approval, by=by, status=ApprovalStatus.REJECTED, note=note)
    return approval


# --- reads -----------------------------------------------------------------------------


def approvals_visible_to(user) -> QuerySet[StageApproval]:
    """Requests on deals at the accounts `user` can see (live deals only)."""
    return StageApproval.objects.filter(
        opportunity__account_id__in=visible_account_ids(user),
        opportunity__deleted_at__isnull=True,
    )


def pending_for_manager(user) -> QuerySet[StageApproval]:
    """The pending requests `user` may decide: on deals whose owner, or whose account's
    owner, is on a team they manage (a superuser: all they see), oldest first, with
    their deal, account, stages and who asked."""
    return _pending_for_manager(user).select_related(*PENDING_SHOWN).order_by(*PENDING_ORDER)


PENDING_ORDER = ("created_at", "pk")
PENDING_SHOWN = ("opportunity__account", "opportunity__stage", "to_stage", "requested_by")


def first_pending_for_manager(user, *, limit: int) -> list[StageApproval]:
    """The first `limit` of `pending_for_manager(user)`, as a list: their ids first, then
    those rows with what they show. PostgreSQL planned the one query of both (the rule's
    joins and the four related tables) in 5–7 ms to run it in 0.3–0.6; apart, 1.3 ms for
    the ids and, only when there are some, 1 ms for the rows (a manager's week and their
    approvals list)."""
    ids = list(
        _pending_for_manager(user).order_by(*PENDING_ORDER).values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    # Still pending: one decided between the two statements is not shown as waiting.
    rows = StageApproval.objects.filter(pk__in=ids, status=ApprovalStatus.PENDING)
    return list(rows.select_related(*PENDING_SHOWN).order_by(*PENDING_ORDER))


def _pending_for_manager(user) -> QuerySet[StageApproval]:
    pending = approvals_visible_to(user).filter(status=ApprovalStatus.PENDING)
    if not user.is_superuser and not is_manager(user):
        # Someone who manages no team decides nothing: one probe of the teams' manager
        # index instead of planning the many joins below (20 ms on a rep's my week).
        return pending.none()
    if not user.is_superuser:
        # The people of their teams as a subquery, not two joins down to the teams: the
        # joins made PostgreSQL plan a dozen tables (14 ms to run a query of 0.3 ms).
        team = User.objects.filter(sales_team__manager=user).values("pk")
        pending = pending.filter(
            Q(opportunity__owner__in=team) | Q(opportunity__account__owner__in=team)
        )
    return pending


def approval_path(notification) -> str:
    """Where an approval notification points: the request on its deal's page."""
    pk = notification.object_key.removeprefix("approval:")
    return reverse("opportunities:approval", args=[int(pk)]) if pk.isdigit() else "/"


def approval_text(notification) -> str:
    if notification.kind == KIND_REQUESTED:
        return _("A deal at %(account)s waits for your approval to move to a closing stage.") % {
            "account": notification.account.name
        }
    return _("Your request to move a deal at %(account)s was decided: see the deal.") % {
        "account": notification.account.name
    }


def days_waiting(approval: StageApproval, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return (today - timezone.localdate(approval.created_at)).days
