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
(`opportunities.approvals`). This app never imports the gates' apps (scoring's money
risk is one).
"""

from collections.abc import Callable

from .models import Stage

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


def closing_stage_ids() -> set[int]:
    """The stages a gated move goes to: won stages and the last open one before won."""
    stages = list(Stage.objects.order_by("order").values("pk", "order", "is_won", "is_lost"))
    won = [s for s in stages if s["is_won"]]
    ids = {s["pk"] for s in won}
    if won:
        first_won = min(s["order"] for s in won)
        before = [
            s for s in stages if not s["is_won"] and not s["is_lost"] and s["order"] < first_won
        ]
        if before:
            ids.add(before[-1]["pk"])
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
