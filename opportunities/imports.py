"""The deals' import type: columns, finding a deal by the other system's key or by its
account and name, moving it through the stages only with their exit criteria ticked
(`opportunity_move_prepare`) and through the closing gate (`opportunities.gates`).
Registered from `OpportunitiesConfig.ready()`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyaccounts.imports import references
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
    _check_owner_allowed,
    _clean,
    _copy,
    _new,
    _read_ids,
    export_fields,
    find_record,
    register,
)
from keyaccounts.imports.lookups import Records, new_ref, ref_of
from keyaccounts.imports.values import CellError, normalize
from keyaccounts.imports.writing import differences


class OpportunityKind(Kind):
    key = "opportunities"
    label = gettext_lazy("Deals")
    key_groups = (("account",), ("external_id", "name"))
    special = frozenset({"account", "owner", "stage", "probability_is_custom"})

    def ignored(self, row) -> frozenset:
        """A probability not set by hand follows the stage: the cell is left out."""
        if row.get("probability_is_custom") is False:
            return frozenset({"probability"})
        return frozenset()

    @property
    def model(self):
        from opportunities.models import Opportunity

        return Opportunity

    def make_columns(self):
        from .exports import DEALS

        return model_columns(
            self.model,
            export_fields(DEALS),
            aliases={
                "account": ACCOUNT_ALIASES,
                "name": [
                    "商机",
                    "商机名称",
                    "项目名称",
                    "项目",
                    "Opportunity",
                    "Deal",
                    "Deal name",
                ],
                "amount": ["商机金额", "预计金额", "Value"],
                "discount_percent": ["折扣", "折扣(%)", "折扣率", "Discount", "Discount %"],
                "stage": ["销售阶段", "Sales stage"],
                "expected_close_date": ["预计成交", "成交日期", "Close date"],
                "owner": ["销售", "Sales rep"],
            },  # fmt: skip
            owner={"required": False},
            stage={"required": False},
            probability={"required": False},
            discount_percent={"required": False},
        )

    def example(self, user):
        from opportunities.services import first_open_stage

        stage = first_open_stage()
        return {
            "account": "ERP-0001",
            "external_id": "D-0001",
            "name": _("Production line upgrade 2026"),
            "kind": "expansion",
            "owner": user.username,
            "amount": 1250000,
            "currency": "CNY",
            "expected_close_date": "2026-06-30",
            "stage": str(stage) if stage else "",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No deal you can see has this external ID."),
            gettext_lazy("the external ID of a deal at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The deal with this external ID is at %(account)s."),
            gettext_lazy("the deal's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several deals named “%(name)s”."),
            gettext_lazy("the deal's external ID in the row"),
        ),
        other_id=(
            gettext_lazy("The deal “%(name)s” at this account has the external ID “%(stored)s”."),
            gettext_lazy("its external ID, or an empty cell"),
        ),
    )

    def gather(self, ctx, rows):
        from keyaccounts.imports.lookups import chunks
        from opportunities.models import CriterionCheck, ExitCriterion, Opportunity
        from opportunities.selectors import opportunities_visible_to

        ctx.records = Records(
            Opportunity,
            opportunities_visible_to(ctx.by).select_related("stage"),
            natural=("name",),
        )
        # The deals the rows name: by external ID, or by name at their accounts (not
        # every deal of those accounts: a row's check needs only those it may mean).
        ctx.records.prefetch(external_ids={row.get("external_id") for row in rows})
        unfound = ctx.records.unfound(rows)
        names = sorted({row.get("name") for row in unfound} - {None, ""})
        accounts = {row.get("account").pk for row in unfound if row.get("account")}
        ctx.records.prefetch(
            external_ids=(), natural=dict.fromkeys(accounts, names) if names else None
        )
        # What a stage move checks, read once: the exit criteria, those ticked per deal.
        ctx.criteria = list(
            ExitCriterion.objects.select_related("stage").order_by("stage__order", "order", "pk")
        )
        ctx.ticked = {}
        for chunk in chunks(ctx.records.records):
            for deal_id, criterion_id in CriterionCheck.objects.filter(
                opportunity_id__in=chunk
            ).values_list("opportunity_id", "criterion_id"):
                ctx.ticked.setdefault(deal_id, set()).add(criterion_id)
        _gather_closing_gate(ctx, rows)
        stages = {stage.pk: stage for stage in ctx.reference("stage").stages}
        for deal in ctx.records.records.values():  # linked in memory: no query per deal
            if deal.stage_id in stages:
                deal.stage = stages[deal.stage_id]
            if deal.account_id in ctx.accounts.records:
                deal.account = ctx.accounts.records[deal.account_id]

    def reads(self, ctx):
        from opportunities.models import Opportunity

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Opportunity] = (accounts, ctx.records.external_ids, _read_ids(ctx.records))
        return reads

    def check_row(self, ctx, row):
        """The rules of `opportunity_create` and `opportunity_update` with its stage move
        (`opportunity_build`, `opportunity_set_fields`, `criteria_missing`,
        `opportunity_move_prepare`), in memory; the deal and its `StageChange` go into
        the plan."""
        from opportunities.models import Opportunity, StageChange
        from opportunities.services import (
            check_exit_criteria,
            criteria_missing,
            criteria_missing_on_open,
            opportunity_build,
            opportunity_move_prepare,
            opportunity_open,
            opportunity_set_fields,
        )

        account = _account_of(row)
        external_id, name = row.get("external_id"), row.get("name")
        deals = ctx.records
        stored = find_record(row, account, deals, key="name", value=name, texts=self.TEXTS)
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        stage, owner = row.get("stage"), row.get("owner")
        if "probability" in self.ignored(row):
            # Not set by hand: the probability follows the stage (the service's rule).
            fields.pop("probability", None)
            if stored is not None:
                fields["probability"] = (stage or stored.stage).default_probability
        if stored is None:
            if not name:
                raise RowFailed("name", _("A new deal needs a name."), _("its name"))
            _check_owner_allowed(ctx, "owner", owner, ctx.by.pk)
            first = next((s for s in ctx.reference("stage").stages if not s.is_closed), None)
            if stage is not None and ctx.opens_need_criteria:
                missing = criteria_missing_on_open(stage, (), criteria=ctx.criteria, first=first)
                check_exit_criteria(Opportunity(stage=stage), stage, missing=missing)
            stage = stage or first
            _check_closing_gate(ctx, None, account, stage)
            if stage is None:  # no stages at all: the service's own refusal
                opportunity_build(by=ctx.by, account=account, owner=owner, **fields)
            deal = opportunity_open(
                _new(Opportunity, account=account, owner=owner or ctx.by, stage=stage), fields
            )
            ref = new_ref(row)
            _clean(deal, ref, deals.holders)
            ctx.claim(row, ("opportunities.opportunity", ref), "name")
            change = _new(StageChange, opportunity=deal, to_stage=deal.stage, changed_by=ctx.by)
            ctx.plan.create(deal, rows=[change])
            deals.add(ref, deal)
            return Outcome(CREATE, deal, label=f"{deal} · {account}")
        ref = ref_of(stored)
        ctx.claim(row, ("opportunities.opportunity", ref), "external_id" if external_id else "name")
        _check_owner_allowed(ctx, "owner", owner, stored.owner_id)
        if owner is not None:
            fields["owner"] = owner
        deal = _copy(stored)
        opportunity_set_fields(deal, fields)
        moved_from = None
        if stage is not None and stage.pk != deal.stage_id:
            moved_from = deal.stage
            missing = criteria_missing(
                deal.stage, stage, ctx.criteria, ctx.ticked.get(deal.pk, set())
            )
            check_exit_criteria(deal, stage, missing=missing)  # the outcomes before the gate
            _check_closing_gate(ctx, stored.pk, account, stage)
            opportunity_move_prepare(
                deal, stage, missing=missing, close_reason=fields.get("close_reason")
            )
        _clean(deal, ref, deals.holders, stored=stored)
        changed = differences(deal, stored)
        if not changed:
            return Outcome(UNCHANGED, stored, label=f"{stored} · {account}")
        before = _copy(stored)
        _adopt(stored, deal)
        moves = []
        if moved_from is not None:
            moves = [
                _new(
                    StageChange,
                    opportunity=stored,
                    from_stage=moved_from,
                    to_stage=stage,
                    changed_by=ctx.by,
                )  # fmt: skip
            ]
        ctx.plan.update(stored, before, changed, rows=moves)
        deals.add(ref, stored)
        return Outcome(UPDATE, stored, label=f"{stored} · {account}")


def _gather_closing_gate(ctx, rows) -> None:
    """What the approval gate of closing moves (opportunities/gates.py) needs: the closing
    stages now (of the stages read already), the rest when a row first moves a deal to
    one (`_read_closing_gate`): most files move none, and a file of 500 deals whose
    amounts changed spent a fifth of its checks reading the accounts' money for nothing."""
    from opportunities.gates import closing_stage_ids

    ctx.closing_ids = closing_stage_ids(ctx.reference("stage").stages)
    ctx.gate_rows = rows
    ctx.gate_reasons = None


def _read_closing_gate(ctx) -> None:
    """What the gate needs, read once for the file: the flagged accounts among the rows',
    the deals' approved moves."""
    from opportunities.gates import account_gate_reasons, unspent_approvals

    rows = ctx.gate_rows
    accounts = {row.get("account").pk: row.get("account") for row in rows if row.get("account")}
    ctx.gate_reasons = account_gate_reasons(accounts.values())
    ctx.approved = set()
    deal_ids = [pk for pk in ctx.records.records if isinstance(pk, int)]
    if ctx.gate_reasons and deal_ids:
        ctx.approved = set(
            unspent_approvals()
            .filter(opportunity_id__in=deal_ids)
            .values_list("opportunity_id", "to_stage_id")
        )


def _check_closing_gate(ctx, deal_id, account, stage) -> None:
    """A move (or a new deal) to a closing stage at a flagged account needs a manager's
    approval first, given on the deal's page: an import cannot give it."""
    if stage is None or stage.pk not in ctx.closing_ids:
        return
    if ctx.gate_reasons is None:
        _read_closing_gate(ctx)
    reason = ctx.gate_reasons.get(account.pk)
    if reason and (deal_id, stage.pk) not in ctx.approved:
        raise RowFailed(
            "stage",
            reason,
            _("an earlier stage, or a manager's approval first (on the deal's page)"),
        )


class Stages:
    """The sales stages a file names by key, English or Chinese name (a column of kind
    "stage": `keyaccounts.imports.references`), read once per import, in order."""

    def __init__(self):
        from opportunities.models import Stage

        self.stages = list(Stage.objects.order_by("order"))
        self.index = {}
        for stage in self.stages:
            for name in (stage.key, stage.name, stage.name_zh):
                if name:
                    self.index.setdefault(normalize(name), stage)

    def find(self, text: str):
        stage = self.index.get(normalize(text))
        if stage is None:
            raise CellError(
                _("“%(value)s” is not a sales stage.") % {"value": text},
                _("one of: %(stages)s") % {"stages": ", ".join(str(s) for s in self.stages)},
            )
        return stage

    def accepted(self) -> list[str]:
        """Each stage's names in both languages, for the template."""
        return [
            f"{stage.name} / {stage.name_zh}" if stage.name_zh else stage.name
            for stage in self.stages
        ]


def register_kinds() -> None:
    register(OpportunityKind())
    references.register("stage", Stages)
