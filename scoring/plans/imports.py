"""The account plan import (keyaccounts.imports.kinds.KINDS["plans"]): one row per plan,
found by its external ID or by its account and period start; checked in memory by the
services' rules (period, one live plan per account and period, owner on the team), then
written with the rest of the file."""

import copy

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyaccounts.imports.columns import ACCOUNT_ALIASES, model_columns
from keyaccounts.imports.kinds import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Kind,
    MatchTexts,
    Outcome,
    RowFailed,
    _account_of,
    _adopt,
    _clean,
    _new,
    find_record,
)
from keyaccounts.imports.lookups import Records, chunks, new_ref, ref_of
from keyaccounts.imports.writing import differences
from visits.reviews.periods import period_key, period_keys

from .models import AccountPlan, PeriodKind, period_end_for

COLUMNS = [
    "account",
    "period_kind",
    "period_start",
    "sales_target",
    "share_target",
    "owner",
    "summary",
    "notes",
    "external_id",
]


class PlanKind(Kind):
    key = "plans"
    label = gettext_lazy("Account plans")
    key_groups = (("account",), ("period_start",), ("sales_target",))
    special = frozenset({"account", "owner"})

    @property
    def model(self):
        return AccountPlan

    def make_columns(self):
        return model_columns(
            AccountPlan,
            COLUMNS,
            aliases={
                "account": ACCOUNT_ALIASES,
                "period_kind": ["计划周期", "Period"],
                "period_start": ["开始日期", "Start"],
                "sales_target": ["销售目标", "Sales target"],
                "share_target": ["份额目标", "Share target"],
                "owner": ["负责人", "Owner"],
            },
            period_kind={"required": False},
            owner={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "period_kind": "year",
            "period_start": "2026-01-01",
            "sales_target": 1200000,
            "share_target": 30,
            "owner": user.username,
            "summary": _("Keep the account and grow our share in the second plant."),
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No plan you can see has this external ID."),
            gettext_lazy("the external ID of a plan at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The plan with this external ID is at %(account)s."),
            gettext_lazy("the plan's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several plans starting %(name)s."),
            gettext_lazy("the plan's external ID in the row"),
        ),
        other_id=(
            gettext_lazy("The plan starting %(name)s has the external ID %(stored)s."),
            gettext_lazy("that external ID, or none"),
        ),
    )

    def gather(self, ctx, rows):
        from accounts.models import AccountTeamMember

        from .selectors import plans_visible_to

        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        ctx.records = Records(AccountPlan, plans_visible_to(ctx.by), natural=("period_start",))
        # An account has a plan or two a year: all of them, for the overlap check.
        ctx.records.prefetch(
            external_ids={row.get("external_id") for row in rows}, account_ids=accounts
        )
        ctx.team = {}
        for chunk in chunks(accounts):
            for account_id, user_id in AccountTeamMember.objects.filter(
                account_id__in=chunk
            ).values_list("account_id", "user_id"):
                ctx.team.setdefault(account_id, set()).add(user_id)

    def reads(self, ctx):
        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[AccountPlan] = (accounts, ctx.records.external_ids)
        return reads

    def check_row(self, ctx, row):
        account = _account_of(row)
        external_id = row.get("external_id")
        start = row.get("period_start")
        plans = ctx.records
        stored = find_record(row, account, plans, key="period_start", value=start, texts=self.TEXTS)
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        owner = row.get("owner")
        if owner is not None and (stored is None or owner.pk != stored.owner_id):
            if owner.pk != account.owner_id and owner.pk not in ctx.team.get(account.pk, set()):
                raise RowFailed(
                    "owner",
                    _("%(user)s is not on the account team of %(account)s.")
                    % {"user": owner, "account": account},
                    _("the account owner or a member of its team"),
                )
            fields["owner"] = owner
        ref = ref_of(stored) if stored is not None else new_ref(row)
        if stored is not None:
            plan = copy.copy(stored)
            key = "external_id" if external_id else "period_start"
            ctx.claim(row, ("plans.accountplan", ref_of(stored)), key)
        else:
            plan = _new(AccountPlan, period_kind=PeriodKind.YEAR, summary="", notes="")
            plan.owner = account.owner
        plan.account = account
        for name, value in fields.items():
            setattr(plan, name, value)
        if plan.period_start:
            plan.period_end = period_end_for(plan.period_start, plan.period_kind)
        _clean(plan, ref, plans.holders)
        for other_ref, other in plans.records.items():
            if (
                other_ref != ref
                and other.account_id == account.pk
                and other.deleted_at is None
                and other.period_start <= plan.period_end
                and other.period_end >= plan.period_start
            ):
                raise RowFailed(
                    "period_start",
                    _("%(account)s already has a plan for %(period)s.")
                    % {"account": account, "period": other.period_label},
                    _("one plan per account and period: its own period, or its external ID"),
                )
        if stored is None:
            ctx.claim(row, ("plans.accountplan", ref), "period_start")
            ctx.plan.create(plan)
            plans.add(ref, plan)
            return Outcome(CREATE, plan)
        changed = differences(plan, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        _adopt(stored, plan)
        ctx.plan.update(stored, before, changed)
        plans.add(ref_of(stored), stored)
        return Outcome(UPDATE, stored)


ACTION_COLUMNS = ["account", "what", "owner", "due_on", "done_on", "factor_key", "notes"]


class PlanActionKind(Kind):
    """Plan actions: the row names its account and its plan (the plan's period, "2026" or
    "2026 H2", as the export writes it, or the plan's external ID); an action is found by
    its external ID or by its plan and what it is."""

    key = "plan_actions"
    label = gettext_lazy("Plan actions")
    key_groups = (("account",), ("plan",), ("what",), ("due_on",))
    special = frozenset({"account", "owner", "plan"})

    @property
    def model(self):
        from .models import PlanAction

        return PlanAction

    def make_columns(self):
        from keyaccounts.imports.columns import Column

        columns = model_columns(
            self.model,
            ACTION_COLUMNS,
            aliases={
                "account": ACCOUNT_ALIASES,
                "what": ["行动", "事项", "Action"],
                "owner": ["负责人", "Owner"],
                "due_on": ["截止日期", "Due date"],
            },
            owner={"required": False},
        )
        plan = Column(
            key="plan",
            kind="text",
            label=gettext_lazy("Plan period"),
            required=True,
            aliases=("Plan", "计划", "计划期间"),
            help=gettext_lazy('the plan\'s period ("2026", "2026 H2") or its external ID'),
        )
        return [columns[0], plan, *columns[1:], *model_columns(self.model, ["external_id"])]

    def example(self, user):
        return {
            "account": "ERP-0001",
            "plan": "2026",
            "what": _("Total-cost workshop with purchasing"),
            "owner": user.username,
            "due_on": "2026-03-31",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No plan action you can see has this external ID."),
            gettext_lazy("the external ID of an action at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The action with this external ID is at %(account)s."),
            gettext_lazy("the action's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several plan actions “%(name)s”."),
            gettext_lazy("the action's external ID in the row"),
        ),
        other_id=(
            gettext_lazy("The action “%(name)s” has the external ID %(stored)s."),
            gettext_lazy("that external ID, or none"),
        ),
    )

    def gather(self, ctx, rows):
        from accounts.models import AccountTeamMember

        from .selectors import plan_actions_visible_to
        from .services import valid_factor_keys

        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        ctx.records = Records(self.model, plan_actions_visible_to(ctx.by), natural=("what",))
        ctx.records.prefetch(
            external_ids={row.get("external_id") for row in rows}, account_ids=accounts
        )
        ctx.plans = {}
        ctx.team = {}
        for chunk in chunks(accounts):
            for plan in AccountPlan.objects.filter(account_id__in=chunk):
                ctx.plans.setdefault(plan.account_id, []).append(plan)
            for account_id, user_id in AccountTeamMember.objects.filter(
                account_id__in=chunk
            ).values_list("account_id", "user_id"):
                ctx.team.setdefault(account_id, set()).add(user_id)
        ctx.factor_keys = valid_factor_keys()

    def reads(self, ctx):
        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[self.model] = (accounts, ctx.records.external_ids)
        reads[AccountPlan] = (accounts, set())
        return reads

    def _plan(self, ctx, row, account):
        text = str(row.get("plan") or "").strip()
        for plan in ctx.plans.get(account.pk, []):
            if text and (
                text == plan.external_id
                or period_key(text) in period_keys(plan.period_kind, plan.period_start)
            ):
                return plan
        raise RowFailed(
            "plan",
            _("%(account)s has no plan “%(plan)s”.") % {"account": account, "plan": text},
            _('the plan\'s period ("2026", "2026 H2") or its external ID'),
        )

    def check_row(self, ctx, row):
        account = _account_of(row)
        plan = self._plan(ctx, row, account)
        external_id = row.get("external_id")
        actions = ctx.records
        stored = find_record(
            row, account, actions, key="what", value=row.get("what"), texts=self.TEXTS
        )
        if stored is not None and stored.plan_id != plan.pk:
            raise RowFailed(
                "plan",
                _("This action belongs to another plan of %(account)s.") % {"account": account},
                _("the action's own plan"),
            )
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        owner = row.get("owner")
        if owner is None and stored is None:
            owner = ctx.by
        if owner is not None and (stored is None or owner.pk != stored.owner_id):
            if owner.pk != account.owner_id and owner.pk not in ctx.team.get(account.pk, set()):
                raise RowFailed(
                    "owner",
                    _("%(user)s is not on the account team of %(account)s.")
                    % {"user": owner, "account": account},
                    _("the account owner or a member of its team"),
                )
            fields["owner"] = owner
        factor = fields.get("factor_key")
        if (
            factor
            and factor not in ctx.factor_keys
            and (stored is None or factor != stored.factor_key)
        ):
            raise RowFailed(
                "factor_key",
                _("“%(key)s” is no factor of the active risk-evaluation table.") % {"key": factor},
                _("empty, or the key of one of its factors"),
            )
        ref = ref_of(stored) if stored is not None else new_ref(row)
        if stored is not None:
            action = copy.copy(stored)
            key = "external_id" if external_id else "what"
            ctx.claim(row, ("plans.planaction", ref_of(stored)), key)
        else:
            action = _new(self.model, factor_key="", notes="")
        action.plan = plan
        action.account = account
        for name, value in fields.items():
            setattr(action, name, value)
        _clean(action, ref, actions.holders)
        if stored is None:
            ctx.claim(row, ("plans.planaction", ref), "what")
            ctx.plan.create(action)
            actions.add(ref, action)
            return Outcome(CREATE, action, label=f"{action} · {account}")
        changed = differences(action, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        _adopt(stored, action)
        ctx.plan.update(stored, before, changed)
        actions.add(ref_of(stored), stored)
        return Outcome(UPDATE, stored)
