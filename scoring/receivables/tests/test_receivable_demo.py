"""The demo's invoices: three of rep1's accounts — one over 90 days overdue, one current
and 1–30 days overdue, one fully paid — never the money demo's flagged account; the same
on every seed; a second run adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account
from scoring.money.risk import FROM_INVOICES, FROM_MONTH_END, money_for_accounts
from scoring.receivables.demo import create_demo_invoices
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db


def test_the_demo_has_three_stories_of_rep1_and_leaves_the_money_demo_alone():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (
        "created 6 invoices for rep1's accounts: 1 with an invoice over 90 days overdue,"
        " 1 with invoices current and 1–30 days overdue, 1 fully paid"
    ) in out.getvalue()
    invoices = Receivable.objects.select_related("account").order_by("pk")
    assert {i.account.owner.username for i in invoices} == {"rep1"}
    assert all(i.invoice_number.startswith(f"FP{timezone.localdate().year}") for i in invoices)
    assert len({i.invoice_number for i in invoices}) == 6
    accounts = list({i.account_id: i.account for i in invoices}.values())
    money = money_for_accounts(accounts, today=timezone.localdate())
    late, current, paid = (money[a.pk] for a in accounts)
    assert all(m.source == FROM_INVOICES for m in (late, current, paid))
    assert late.over_90 and late.receivables == late.buckets.over_90
    assert current.buckets.current > 0 and current.buckets.days_1_30 > 0
    assert current.overdue == current.buckets.days_1_30 and not current.flagged
    assert paid.receivables == 0 and not paid.flagged
    # The money demo's account (over its credit limit, over 90 days) keeps its month-end
    # story.
    mine = list(Account.objects.filter(owner__username="rep1"))
    everyone = money_for_accounts(mine, today=timezone.localdate())
    story = [a for a in mine if everyone[a.pk].over_limit and everyone[a.pk].over_90]
    assert story and all(everyone[a.pk].source == FROM_MONTH_END for a in story)
    assert Receivable.objects.filter(account=accounts[0], paid_amount__gt=0).exists()
    assert create_demo_invoices(seed=42) == {"invoices": 0, "late": 0, "current": 0, "paid": 0}


def test_the_same_seed_gives_the_same_invoices():
    call_command("seed_demo", stdout=io.StringIO())
    fields = ("account__external_id", "invoice_number", "issued_on", "due_on", "amount")
    first = list(Receivable.objects.order_by("pk").values_list(*fields, "paid_amount"))
    Receivable.all_objects.all().delete()
    made = create_demo_invoices(seed=42)
    assert made["invoices"] == 6
    assert list(Receivable.objects.order_by("pk").values_list(*fields, "paid_amount")) == first
