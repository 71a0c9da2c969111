"""Scores and grades from the default table, worked out by hand, and how they change."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts import bulk
from keyaccounts.exceptions import ApplicationError, VersionConflict
from opportunities.models import Currency
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring import services
from scoring.models import (
    AccountScore,
    ChangeReason,
    GradeChange,
    RescoreRequest,
    ScoringModel,
)
from scoring.tests.builders import strong_soon_account

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def strong_soon(personas):
    """77.5 and closing in 30 days: A (the worked example in builders.py)."""
    return strong_soon_account(personas.alice)


@pytest.fixture
def weak_later(personas):
    """Nothing known but one small, distant deal:

    budget unknown 0; credit not rated 30 × 10 = 300; growth unknown 30 × 10 = 300;
    no ratings 0; win probability 25 % -> 40 × 10 = 400; order 300,000 -> 20 × 10 = 200;
    200 days to close -> 30 × 5 = 150. Total 1350 / 100 = 13.5: weak, so D.
    """
    account = AccountFactory(name="Weak Later Co", owner=personas.alice)
    OpportunityFactory(
        account=account,
        owner=personas.alice,
        stage=default_stages()["needs_analysis"],
        probability=25,
        amount=Decimal(300_000),
        expected_close_date=today() + datetime.timedelta(days=200),
    )
    return account


def score_of(account) -> AccountScore:
    return AccountScore.objects.get(account=account)


def test_scores_and_grades_match_the_default_table_worked_by_hand(strong_soon, weak_later):
    services.rescore([strong_soon.pk, weak_later.pk])

    strong = score_of(strong_soon)
    assert (strong.score, strong.grade, strong.closing, strong.days_to_close) == (
        Decimal("77.5"),
        "A",
        "soon",
        30,
    )
    assert strong.next_close == today() + datetime.timedelta(days=30)
    assert strong.model == ScoringModel.objects.get(is_active=True)
    by_key = {part["key"]: part for part in strong.contributions}
    assert by_key["order_value"]["raw"] == 2_000_000
    assert (by_key["need_fit"]["points"], by_key["need_fit"]["contribution"]) == (100, 15.0)
    assert sum(part["contribution"] for part in strong.contributions) == pytest.approx(77.5)
    assert by_key["size_budget"]["contribution"] == 8.25
    # Only what is the account's own is stored; the rest is the table version's. Days to
    # close keep their date, so the row stays the same as the days go by.
    assert by_key["size_budget"] == {
        "key": "size_budget",
        "raw": 600.0,
        "points": 55,
        "contribution": 8.25,
    }
    assert by_key["time_to_close"] == {
        "key": "time_to_close",
        "on": (today() + datetime.timedelta(days=30)).isoformat(),
        "points": 100,
        "contribution": 5.0,
    }
    assert [part["key"] for part in strong.contributions] == [
        "size_budget",
        "funding_credit",
        "relationship",
        "need_fit",
        "competitive_position",
        "win_probability",
        "order_value",
        "time_to_close",
        "growth_potential",
    ]

    weak = score_of(weak_later)
    assert (weak.score, weak.grade, weak.closing) == (Decimal("13.5"), "D", "later")


def test_a_deal_in_another_currency_counts_in_cny(settings, weak_later):
    settings.CURRENCY_RATES_TO_CNY = {"CNY": "1", "USD": "7", "EUR": "8"}
    weak_later.opportunities.update(currency=Currency.USD, amount=Decimal(150_000))
    services.rescore([weak_later.pk])
    by_key = {part["key"]: part for part in score_of(weak_later).contributions}
    # 150,000 USD = 1,050,000 CNY: the 1,000,000 band, 60 points
    assert (by_key["order_value"]["raw"], by_key["order_value"]["points"]) == (1_050_000, 60)


def test_closed_deals_do_not_count(strong_soon):
    strong_soon.opportunities.update(stage=default_stages()["won"])
    services.rescore([strong_soon.pk])
    score = score_of(strong_soon)
    # no open deal: win probability, order value and time to close score 0
    assert score.score == Decimal("77.5") - Decimal("8.0") - Decimal("6.0") - Decimal("5.0")
    assert (score.closing, score.grade) == ("none", "D")


def test_the_first_grade_and_each_move_are_kept_with_their_reason(strong_soon):
    services.rescore([strong_soon.pk])
    services.rescore([strong_soon.pk])  # nothing changed: no new history
    strong_soon.opportunities.update(expected_close_date=today() + datetime.timedelta(days=120))
    services.rescore([strong_soon.pk])

    changes = list(GradeChange.objects.filter(account=strong_soon).order_by("changed_at", "pk"))
    assert [(c.from_grade, c.to_grade, c.reason) for c in changes] == [
        ("", "A", ChangeReason.FIRST),
        ("A", "B", ChangeReason.RESCORED),  # 120 days is later: strong and later is B
    ]
    # time to close fell from 100 to 60 points (× 5 / 100 = 2 points off the score)
    assert changes[1].score == Decimal("75.5")


def edit_active_model(user, *, weights=None, grid=None, base_version=None, labels=None):
    model = services.active_model()
    factors = services.factors_of(model)
    for factor in factors:
        factor["weight"] = (weights or {}).get(factor["key"], factor["weight"])
        factor["label"] = (labels or {}).get(factor["key"], factor["label"])
    cells = services.grid_of(model)
    cells.update(grid or {})
    return services.scoring_model_new_version(
        by=user,
        base_version=model.version if base_version is None else base_version,
        note="test",
        strong_min=model.strong_min,
        fair_min=model.fair_min,
        soon_days=model.soon_days,
        factors=factors,
        grid=cells,
    )


def test_a_new_weight_makes_a_new_version_and_moves_the_grade_after_rescoring(
    personas, strong_soon, django_capture_on_commit_callbacks
):
    services.rescore([strong_soon.pk])
    with django_capture_on_commit_callbacks(execute=True):
        model = edit_active_model(personas.manager, weights={"size_budget": 100})

    assert model.version == 2 and model.is_active
    assert list(ScoringModel.objects.filter(is_active=True)) == [model]
    # size and budget now weighs 100 of 185: (7750 - 825 + 100 × 55) / 185 = 67.2, fair
    score = score_of(strong_soon)
    assert (score.score, score.grade, score.model) == (Decimal("67.2"), "B", model)
    change = GradeChange.objects.filter(account=strong_soon).latest("changed_at")
    assert (change.from_grade, change.to_grade, change.reason) == ("A", "B", ChangeReason.MODEL)


def test_a_grid_cell_decides_the_grade(personas, strong_soon, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edit_active_model(personas.manager, grid={("soon", "strong"): "C"})
    assert score_of(strong_soon).grade == "C"


def test_an_edit_from_an_old_version_is_refused_and_saves_nothing(personas):
    edit_active_model(personas.manager, weights={"need_fit": 20})  # version 2
    with pytest.raises(VersionConflict):
        edit_active_model(personas.other_manager, weights={"need_fit": 5}, base_version=1)
    assert ScoringModel.objects.count() == 2
    assert services.active_model().factors.get(key="need_fit").weight == 20


def test_a_pin_holds_the_grade_until_its_expiry(personas, strong_soon):
    services.rescore([strong_soon.pk])
    until = today() + datetime.timedelta(days=3)
    services.grade_pin(
        account=strong_soon,
        by=personas.manager,
        grade="C",
        reason="Merger pending",
        expires_on=until,
    )
    score = score_of(strong_soon)
    assert (score.grade, score.computed_grade, score.pinned) == ("C", "A", True)
    pinned = GradeChange.objects.filter(account=strong_soon).latest("changed_at")
    assert (pinned.to_grade, pinned.reason, pinned.note) == (
        "C",
        ChangeReason.PINNED,
        "Merger pending",
    )

    services.rescore(today=until)  # the last day it holds (nightly run)
    assert score_of(strong_soon).grade == "C"

    services.rescore(today=until + datetime.timedelta(days=1))  # the day after: computed again
    score = score_of(strong_soon)
    assert (score.grade, score.pinned) == ("A", False)
    ended = GradeChange.objects.filter(account=strong_soon).latest("changed_at")
    assert (ended.from_grade, ended.to_grade, ended.reason) == ("C", "A", ChangeReason.UNPINNED)


def test_a_pin_needs_a_reason_and_a_day_not_past(personas, strong_soon):
    with pytest.raises(ApplicationError):
        services.grade_pin(
            account=strong_soon, by=personas.manager, grade="A", reason=" ", expires_on=today()
        )
    with pytest.raises(ApplicationError):
        services.grade_pin(
            account=strong_soon,
            by=personas.manager,
            grade="A",
            reason="Why not",
            expires_on=today() - datetime.timedelta(days=1),
        )


def test_a_change_to_what_a_score_reads_rescores_the_account_after_commit(
    personas, strong_soon, django_capture_on_commit_callbacks
):
    services.rescore([strong_soon.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_save(
            account=strong_soon,
            by=personas.alice,
            relationship=4,
            need_fit=1,
            competitive_position=3,
        )
        # inside the transaction the request is written; the score is not touched yet
        assert RescoreRequest.objects.filter(account=strong_soon).exists()
        assert score_of(strong_soon).score == Decimal("77.5")
    # need fit 1 -> 0 points: 77.5 - 15 = 62.5, fair and soon: B
    assert (score_of(strong_soon).score, score_of(strong_soon).grade) == (Decimal("62.5"), "B")
    assert not RescoreRequest.objects.exists()


def test_a_deal_moved_to_another_account_rescores_the_account_it_left(
    personas, strong_soon, weak_later, django_capture_on_commit_callbacks
):
    """Its save rescores the account it joins; the one it leaves no longer has it: its
    win probability, order value and time to close are its other deals' (none)."""
    from opportunities.services import opportunity_update

    services.rescore([strong_soon.pk, weak_later.pk])
    deal = strong_soon.opportunities.get()
    RescoreRequest.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_update(opportunity=deal, by=personas.alice, account=weak_later)
        assert set(RescoreRequest.objects.values_list("account_id", flat=True)) == {
            strong_soon.pk,
            weak_later.pk,
        }
    # 7750 less the deal's 800 + 600 + 500 weighted points (no deal: 0 each) = 5850: 58.5
    assert score_of(strong_soon).score == Decimal("58.5")
    assert not RescoreRequest.objects.exists()


def test_a_visit_moved_to_another_account_rescores_the_account_it_left(personas, weak_later):
    from visits.services import visit_save
    from visits.tests.factories import VisitFactory

    visit = VisitFactory(account=personas.account, owner=personas.alice)
    RescoreRequest.objects.all().delete()
    visit_save(by=personas.alice, account=weak_later, visit=visit)
    assert set(RescoreRequest.objects.values_list("account_id", flat=True)) == {
        personas.account.pk,
        weak_later.pk,
    }


def test_a_rolled_back_change_leaves_no_request(personas, strong_soon):
    from django.db import transaction

    RescoreRequest.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        ContactFactory(account=strong_soon)
        raise RuntimeError
    assert not RescoreRequest.objects.exists()


def test_deleting_an_account_with_contacts_and_deals_works_and_requests_nothing(
    strong_soon, django_capture_on_commit_callbacks
):
    ContactFactory(account=strong_soon)
    RescoreRequest.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        strong_soon.delete()
    assert not RescoreRequest.objects.exists()


def test_a_burst_of_changes_queues_one_run_that_takes_them_all(
    personas, strong_soon, weak_later, django_capture_on_commit_callbacks, monkeypatch
):
    """With a broker, the first request queues a delayed run; the rest of the burst finds
    it queued and adds only their rows, which that one run takes."""
    from django.core.cache import cache

    from keyaccounts.celery import app
    from scoring import tasks

    queued = []
    monkeypatch.setattr(
        tasks.rescore_pending, "apply_async", lambda **options: queued.append(options)
    )
    cache.delete(services.PENDING_KEY)
    RescoreRequest.objects.all().delete()
    saved_eager, app.conf.task_always_eager = app.conf.task_always_eager, False  # a broker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ContactFactory(account=strong_soon)
        with django_capture_on_commit_callbacks(execute=True):
            ContactFactory(account=weak_later)
            ContactFactory(account=strong_soon)
        # SCORING_RESCORE_DELAY_SECONDS in the tests; nobody waits for a nudge's result.
        assert [(o["countdown"], o["ignore_result"]) for o in queued] == [(1, True)]

        result = services.rescore_pending()  # what the queued task does
        assert result == {"scored": 2, "written": 2, "changed": 2}
        assert not RescoreRequest.objects.exists()
        # the run cleared the flag: the next change queues a new run
        with django_capture_on_commit_callbacks(execute=True):
            ContactFactory(account=weak_later)
        assert len(queued) == 2
    finally:
        app.conf.task_always_eager = saved_eager


def test_a_request_renewed_during_a_run_stays_for_the_next(strong_soon, monkeypatch):
    RescoreRequest.objects.all().delete()
    services.rescore_request([strong_soon.pk])
    request = RescoreRequest.objects.get()
    later = request.requested_at + datetime.timedelta(seconds=5)
    original = services.rescore

    def rescore_while_someone_edits(*args, **kwargs):
        RescoreRequest.objects.filter(pk=request.pk).update(requested_at=later)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "rescore", rescore_while_someone_edits)
    services.rescore_pending()
    assert RescoreRequest.objects.get().requested_at == later


def test_the_rescore_command_scores_every_account(strong_soon, weak_later):
    from io import StringIO

    from django.core.management import call_command

    AccountScore.objects.all().delete()
    out = StringIO()
    call_command("rescore", stdout=out)
    assert set(AccountScore.objects.values_list("account_id", flat=True)) == set(
        AccountScore.objects.model.account.field.related_model.objects.values_list("pk", flat=True)
    )
    assert out.getvalue().startswith(f"Scored {AccountScore.objects.count()} accounts")


# --- writing only what changed -----------------------------------------------------------


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_a_rescore_that_finds_nothing_changed_writes_nothing(strong_soon):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = services.rescore([strong_soon.pk])
    stored = score_of(strong_soon)
    with CaptureQueriesContext(connection) as queries:
        again = services.rescore([strong_soon.pk])

    assert first == {"scored": 1, "written": 1, "changed": 1}
    assert again == {"scored": 1, "written": 0, "changed": 0}
    assert writes(queries) == []
    assert score_of(strong_soon).computed_at == stored.computed_at


def test_a_changed_score_is_written_and_its_time_moves(strong_soon):
    services.rescore([strong_soon.pk])
    before = score_of(strong_soon)
    strong_soon.annual_budget = Decimal(2000)  # 80 points instead of 55: +3.75
    strong_soon.save()

    result = services.rescore([strong_soon.pk])

    assert result == {"scored": 1, "written": 1, "changed": 0}  # still A
    after = score_of(strong_soon)
    assert after.score == Decimal("81.3")  # 77.5 + 3.75 = 81.25, rounded half up
    assert after.computed_at > before.computed_at


def test_the_next_day_rewrites_only_the_rows_the_calendar_moved(personas, strong_soon):
    """A deal 30 days out stays in the band from 0 days (100 points) tomorrow, and the
    row keeps the date, not the days: tomorrow's run leaves it. One 31 days out is in
    the band from 31 days (80 points) today and moves into the band from 0 tomorrow."""
    later = strong_soon_account(personas.alice, name="Thirty-One Days Co")
    later.opportunities.update(expected_close_date=today() + datetime.timedelta(days=31))
    services.rescore([strong_soon.pk, later.pk])
    assert score_of(later).score == Decimal("76.5")  # 77.5 - (100 - 80) × 5 / 100
    kept = score_of(strong_soon)

    result = services.rescore(
        [strong_soon.pk, later.pk], today=today() + datetime.timedelta(days=1)
    )

    assert result == {"scored": 2, "written": 1, "changed": 0}  # both still A
    assert score_of(later).score == Decimal("77.5")
    assert score_of(strong_soon).computed_at == kept.computed_at


def test_one_accounts_rescore_reads_the_table_version_once(strong_soon):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.rescore([strong_soon.pk])
    with CaptureQueriesContext(connection) as queries:
        services.rescore([strong_soon.pk])

    read = " ".join(q["sql"] for q in queries)
    for table in ("scoring_factor", "scoring_band", "scoring_gridcell"):
        assert table not in read


def test_grade_changes_keep_the_slim_contributions_and_are_explained_by_their_version(
    personas, strong_soon, django_capture_on_commit_callbacks
):
    from scoring.specs import explained

    services.rescore([strong_soon.pk])
    with django_capture_on_commit_callbacks(execute=True):
        edit_active_model(
            personas.manager,
            weights={"size_budget": 100},
            labels={"size_budget": "Budget (v2)"},
        )

    first, moved = GradeChange.objects.filter(account=strong_soon).order_by("changed_at", "pk")
    assert set(first.contributions[0]) == {"key", "raw", "points", "contribution"}
    old, new = explained(first)[0], explained(moved)[0]
    assert (old["label"], old["weight"], new["label"], new["weight"]) == (
        "Customer size and budget",
        15,
        "Budget (v2)",
        100,
    )
    # The day count of a change is counted to the day of the change: 30 days then.
    time_to_close = next(row for row in explained(first) if row["key"] == "time_to_close")
    assert time_to_close["raw"] == 30


def test_many_rows_go_to_postgresql_by_copy_with_the_same_result(
    require_postgres, personas, strong_soon, weak_later, monkeypatch
):
    """COPY (and the upsert through a staging table) from the first row, two chunks in
    one transaction (the test's): the same scores as worked by hand."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    monkeypatch.setattr(services, "CHUNK", 1)
    AccountScore.objects.all().delete()
    GradeChange.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        services.rescore([strong_soon.pk, weak_later.pk])

    assert any("_staging" in q["sql"] for q in queries)
    with connection.cursor() as cursor:  # emptied after each use
        cursor.execute("SELECT count(*) FROM scoring_accountscore_staging")
        assert cursor.fetchone() == (0,)
    strong, weak = score_of(strong_soon), score_of(weak_later)
    assert (strong.score, strong.grade, strong.next_close) == (
        Decimal("77.5"),
        "A",
        today() + datetime.timedelta(days=30),
    )
    assert (weak.score, weak.grade, weak.closing) == (Decimal("13.5"), "D", "later")
    assert {part["key"]: part for part in strong.contributions}["time_to_close"] == {
        "key": "time_to_close",
        "on": (today() + datetime.timedelta(days=30)).isoformat(),
        "points": 100,
        "contribution": 5.0,
    }
    assert GradeChange.objects.filter(reason=ChangeReason.FIRST).count() == 2

    # A changed row is updated in place; text with a tab, a newline and a backslash
    # arrives as written.
    reason = "Merger\tpending\nsee C:\\deals"
    services.grade_pin(
        account=strong_soon,
        by=personas.manager,
        grade="C",
        reason=reason,
        expires_on=today(),
    )
    assert (score_of(strong_soon).grade, score_of(strong_soon).pinned) == ("C", True)
    assert GradeChange.objects.filter(account=strong_soon).latest("changed_at").note == reason
    assert AccountScore.objects.count() == 2
