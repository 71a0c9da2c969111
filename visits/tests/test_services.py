"""The visit and development-record rules, at the service level (pages reuse them)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.exceptions import ApplicationError
from visits import services
from visits.models import DevelopmentResult, Notification, NotificationKind, VisitStatus
from visits.selectors import (
    development_record_contacts,
    follow_up_compliance,
    follow_up_compliance_visits,
    with_development_totals,
)
from visits.tests.factories import DevelopmentRecordFactory, NotificationFactory, VisitFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 10, 15, 30))


def record_visit(personas, **fields):
    data = {
        "status": VisitStatus.DONE,
        "occurred_at": NOW - datetime.timedelta(hours=2),
        "method": "in_person",
        "duration_minutes": 90,
    }
    data.update(fields)
    return services.visit_save(by=personas.alice, account=personas.account, now=NOW, **data)


def test_a_recorded_visit_is_followed_up_one_week_later_by_default(personas):
    visit = record_visit(personas)
    assert visit.follow_up_due == datetime.date(2026, 3, 17)


def test_a_chosen_follow_up_date_is_kept(personas):
    visit = record_visit(personas, follow_up_due=datetime.date(2026, 3, 12))
    assert visit.follow_up_due == datetime.date(2026, 3, 12)


def test_a_follow_up_due_before_the_visit_is_refused(personas):
    with pytest.raises(ValidationError) as error:
        record_visit(personas, follow_up_due=datetime.date(2026, 3, 1))
    assert "follow_up_due" in error.value.error_dict


def test_a_contact_of_another_account_is_refused_and_nothing_is_saved(personas):
    stranger = ContactFactory(account=personas.charlies_account, name="Wang Wei")
    with pytest.raises(ValidationError) as error:
        record_visit(personas, contacts=[stranger])
    message = str(error.value.error_dict["contacts"])
    assert "Wang Wei" in message and personas.account.name in message
    assert not personas.account.visits.exists()


def test_a_recorded_visit_cannot_be_in_the_future(personas):
    with pytest.raises(ValidationError) as error:
        record_visit(personas, occurred_at=NOW + datetime.timedelta(days=1))
    assert "occurred_at" in error.value.error_dict


def test_a_planned_visit_needs_its_date_and_gets_no_follow_up(personas):
    with pytest.raises(ValidationError):
        record_visit(personas, status=VisitStatus.PLANNED, occurred_at=None)
    visit = record_visit(
        personas,
        status=VisitStatus.PLANNED,
        occurred_at=None,
        planned_at=NOW + datetime.timedelta(days=2),
    )
    assert visit.follow_up_due is None


def test_a_new_or_moved_plan_is_for_today_or_later_and_one_that_passed_stays_editable(
    personas,
):
    """A plan before today is listed nowhere (my week and the planned list start later):
    refused, naming the field. This morning's plan made at noon is today's; a plan that
    has passed since it was made keeps its time when something else of it changes."""
    yesterday = NOW - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        record_visit(personas, status=VisitStatus.PLANNED, occurred_at=None, planned_at=yesterday)
    assert error.value.error_dict["planned_at"][0].messages == [
        "A visit is planned for today or later. If it took place, record it instead; "
        "otherwise correct the date."
    ]
    this_morning = NOW.replace(hour=9)
    kept = record_visit(
        personas, status=VisitStatus.PLANNED, occurred_at=None, planned_at=this_morning
    )
    # Two days on, the plan has passed: its purpose can still be changed…
    later = NOW + datetime.timedelta(days=2)
    services.visit_save(
        visit=kept, by=personas.alice, account=personas.account, now=later, purpose="Demo"
    )
    # …but it cannot be moved to another day in the past.
    with pytest.raises(ValidationError) as error:
        services.visit_save(
            visit=kept,
            by=personas.alice,
            account=personas.account,
            now=later,
            planned_at=this_morning + datetime.timedelta(days=1),
        )
    assert "planned_at" in error.value.error_dict


def test_nobody_logs_visits_for_an_account_they_cannot_see(personas):
    with pytest.raises(ApplicationError):
        services.visit_save(
            by=personas.charlie,
            account=personas.account,
            status=VisitStatus.DONE,
            occurred_at=NOW,
            now=NOW,
        )


def test_logging_the_follow_up_closes_it_and_settles_its_reminders(personas):
    visit = record_visit(personas)
    due = NotificationFactory(visit=visit, kind=NotificationKind.FOLLOW_UP_DUE)
    lapsed = NotificationFactory(visit=visit, kind=NotificationKind.CONTACT_LAPSED)
    services.follow_up_log(
        visit=visit,
        by=personas.alice,
        followed_up_on=datetime.date(2026, 3, 12),
        method="phone",
        feedback="Happy with the proposal; wants a site visit.",
        today=datetime.date(2026, 3, 12),
    )
    visit.refresh_from_db()
    assert not visit.follow_up_open
    assert Notification.objects.get(pk=due.pk).read_at is not None
    assert Notification.objects.get(pk=lapsed.pk).read_at is None


@pytest.mark.parametrize(
    ("day", "feedback", "field"),
    [
        (datetime.date(2026, 3, 20), "ok", "followed_up_on"),  # in the future
        (datetime.date(2026, 3, 1), "ok", "followed_up_on"),  # before the visit
        (datetime.date(2026, 3, 12), "   ", "follow_up_feedback"),
    ],
)
def test_a_follow_up_needs_a_sensible_date_and_the_customers_words(personas, day, feedback, field):
    visit = record_visit(personas)
    with pytest.raises(ValidationError) as error:
        services.follow_up_log(
            visit=visit,
            by=personas.alice,
            followed_up_on=day,
            method="phone",
            feedback=feedback,
            today=datetime.date(2026, 3, 12),
        )
    assert field in error.value.error_dict
    visit.refresh_from_db()
    assert visit.follow_up_open


def test_development_record_totals_come_from_the_visits_in_its_period(personas):
    today = timezone.localdate()
    record = DevelopmentRecordFactory(
        account=personas.account, started_on=today - datetime.timedelta(days=20)
    )
    minutes = [30, 45, 120]
    for days_ago, length in zip([15, 5, 1], minutes, strict=True):
        VisitFactory(
            account=personas.account,
            occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
            duration_minutes=length,
        )
    VisitFactory(account=personas.account, occurred_at=timezone.now() - datetime.timedelta(days=40))
    VisitFactory(account=AccountFactory(owner=personas.alice))  # another account
    annotated = with_development_totals(
        type(record).objects.filter(pk=record.pk), today=today
    ).get()
    assert (annotated.contact_count, annotated.total_minutes) == (3, sum(minutes))
    assert len(development_record_contacts(record=record, today=today)) == 3


def test_only_the_manager_of_the_reps_team_reviews_a_record(personas):
    record = DevelopmentRecordFactory(account=personas.account, prepared_by=personas.alice)
    for outsider in [personas.alice, personas.bob, personas.other_manager, personas.admin]:
        with pytest.raises(ApplicationError):
            services.development_record_review(record=record, by=outsider)
    services.development_record_review(record=record, by=personas.manager)
    record.refresh_from_db()
    assert record.reviewed_by == personas.manager
    assert record.reviewed_on == timezone.localdate()


def test_a_reviewed_record_is_locked(personas):
    record = DevelopmentRecordFactory(account=personas.account, prepared_by=personas.alice)
    services.development_record_review(record=record, by=personas.manager)
    with pytest.raises(ApplicationError):
        services.development_record_save(
            by=personas.alice, account=personas.account, record=record, remarks="changed"
        )


def test_closing_a_development_needs_a_reason_and_sets_the_end_date(personas):
    record = DevelopmentRecordFactory(account=personas.account)
    with pytest.raises(ValidationError) as error:
        services.development_record_save(
            by=personas.alice,
            account=personas.account,
            record=record,
            result=DevelopmentResult.FAILURE,
        )
    assert "summary" in error.value.error_dict
    saved = services.development_record_save(
        by=personas.alice,
        account=personas.account,
        record=record,
        result=DevelopmentResult.FAILURE,
        summary="Lost to a cheaper local vendor; our decider contact left.",
    )
    assert saved.closed_on == timezone.localdate()
    assert saved.is_archived


def test_follow_up_compliance_counts_settled_visits_within_seven_days(personas):
    today = timezone.localdate()

    def visit(owner, days_ago, followed_after=None):
        occurred = timezone.now() - datetime.timedelta(days=days_ago)
        followed = (
            timezone.localdate(occurred) + datetime.timedelta(days=followed_after)
            if followed_after is not None
            else None
        )
        return VisitFactory(
            account=personas.account, owner=owner, occurred_at=occurred, followed_up_on=followed
        )

    visit(personas.alice, 30, followed_after=3)  # on time
    visit(personas.alice, 30, followed_after=7)  # on time: the 7th day counts
    visit(personas.alice, 30, followed_after=9)  # late
    visit(personas.alice, 20)  # never followed up, window closed: late
    visit(personas.alice, 2)  # window still open: not settled yet
    visit(personas.bob, 10, followed_after=1)  # on time
    visit(personas.bob, 200, followed_after=1)  # before the period
    rows = follow_up_compliance(
        reps=[personas.alice, personas.bob, personas.carol],
        since=today - datetime.timedelta(days=90),
        today=today,
    )
    summary = {r["rep"].username: (r["settled"], r["on_time"], r["share"]) for r in rows}
    assert summary == {"alice": (4, 2, 0.5), "bob": (1, 1, 1.0), "carol": (0, 0, None)}


def test_the_visits_behind_each_compliance_figure_are_those_it_counts(personas):
    """`follow_up_compliance_visits`: settled = on time + late, each visit labelled by
    hand; the newest first; only the reps and accounts asked for."""
    today = timezone.localdate()

    def visit(owner, days_ago, followed_after=None, account=None):
        occurred = timezone.now() - datetime.timedelta(days=days_ago, hours=1)
        followed = (
            timezone.localdate(occurred) + datetime.timedelta(days=followed_after)
            if followed_after is not None
            else None
        )
        return VisitFactory(
            account=account or personas.account,
            owner=owner,
            occurred_at=occurred,
            followed_up_on=followed,
        )

    quick = visit(personas.alice, 30, followed_after=3)
    seventh_day = visit(personas.alice, 31, followed_after=7)
    ninth_day = visit(personas.alice, 32, followed_after=9)
    never = visit(personas.alice, 20)
    visit(personas.alice, 2)  # window still open: in no list
    visit(personas.alice, 200, followed_after=1)  # before the period
    bobs = visit(personas.bob, 10, followed_after=1)
    elsewhere = visit(personas.alice, 40, account=AccountFactory(owner=personas.alice))
    since = today - datetime.timedelta(days=90)

    def listed(state, reps=(personas.alice,), accounts=None):
        return list(
            follow_up_compliance_visits(
                reps=list(reps), since=since, today=today, accounts=accounts, state=state
            )
        )

    assert listed("on_time") == [quick, seventh_day]
    assert listed("late") == [never, ninth_day, elsewhere]
    assert listed("settled") == [never, quick, seventh_day, ninth_day, elsewhere]
    assert listed("settled", reps=[personas.bob]) == [bobs]
    only = Account.objects.filter(pk=personas.account.pk)
    assert listed("late", accounts=only) == [never, ninth_day]
    # The figures of `follow_up_compliance` are these lists' lengths.
    [row] = follow_up_compliance(reps=[personas.alice], since=since, today=today)
    assert (row["settled"], row["on_time"]) == (len(listed("settled")), len(listed("on_time")))
    with pytest.raises(ValueError):
        listed("soon")


def test_a_follow_up_is_logged_once(personas):
    visit = VisitFactory(
        account=personas.account,
        owner=personas.alice,
        occurred_at=timezone.now() - datetime.timedelta(days=2),
    )
    today = timezone.localdate()
    services.follow_up_log(
        visit=visit, by=personas.alice, followed_up_on=today, method="phone", feedback="OK"
    )
    with pytest.raises(ApplicationError) as refused:
        services.follow_up_log(
            visit=visit, by=personas.alice, followed_up_on=today, method="visit", feedback="again"
        )
    assert refused.value.code == "protected"
    visit.refresh_from_db()
    assert (visit.follow_up_method, visit.follow_up_feedback) == ("phone", "OK")
