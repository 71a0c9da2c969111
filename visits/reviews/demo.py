"""Demo review meetings (called from `seed_demo` once the access table is rebuilt: the
services check who sees what).

For rep1: a held review with minutes and two follow-ups (one overdue) at one A account,
a review scheduled next week at another A or B account; the other A and B accounts are
left without one, so the managers' "missing" list has something to show. Run twice, it
adds nothing (an account that has a review is left alone).
"""

import datetime

from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, User
from keyaccounts.history.context import history_context

from . import services
from .models import ReviewMeeting
from .periods import current_period_for_grade


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def create_demo_reviews(*, seed: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    made = {"held": 0, "scheduled": 0, "follow-ups": 0}
    rep = User.objects.filter(username="rep1").first()
    if rep is None:
        return made
    accounts = list(
        Account.objects.filter(
            owner=rep,
            external_id__startswith=ACCOUNT_PREFIX,
            score__grade__in=["A", "B"],
        )
        .exclude(pk__in=ReviewMeeting.all_objects.values("account_id"))
        .select_related("score")
        .order_by("score__grade", "pk")[:2]
    )
    if len(accounts) < 2 or ReviewMeeting.all_objects.filter(account__owner=rep).exists():
        return made
    manager = rep.sales_team.manager if rep.sales_team_id else None
    with history_context(origin="system", user=rep):
        held_at, upcoming_at = accounts
        period = current_period_for_grade(held_at.score.grade, today)
        held_day = max(period.start, today - datetime.timedelta(days=20))
        review = services.review_schedule(
            by=rep, account=held_at, scheduled_for=_at(held_day, 10), place="客户总部"
        )
        contacts = list(held_at.contacts.filter(is_active=True).order_by("pk")[:2])
        attendees = [rep] + ([manager] if manager else [])
        review = services.review_record_minutes(
            review=review,
            by=rep,
            held_on=held_day,
            contacts=contacts,
            attendees=attendees,
            # 产品和服务:交货准时,但报表太晚
            said_about_us="产品质量稳定，交货准时；但月度服务报告送达太晚，赶不上客户自己的例会。",
            # 对我方人员的意见:销售反应快,技术支持需要更多现场
            said_about_our_people="销售人员响应快。希望换线期间技术支持工程师多到现场。",
            agreed_changes="每月5日前提交服务报告；两次计划换线期间派工程师驻场。",
            satisfaction=4,
        )
        made["held"] = 1
        for what, due in [
            ("每月5日前发送服务报告", held_day + datetime.timedelta(days=5)),
            ("安排换线期间的工程师上门", today + datetime.timedelta(days=10)),
        ]:
            services.follow_up_create(
                review=review, by=rep, what=what, owner=rep, due_on=max(due, held_day)
            )
            made["follow-ups"] += 1
        services.review_schedule(
            by=rep,
            account=upcoming_at,
            scheduled_for=_at(today + datetime.timedelta(days=7), 14),
            place="我方办公室",
            agenda="客户对我方产品、服务和人员的意见；下一期要改进的地方。",
        )
        made["scheduled"] = 1
    return made


def summary(made: dict) -> str:
    return (
        f"  created {made['held']} held and {made['scheduled']} scheduled review meetings,"
        f" {made['follow-ups']} review follow-ups"
    )
