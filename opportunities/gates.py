"""Gates on closing a deal: apps above this one say why a move needs a manager's approval.

A *closing* stage is a stage that closes the deal as won, or the last open stage before
the first won one (with the default stages: negotiation and won). Nothing is added to
`Stage` for it: the order already says it, and managers who add or reorder stages keep
the rule.

An app registers a gate from its AppConfig.ready():

    gates.register_closing_gate(money_gate)  # fn(opportunity, stage) -> str | None

Each gate returns the reason the move needs approval (said to the rep, stored on the
request) or None. `opportunity_move_stage` asks them for a move to a closing stage
(`closing_gate_reason`) and refuses with `approval_required` unless an approved request
for that deal and stage exists, or a manager of the owner's team moves it with a reason
(`gate_check`, below; the requests and decisions are `opportunities.approvals`). This
app never imports the gates' apps (scoring's money risk is one).
"""

from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from accounts.models import User
from keyaccounts.exceptions import ApplicationError

from .models import ApprovalStatus, Opportunity, Stage, StageApproval, StageChange

GATES: list[Callable] = []
# For many deals at once (an import): fn(accounts) -> {account id: reason}, flagged only.
ACCOUNT_GATES: list[Callable] = []


def register_closing_gate(gate: Callable, *, for_accounts: Callable | None = None) -> Callable:
    """Add `gate(opportunity, stage) -> str | None`, and `for_accounts(accounts)` — the
    same rule for a batch of accounts in a constant number of queries, when the gate
    depends on the account only; registering it twice is a no-op."""
    if gate not in GATES:
        GATES.append(gate)
    if for_accounts is not None and for_accounts not in ACCOUNT_GATES:
        ACCOUNT_GATES.append(for_accounts)
    return gate


def account_gate_reasons(accounts) -> dict[int, str]:
    """{account id: why a closing move there needs approval} for the flagged ones among
    `accounts` (read already), by the account gates: a few queries, whatever their
    number."""
    accounts = list(accounts)
    reasons: dict[int, list[str]] = {}
    for gate in ACCOUNT_GATES:
        for account_id, reason in gate(accounts).items():
            reasons.setdefault(account_id, []).append(reason)
    return {account_id: " ".join(parts) for account_id, parts in reasons.items()}


def closing_stage_ids(stages=None) -> set[int]:
    """The stages a gated move goes to: won stages and the last open one before won. Of
    `stages` (every stage, read already), else read now (one query)."""
    if stages is None:
        stages = Stage.objects.only("pk", "order", "is_won", "is_lost")
    stages = sorted(stages, key=lambda s: (s.order, s.pk))
    won = [s for s in stages if s.is_won]
    ids = {s.pk for s in won}
    if won:
        first_won = min(s.order for s in won)
        before = [s for s in stages if not s.is_won and not s.is_lost and s.order < first_won]
        if before:
            ids.add(before[-1].pk)
    return ids


def is_closing(stage: Stage) -> bool:
    """A won stage (no query), or the last open one before the first won (one query)."""
    if stage.is_won or stage.is_lost:
        return stage.is_won
    return stage.pk in closing_stage_ids()


def closing_gate_reason(opportunity, stage: Stage) -> str | None:
    """Why moving `opportunity` to `stage` needs approval, or None: a move to a closing
    stage from an earlier stage (moving back, or between closing stages after an
    approval, e.g. negotiation → won, asks again: each closing step is its own)."""
    if not GATES or stage.is_lost or not is_closing(stage):
        return None
    reasons = [reason for gate in GATES if (reason := gate(opportunity, stage))]
    return " ".join(reasons) or None


def closing_gate_texts(opportunity, stage: Stage) -> dict[str, str]:
    """`closing_gate_reason` in each language the product speaks ({code: text}): a
    request keeps the risk as it stood, for a reader of either language."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = closing_gate_reason(opportunity, stage)
        if text:
            texts[code] = text[:500]
    return texts


# --- the check a move asks (opportunity_move_stage, opportunity_create) ---------------


def approvers_of(opportunity: Opportunity) -> list[User]:
    """Who may approve: the active managers of the deal owner's team and of the account
    owner's team (superusers approve too, without being notified)."""
    teams = {opportunity.owner.sales_team_id, opportunity.account.owner.sales_team_id} - {None}
    return list(
        User.objects.filter(managed_teams__in=teams, is_active=True).distinct().order_by("pk")
    )


def can_approve(user: User, opportunity: Opportunity) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(manager.pk == user.pk for manager in approvers_of(opportunity))


def unspent_approvals():
    """Approved moves not yet spent. An approval lets the deal into its stage once: when
    the deal has left that stage since the approval was given, going back needs a new
    one (the money risk may have changed meanwhile)."""
    left_since = StageChange.objects.filter(
        opportunity=OuterRef("opportunity"),
        from_stage=OuterRef("to_stage"),
        changed_at__gt=OuterRef("decided_at"),
    )
    return StageApproval.objects.filter(status=ApprovalStatus.APPROVED).filter(~Exists(left_since))


def _approved(opportunity: Opportunity, stage: Stage) -> bool:
    if opportunity.pk is None:  # a deal being opened: nothing approved yet
        return False
    return unspent_approvals().filter(opportunity=opportunity, to_stage=stage).exists()


def gate_check(
    *, opportunity: Opportunity, to_stage: Stage, by: User, approval_reason: str | None = None
) -> StageApproval | None:
    """Let the move through, record a manager's own approval, or refuse it (module
    docstring). Call inside the move's transaction, before changing the deal."""
    risk = closing_gate_reason(opportunity, to_stage)
    if risk is None or _approved(opportunity, to_stage):
        return None
    manager = can_approve(by, opportunity)
    if manager and (approval_reason or "").strip() and opportunity.pk is not None:
        now = timezone.now()
        approval = StageApproval(
            opportunity=opportunity,
            to_stage=to_stage,
            risk=risk[:500],
            risk_texts=closing_gate_texts(opportunity, to_stage),
            requested_by=by,
            reason=approval_reason.strip(),
            status=ApprovalStatus.APPROVED,
            decided_by=by,
            decided_at=now,
            decision_note=approval_reason.strip(),
        )
        approval.full_clean()
        approval.save()
        return approval
    pending = (
        StageApproval.objects.filter(
            opportunity=opportunity, to_stage=to_stage, status=ApprovalStatus.PENDING
        ).first()
        if opportunity.pk is not None
        else None
    )
    raise ApplicationError(
        risk,
        code="approval_required",
        extra={
            "approval_reason": risk,
            "can_approve": manager,
            "pending_approval": pending.pk if pending else None,
        },
    )
