"""Demo visits and development records for `seed_demo`, in bulk.

Dates are relative to the moment of seeding, so a fresh demo always shows this week's
planned visits, follow-ups due and overdue, accounts whose contact has lapsed, and
development records waiting for the manager's review. Rows are plain values written
with `keyaccounts.bulk.insert_rows` (accounts/demo.py says how).
"""

import datetime
import random

from django.utils import timezone

from accounts.demo import DemoAccount, per_account, weighted
from accounts.models import AccountStatus, Attitude
from keyaccounts.bulk import Rows, change_numbers, insert_rows, reserve_ids

from .models import (
    DevelopmentRecord,
    DevelopmentResult,
    FollowUpMethod,
    PlannedAttendance,
    Visit,
    VisitMethod,
    VisitStatus,
)

PURPOSES = [
    "了解客户年度信息化预算与采购计划",
    "介绍我方整体解决方案并确认需求范围",
    "与技术部门交流方案细节，回应技术疑问",
    "拜访采购部门，了解供应商准入流程",
    "陪同主管领导高层拜访，巩固合作关系",
    "了解项目进展与使用中的问题",
]
TALKING_POINTS = [
    "客户今年重点推进数字化转型，预算向生产与供应链系统倾斜。",
    "对方关注总体拥有成本与实施周期，希望三个月内上线一期。",
    "技术负责人对数据安全与国产化适配提出了具体要求。",
    "采购部门说明需要三家以上供应商比选，评分偏重服务能力。",
    "使用部门反馈现有系统操作繁琐，希望移动端审批。",
    "高层认可我方行业案例，建议安排标杆客户参观。",
]
CUSTOMER_VIEWS = [
    "整体认可，但认为报价偏高。",
    "对方案感兴趣，需要内部再讨论。",
    "更倾向于分期实施，先做试点。",
    "担心实施团队经验，要求提供项目经理简历。",
    "对竞争对手的本地服务印象较好。",
]
NEXT_STEPS = [
    "一周内提交修订版方案与分期报价。",
    "安排售前顾问做一次技术交流。",
    "邀请客户参加下月产品发布会。",
    "约采购经理确认招标时间表。",
    "准备标杆客户参观行程。",
]
FEEDBACK = [
    "客户已收到方案，表示会在部门会议上讨论。",
    "对方确认了下一次技术交流的时间。",
    "采购经理反馈报价需再优惠约百分之五。",
    "客户对交流会评价积极，希望尽快看到演示环境。",
]
PLACES = ["客户总部会议室", "客户工厂现场", "我方展厅", "线上会议", "客户办公楼"]
SUMMARIES = {
    DevelopmentResult.SUCCESS: "决策者与评估者均支持我方方案，内线及时提供了评标信息，首单签约。",
    DevelopmentResult.FAILURE: "评估者倾向竞争对手，我方未能在技术评审前扭转态度；价格也不占优。",
}
METHOD_WEIGHTS = {
    VisitMethod.IN_PERSON: 6,
    VisitMethod.PHONE: 3,
    VisitMethod.EMAIL: 1,
    VisitMethod.PRESENTATION: 1,
}
ATTITUDE_WEIGHTS = {
    Attitude.CHAMPION: 1,
    Attitude.SUPPORTER: 4,
    Attitude.NEUTRAL: 4,
    Attitude.SKEPTIC: 2,
    Attitude.OPPONENT: 1,
}
FOLLOW_UP_METHODS = list(FollowUpMethod)


def at_office_hours(rng: random.Random, day: datetime.date, tz) -> datetime.datetime:
    """A half hour of the working day, in `tz` (the current time zone: what
    `timezone.make_aware` gives)."""
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(9, 16), rng.choice([0, 30])), tzinfo=tz
    )


def plan_visits(
    item: DemoAccount, *, count: int, seed: int, today: datetime.date, tz=None
) -> list[tuple[dict, list, list]]:
    """[(the Visit's values, contacts met, attendees' user ids)] for one account; times
    in `tz` (the current time zone unless given)."""
    rng = random.Random(f"{seed}:visits:{item.index}")
    tz = tz or timezone.get_current_timezone()
    owner_id = item.owner_id
    team = [user_id for user_id, _role in item.team]
    lapsed = item.index % 6 == 2  # no contact for over 90 days: the reminder shows
    result = []
    for k in range(count):
        method = weighted(rng, METHOD_WEIGHTS)
        visit = {
            "external_id": f"demo-visit-{item.index:06d}-{k:03d}",
            "account_id": item.pk,
            "owner_id": owner_id,
            "method": method,
            "purpose": rng.choice(PURPOSES),
        }
        met = rng.sample(item.contacts, min(len(item.contacts), rng.choice([1, 1, 2])))
        attendees = [user_id for user_id in team if rng.random() < 0.3]
        if k == 0 and item.index % 3 == 0 and not lapsed:
            # The week ahead: a planned visit.
            visit["status"] = VisitStatus.PLANNED
            day = today + datetime.timedelta(days=rng.randint(0, 6))
            visit["planned_at"] = at_office_hours(rng, day, tz)
            visit["preparation"] = "准备客户案例与报价单；会前与售前顾问电话沟通。"
            visit["pre_visit_call_held"] = rng.random() < 0.5
            result.append((visit, met, attendees))
            continue
        days_ago = rng.randint(95, 200) if lapsed else rng.choice([1, 2, 3, 5, 9, 15, 25, 40, 70])
        day = today - datetime.timedelta(days=days_ago)
        visit["status"] = VisitStatus.DONE
        visit["occurred_at"] = at_office_hours(rng, day, tz)
        visit["duration_minutes"] = rng.choice([30, 45, 60, 90, 120])
        visit["place"] = rng.choice(PLACES) if method == VisitMethod.IN_PERSON else ""
        visit["talking_points"] = rng.choice(TALKING_POINTS)
        visit["customer_views"] = rng.choice(CUSTOMER_VIEWS)
        visit["customer_attitude"] = weighted(rng, ATTITUDE_WEIGHTS)
        visit["next_steps"] = rng.choice(NEXT_STEPS)
        visit["follow_up_due"] = day + datetime.timedelta(days=7)
        roll = rng.random()
        if days_ago > 7:
            lag = (
                rng.randint(1, 7) if roll < 0.75 else (rng.randint(8, 14) if roll < 0.87 else None)
            )
        else:
            lag = rng.randint(1, days_ago) if roll < 0.4 else None
        if lag is not None and lag <= days_ago:
            visit["followed_up_on"] = day + datetime.timedelta(days=lag)
            visit["follow_up_method"] = rng.choice(FOLLOW_UP_METHODS)
            visit["follow_up_feedback"] = rng.choice(FEEDBACK)
            visit["followed_up_by_id"] = owner_id
        result.append((visit, met, attendees))
    return result


def plan_record(item: DemoAccount, *, seed: int, today: datetime.date) -> dict | None:
    """A development record's values for accounts under development, won or lost; else
    None."""
    rng = random.Random(f"{seed}:record:{item.index}")
    status = item.status
    started = today - datetime.timedelta(days=rng.randint(60, 180))
    record = {
        "external_id": f"demo-devrecord-{item.index:06d}",
        "account_id": item.pk,
        "prepared_by_id": item.owner_id,
        "started_on": started,
        "prepared_on": today - datetime.timedelta(days=rng.randint(0, 10)),
    }
    if status == AccountStatus.DEVELOPING:
        record["remarks"] = "持续跟进中：重点争取评估者支持。"
        return record
    if status == AccountStatus.LOST:
        result = DevelopmentResult.FAILURE
    elif status == AccountStatus.ACTIVE and item.index % 4 == 0:
        result = DevelopmentResult.SUCCESS
    else:
        return None
    record["result"] = result
    record["summary"] = SUMMARIES[result]
    record["closed_on"] = today - datetime.timedelta(days=rng.randint(5, 30))
    record["prepared_on"] = record["closed_on"]
    # Half of the finished records are already reviewed; the rest wait for the manager.
    if item.manager_id and item.manager_id != item.owner_id:
        if item.index % 2 == 0:
            record["reviewed_by_id"] = item.manager_id
            record["reviewed_on"] = record["closed_on"] + datetime.timedelta(days=3)
    return record


class DemoVisits:
    """The visits and development records of one run's new accounts (`new`: their
    numbers, of `accounts`), written with each chunk of accounts (`create`). Their ids
    and change numbers are reserved at the start, as accounts/demo.py explains."""

    models = [
        Visit,
        Visit.contacts.through,
        Visit.attendees.through,
        PlannedAttendance,
        DevelopmentRecord,
    ]

    def __init__(self, *, new: list[int], accounts: int, total: int, seed: int):
        self.total, self.accounts, self.seed = total, accounts, seed
        count = sum(per_account(index=i, total=total, accounts=accounts) for i in new)
        self.ids = iter(reserve_ids(Visit, count))
        # A development record at most per account.
        self.change_seqs = iter(change_numbers(count + len(new)))

    def create(self, items: list[DemoAccount], *, now: datetime.datetime) -> dict:
        """Write the visits and development records of these (just made) accounts."""
        today, tz = timezone.localdate(), timezone.get_current_timezone()
        visits = Rows(Visit, now=now)
        met, attended, planned = [], [], []
        records = Rows(DevelopmentRecord, now=now, without=["id"])
        for item in items:
            count = per_account(index=item.index, total=self.total, accounts=self.accounts)
            for visit, contacts, users in plan_visits(
                item, count=count, seed=self.seed, today=today, tz=tz
            ):
                visit["id"] = pk = next(self.ids)
                visit["change_seq"] = next(self.change_seqs)
                visits.add(visit)
                met.extend((pk, contact.pk) for contact in contacts)
                attended.extend((pk, user_id) for user_id in users)
                if visit["status"] == VisitStatus.PLANNED:  # visits.attendance's rows
                    planned.extend((user_id, pk, visit["planned_at"]) for user_id in users)
        for item in items:
            record = plan_record(item, seed=self.seed, today=today)
            if record is not None:
                record["change_seq"] = next(self.change_seqs)
                records.add(record)
        made = {"visits": visits.write()}
        insert_rows(Visit.contacts.through, ["visit_id", "contact_id"], met)
        insert_rows(Visit.attendees.through, ["visit_id", "user_id"], attended)
        insert_rows(PlannedAttendance, ["user_id", "visit_id", "planned_at"], planned)
        made["development records"] = records.write()
        return made
