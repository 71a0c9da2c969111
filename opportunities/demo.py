"""Demo opportunities for `seed_demo`, in bulk.

A deal per account or two, in every stage: the open ones close over the next nine
months with the outcomes of the stages they passed ticked (and now and then those of
their current stage, ready to move); a few are won or lost, with the reason. Each has
its stage history, the buying-center contacts involved, part of the account team and
a competitor. Dates are relative to the moment of seeding; the same seed gives the
same deals.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import AccountCompetitor, AccountStatus, AccountTeamMember
from keyaccounts.bulk import fill_pks, stamp_change_seqs
from visits.demo import DemoAccount, visits_per_account

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

BATCH_SIZE = 5000

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


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(9, 18), rng.randint(0, 59)))
    return timezone.make_aware(moment)


class _Plan:
    """One deal and the rows that hang off it, before they are saved."""

    def __init__(self, opportunity: Opportunity):
        self.opportunity = opportunity
        self.changes = []  # (from stage, to stage, when)
        self.ticked = []  # (criterion, when)
        self.contacts = []  # (contact, role, stance)
        self.team = []  # (user_id, role)
        self.competitor = None  # an AccountCompetitor to bring into the deal


def plan_opportunities(
    item: DemoAccount,
    *,
    count: int,
    seed: int,
    today: datetime.date,
    stages: list[Stage],
    team_roles: list[tuple[int, str]],
    competitors: list[AccountCompetitor],
) -> list[_Plan]:
    rng = random.Random(f"{seed}:opportunities:{item.index}")
    account = item.account
    open_stages = [s for s in stages if not s.is_closed]
    lost = next((s for s in stages if s.is_lost), None)
    weights = _stage_weights(stages)
    plans = []
    for k in range(count):
        stage = rng.choices(stages, weights=weights)[0]
        if account.status == AccountStatus.LOST and lost is not None:
            stage = lost
        amount = Decimal(rng.randint(30, 900) * 10000)  # ¥300,000 to ¥9,000,000
        opportunity = Opportunity(
            external_id=f"demo-opportunity-{item.index:06d}-{k:03d}",
            account=account,
            owner=account.owner,
            name=f"{rng.choice(PROJECTS)}项目",
            kind=OpportunityKind.EXPANSION
            if account.status == AccountStatus.ACTIVE
            else OpportunityKind.NEW_CUSTOMER,
            amount=amount,
            stage=stage,
            probability=stage.default_probability,
            description=rng.choice(DESCRIPTIONS),
        )
        plan = _Plan(opportunity)
        if stage.is_closed:
            closed = today - datetime.timedelta(days=rng.randint(3, 80))
            opened = closed - datetime.timedelta(days=rng.randint(30, 120))
            opportunity.closed_on = closed
            opportunity.expected_close_date = closed + datetime.timedelta(days=rng.randint(-10, 20))
            opportunity.close_reason = rng.choice(WON_REASONS if stage.is_won else LOST_REASONS)
            # Won: every stage passed. Lost: somewhere along the way.
            reached = len(open_stages) if stage.is_won else rng.randint(1, max(len(open_stages), 1))
            last_day = closed
        else:
            opportunity.expected_close_date = today + datetime.timedelta(days=rng.randint(7, 270))
            reached = open_stages.index(stage) + 1
            opened = today - datetime.timedelta(days=rng.randint(20, 150))
            last_day = today - datetime.timedelta(days=rng.randint(1, 15))
            if rng.random() < 0.2:
                # Set by hand: the rep knows better than the stage's default.
                opportunity.probability = max(
                    0, min(100, stage.default_probability + rng.choice([-10, -5, 5, 10, 15]))
                )
                opportunity.probability_is_custom = True
        path = open_stages[:reached]
        # The history: opened in the first stage, then each step on to where it is.
        steps = path + ([stage] if stage.is_closed else [])
        span = max((last_day - opened).days, len(steps))
        days = sorted(rng.sample(range(span), len(steps) - 1)) if len(steps) > 1 else []
        moments = [opened] + [opened + datetime.timedelta(days=d + 1) for d in days]
        previous = None
        for step, day in zip(steps, moments, strict=True):
            plan.changes.append((previous, step, _moment(rng, day)))
            previous = step
        # Ticked: the outcomes of every stage passed, and sometimes the current one's.
        for position, passed in enumerate(path):
            is_current = position == len(path) - 1 and not stage.is_closed
            for criterion in passed.criteria.all():
                if is_current and rng.random() < 0.65:
                    continue
                plan.ticked.append(
                    (criterion, _moment(rng, moments[min(position + 1, len(moments) - 1)]))
                )
        reached_at = open_stages.index(path[-1]) if path else 0
        if reached_at >= len(open_stages) - 2:
            # At the bid or past it: the tender dates and, once past it, the result.
            at_bid = not stage.is_closed and reached_at == len(open_stages) - 2
            published = (opportunity.closed_on or today) - datetime.timedelta(
                days=rng.randint(20, 45) if at_bid else rng.randint(50, 80)
            )
            opportunity.tender_published_on = published
            opportunity.bid_submitted_on = published + datetime.timedelta(days=14)
            if opportunity.bid_submitted_on + datetime.timedelta(days=7) <= today:
                opportunity.bid_opened_on = opportunity.bid_submitted_on + datetime.timedelta(
                    days=7
                )
            if at_bid:
                opportunity.bid_result = BidResult.PENDING
            else:
                opportunity.bid_result = BidResult.LOST if stage.is_lost else BidResult.WON
        for contact in rng.sample(item.contacts, min(len(item.contacts), rng.randint(1, 3))):
            plan.contacts.append((contact, contact.buying_role, contact.attitude))
        plan.team = [(user_id, role) for user_id, role in team_roles if rng.random() < 0.6]
        if competitors and rng.random() < 0.7:
            plan.competitor = rng.choice(competitors)
        plans.append(plan)
    return plans


def create_demo_opportunities(
    items: list[DemoAccount], *, total: int, accounts: int, seed: int
) -> dict:
    """Bulk-create the opportunities of these (newly made) accounts, spread like visits."""
    stages = list(Stage.objects.prefetch_related("criteria").order_by("order"))
    if total <= 0 or not items or not any(not s.is_closed for s in stages):
        return {"opportunities": 0}
    today = timezone.localdate()
    account_ids = [item.account.pk for item in items]
    team_roles = {}
    for account_id, user_id, role in AccountTeamMember.objects.filter(
        account_id__in=account_ids
    ).values_list("account_id", "user_id", "role"):
        team_roles.setdefault(account_id, []).append((user_id, role))
    competitors = {}
    for competitor in AccountCompetitor.objects.filter(account_id__in=account_ids).order_by("pk"):
        competitors.setdefault(competitor.account_id, []).append(competitor)

    plans = []
    for item in items:
        count = visits_per_account(index=item.index, total=total, accounts=accounts)
        plans.extend(
            plan_opportunities(
                item,
                count=count,
                seed=seed,
                today=today,
                stages=stages,
                team_roles=team_roles.get(item.account.pk, []),
                competitors=competitors.get(item.account.pk, []),
            )
        )
    opportunities = [plan.opportunity for plan in plans]
    Opportunity.objects.bulk_create(stamp_change_seqs(opportunities), batch_size=BATCH_SIZE)
    fill_pks(Opportunity, opportunities)

    changes, checks, contacts, team, rivals = [], [], [], [], []
    for plan in plans:
        deal = plan.opportunity
        for from_stage, to_stage, when in plan.changes:
            change = StageChange(
                opportunity=deal, from_stage=from_stage, to_stage=to_stage, changed_by=deal.owner
            )
            change.changed_at = when
            changes.append(change)
        for criterion, when in plan.ticked:
            check = CriterionCheck(opportunity=deal, criterion=criterion, checked_by=deal.owner)
            check.checked_at = when
            checks.append(check)
        contacts.extend(
            OpportunityContact(opportunity=deal, contact=contact, role=role, stance=stance)
            for contact, role, stance in plan.contacts
        )
        team.extend(
            OpportunityTeamMember(opportunity=deal, user_id=user_id, role=role)
            for user_id, role in plan.team
        )
        if plan.competitor is not None:
            rival = plan.competitor
            rivals.append(
                OpportunityCompetitor(
                    opportunity=deal,
                    name=rival.name,
                    strengths=rival.strengths,
                    weaknesses=rival.weaknesses,
                    threat=rival.threat,
                )
            )
    # auto_now_add stamps "now" on insert; the history belongs on its own days.
    when = {id(change): change.changed_at for change in changes}
    StageChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    fill_changed = [c for c in changes if c.pk is not None]
    for change in fill_changed:
        change.changed_at = when[id(change)]
    StageChange.objects.bulk_update(fill_changed, ["changed_at"], batch_size=500)
    ticked_at = {id(check): check.checked_at for check in checks}
    CriterionCheck.objects.bulk_create(checks, batch_size=BATCH_SIZE)
    fill_checked = [c for c in checks if c.pk is not None]
    for check in fill_checked:
        check.checked_at = ticked_at[id(check)]
    CriterionCheck.objects.bulk_update(fill_checked, ["checked_at"], batch_size=500)
    OpportunityContact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
    OpportunityTeamMember.objects.bulk_create(team, batch_size=BATCH_SIZE)
    OpportunityCompetitor.objects.bulk_create(rivals, batch_size=BATCH_SIZE)
    return {"opportunities": len(opportunities)}
