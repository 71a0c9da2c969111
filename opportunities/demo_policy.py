"""Demo data of the service policy (called from `seed_demo` after the money demo).

The policy's version 1 comes from migration accounts 0008. Here: discounts on a third of
the demo deals, some above their account's grade ceiling (the deal page warns), and at
one demo account of rep1 its decider has left a few days ago (people move: the account's
red flag, the buying center's gap; the reminder scan tells rep1 and the manager).
Deterministic for a seed; run twice, it changes nothing more.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import BuyingRole, Contact

from .models import Opportunity

DISCOUNTS = ["3", "5", "5", "8", "10", "12", "18"]


def create_demo_policy(*, seed: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    made = {"discounts": 0, "left": 0}
    deals = Opportunity.objects.filter(external_id__startswith="demo-opportunity-")
    if not deals.filter(discount_percent__isnull=False).exists():
        rng = random.Random(f"{seed}:discounts")
        chosen = [deal for deal in deals.order_by("pk")[:3000] if rng.random() < 1 / 3]
        for deal in chosen:
            deal.discount_percent = Decimal(rng.choice(DISCOUNTS))
        Opportunity.objects.bulk_update(chosen, ["discount_percent"], batch_size=500)
        made["discounts"] = len(chosen)
    demo_contacts = Contact.objects.filter(account__external_id__startswith=ACCOUNT_PREFIX)
    if not demo_contacts.filter(left_on__isnull=False).exists():
        decider = (
            demo_contacts.filter(
                account__owner__username="rep1", buying_role=BuyingRole.DECIDER, is_active=True
            )
            .order_by("account_id", "pk")
            .first()
        )
        if (
            decider is not None
            and not demo_contacts.filter(
                account_id=decider.account_id, buying_role=BuyingRole.DECIDER, is_active=True
            )
            .exclude(pk=decider.pk)
            .exists()
        ):
            # Set-based, as the rest of the seed (no signals, no nudges): the reminder scan
            # (beat, run_reminders) tells rep1 and the manager.
            Contact.objects.filter(pk=decider.pk).update(
                is_active=False, left_on=today - datetime.timedelta(days=3)
            )
            made["left"] = 1
    return made


def summary(made: dict) -> str:
    return (
        f"  gave {made['discounts']} demo deals a discount; "
        f"{made['left']} demo decider marked as having left (people move)"
    )
