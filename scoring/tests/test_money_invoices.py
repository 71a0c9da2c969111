"""Money risk from invoices (scoring.receivables): an account with invoices on record is
aged invoice by invoice and its receivables are their open amounts; an account without
keeps the month-end FIFO. Checked by hand, against Python over random books, in the
account list's filters, the dashboard's concentrations and the closing gate."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.selectors import account_list
from accounts.tests.factories import AccountFactory
from keyaccounts.recyclebin.services import soft_delete
from scoring.dashboard import figures as dashboard
from scoring.models import MonthlySales
from scoring.money.risk import (
    FROM_INVOICES,
    FROM_MONTH_END,
    Buckets,
    flag_reasons,
    invoice_ageing,
    money_filter,
    money_for_accounts,
    with_money,
)
from scoring.receivables.models import Receivable
from scoring.selectors import concentration, with_sales

D = Decimal
pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 5, 15)


def inv(due, amount, paid=0):
    return (due, D(amount), D(paid))


def invoice(account, *, due, amount, paid=0, number=None, issued=None):
    return Receivable.objects.create(
        account=account,
        invoice_number=number or f"FP{Receivable.all_objects.count() + 1:06d}",
        issued_on=issued or due - datetime.timedelta(days=30),
        due_on=due,
        amount=D(amount),
        paid_amount=D(paid),
    )


def months_back(today, n):
    first = today.replace(day=1)
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


# --- the rule, worked by hand ------------------------------------------------------------


def test_each_invoice_ages_from_its_own_due_date_net_of_what_was_paid():
    """Due tomorrow: current. Due 15 April (30 days): 1–30, 100 of 300 paid. Due 14
    April (31 days): 31–60. Due 14 Feb (90 days): 61–90. Due 13 Feb (91): over 90.
    Fully paid: nothing, wherever its due date is."""
    got = invoice_ageing(
        [
            inv(datetime.date(2026, 5, 16), 50),
            inv(datetime.date(2026, 5, 15), 5),  # due today: 0 days overdue
            inv(datetime.date(2026, 4, 15), 300, 100),
            inv(datetime.date(2026, 4, 14), 70),
            inv(datetime.date(2026, 2, 14), 40),
            inv(datetime.date(2026, 2, 13), 30),
            inv(datetime.date(2025, 1, 1), 999, 999),
        ],
        today=TODAY,
    )
    assert got == Buckets(
        current=D(55), days_1_30=D(200), days_31_60=D(70), days_61_90=D(40), over_90=D(30)
    )
    assert got.overdue == D(340)


def test_invoices_replace_the_month_end_balances_of_their_account(personas):
    """The month-end rows say 500 owed, all of it old; the invoices say 120, current."""
    account = AccountFactory(owner=personas.alice)
    for back in range(8):
        MonthlySales.objects.create(
            account=account, month=months_back(TODAY, back), sales=D(0), receivables=D(500)
        )
    before = money_for_accounts([account], today=TODAY)[account.pk]
    assert before.source == FROM_MONTH_END and before.buckets.over_90 == D(500)
    invoice(account, due=TODAY + datetime.timedelta(days=10), amount=120)
    after = money_for_accounts([account], today=TODAY)[account.pk]
    assert after.source == FROM_INVOICES and after.from_invoices
    assert after.buckets == Buckets(current=D(120))


def test_an_account_whose_invoices_are_all_paid_owes_nothing(personas):
    account = AccountFactory(owner=personas.alice)
    MonthlySales.objects.create(
        account=account, month=months_back(TODAY, 1), sales=D(100), receivables=D(100)
    )
    invoice(account, due=TODAY - datetime.timedelta(days=200), amount=100, paid=100)
    money = money_for_accounts([account], today=TODAY)[account.pk]
    assert money.from_invoices and money.receivables == 0 and not money.flagged
    annotated = with_sales(account_list(user=personas.alice), TODAY).get(pk=account.pk)
    assert annotated.receivables == 0


def test_an_invoice_in_the_recycle_bin_counts_for_nothing(personas):
    account = AccountFactory(owner=personas.alice)
    late = invoice(account, due=TODAY - datetime.timedelta(days=120), amount=80)
    invoice(account, due=TODAY, amount=20)
    assert money_for_accounts([account], today=TODAY)[account.pk].buckets.over_90 == D(80)
    soft_delete(root=late, by=personas.alice)
    money = money_for_accounts([account], today=TODAY)[account.pk]
    assert money.buckets == Buckets(current=D(20))
    row = with_money(account_list(user=personas.alice), TODAY).get(pk=account.pk)
    assert (row.money_receivables, row.money_over_90) == (D(20), D(0))


def test_flags_and_the_gate_follow_the_invoices(personas):
    account = AccountFactory(owner=personas.alice, credit_limit=D(100))
    invoice(account, due=TODAY - datetime.timedelta(days=95), amount=60)
    invoice(account, due=TODAY + datetime.timedelta(days=5), amount=60)
    money = money_for_accounts([account], today=TODAY)[account.pk]
    assert money.over_limit and money.over_90
    reasons = " ".join(flag_reasons(account, money))
    assert "over its credit limit" in reasons and "over 90 days overdue" in reasons


def test_the_gate_asks_for_approval_at_an_account_with_an_invoice_over_90_days(personas):
    from keyaccounts.exceptions import ApplicationError
    from opportunities import services
    from opportunities.tests.factories import OpportunityFactory, default_stages

    stages = default_stages()
    account = AccountFactory(owner=personas.alice)
    deal = OpportunityFactory(account=account, owner=personas.alice, stage=stages["bid"])
    for criterion in stages["bid"].criteria.all():
        services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    deal.refresh_from_db()
    today = timezone.localdate()
    invoice(account, due=today - datetime.timedelta(days=91), amount=10)
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    assert refused.value.code == "approval_required"
    Receivable.objects.filter(account=account).update(paid_amount=D(10))
    deal.refresh_from_db()
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
    )
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


# --- the set-based reads agree with the rule ------------------------------------------------


def random_book(personas, rng, today, n=30):
    """Accounts of three kinds: month-end rows only, invoices only, both (invoices win)."""
    for i in range(n):
        account = AccountFactory(
            owner=rng.choice([personas.alice, personas.bob, personas.charlie]),
            payment_terms_days=rng.choice([None, 0, 30, 60]),
            credit_limit=rng.choice([None, D(500), D(5000)]),
        )
        kind = i % 3
        if kind in (0, 2):
            for back in rng.sample(range(0, 12), rng.randint(1, 5)):
                MonthlySales.objects.create(
                    account=account,
                    month=months_back(today, back),
                    sales=D(rng.randint(0, 30) * 100),
                    receivables=D(rng.randint(0, 60) * 100),
                )
        if kind in (1, 2):
            for _ in range(rng.randint(1, 5)):
                amount = D(rng.randint(1, 40) * 100)
                invoice(
                    account,
                    due=today + datetime.timedelta(days=rng.randint(-200, 40)),
                    amount=amount,
                    paid=rng.choice([D(0), amount, amount / 2]),
                )


def test_the_sql_agrees_with_the_rule_for_invoices_and_month_ends(personas):
    rng = random.Random(2026)
    today = timezone.localdate()
    random_book(personas, rng, today)
    for when in (today, today + datetime.timedelta(days=31), today - datetime.timedelta(days=61)):
        accounts = list(with_money(account_list(user=personas.manager), when))
        expected = money_for_accounts(accounts, today=when)
        assert {a.pk for a in accounts if a.money_from_invoices} == {
            pk for pk, money in expected.items() if money.from_invoices
        }
        for account in accounts:
            money = expected[account.pk]
            assert account.money_receivables == money.receivables, account.pk
            assert account.money_overdue == money.overdue, account.pk
            assert account.money_over_90 == money.buckets.over_90, account.pk
        for value, test in (
            ("overdue", lambda m: m.overdue > 0),
            ("over_90", lambda m: m.over_90),
            ("over_limit", lambda m: m.over_limit),
        ):
            got = set(
                money_filter(account_list(user=personas.manager), value, when).values_list(
                    "pk", flat=True
                )
            )
            assert got == {pk for pk, money in expected.items() if test(money)}, value


def test_the_lists_receivables_are_the_rules(personas):
    """The account list's `receivables` column (with_sales) is the money rule's total."""
    rng = random.Random(7)
    today = timezone.localdate()
    random_book(personas, rng, today, n=18)
    accounts = list(with_sales(account_list(user=personas.manager), today))
    expected = money_for_accounts(accounts, today=today)
    for account in accounts:
        assert account.receivables == expected[account.pk].receivables, account.pk


def test_the_dashboards_concentrations_over_a_mixed_book(personas):
    """Receivables and overdue receivables, top 1 and top 5, against Python over the
    visible accounts, whichever way each account's money is known."""
    rng = random.Random(11)
    today = timezone.localdate()
    random_book(personas, rng, today, n=24)
    accounts = account_list(user=personas.manager)
    money = money_for_accounts(list(accounts), today=today)
    for key, values in (
        ("receivables", [m.receivables for m in money.values()]),
        ("overdue", [m.overdue for m in money.values()]),
    ):
        ranked = sorted((v for v in values if v > 0), reverse=True)
        part = (
            dashboard.concentration(accounts, today)[key]
            if key == "overdue"
            else concentration(accounts, today)[key]
        )
        assert part["total"] == sum(ranked, D(0)), key
        assert part["top1"] == ranked[0], key
        assert part["top5"] == sum(ranked[:5], D(0)), key


def test_a_page_of_money_costs_the_same_with_invoices(personas, django_assert_num_queries):
    accounts = [AccountFactory(owner=personas.alice) for _ in range(8)]
    for i, account in enumerate(accounts):
        for k in range(i):
            invoice(account, due=TODAY - datetime.timedelta(days=10 * k), amount=100)
    with django_assert_num_queries(2):
        money_for_accounts(accounts[:2], today=TODAY)
    with django_assert_num_queries(2):
        money_for_accounts(accounts, today=TODAY)
