"""The dashboard's numbers (scoring.dashboard.figures), each checked against the same number
counted another way: by looping over the rows in Python."""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Account, AccountStatus, BuyingRole, Industry
from accounts.policy import current_policy
from accounts.scope import filter_accounts
from accounts.selectors import account_list, accounts_visible_to
from accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory
from opportunities.models import Opportunity
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring import services
from scoring.dashboard import figures as dashboard
from scoring.models import GradeChange, MonthlySales
from scoring.selectors import accounts_moved, sales_window
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

# (grade a week ago, grade now); "" a week ago: first graded this week; None: never graded.
GRADE_PLANS = [("B", "A"), ("A", "A"), ("", "C"), ("C", "B"), ("D", "D"), None, ("A", "B")]
INDUSTRIES = [Industry.MANUFACTURING, Industry.FINANCE, Industry.ENERGY]
REGIONS = ["East China", "North China"]
CURRENCIES = ["CNY", "USD", "EUR"]


def days(n):
    return datetime.timedelta(days=n)


def set_grade(account, grade, by):
    """Grade the account the way a manager does: a pin, which rescores it."""
    services.grade_pin(
        account=account,
        by=by,
        grade=grade,
        reason="set by the test",
        expires_on=timezone.localdate() + days(30),
    )


def build_book(personas, n: int) -> list:
    """`n` accounts spread over alice, bob, carol (East) and charlie (West), cycling through
    grades and grade moves, open and closed deals in three currencies and every part of the
    forecast window, buying-center gaps, recent and long-lapsed visits and monthly sales.
    Each account's features depend only on its index, so 3 and 30 accounts differ only in
    size."""
    stages = default_stages()
    open_stages = [s for s in stages.values() if not s.is_closed]
    owners = [personas.alice, personas.bob, personas.carol, personas.charlie]
    today = timezone.localdate()
    now = timezone.now()
    this_month = today.replace(day=1)
    accounts = []
    for i in range(n):
        account = AccountFactory(
            name=f"Book {i:02d}",
            owner=owners[i % 4],
            industry=INDUSTRIES[i % 3],
            region=REGIONS[i % 2],
            status=AccountStatus.LOST if i % 11 == 8 else AccountStatus.ACTIVE,
        )
        accounts.append(account)
        if i % 5 == 1 and account.owner in (personas.alice, personas.carol):
            TeamMemberFactory(account=account, user=personas.bob)
        plan = GRADE_PLANS[i % len(GRADE_PLANS)]
        if plan is not None:
            before, after = plan
            if before:
                set_grade(account, before, personas.manager)
                GradeChange.objects.filter(account=account).update(changed_at=now - days(10))
            set_grade(account, after, personas.manager)
        close_dates = [today - days(40), today, today + days(75), today + days(400)]
        OpportunityFactory(
            account=account,
            stage=open_stages[i % len(open_stages)],
            amount=Decimal(100_000 * (i + 1)) + Decimal("0.50"),
            currency=CURRENCIES[i % 3],
            expected_close_date=close_dates[i % 4],
            probability=33 if i % 6 == 0 else open_stages[i % len(open_stages)].default_probability,
        )
        if i % 2 == 0:  # a second open deal in the same stage
            OpportunityFactory(
                account=account,
                stage=open_stages[i % len(open_stages)],
                amount=250_000,
                currency="USD",
                expected_close_date=this_month + days(45),
            )
        if i % 3 == 0:
            OpportunityFactory(account=account, stage=stages["won"], amount=9_000_000)
        if i % 5 == 0:
            OpportunityFactory(account=account, stage=stages["lost"], amount=7_000_000)
        if i % 2 == 0:
            ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
        if i % 4 == 1:
            ContactFactory(account=account, buying_role=BuyingRole.DECIDER, is_active=False)
        if i % 3 == 0:
            ContactFactory(account=account, is_coach=True)
        if i % 3 == 2:  # long lapsed, whatever the grade's rhythm
            VisitFactory(account=account, occurred_at=now - days(120))
        else:
            VisitFactory(
                account=account,
                followed_up_on=today - days(1) if i % 2 else None,
                follow_up_feedback="ok" if i % 2 else "",
            )
        if i % 2 == 0:
            for months_back, sales in ((0, 1000 * (i + 1)), (1, 500), (13, 99_999)):
                month = dashboard.add_months(this_month, -months_back)
                MonthlySales.objects.create(
                    account=account,
                    month=month,
                    sales=sales,
                    receivables=Decimal(300 * (i % 5)) if months_back == 0 else 777,
                )
    return accounts


@pytest.fixture
def book(personas):
    return build_book(personas, 22)


def visible_accounts(user):
    """The visible accounts as objects, with what the Python counts below need."""
    return list(
        accounts_visible_to(user)
        .select_related("score")
        .prefetch_related(
            "contacts", "visits", "opportunities__stage", "grade_changes", "monthly_sales"
        )
    )


def grade_of(account) -> str:
    score = getattr(account, "score", None)
    return score.grade if score else "none"


def in_cny(deal) -> Decimal:
    return deal.amount * Decimal(settings.CURRENCY_RATES_TO_CNY[deal.currency])


def open_deals_of(accounts):
    return [d for a in accounts for d in a.opportunities.all() if not d.stage.is_closed]


# --- the computations against Python counts ---------------------------------------------


def test_grade_distribution_counts_each_visible_account_once(personas, book):
    accounts = account_list(user=personas.manager)
    expected = Counter(grade_of(a) for a in visible_accounts(personas.manager))
    result = {row["grade"]: row["count"] for row in dashboard.grade_distribution(accounts)}
    assert result == {grade: expected.get(grade, 0) for grade in dashboard.GRADE_KEYS}
    assert sum(result.values()) == accounts_visible_to(personas.manager).count()
    assert result["none"] >= 1 and result["A"] >= 1


def test_pipeline_counts_and_sums_open_deals_in_cny_per_grade_and_stage(personas, book):
    visible = visible_accounts(personas.manager)
    count, amount, owners = Counter(), defaultdict(Decimal), defaultdict(set)
    for account in visible:
        for deal in account.opportunities.all():
            if deal.stage.is_won or deal.stage.is_lost:
                continue
            key = (grade_of(account), deal.stage.key)
            count[key] += 1
            amount[key] += in_cny(deal)
            owners[key].add(account.pk)

    stages = dashboard.open_stages()
    assert [s.key for s in stages] == [
        "qualify", "needs_analysis", "solution", "bid", "negotiation"
    ]  # fmt: skip
    result = dashboard.pipeline(account_list(user=personas.manager), stages)
    for row in result["rows"]:
        for cell in row["cells"]:
            key = (row["grade"], cell["stage"].key)
            assert cell["count"] == count[key], key
            assert cell["amount"] == amount[key].quantize(Decimal("0.01")), key
            assert cell["accounts"] == len(owners[key]), key
        assert row["count"] == sum(v for k, v in count.items() if k[0] == row["grade"])
    for total in result["totals"]:
        assert total["count"] == sum(v for k, v in count.items() if k[1] == total["stage"].key)
    assert result["count"] == sum(count.values()) == len(open_deals_of(visible))
    assert result["amount"] == sum(amount.values()).quantize(Decimal("0.01"))
    # Won and lost deals exist in the book but count nowhere.
    assert Opportunity.objects.filter(stage__is_won=True).exists()


def test_forecast_weights_open_deals_by_close_month_and_grade(personas, book):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    end = dashboard.add_months(this_month, 12)
    expected = defaultdict(Decimal)
    for account in visible_accounts(personas.manager):
        for deal in account.opportunities.all():
            if deal.stage.is_closed or deal.expected_close_date >= end:
                continue
            close = deal.expected_close_date
            key = "overdue" if close < this_month else f"{close:%Y-%m}"
            expected[(key, grade_of(account))] += in_cny(deal) * deal.probability / 100

    result = dashboard.forecast(account_list(user=personas.manager), today)
    keys = [month["key"] for month in result["months"]]
    assert keys[0] == "overdue" and keys[1] == f"{this_month:%Y-%m}" and len(keys) == 13
    assert keys[-1] == f"{dashboard.add_months(this_month, 11):%Y-%m}"
    cent = Decimal("0.01")
    for month in result["months"]:
        for grade in dashboard.GRADE_KEYS:
            want = expected[(month["key"], grade)].quantize(cent)
            assert abs(month["by_grade"][grade] - want) <= cent, (month["key"], grade)
    assert abs(result["total"] - sum(expected.values())) <= cent * 13 * 5
    assert result["months"][0]["total"] > 0  # the book has overdue deals
    assert any(result["months"][i]["total"] > 0 for i in range(2, 13))


def test_grade_movement_counts_accounts_whose_grade_differs_from_a_week_ago(personas, book):
    now = timezone.now()
    week_ago = now - days(7)
    expected = Counter()
    for account in visible_accounts(personas.manager):
        earlier = [c for c in account.grade_changes.all() if c.changed_at <= week_ago]
        before = max(earlier, key=lambda c: (c.changed_at, c.pk)).to_grade if earlier else ""
        after = grade_of(account) if grade_of(account) != "none" else ""
        if before != after:
            expected[(before or "none", after or "none")] += 1

    moves = dashboard.grade_movement(account_list(user=personas.manager), now)
    assert {(m["from"], m["to"]): m["count"] for m in moves} == dict(expected)
    assert {("B", "A"), ("none", "C"), ("C", "B"), ("A", "B")} <= set(expected)
    directions = {dashboard.moved_key(m): m["direction"] for m in moves}
    assert directions["B>A"] == "up" and directions["A>B"] == "down"
    assert directions["none>C"] == "new"
    assert [m["direction"] for m in moves] == sorted(
        (m["direction"] for m in moves), key=["up", "new", "down"].index
    )


def test_grade_movement_agrees_with_the_selector_for_every_pair(personas, book):
    """Looking only at accounts changed this week gives what the selector gives over all."""
    now = timezone.now()
    accounts = account_list(user=personas.manager)
    moves = {(m["from"], m["to"]): m["count"] for m in dashboard.grade_movement(accounts, now)}
    for before in ["", *dashboard.GRADES]:
        for after in ["", *dashboard.GRADES]:
            if before == after:
                continue
            n = accounts_moved(accounts, before, after, now).count()
            assert moves.get((before or "none", after or "none"), 0) == n, (before, after)


def test_coverage_gaps_of_a_and_b_accounts(personas, book):
    now = timezone.now()
    rhythm = {row.grade: row.contact_rhythm_days for row in current_policy().rows()}
    expected = {grade: Counter() for grade in dashboard.COVERAGE_GRADES}
    for account in visible_accounts(personas.manager):
        grade = grade_of(account)
        if grade not in expected:
            continue
        active = [c for c in account.contacts.all() if c.is_active]
        done = [v.occurred_at for v in account.visits.all() if v.status == "done"]
        since = max(done) if done else account.created_at
        expected[grade]["accounts"] += 1
        expected[grade]["no_decider"] += not any(c.buying_role == "decider" for c in active)
        expected[grade]["no_coach"] += not any(c.is_coach for c in active)
        # The book's visits are a day or 120 days old: lapsed under any grade's rhythm or none.
        assert (now - since).days <= 1 or (now - since).days > max(rhythm.values())
        lapsed = now - since > days(rhythm[grade])
        expected[grade]["lapsed"] += account.status != AccountStatus.LOST and lapsed

    rows = dashboard.coverage_gaps(account_list(user=personas.manager), now)
    assert [row["grades"] for row in rows] == [["A"], ["B"], ["A", "B"]]
    for row in rows[:2]:
        got = {key: row[key] for key in ("accounts", "no_decider", "no_coach", "lapsed")}
        assert got == {key: expected[row["grades"][0]][key] for key in got}, row["grades"]
    total = rows[2]
    for key in ("accounts", "no_decider", "no_coach", "lapsed"):
        assert total[key] == expected["A"][key] + expected["B"][key]
    assert total["no_decider"] and total["no_coach"] and total["lapsed"]


def test_compliance_covers_the_managers_reps_narrowed_by_the_filters(personas, book):
    today = timezone.localdate()
    reps = dashboard.reps_in_scope(personas.manager)
    assert {r.username for r in reps} == {"alice", "bob", "carol"}
    assert [r.username for r in dashboard.reps_in_scope(personas.alice)] == ["alice"]
    assert dashboard.reps_in_scope(personas.manager, team=personas.west.pk) == []
    only_bob = dashboard.reps_in_scope(personas.manager, owner=personas.bob.pk)
    assert [r.username for r in only_bob] == ["bob"]

    result = dashboard.compliance(reps, today)
    by_rep = {row["rep"].username: row for row in result["rows"]}
    for rep in reps:
        # The book's recorded visits: yesterday (followed up on odd accounts, so settled
        # and on time; otherwise their week is still open) or 120 days ago (outside).
        settled = sum(
            1
            for v in rep.visits.all()
            if v.status == "done"
            and v.occurred_at.date() >= today - days(90)
            and v.followed_up_on is not None
        )
        assert by_rep[rep.username]["settled"] == settled
        assert by_rep[rep.username]["on_time"] == settled
    assert result["settled"] == sum(row["settled"] for row in result["rows"])


def test_compliance_counts_only_visits_to_the_accounts_in_view(personas, book):
    today = timezone.localdate()
    reps = dashboard.reps_in_scope(personas.manager)
    some = visible_accounts(personas.manager)[:3]
    in_view = Account.objects.filter(pk__in=[a.pk for a in some])
    result = dashboard.compliance(reps, today, accounts=in_view)
    settled = sum(
        1
        for account in some
        for v in account.visits.all()
        if v.owner in reps
        and v.status == "done"
        and v.occurred_at.date() >= today - days(90)
        and v.followed_up_on is not None
    )
    assert result["settled"] == settled < dashboard.compliance(reps, today)["settled"]


def sales_and_receivables(user, today):
    """Per visible account: its sales in the window and its latest receivables."""
    start, end = sales_window(today)
    sales, receivables = {}, {}
    for account in visible_accounts(user):
        rows = list(account.monthly_sales.all())
        sales[account.pk] = sum((r.sales for r in rows if start <= r.month < end), Decimal(0))
        latest = max((r for r in rows if r.month < end), key=lambda r: r.month, default=None)
        receivables[account.pk] = latest.receivables if latest else Decimal(0)
    return {"sales": sales, "receivables": receivables}


def assert_concentration(part, values):
    ranked = sorted(values.values(), reverse=True)
    total = sum(ranked)
    assert part["total"] == total
    assert part["top1"] == ranked[0]
    assert part["top5"] == sum(ranked[:5])
    assert float(part["top1_share"]) == pytest.approx(float(ranked[0] / total))
    assert float(part["top5_share"]) == pytest.approx(float(sum(ranked[:5]) / total))


def test_concentration_of_sales(personas, book):
    today = timezone.localdate()
    expected = sales_and_receivables(personas.manager, today)
    result = dashboard.concentration(account_list(user=personas.manager), today)
    assert result["recorded"] is True
    assert_concentration(result["sales"], expected["sales"])


def test_concentration_of_receivables(personas, book):
    today = timezone.localdate()
    expected = sales_and_receivables(personas.manager, today)
    result = dashboard.concentration(account_list(user=personas.manager), today)
    assert_concentration(result["receivables"], expected["receivables"])


def test_concentration_without_sales_says_nothing_is_recorded(personas):
    result = dashboard.concentration(account_list(user=personas.manager), timezone.localdate())
    assert result["recorded"] is False
    assert result["sales"]["top1_share"] is None


# --- filters and visibility -------------------------------------------------------------


def test_filters_narrow_as_the_account_list_does(personas, book):
    accounts = account_list(user=personas.manager)
    east = filter_accounts(accounts, team=personas.east.pk)
    assert set(east) == {a for a in accounts if a.owner.sales_team_id == personas.east.pk}
    mine = filter_accounts(accounts, owner=personas.bob.pk, region="North China")
    assert set(mine) == {
        a for a in accounts if a.owner == personas.bob and a.region == "North China"
    }
    energy = filter_accounts(accounts, industry=Industry.ENERGY)
    assert {a.industry for a in energy} == {Industry.ENERGY}


def test_a_rep_counts_only_what_they_see(personas, book):
    """alice sees her accounts and those she is on the team of, nothing of bob's or West."""
    seen = visible_accounts(personas.alice)
    assert {a.owner.username for a in seen} == {"alice"}
    accounts = account_list(user=personas.alice)
    tiles = {row["grade"]: row["count"] for row in dashboard.grade_distribution(accounts)}
    assert sum(tiles.values()) == len(seen)
    pipeline = dashboard.pipeline(accounts, dashboard.open_stages())
    assert pipeline["count"] == len(open_deals_of(seen))


def test_the_other_teams_accounts_are_not_in_the_managers_numbers(personas, book):
    west = visible_accounts(personas.other_manager)
    east = visible_accounts(personas.manager)
    assert west and east and not {a.pk for a in west} & {a.pk for a in east}
    result = dashboard.pipeline(account_list(user=personas.manager), dashboard.open_stages())
    assert result["count"] == len(open_deals_of(east))
    assert result["amount"] == sum((in_cny(d) for d in open_deals_of(east)), Decimal(0)).quantize(
        Decimal("0.01")
    )
