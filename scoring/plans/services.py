"""Writes of account plans: one function per action, keyword-only.

Who: whoever may edit the account — its owner, its account team, the managers who see
it (the visibility rule). A plan's or an action's owner is the account owner or someone
on the account team."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to, is_manager
from accounts.services import check_restorer
from keyaccounts.exceptions import ApplicationError, VersionConflict, all_checked
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.tasks import enqueue_on_commit
from keyaccounts.text import words_and

from .models import AccountPlan, Advantage, PlanAction, PlanAdvantage, period_end_for
from .selectors import team_user_ids

PLAN_FIELDS = (
    "period_kind",
    "period_start",
    "sales_target",
    "share_target",
    "summary",
    "notes",
    "owner",
    "external_id",
)
ACTION_FIELDS = ("what", "owner", "due_on", "done_on", "factor_key", "notes", "external_id")


def check_editor(*, by: User, account: Account) -> None:
    """Whoever sees the account may keep its plans; others learn nothing (not_found)."""
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("No such account among those you can see."), code="not_found")


def check_on_team(*, account: Account, user: User, field: str) -> None:
    if user is None:
        return
    if not user.is_active or user.pk not in team_user_ids(account):
        raise ValidationError(
            {
                field: _(
                    "%(user)s is not on the account team of %(account)s: choose the account "
                    "owner or a member of its team (add them to the team first)."
                )
                % {"user": user, "account": account.name}
            }
        )


def default_owner(*, account: Account, by: User) -> User:
    """Who owns a new action nobody was named for: whoever adds it, if they may own one
    (on the account team, `check_on_team`); else the account's owner (a manager adding
    an action for the rep)."""
    return by if by.is_active and by.pk in team_user_ids(account) else account.owner


def period_clashes(plan: AccountPlan) -> list[AccountPlan]:
    """The account's live plans whose periods overlap `plan`'s (`plan` itself aside),
    earliest first: what `check_period` refuses, and what the form's error links to (a
    year over its two half-years: both)."""
    if not plan.period_start or not plan.period_kind:
        return []
    end = period_end_for(plan.period_start, plan.period_kind)
    return list(
        AccountPlan.objects.filter(
            account_id=plan.account_id, period_start__lte=end, period_end__gte=plan.period_start
        )
        .exclude(pk=plan.pk)
        .order_by("period_start", "pk")
    )


def check_period(plan: AccountPlan) -> None:
    """One live plan per account and period; periods of one account do not overlap."""
    clashes = period_clashes(plan)
    if clashes:
        raise ValidationError(
            {
                "period_start": ngettext(
                    "%(account)s already has a plan for %(period)s: open that plan and change "
                    "it, or move it to the recycle bin first. One plan per account and period.",
                    "%(account)s already has plans for %(period)s: open those plans and change "
                    "them, or move them to the recycle bin first. One plan per account and "
                    "period.",
                    len(clashes),
                )
                % {
                    "account": plan.account.name,
                    "period": words_and(clash.period_label for clash in clashes),
                }
            }
        )


def valid_factor_keys() -> set[str]:
    from scoring.services import active_model

    return set(active_model().factors.values_list("key", flat=True))


def _check_factor(action: PlanAction) -> None:
    if action.factor_key and action.factor_key not in valid_factor_keys():
        raise ValidationError(
            {
                "factor_key": _(
                    "“%(key)s” is no factor of the active risk-evaluation table: leave it "
                    "empty or choose one of its factors."
                )
                % {"key": action.factor_key}
            }
        )


# --- plans ------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    by: User,
    account: Account,
    owner: User | None = None,
    advantages: dict | None = None,
    **fields,
) -> AccountPlan:
    """Create a plan for `account`; its owner defaults to the account owner."""
    check_editor(by=by, account=account)
    plan = AccountPlan(account=account, owner=owner or account.owner)
    for name, value in fields.items():
        setattr(plan, name, value)
    # Every problem at once: the owner, the period, the fields.
    all_checked(
        lambda: check_on_team(account=account, user=plan.owner, field="owner"),
        lambda: check_period(plan),
        plan.full_clean,
    )
    plan.save()
    if advantages is not None:
        _set_advantages(plan, advantages)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: AccountPlan,
    by: User,
    expected_version: int | None = None,
    advantages: dict | None = None,
    **fields,
) -> AccountPlan:
    check_editor(by=by, account=plan.account)
    fields.pop("account", None)  # a plan stays with its account
    owner_before = plan.owner_id
    for name, value in fields.items():
        setattr(plan, name, value)
    all_checked(
        lambda: (
            check_on_team(account=plan.account, user=plan.owner, field="owner")
            if plan.owner_id != owner_before
            else None
        ),
        lambda: check_period(plan),
        plan.full_clean,
    )
    plan.save(expected_version=expected_version)
    if advantages is not None and _set_advantages(plan, advantages):
        plan.save(touch=True)
    return plan


@transaction.atomic
def plan_advantages_set(
    *, plan: AccountPlan, by: User, advantages: dict, expected_version: int | None = None
) -> AccountPlan:
    """Set the plan's advantages to `advantages` ({kind: evidence}): kinds left out are
    removed. A change makes a new version of the plan."""
    check_editor(by=by, account=plan.account)
    if expected_version is not None and expected_version != plan.version:
        raise VersionConflict(
            _("This record was changed by someone else since you opened it."),
            current_version=plan.version,
        )
    if _set_advantages(plan, advantages):
        plan.save(touch=True)
    return plan


def _set_advantages(plan: AccountPlan, advantages: dict) -> bool:
    """Make the plan's advantages `advantages`; True when anything changed."""
    errors = {}
    wanted = {}
    for kind, evidence in advantages.items():
        if kind not in Advantage.values:
            errors[kind] = _("“%(kind)s” is none of the six advantages: use one of %(kinds)s.") % {
                "kind": kind,
                "kinds": ", ".join(Advantage.values),
            }
            continue
        evidence = (evidence or "").strip()
        if not evidence:
            errors[kind] = _(
                "Give the evidence for “%(advantage)s”: what shows the customer gets it."
            ) % {"advantage": Advantage(kind).label}
            continue
        wanted[kind] = evidence
    if errors:
        raise ValidationError({"advantages": list(errors.values())})
    stored = {a.kind: a for a in plan.advantages.all()}
    changed = False
    for kind, row in stored.items():
        if kind not in wanted:
            row.delete()
            changed = True
        elif row.evidence != wanted[kind]:
            row.evidence = wanted[kind]
            row.full_clean()
            row.save()
            changed = True
    for kind, evidence in wanted.items():
        if kind not in stored:
            row = PlanAdvantage(plan=plan, kind=kind, evidence=evidence)
            row.full_clean()
            row.save()
            changed = True
    return changed


def plan_delete_check(*, plan: AccountPlan, by: User) -> None:
    if by.pk not in (plan.owner_id, plan.account.owner_id) and not is_manager(by):
        raise ApplicationError(
            _("Only the plan's owner, the account owner or a manager can delete this plan."),
            code="permission_denied",
        )


@transaction.atomic
def plan_delete(*, plan: AccountPlan, by: User, expected_version: int | None = None) -> Deletion:
    """Move a plan to the recycle bin with its actions."""
    plan_delete_check(plan=plan, by=by)
    return soft_delete(
        root=plan, by=by, expected_version=expected_version, along=[plan.actions.all()]
    )


def _check_no_live_clash(plan: AccountPlan) -> None:
    clash = (
        AccountPlan.objects.filter(
            account_id=plan.account_id,
            period_start__lte=plan.period_end,
            period_end__gte=plan.period_start,
        )
        .exclude(pk=plan.pk)
        .first()
    )
    if clash is not None:
        raise ApplicationError(
            _(
                "The account has another plan for %(period)s now: move that one to the "
                "recycle bin before restoring this one."
            )
            % {"period": clash.period_label},
            code="protected",
        )


def plan_restore(*, plan: AccountPlan, by: User) -> list:
    check_restorer(by=by, record=plan)
    _check_no_live_clash(plan)
    return record_restore(record=plan, by=by)


# --- actions ----------------------------------------------------------------------------


def _nudge(action: PlanAction) -> None:
    """The database is the source of truth; the queue only makes the reminder sooner."""
    from visits.tasks import reminders_for_account

    enqueue_on_commit(reminders_for_account, action.account_id)


@transaction.atomic
def action_create(*, by: User, plan: AccountPlan, **fields) -> PlanAction:
    check_editor(by=by, account=plan.account)
    action = PlanAction(plan=plan, account_id=plan.account_id)
    if fields.get("owner") is None:
        fields["owner"] = default_owner(account=plan.account, by=by)
    for name, value in fields.items():
        setattr(action, name, value)
    check_on_team(account=plan.account, user=action.owner, field="owner")
    _check_factor(action)
    _check_done_on(action)
    action.full_clean()
    action.save()
    _nudge(action)
    return action


def _check_done_on(action: PlanAction, *, stored=None) -> None:
    """An action is done on a day that has come (a day kept as stored is not asked
    again: one saved before the rule stays editable)."""
    today = timezone.localdate()
    if action.done_on and action.done_on != stored and action.done_on > today:
        raise ValidationError(
            {
                "done_on": _(
                    "An action cannot be done in the future (today is %(today)s): give the "
                    "day it was done, or leave it empty."
                )
                % {"today": today.isoformat()}
            }
        )


@transaction.atomic
def action_update(
    *, action: PlanAction, by: User, expected_version: int | None = None, **fields
) -> PlanAction:
    check_editor(by=by, account=action.account)
    fields.pop("plan", None)  # an action stays with its plan
    owner_before = action.owner_id
    factor_before = action.factor_key
    done_before = action.done_on
    for name, value in fields.items():
        setattr(action, name, value)
    if action.owner_id != owner_before:
        check_on_team(account=action.plan.account, user=action.owner, field="owner")
    if action.factor_key != factor_before:
        _check_factor(action)
    _check_done_on(action, stored=done_before)
    action.full_clean()
    action.save(expected_version=expected_version)
    if getattr(action, "saved_changes", True):  # a save that changed nothing: no nudge
        _nudge(action)
    return action


@transaction.atomic
def action_done(
    *,
    action: PlanAction,
    by: User,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> PlanAction:
    """Mark an action done (today unless `on`); done already: nothing changes."""
    check_editor(by=by, account=action.account)
    if action.done_on is None:
        action.done_on = on or timezone.localdate()
        _check_done_on(action)
        action.full_clean()
        action.save(expected_version=expected_version)
    return action


def action_delete_check(*, action: PlanAction, by: User) -> None:
    if by.pk not in (action.owner_id, action.plan.owner_id, action.account.owner_id) and not (
        is_manager(by)
    ):
        raise ApplicationError(
            _(
                "Only the action's owner, the plan's owner, the account owner or a manager "
                "can delete this action."
            ),
            code="permission_denied",
        )


@transaction.atomic
def action_delete(*, action: PlanAction, by: User, expected_version: int | None = None) -> Deletion:
    action_delete_check(action=action, by=by)
    return soft_delete(root=action, by=by, expected_version=expected_version)


def action_restore(*, action: PlanAction, by: User) -> list:
    """Bring an action back; refused while its plan is in the recycle bin."""
    plan = AccountPlan.all_objects.get(pk=action.plan_id)
    if plan.deleted_at is not None and plan.deletion_id != action.deletion_id:
        raise ApplicationError(
            _(
                "Its plan %(plan)s is in the recycle bin: restore the plan first (its "
                "actions come back with it)."
            )
            % {"plan": plan},
            code="protected",
        )
    check_restorer(by=by, record=action)
    return record_restore(record=action, by=by)
