"""Money risk: receivables by age (FIFO from month-end balances), the flags, the account
page's section, the account list's column and filter, the dashboard's overdue
concentration."""

import datetime
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import account_list
from accounts.tests.factories import AccountFactory
from scoring.dashboard import figures as dashboard
from scoring.models import MonthlySales
from scoring.money.risk import (
    Buckets,
    ageing,
    bucket_of,
    money_filter,
    money_for_accounts,
    overdue_concentration,
    with_money,
)

D = Decimal
pytestmark = pytest.mark.django_db


def m(year, month, sales, receivables=0):
    return (datetime.date(year, month, 1), D(sales), D(receivables))


# --- the rule, worked by hand ------------------------------------------------------------


def test_fifo_takes_the_balance_from_the_newest_months_first():
    """Balance 250 at the end of April; sales 100 a month. Terms 30 days; today 15 May.
    April's 100: due 30 May, not yet due. March's 100: due 30 April, 15 days overdue.
    February's 50 (the rest): due 30 March, 46 days overdue. January: paid."""
    months = [m(2026, 1, 100), m(2026, 2, 100), m(2026, 3, 100), m(2026, 4, 100, 250)]
    got = ageing(months, terms_days=30, today=datetime.date(2026, 5, 15))
    assert got == Buckets(current=D(100), days_1_30=D(100), days_31_60=D(50))
    assert got.total == D(250)
    assert got.overdue == D(150)


def test_longer_terms_make_the_same_balance_younger():
    """Terms 60: April due 29 June, March due 30 May (current), February due 29 April:
    16 days overdue."""
    months = [m(2026, 1, 100), m(2026, 2, 100), m(2026, 3, 100), m(2026, 4, 100, 250)]
    got = ageing(months, terms_days=60, today=datetime.date(2026, 5, 15))
    assert got == Buckets(current=D(200), days_1_30=D(50))


def test_a_balance_above_all_recorded_sales_is_over_90_days():
    got = ageing([m(2026, 4, 100, 300)], terms_days=30, today=datetime.date(2026, 5, 15))
    assert got == Buckets(current=D(100), over_90=D(200))


def test_the_latest_month_sets_the_balance_and_later_months_are_ignored():
    """The balance is the latest month-end up to the current month; a row for a month
    after this one (a plan typed ahead) is left out. A month of no sales takes nothing."""
    months = [
        m(2026, 2, 100, 999),
        m(2026, 3, 0, 40),
        m(2026, 6, 500, 500),  # after today's month
    ]
    got = ageing(months, terms_days=30, today=datetime.date(2026, 5, 15))
    # March sold nothing; February's 40 is due 30 March: 46 days overdue.
    assert got == Buckets(days_31_60=D(40))


@pytest.mark.parametrize(
    ("today", "bucket"),
    [
        (datetime.date(2026, 3, 31), "current"),  # due today: 0 days overdue
        (datetime.date(2026, 4, 1), "days_1_30"),
        (datetime.date(2026, 4, 30), "days_1_30"),  # 30 days
        (datetime.date(2026, 5, 1), "days_31_60"),  # 31 days
        (datetime.date(2026, 5, 30), "days_31_60"),  # 60
        (datetime.date(2026, 5, 31), "days_61_90"),  # 61
        (datetime.date(2026, 6, 29), "days_61_90"),  # 90
        (datetime.date(2026, 6, 30), "over_90"),  # 91
    ],
)
def test_bucket_edges(today, bucket):
    """March's sales, terms 0: due 31 March."""
    got = ageing([m(2026, 3, 10, 10)], terms_days=0, today=today)
    assert getattr(got, bucket) == D(10)
    assert got.total == D(10)


def test_bucket_of_days():
    assert [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current",
        "current",
        "days_1_30",
        "days_1_30",
        "days_31_60",
        "days_31_60",
        "days_61_90",
        "days_61_90",
        "over_90",
    ]


def test_nothing_recorded_is_nothing_owed():
    assert ageing([], terms_days=30, today=datetime.date(2026, 5, 1)) == Buckets()


# --- flags and the set-based reads ---------------------------------------------------------


def months_back(today, n):
    first = today.replace(day=1)
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def record(account, today, rows):
    """rows: [(months back, sales, receivables)]."""
    for back, sales, receivables in rows:
        MonthlySales.objects.create(
            account=account, month=months_back(today, back), sales=sales, receivables=receivables
        )


def test_flags_over_limit_and_over_90(personas):
    today = timezone.localdate()
    over_limit = AccountFactory(owner=personas.alice, credit_limit=D(100))
    record(over_limit, today, [(2, 100, 0), (1, 100, 150)])
    late = AccountFactory(owner=personas.alice, payment_terms_days=30)
    record(late, today, [(6, 500, 0), (1, 10, 300)])  # 290 older than the record shows
    fine = AccountFactory(owner=personas.alice, credit_limit=D(1000))
    record(fine, today, [(0, 100, 100)])
    money = money_for_accounts([over_limit, late, fine], today=today)
    assert money[over_limit.pk].over_limit and not money[over_limit.pk].over_90
    assert money[late.pk].over_90 and not money[late.pk].over_limit
    assert money[late.pk].flagged
    assert not money[fine.pk].flagged
    assert money[fine.pk].terms_days == 30 and money[fine.pk].terms_set is False


def test_money_for_a_page_of_accounts_is_two_queries(personas, django_assert_num_queries):
    """The invoices' sums by age, then the months of the accounts without invoices."""
    today = timezone.localdate()
    accounts = [AccountFactory(owner=personas.alice) for _ in range(6)]
    for i, account in enumerate(accounts):
        record(account, today, [(2, 100 * i, 0), (1, 100, 50 * i)])
    with django_assert_num_queries(2):
        money_for_accounts(accounts[:2], today=today)
    with django_assert_num_queries(2):
        money_for_accounts(accounts, today=today)


def test_the_sql_agrees_with_the_rule(personas):
    """Random accounts, terms and months: `with_money`'s annotations are `ageing`'s."""
    rng = random.Random(13)
    today = timezone.localdate()
    for _ in range(25):
        account = AccountFactory(
            owner=personas.alice,
            payment_terms_days=rng.choice([None, 0, 15, 30, 45, 60, 90]),
        )
        for back in rng.sample(range(0, 14), rng.randint(0, 6)):
            MonthlySales.objects.create(
                account=account,
                month=months_back(today, back),
                sales=D(rng.randint(0, 50) * 100),
                receivables=D(rng.randint(0, 200) * 100),
            )
    for when in (today, today + datetime.timedelta(days=47), today - datetime.timedelta(days=20)):
        accounts = list(with_money(account_list(user=personas.alice), when))
        expected = money_for_accounts(accounts, today=when)
        for account in accounts:
            money = expected[account.pk]
            assert account.money_receivables == money.receivables, account.pk
            assert account.money_overdue == money.overdue, account.pk
            assert account.money_over_90 == money.buckets.over_90, account.pk


def test_list_filters_by_money_risk(personas):
    today = timezone.localdate()
    over_limit = AccountFactory(owner=personas.alice, credit_limit=D(100))
    record(over_limit, today, [(0, 150, 150)])  # not yet due, but over the limit
    late = AccountFactory(owner=personas.alice)
    record(late, today, [(8, 500, 0), (7, 200, 200)])  # over 90 days
    overdue = AccountFactory(owner=personas.alice)
    record(overdue, today, [(2, 100, 100)])  # due a month ago, roughly
    AccountFactory(owner=personas.alice)  # nothing recorded
    accounts = account_list(user=personas.alice)
    assert set(money_filter(accounts, "over_limit", today)) == {over_limit}
    assert set(money_filter(accounts, "over_90", today)) == {late}
    assert set(money_filter(accounts, "overdue", today)) == {late, overdue}
    # Another team's account over its limit is not the rep's to see.
    hidden = AccountFactory(owner=personas.charlie, credit_limit=D(1))
    record(hidden, today, [(0, 5, 5)])
    assert hidden not in set(money_filter(account_list(user=personas.alice), "over_limit"))


def test_account_list_shows_overdue_and_flags_in_words(personas, login):
    today = timezone.localdate()
    account = personas.account
    account.credit_limit = D(100)
    account.save()
    record(account, today, [(8, 500, 0), (7, 200, 200)])
    page = login(personas.alice).get(reverse("accounts:list") + "?money=over_limit")
    html = page.content.decode()
    assert page.status_code == 200
    assert account.name.replace("'", "&#x27;") in html
    assert 'data-flag="over_limit"' in html and "Over credit limit" in html
    assert 'data-flag="over_90"' in html and "Over 90 days" in html
    assert "¥200" in html


def test_account_list_queries_do_not_grow_with_rows(personas, login, django_assert_num_queries):
    """The page's money is one read for its rows: same count at 2 and 25 rows."""
    client = login(personas.alice)
    today = timezone.localdate()

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(1):
        record(AccountFactory(owner=personas.alice), today, [(3, 100, 100)])
    small = count()
    for _ in range(23):
        record(AccountFactory(owner=personas.alice, credit_limit=D(1)), today, [(3, 100, 100)])
    assert count() == small


def test_account_page_has_a_money_section(personas, login):
    today = timezone.localdate()
    account = personas.account
    account.credit_limit = D(100)
    account.payment_terms_days = 45
    account.save()
    record(account, today, [(8, 500, 0), (7, 200, 200)])
    html = login(personas.alice).get(account.get_absolute_url()).content.decode()
    assert 'id="money"' in html
    assert "45 days" in html
    assert "Over its credit limit: ¥200 owed, limit ¥100." in html
    assert "is over 90 days overdue" in html
    assert 'data-bucket="over_90"' in html


# --- the dashboard -----------------------------------------------------------------------


def test_overdue_concentration_matches_python(personas):
    rng = random.Random(5)
    today = timezone.localdate()
    for owner in (personas.alice, personas.bob, personas.charlie):
        for _ in range(4):
            account = AccountFactory(owner=owner, payment_terms_days=rng.choice([None, 30, 60]))
            for back in range(rng.randint(1, 6)):
                MonthlySales.objects.create(
                    account=account,
                    month=months_back(today, back),
                    sales=D(rng.randint(1, 30) * 100),
                    receivables=D(rng.randint(0, 90) * 100),
                )
    accounts = account_list(user=personas.manager)
    overdue = sorted(
        (money.overdue for money in money_for_accounts(accounts, today=today).values()),
        reverse=True,
    )
    overdue = [value for value in overdue if value > 0]
    total = sum(overdue, D(0))
    got = dashboard.concentration(accounts, today)["overdue"]
    assert got["total"] == total
    assert got["top1"] == overdue[0]
    assert got["top5"] == sum(overdue[:5], D(0))
    assert got["top5_share"] == got["top5"] / total
    assert overdue_concentration(account_list(user=personas.alice), today)["total"] <= total


def test_dashboard_shows_the_overdue_row_linking_to_the_accounts(personas, login):
    today = timezone.localdate()
    record(personas.account, today, [(8, 500, 0), (7, 200, 200)])
    html = login(personas.manager).get(reverse("scoring:dashboard")).content.decode()
    assert 'data-key="overdue"' in html
    assert "top=overdue1" in html
    listed = login(personas.manager).get(reverse("accounts:list") + "?top=overdue1")
    assert personas.account.name.replace("'", "&#x27;") in listed.content.decode()


# --- the demo ----------------------------------------------------------------------------


def test_demo_money_flags_an_account_of_rep1_with_a_deal_waiting(personas):
    from accounts.tests.factories import UserFactory
    from opportunities import approvals
    from opportunities.models import Opportunity
    from opportunities.tests.factories import default_stages
    from scoring.money.demo import create_demo_money

    stages = default_stages()
    rep1 = UserFactory(username="rep1", sales_team=personas.east)
    today = timezone.localdate()
    account = AccountFactory(owner=rep1, external_id="demo-account-0001")
    record(account, today, [(back, 100000, 100000) for back in range(8)])
    made = create_demo_money(seed=42, today=today)
    assert made == {"terms": 1, "flagged": 1, "deals": 1}
    account.refresh_from_db()
    money = money_for_accounts([account], today=today)[account.pk]
    assert money.over_limit and money.over_90
    deal = Opportunity.objects.get(account=account)
    assert deal.stage == stages["bid"]
    from keyaccounts.exceptions import ApplicationError
    from opportunities import services

    with pytest.raises(ApplicationError) as refused:
        services.opportunity_move_stage(opportunity=deal, to_stage=stages["negotiation"], by=rep1)
    assert refused.value.code == "approval_required"
    assert approvals.can_approve(personas.manager, deal)
    before = MonthlySales.objects.get(account=account, month=months_back(today, 0)).receivables
    assert create_demo_money(seed=42, today=today) == {"terms": 0, "flagged": 1, "deals": 0}
    assert Opportunity.objects.filter(account=account).count() == 1
    after = MonthlySales.objects.get(account=account, month=months_back(today, 0)).receivables
    assert after == before
