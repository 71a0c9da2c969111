"""Demo money risk (called from `seed_demo` after scoring's demo made the monthly sales).

Payment terms and credit limits on some demo accounts, and one account of rep1's over
its credit limit with money over 90 days overdue, with an open deal in the stage before
the closing ones (bid; one of the demo deals when rep1 has one there): moving it on asks
for a manager's approval (opportunities/approvals.py). Deterministic for a seed; run
twice, it changes nothing more (an account that already has terms is left alone).
"""

import datetime
import random
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Round
from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, User
from opportunities.gates import closing_stage_ids
from opportunities.models import CriterionCheck, Opportunity, Stage, StageChange

from ..models import MonthlySales
from ..window import MONEY, sales_window

TERMS = [30, 30, 45, 60, 60, 90]
FACTORS = ["1.1", "1.5", "2", "3"]  # credit limit ÷ latest balance
DEAL_NAME = "Plant expansion: phase 2 equipment"  # 二期扩产设备


def create_demo_money(*, seed: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    made = {"terms": _terms_and_limits(seed, today), "flagged": 0, "deals": 0}
    flagged, deal_made = _flag_one_of_rep1(today)
    made["flagged"] = int(flagged)
    made["deals"] = int(deal_made)
    return made


def _terms_and_limits(seed: int, today: datetime.date) -> int:
    """Terms on the demo accounts that have none, and a credit limit on about half of
    those with receivables (1.1–3 times the latest balance): a few set-based UPDATEs,
    one per value, whatever the number of accounts."""
    ids = list(
        Account.objects.filter(
            external_id__startswith=ACCOUNT_PREFIX, payment_terms_days__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    rng = random.Random(f"{seed}:money")
    by_terms: dict[int, list[int]] = {}
    by_factor: dict[Decimal, list[int]] = {}
    for pk in ids:
        by_terms.setdefault(rng.choice(TERMS), []).append(pk)
        if rng.random() < 0.5:
            by_factor.setdefault(Decimal(rng.choice(FACTORS)), []).append(pk)
    for terms, pks in by_terms.items():
        for chunk in _chunks(pks):
            Account.objects.filter(pk__in=chunk).update(payment_terms_days=terms)
    _start, end = sales_window(today)
    latest = Subquery(
        MonthlySales.objects.filter(account=OuterRef("pk"), month__lt=end)
        .order_by("-month")
        .values("receivables")[:1],
        output_field=MONEY,
    )
    for factor, pks in by_factor.items():
        for chunk in _chunks(pks):
            Account.objects.filter(pk__in=chunk).update(
                credit_limit=Round(latest * factor / 1000) * 1000
            )
    return len(ids)


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _flag_one_of_rep1(today: datetime.date) -> tuple[bool, bool]:
    """rep1's first demo account (by external ID) with six months of sales and an open
    deal at the stage before the closing ones — else the first with the sales, and a
    deal opened there: its latest balance raised above the last five months' sales (the
    rest is over 90 days overdue) and above its credit limit, then rescored. Run again,
    it finds the account flagged already and changes nothing."""
    rep1 = User.objects.filter(username="rep1").first()
    stage = _stage_before_closing()
    if rep1 is None or stage is None:
        return False, False
    _start, end = sales_window(today)
    candidates = list(
        Account.objects.filter(owner=rep1, external_id__startswith=ACCOUNT_PREFIX).order_by(
            "external_id"
        )[:200]
    )
    with_deal = set(
        Opportunity.objects.filter(account__in=candidates, stage=stage).values_list(
            "account_id", flat=True
        )
    )
    ordered = [a for a in candidates if a.pk in with_deal] + [
        a for a in candidates if a.pk not in with_deal
    ]
    for account in ordered:
        months = list(
            MonthlySales.objects.filter(account=account, month__lt=end).order_by("-month")[:6]
        )
        if len(months) < 6:
            continue
        newest = months[0]
        owed = sum((row.sales for row in months[:5]), Decimal(0)) + Decimal(380000)
        limit = (owed * Decimal("0.8")).quantize(Decimal(1000))
        changed = newest.receivables != owed or account.credit_limit != limit
        if changed:
            MonthlySales.objects.filter(pk=newest.pk).update(receivables=owed)
            Account.objects.filter(pk=account.pk).update(credit_limit=limit, payment_terms_days=30)
            from ..services import rescore

            rescore([account.pk], today=today)
        deal_made = account.pk not in with_deal and _open_deal(account, stage, today)
        return True, deal_made
    return False, False


def _stage_before_closing() -> Stage | None:
    closing = closing_stage_ids()
    before = [s for s in Stage.objects.order_by("order") if not s.is_closed and s.pk not in closing]
    return before[-1] if before else None


def _open_deal(account: Account, stage: Stage, today: datetime.date) -> bool:
    """An open deal in `stage`, the outcomes of it and the stages before ticked."""
    if Opportunity.objects.filter(account=account, name=DEAL_NAME).exists():
        return False
    deal = Opportunity(
        account=account,
        name=DEAL_NAME,
        owner_id=account.owner_id,
        amount=Decimal(1800000),
        expected_close_date=today + datetime.timedelta(days=30),
        stage=stage,
        probability=stage.default_probability,
    )
    deal.save()
    change = StageChange.objects.create(
        opportunity=deal, from_stage=None, to_stage=stage, changed_by_id=account.owner_id
    )
    # Opened "today" at 09:00, not at the second the seed ran: the same seed, the same rows.
    opened = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
    StageChange.objects.filter(pk=change.pk).update(changed_at=opened)
    CriterionCheck.objects.bulk_create(
        CriterionCheck(opportunity=deal, criterion=criterion, checked_by_id=account.owner_id)
        for s in Stage.objects.prefetch_related("criteria").order_by("order")
        if s.order <= stage.order and not s.is_closed
        for criterion in s.criteria.all()
    )
    CriterionCheck.objects.filter(opportunity=deal).update(checked_at=opened)
    return True


def summary(made: dict) -> str:
    return (
        f"  money risk: terms set on {made['terms']} accounts, {made['flagged']} account of"
        f" rep1 over its credit limit with money over 90 days overdue"
        f" ({made['deals']} deal opened for it)"
    )
