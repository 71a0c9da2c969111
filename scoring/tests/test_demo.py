"""The demo's ratings, sales and grades (scoring/demo.py, run by seed_demo)."""

import datetime
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account, AccountStatus, User
from accounts.selectors import accounts_visible_to
from scoring import demo
from scoring.models import AccountScore, Assessment, ChangeReason, GradeChange, MonthlySales
from scoring.selectors import MOVEMENT_DAYS, with_grade_movement, with_sales

pytestmark = pytest.mark.django_db

ORDER = "ABCD"


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def scoring_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Assessment, MonthlySales, AccountScore, GradeChange)
    }


def movement(accounts) -> Counter:
    """Counter of "up" / "down" / "new" / "same" over `accounts` since a week ago."""
    moves = Counter()
    for account in with_grade_movement(accounts):
        if not account.grade_before:
            moves["new"] += 1
        elif account.grade_before == account.grade_now:
            moves["same"] += 1
        elif ORDER.index(account.grade_now) < ORDER.index(account.grade_before):
            moves["up"] += 1
        else:
            moves["down"] += 1
    return moves


def test_seeding_twice_adds_no_ratings_sales_or_grade_changes():
    first_output = seed()
    before = scoring_counts()
    assert before["Assessment"] > 0 and before["MonthlySales"] > 0
    assert before["AccountScore"] == 40
    assert "40 grade changes" in first_output

    output = seed()

    assert scoring_counts() == before
    assert "created 0 assessments, 0 monthly sales rows" in output
    assert "(0 grade changes;" in output
    assert "back-dated 0 upgrades and 0 downgrades" in output


def test_every_account_is_graded_and_rep1_rep2_and_the_manager_see_a_accounts():
    seed()

    assert not Account.objects.filter(score__isnull=True).exists()
    grades = Counter(AccountScore.objects.values_list("grade", flat=True))
    assert set(grades) == set(ORDER)
    for username in ("rep1", "rep2", "manager"):
        user = User.objects.get(username=username)
        visible = accounts_visible_to(user)
        assert visible.filter(score__grade="A").exists(), username
    rep1 = User.objects.get(username="rep1")
    assert Account.objects.filter(owner=rep1, score__grade="A").exists()


def test_last_weeks_movement_shows_upgrades_and_downgrades():
    seed()

    everyone = movement(Account.objects.all())
    assert everyone["up"] >= 2 and everyone["down"] >= 2
    assert everyone["up"] + everyone["down"] <= 12  # a handful, not the whole book
    for username in ("rep1", "rep2"):
        mine = movement(accounts_visible_to(User.objects.get(username=username)))
        assert mine["up"] + mine["down"] >= 1, username
    rep1 = movement(accounts_visible_to(User.objects.get(username="rep1")))
    assert rep1["up"] and rep1["down"]


def test_grade_history_is_an_honest_chain():
    seed()
    week_ago = timezone.now() - datetime.timedelta(days=MOVEMENT_DAYS)
    current = dict(AccountScore.objects.values_list("account_id", "grade"))

    histories = {}
    for change in GradeChange.objects.order_by("account_id", "changed_at", "pk"):
        histories.setdefault(change.account_id, []).append(change)
    assert set(histories) == set(current)
    back_dated = 0
    for account_id, changes in histories.items():
        assert changes[0].from_grade == "" and changes[0].reason == ChangeReason.FIRST
        for earlier, later in zip(changes, changes[1:], strict=False):
            assert later.from_grade == earlier.to_grade != later.to_grade
            assert later.reason == ChangeReason.RESCORED
        assert changes[-1].to_grade == current[account_id]
        if len(changes) > 1:
            back_dated += 1
            assert changes[0].changed_at < week_ago < changes[-1].changed_at
        for change in changes:
            # Score and contributions come from the table: the parts add up to the score.
            parts = sum(Decimal(str(part["contribution"])) for part in change.contributions)
            assert abs(parts - change.score) <= Decimal("0.6"), change
            change.full_clean()
    assert back_dated >= 4


def test_ratings_follow_the_status_and_some_accounts_are_unrated():
    seed(accounts=120, contacts=500)

    by_status = {}
    for assessment in Assessment.objects.select_related("account"):
        assessment.full_clean()
        assert assessment.rated_by_id == assessment.account.owner_id
        if assessment.relationship is not None:
            by_status.setdefault(assessment.account.status, []).append(assessment.relationship)

    def mean(status):
        values = by_status[status]
        return sum(values) / len(values)

    assert mean(AccountStatus.ACTIVE) >= 4
    assert mean(AccountStatus.PROSPECT) < 2.5
    assert (
        mean(AccountStatus.ACTIVE) > mean(AccountStatus.DEVELOPING) > mean(AccountStatus.PROSPECT)
    )
    unrated = Account.objects.filter(assessment__isnull=True)
    assert unrated.exists()
    assert Assessment.objects.filter(need_fit__isnull=False, relationship__isnull=True).exists()


def test_sales_are_for_customers_and_concentrated_in_a_few():
    seed()
    today = timezone.localdate()

    statuses = set(MonthlySales.objects.values_list("account__status", flat=True))
    assert statuses <= {AccountStatus.ACTIVE, AccountStatus.DORMANT}
    per_account = Counter(MonthlySales.objects.values_list("account_id", flat=True))
    assert set(per_account.values()) == {demo.FULL_HISTORY_MONTHS}
    months = sorted(set(MonthlySales.objects.values_list("month", flat=True)))
    assert months == demo.month_starts(today, demo.FULL_HISTORY_MONTHS)
    assert months[-1] == today.replace(day=1)
    for row in MonthlySales.objects.all()[:200]:
        row.full_clean()

    # A few big customers hold most of the year's sales.
    sales = sorted(
        (account.sales_12m for account in with_sales(Account.objects.all())), reverse=True
    )
    total = sum(sales)
    assert total > 0
    assert sum(sales[:5]) / total > Decimal("0.5")

    # Active customers owe roughly one to three months of sales.
    active = Account.objects.filter(status=AccountStatus.ACTIVE, monthly_sales__isnull=False)
    ratios = []
    for account in with_sales(active.distinct()):
        if account.sales_12m > 0:
            ratios.append(account.receivables / (account.sales_12m / 12))
    ratios.sort()
    median = ratios[len(ratios) // 2]
    assert Decimal("0.5") <= median <= Decimal("3.5")


def test_the_same_seed_gives_the_same_ratings_sales_and_history():
    seed()
    first = snapshot()
    Assessment.objects.all().delete()
    MonthlySales.objects.all().delete()
    GradeChange.objects.all().delete()
    AccountScore.objects.all().delete()

    seed()

    assert snapshot() == first


def snapshot():
    ratings = list(
        Assessment.objects.order_by("account__external_id").values_list(
            "account__external_id", "need_fit", "competitive_position", "relationship"
        )
    )
    sales = list(
        MonthlySales.objects.order_by("account__external_id", "month").values_list(
            "account__external_id", "month", "sales", "receivables"
        )
    )
    history = list(
        GradeChange.objects.order_by("account__external_id", "changed_at").values_list(
            "account__external_id", "from_grade", "to_grade", "score"
        )
    )
    return ratings, sales, history


def test_large_demos_keep_a_year_of_sales():
    assert demo.history_months(40) == 24
    assert demo.history_months(demo.LARGE) == 24
    assert demo.history_months(demo.LARGE + 1) == 12
    months = demo.month_starts(datetime.date(2025, 3, 15), 24)
    assert months[0] == datetime.date(2023, 4, 1)
    assert months[-1] == datetime.date(2025, 3, 1)
    assert len(set(months)) == 24


def test_accounts_made_before_the_scoring_demo_get_their_ratings_on_the_next_run():
    seed()
    made = {model: model.objects.count() for model in (Assessment, MonthlySales)}
    Assessment.objects.all().delete()
    MonthlySales.objects.all().delete()
    before = GradeChange.objects.count()

    output = seed()

    assert {model: model.objects.count() for model in made} == made
    assert f"created {made[Assessment]} assessments, {made[MonthlySales]} monthly" in output
    # Grades may move with the ratings back; movement is only back-dated for new grades.
    assert "back-dated 0 upgrades and 0 downgrades" in output
    assert GradeChange.objects.count() >= before
