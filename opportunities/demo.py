"""Demo opportunities for `seed_demo`, in bulk.

A deal per account or two, in every stage: the open ones close over the next nine
months with the outcomes of the stages they passed ticked (and now and then those of
their current stage, ready to move); a few are won or lost, with the reason. Each has
its stage history, the buying-center contacts involved, part of the account team and
a competitor. Dates are relative to the moment of seeding; the same seed gives the
same deals. Rows are plain values written with `keyaccounts.bulk.insert_rows`, each
final when it goes in: a stage change and a ticked criterion carry their own moment.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.demo import DemoAccount, Weighted, per_account
from accounts.models import AccountStatus
from keyaccounts.bulk import Rows, change_numbers, insert_rows, reserve_ids

from .models import (
    BidResult,
    CriterionCheck,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityKind,
    OpportunityTeamMember,
    Stage,
    StageChange,
)

PROJECTS = [
    "ERP 升级",
    "MES 一期",
    "数据中台建设",
    "供应链协同平台",
    "客服中心云化",
    "等保安全改造",
    "CRM 实施",
    "智能仓储系统",
    "财务共享中心",
    "移动办公平台",
    "生产设备物联网",
    "BI 分析平台",
]
DESCRIPTIONS = [
    "客户希望分两期实施，一期覆盖总部，二期推广到下属工厂。",
    "使用部门需求明确，采购需走公开招标流程。",
    "客户 CIO 主导选型，关注国产化适配与数据安全。",
    "",
]
WON_REASONS = [
    "决策者认可我方行业案例，内线提前提供了评标要求，综合评分第一。",
    "方案通过技术评估，分期实施降低了客户风险，价格有竞争力。",
    "与使用部门共创需求，试点效果好，客户直接追加采购。",
]
LOST_REASONS = [
    "评估者倾向竞争对手的本地服务团队，我方未能在技术评审前扭转态度。",
    "客户预算冻结，项目暂停，明年再议。",
    "报价高出竞争对手约百分之十五，商务谈判未能达成一致。",
    "招标文件技术参数偏向竞争对手，我方未能入围。",
]


def _stage_weights(stages: list[Stage]) -> list[int]:
    """Fewer deals further down the funnel; a few closed."""
    weights = []
    position = 0
    for stage in stages:
        if stage.is_won:
            weights.append(1)
        elif stage.is_lost:
            weights.append(1)
        else:
            weights.append(max(5 - position, 2))
            position += 1
    return weights


def _moment(rng: random.Random, day: datetime.date, tz) -> datetime.datetime:
    """A minute of the working day, in `tz` (what `timezone.make_aware` gives)."""
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(9, 18), rng.randint(0, 59)), tzinfo=tz
    )


class _Plan:
    """One deal and the rows that hang off it, before they are written."""

    def __init__(self, opportunity: dict):
        self.opportunity = opportunity  # the Opportunity's values by attname
        self.changes = []  # (from stage, to stage, when)
        self.ticked = []  # (criterion, when)
        self.contacts = []  # (contact id, role, stance)
        self.team = []  # (user_id, role)
        self.competitor = None  # an account competitor's values to bring into the deal


def plan_opportunities(
    item: DemoAccount,
    *,
    count: int,
    seed: int,
    today: datetime.date,
    stages: list[Stage],
    criteria: dict,
    tz=None,
) -> list[_Plan]:
    """The deals of one account. `criteria`: each stage's exit criteria by stage id;
    times in `tz` (the current time zone unless given)."""
    rng = random.Random(f"{seed}:opportunities:{item.index}")
    tz = tz or timezone.get_current_timezone()
    open_stages = [s for s in stages if not s.is_closed]
    lost = next((s for s in stages if s.is_lost), None)
    pick_stage = Weighted(dict(zip(stages, _stage_weights(stages), strict=True)))
    # The account team as the database lists it (by role), and its competitors as made.
    team_roles = sorted(item.team, key=lambda member: member[1])
    competitors = item.competitors
    plans = []
    for k in range(count):
        stage = pick_stage.pick(rng)
        if item.status == AccountStatus.LOST and lost is not None:
            stage = lost
        amount = Decimal(rng.randint(30, 900) * 10000)  # ¥300,000 to ¥9,000,000
        opportunity = {
            "external_id": f"demo-opportunity-{item.index:06d}-{k:03d}",
            "account_id": item.pk,
            "owner_id": item.owner_id,
            "name": f"{rng.choice(PROJECTS)}项目",
            "kind": OpportunityKind.EXPANSION
            if item.status == AccountStatus.ACTIVE
            else OpportunityKind.NEW_CUSTOMER,
            "amount": amount,
            "stage_id": stage.id,
            "probability": stage.default_probability,
            "description": rng.choice(DESCRIPTIONS),
        }
        plan = _Plan(opportunity)
        if stage.is_closed:
            closed = today - datetime.timedelta(days=rng.randint(3, 80))
            opened = closed - datetime.timedelta(days=rng.randint(30, 120))
            opportunity["closed_on"] = closed
            opportunity["expected_close_date"] = closed + datetime.timedelta(
                days=rng.randint(-10, 20)
            )
            opportunity["close_reason"] = rng.choice(WON_REASONS if stage.is_won else LOST_REASONS)
            # Won: every stage passed. Lost: somewhere along the way.
            reached = len(open_stages) if stage.is_won else rng.randint(1, max(len(open_stages), 1))
            last_day = closed
        else:
            opportunity["expected_close_date"] = today + datetime.timedelta(
                days=rng.randint(7, 270)
            )
            reached = open_stages.index(stage) + 1
            opened = today - datetime.timedelta(days=rng.randint(20, 150))
            last_day = today - datetime.timedelta(days=rng.randint(1, 15))
            if rng.random() < 0.2:
                # Set by hand: the rep knows better than the stage's default.
                opportunity["probability"] = max(
                    0, min(100, stage.default_probability + rng.choice([-10, -5, 5, 10, 15]))
                )
                opportunity["probability_is_custom"] = True
        path = open_stages[:reached]
        # The history: opened in the first stage, then each step on to where it is.
        steps = path + ([stage] if stage.is_closed else [])
        span = max((last_day - opened).days, len(steps))
        days = sorted(rng.sample(range(span), len(steps) - 1)) if len(steps) > 1 else []
        moments = [opened] + [opened + datetime.timedelta(days=d + 1) for d in days]
        previous = None
        for step, day in zip(steps, moments, strict=True):
            plan.changes.append((previous, step, _moment(rng, day, tz)))
            previous = step
        # Ticked: the outcomes of every stage passed, and sometimes the current one's.
        for position, passed in enumerate(path):
            is_current = position == len(path) - 1 and not stage.is_closed
            for criterion in criteria[passed.id]:
                if is_current and rng.random() < 0.65:
                    continue
                plan.ticked.append(
                    (criterion, _moment(rng, moments[min(position + 1, len(moments) - 1)], tz))
                )
        reached_at = open_stages.index(path[-1]) if path else 0
        if reached_at >= len(open_stages) - 2:
            # At the bid or past it: the tender dates and, once past it, the result.
            at_bid = not stage.is_closed and reached_at == len(open_stages) - 2
            published = (opportunity.get("closed_on") or today) - datetime.timedelta(
                days=rng.randint(20, 45) if at_bid else rng.randint(50, 80)
            )
            opportunity["tender_published_on"] = published
            submitted = published + datetime.timedelta(days=14)
            opportunity["bid_submitted_on"] = submitted
            if submitted + datetime.timedelta(days=7) <= today:
                opportunity["bid_opened_on"] = submitted + datetime.timedelta(days=7)
            if at_bid:
                opportunity["bid_result"] = BidResult.PENDING
            else:
                opportunity["bid_result"] = BidResult.LOST if stage.is_lost else BidResult.WON
        for contact in rng.sample(item.contacts, min(len(item.contacts), rng.randint(1, 3))):
            plan.contacts.append((contact.pk, contact.buying_role, contact.attitude))
        plan.team = [(user_id, role) for user_id, role in team_roles if rng.random() < 0.6]
        if competitors and rng.random() < 0.7:
            plan.competitor = rng.choice(competitors)
        plans.append(plan)
    return plans


class DemoDeals:
    """The deals of one run's new accounts (`new`: their numbers, of `accounts`), spread
    like visits, written with each chunk of accounts (`create`). The stages, and the
    deals' ids and change numbers, are read and reserved at the start, as
    accounts/demo.py explains."""

    models = [
        Opportunity,
        StageChange,
        CriterionCheck,
        OpportunityContact,
        OpportunityTeamMember,
        OpportunityCompetitor,
    ]

    def __init__(self, *, new: list[int], accounts: int, total: int, seed: int):
        self.total, self.accounts, self.seed = total, accounts, seed
        self.stages = list(Stage.objects.prefetch_related("criteria").order_by("order"))
        self.criteria = {stage.id: list(stage.criteria.all()) for stage in self.stages}
        if total <= 0 or not any(not s.is_closed for s in self.stages):
            self.total = 0
        count = sum(per_account(index=i, total=self.total, accounts=accounts) for i in new)
        self.ids = iter(reserve_ids(Opportunity, count))
        self.change_seqs = iter(change_numbers(count))

    def create(self, items: list[DemoAccount], *, now: datetime.datetime) -> dict:
        """Write the deals of these (just made) accounts, with their stage history,
        outcomes ticked, contacts, team and competitor."""
        today, tz = timezone.localdate(), timezone.get_current_timezone()
        deals = Rows(Opportunity, now=now)
        # Each deal's history as it went: a version at each stage change (its stage and
        # that stage's probability then), so that what the deals were at a past moment —
        # the forecast as it stood when a month began — reads as it would in real use.
        history = Rows(Opportunity.history.model, now=now, without=("history_id",))
        kept = set(history.columns)
        changes, checks, contacts, team, rivals = [], [], [], [], []
        for item in items:
            count = per_account(index=item.index, total=self.total, accounts=self.accounts)
            plans = plan_opportunities(
                item,
                count=count,
                seed=self.seed,
                today=today,
                stages=self.stages,
                criteria=self.criteria,
                tz=tz,
            )
            for plan in plans:
                deal = plan.opportunity
                deal["id"] = pk = next(self.ids)
                deal["change_seq"] = next(self.change_seqs)
                if plan.changes:  # created when it was opened: its first stage's moment
                    deal["created_at"] = plan.changes[0][2]
                deals.add(deal)
                owner_id = deal["owner_id"]
                changes.extend(
                    (pk, from_stage.id if from_stage else None, to_stage.id, owner_id, when)
                    for from_stage, to_stage, when in plan.changes
                )
                last = len(plan.changes) - 1
                for step, (_from, to_stage, when) in enumerate(plan.changes):
                    row = {**deals.defaults, **deal}
                    version = {key: value for key, value in row.items() if key in kept}
                    if step < last:  # on the way: that stage, its probability, still open
                        version.update(
                            stage_id=to_stage.id,
                            probability=to_stage.default_probability,
                            probability_is_custom=False,
                            closed_on=None,
                            close_reason="",
                        )
                    history.add(
                        {
                            **version,
                            "history_date": when,
                            "history_type": "+" if step == 0 else "~",
                            "history_user_id": owner_id,
                        }
                    )
                checks.extend((pk, criterion.id, owner_id, when) for criterion, when in plan.ticked)
                contacts.extend((pk, *contact) for contact in plan.contacts)
                team.extend((pk, user_id, role) for user_id, role in plan.team)
                if plan.competitor is not None:
                    rival = plan.competitor
                    rivals.append(
                        (
                            pk,
                            rival["name"],
                            rival["strengths"],
                            rival["weaknesses"],
                            rival["threat"],
                        )
                    )
        made = {"opportunities": deals.write()}
        history.write()
        columns = ["opportunity_id", "from_stage_id", "to_stage_id", "changed_by_id", "changed_at"]
        insert_rows(StageChange, columns, changes)
        columns = ["opportunity_id", "criterion_id", "checked_by_id", "checked_at"]
        insert_rows(CriterionCheck, columns, checks)
        insert_rows(
            OpportunityContact, ["opportunity_id", "contact_id", "role", "stance"], contacts
        )
        insert_rows(OpportunityTeamMember, ["opportunity_id", "user_id", "role"], team)
        columns = ["opportunity_id", "name", "strengths", "weaknesses", "threat"]
        insert_rows(OpportunityCompetitor, columns, rivals)
        return made
