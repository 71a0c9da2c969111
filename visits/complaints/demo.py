"""Demo complaints (called from `seed_demo` once the access table is rebuilt: the services
check who sees what).

For rep1: one complaint past its deadline to answer (the reminder scan escalates it to
the manager), one answered and in progress, and one closed with the customer's
confirmation. Run twice, it adds nothing (rep1's accounts that have complaints are left
alone).
"""

import datetime

from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, User
from keyaccounts.history.context import history_context

from . import services
from .models import Complaint, ComplaintChannel, ComplaintSeverity


def create_demo_complaints(*, seed: int, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    made = {"breached": 0, "open": 0, "closed": 0}
    rep = User.objects.filter(username="rep1").first()
    if rep is None or Complaint.all_objects.filter(account__owner=rep).exists():
        return made
    accounts = list(
        Account.objects.filter(owner=rep, external_id__startswith=ACCOUNT_PREFIX).order_by("pk")[:3]
    )
    if len(accounts) < 3:
        return made
    breached_at, open_at, closed_at = accounts
    with history_context(origin="system", user=rep):
        contact = breached_at.contacts.filter(is_active=True).order_by("pk").first()
        services.complaint_create(
            by=rep,
            account=breached_at,
            contact=contact,
            subject="交货延迟三天，产线停工",
            description="承诺周一到货的备件周四才到，客户产线停了半天。",
            channel=ComplaintChannel.PHONE,
            severity=ComplaintSeverity.CRITICAL,
            received_at=now - datetime.timedelta(days=12),
        )
        made["breached"] += 1
        in_progress = services.complaint_create(
            by=rep,
            account=open_at,
            subject="发票价格错误",
            description="按去年的目录价开票，而不是合同价。",
            channel=ComplaintChannel.EMAIL,
            severity=ComplaintSeverity.MEDIUM,
            received_at=now - datetime.timedelta(hours=5),
        )
        services.complaint_respond(
            by=rep,
            complaint=in_progress,
            response="财务正在重开正确的发票。",
            now=now - datetime.timedelta(hours=2),
        )
        made["open"] += 1
        done = services.complaint_create(
            by=rep,
            account=closed_at,
            subject="工程师未预约上门",
            channel=ComplaintChannel.WECHAT,
            severity=ComplaintSeverity.LOW,
            received_at=now - datetime.timedelta(days=20),
        )
        services.complaint_resolve(
            by=rep,
            complaint=done,
            resolution="今后上门均提前一天与厂长预约。",
            now=now - datetime.timedelta(days=18),
        )
        confirmer = closed_at.contacts.filter(is_active=True).order_by("pk").first()
        services.complaint_close(
            by=rep,
            complaint=done,
            confirmed_by_contact=confirmer,
            confirmation_note="" if confirmer else "厂长，电话确认",
            now=now - datetime.timedelta(days=17),
        )
        made["closed"] += 1
    return made


def summary(made: dict) -> str:
    return (
        f"  created {made['breached']} breached, {made['open']} open and"
        f" {made['closed']} closed complaints"
    )
