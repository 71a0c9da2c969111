"""The reminder scan: what is due becomes one notification, once, whatever runs it."""

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, AccountStatus
from accounts.tests.factories import AccountFactory, SalesTeamFactory, UserFactory, policy_set
from scoring.models import AccountScore
from scoring.services import grade_pin, rescore
from visits import reminders as reminder_module
from visits.models import Notification, NotificationKind, VisitStatus
from visits.reminders import (
    account_rhythm_days,
    accounts_with_lapsed_contact,
    reminders_scan,
    rhythm_interval,
)
from visits.tests.factories import VisitFactory

DUE = NotificationKind.FOLLOW_UP_DUE
OVERDUE = NotificationKind.FOLLOW_UP_OVERDUE
ESCALATION = NotificationKind.FOLLOW_UP_ESCALATION
LAPSED = NotificationKind.CONTACT_LAPSED

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def now():
    """Noon of the local today: a scan "three hours later" is still the same day, whatever
    the hour the tests run at (at 21:00 in the site's time zone it would not be)."""
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))


@pytest.fixture
def today(now):
    return timezone.localdate(now)


def reminders(kind=None):
    """(kind, object key, due date, recipient) of every notification, sorted."""
    rows = Notification.objects.select_related("recipient")
    if kind is not None:
        rows = rows.filter(kind=kind)
    return sorted((n.kind, n.object_key, n.due_date, n.recipient.username) for n in rows)


def follow_up(personas, due, **fields):
    return VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=due, **fields)


# --- follow-ups -------------------------------------------------------------------------


def test_a_due_follow_up_makes_one_reminder_however_often_the_scan_runs(personas, now, today):
    visit = follow_up(personas, today)

    assert reminders_scan(now=now) == 1
    assert reminders_scan(now=now) == 0
    assert reminders_scan(now=now + datetime.timedelta(hours=3)) == 0

    assert reminders() == [(DUE, f"visit:{visit.pk}", today, "alice")]
    notification = Notification.objects.get()
    assert notification.account == personas.account and notification.visit == visit


@pytest.mark.parametrize(("days_ahead", "expected"), [(0, True), (1, True), (2, False), (3, False)])
def test_a_follow_up_is_reminded_the_day_before_and_on_the_day(
    personas, now, today, days_ahead, expected
):
    follow_up(personas, today + days_ahead * DAY)

    reminders_scan(now=now)

    assert len(reminders(DUE)) == (1 if expected else 0)
    assert reminders(OVERDUE) == [] and reminders(ESCALATION) == []


def test_due_tomorrow_and_then_today_is_still_one_reminder(personas, now, today):
    follow_up(personas, today + DAY)

    reminders_scan(now=now)
    reminders_scan(now=now + DAY)

    assert [row[2] for row in reminders(DUE)] == [today + DAY]


def test_a_follow_up_that_was_logged_is_never_reminded(personas, now, today):
    follow_up(personas, today, followed_up_on=today)
    follow_up(personas, today - 10 * DAY, followed_up_on=today - 11 * DAY)

    for days in (0, 1, 5, 30):
        assert reminders_scan(now=now + days * DAY) == 0

    assert reminders() == []


def test_planned_and_cancelled_visits_have_no_follow_up_reminder(personas, now, today):
    follow_up(personas, today - 5 * DAY, status=VisitStatus.CANCELLED)

    reminders_scan(now=now)

    assert reminders() == []


def test_time_moving_past_due_makes_it_overdue_then_escalates_to_the_manager(personas, now, today):
    visit = follow_up(personas, today)
    key = f"visit:{visit.pk}"

    reminders_scan(now=now)
    assert reminders() == [(DUE, key, today, "alice")]

    reminders_scan(now=now + DAY)
    assert reminders(OVERDUE) == [(OVERDUE, key, today, "alice")]
    assert reminders(ESCALATION) == []

    reminders_scan(now=now + 2 * DAY)  # the default escalation is 3 days after due
    assert reminders(ESCALATION) == []

    reminders_scan(now=now + 3 * DAY)
    assert reminders(ESCALATION) == [(ESCALATION, key, today, "manager")]

    for days in (4, 10, 40):
        reminders_scan(now=now + days * DAY)
    assert reminders() == [
        (DUE, key, today, "alice"),
        (ESCALATION, key, today, "manager"),
        (OVERDUE, key, today, "alice"),
    ]


def test_a_new_due_date_is_a_new_reminder(personas, now, today):
    visit = follow_up(personas, today)
    reminders_scan(now=now)
    visit.follow_up_due = today + DAY
    visit.save()

    reminders_scan(now=now)

    assert [row[2] for row in reminders(DUE)] == [today, today + DAY]


def test_the_escalation_delay_is_a_setting(personas, now, today, settings):
    settings.FOLLOW_UP_ESCALATION_DAYS = 10
    follow_up(personas, today)

    reminders_scan(now=now + 9 * DAY)
    assert reminders(ESCALATION) == []

    reminders_scan(now=now + 10 * DAY)
    assert len(reminders(ESCALATION)) == 1


def test_no_escalation_without_a_team_manager_or_when_the_owner_is_the_manager(
    personas, now, today
):
    loner = UserFactory(username="loner")  # on no sales team
    unmanaged = UserFactory(username="unmanaged", sales_team=SalesTeamFactory(manager=None))
    boss = UserFactory(username="boss")
    boss.sales_team = SalesTeamFactory(manager=boss)  # manages the team they are on
    boss.save()
    for owner in (loner, unmanaged, boss):
        VisitFactory(account=AccountFactory(owner=owner), follow_up_due=today - 10 * DAY)

    reminders_scan(now=now)

    assert reminders(ESCALATION) == []
    assert sorted(row[3] for row in reminders(OVERDUE)) == ["boss", "loner", "unmanaged"]


def test_inactive_people_get_nothing_but_the_manager_still_hears_of_it(personas, now, today):
    follow_up(personas, today - 5 * DAY)
    personas.alice.is_active = False
    personas.alice.save()

    reminders_scan(now=now)
    assert [row[0] for row in reminders()] == [ESCALATION]

    Notification.objects.all().delete()
    personas.manager.is_active = False
    personas.manager.save()

    reminders_scan(now=now)
    assert reminders() == []


def test_account_ids_limit_the_scan_to_those_accounts(personas, now, today):
    mine = follow_up(personas, today)
    VisitFactory(account=personas.charlies_account, follow_up_due=today)

    assert reminders_scan(now=now, account_ids=[personas.account.pk]) == 1
    assert reminders() == [(DUE, f"visit:{mine.pk}", today, "alice")]

    assert reminders_scan(now=now) == 1
    assert [row[3] for row in reminders()] == ["alice", "charlie"]


# --- the contact rhythm -----------------------------------------------------------------


def last_visited(account, days_ago, now):
    return VisitFactory(
        account=account, occurred_at=now - days_ago * DAY, followed_up_on=timezone.localdate(now)
    )


def test_an_account_not_visited_within_its_rhythm_lapses_once(personas, now):
    visit = last_visited(personas.account, 91, now)  # ungraded: the D rhythm, 90 days
    last_visited(personas.charlies_account, 89, now)

    assert reminders_scan(now=now) == 1
    assert reminders_scan(now=now) == 0

    lapsed_on = timezone.localdate(visit.occurred_at + 90 * DAY)
    assert reminders() == [(LAPSED, f"account:{personas.account.pk}", lapsed_on, "alice")]
    assert Notification.objects.get().visit is None


def test_an_account_never_visited_counts_from_its_creation(personas, now):
    created = now - 91 * DAY
    Account.objects.filter(pk=personas.account.pk).update(created_at=created)

    reminders_scan(now=now)

    assert reminders() == [
        (LAPSED, f"account:{personas.account.pk}", timezone.localdate(created + 90 * DAY), "alice")
    ]


def test_a_lost_account_is_left_alone(personas, now):
    personas.account.status = AccountStatus.LOST
    personas.account.save()
    last_visited(personas.account, 200, now)

    reminders_scan(now=now)

    assert reminders() == []


def test_a_new_lapse_after_a_new_visit_is_a_new_reminder(personas, now):
    last_visited(personas.account, 91, now)
    reminders_scan(now=now)
    last_visited(personas.account, 0, now)  # the rep goes back today
    mine = [personas.account.pk]

    assert reminders_scan(now=now + 30 * DAY, account_ids=mine) == 0
    assert reminders_scan(now=now + 91 * DAY, account_ids=mine) == 1

    first, second = (row[2] for row in reminders(LAPSED))
    assert second == timezone.localdate(now + 90 * DAY) and second > first


def test_the_rhythm_is_a_setting(personas, now, settings):
    policy_set(rhythm={"A": 7, "B": 14, "C": 21, "D": 30})
    last_visited(personas.account, 31, now)
    last_visited(personas.charlies_account, 29, now)

    reminders_scan(now=now)

    assert [row[3] for row in reminders(LAPSED)] == ["alice"]


def test_an_inactive_owner_gets_no_lapse_reminder(personas, now):
    last_visited(personas.account, 91, now)
    personas.alice.is_active = False
    personas.alice.save()

    reminders_scan(now=now)

    assert reminders(LAPSED) == []


def test_the_rhythm_by_grade_defaults_to_d_for_the_ungraded(settings):
    assert account_rhythm_days(None) == 90
    assert account_rhythm_days("A") == 14
    assert account_rhythm_days("unknown") == 90
    assert account_rhythm_days(type("Scored", (), {"grade": "B"})()) == 30
    assert account_rhythm_days(object()) == 90
    policy_set(rhythm={"A": 1, "B": 2, "C": 3, "D": 4})
    assert account_rhythm_days("C") == 3


def test_an_a_account_lapses_after_its_own_rhythm_while_a_d_one_does_not(personas, now, settings):
    policy_set(rhythm={"A": 14, "B": 30, "C": 60, "D": 90})
    last_visited(personas.account, 15, now)
    last_visited(personas.charlies_account, 15, now)
    # A manager's pin makes Alice's account an A; Charlie's, with no open deal, is a D.
    grade_pin(
        account=personas.account,
        by=personas.manager,
        grade="A",
        reason="Strategic",
        expires_on=timezone.localdate(now) + 30 * DAY,
    )
    rescore([personas.charlies_account.pk])
    assert AccountScore.objects.get(account=personas.charlies_account).grade == "D"

    assert reminders_scan(now=now) == 1

    lapsed_on = timezone.localdate(now - 15 * DAY + 14 * DAY)
    assert reminders(LAPSED) == [(LAPSED, f"account:{personas.account.pk}", lapsed_on, "alice")]
    lapsed = accounts_with_lapsed_contact(user=None, now=now).get()
    assert lapsed.rhythm == 14 * DAY
    assert account_rhythm_days(lapsed) == 14
    assert account_rhythm_days(Account.objects.get(pk=personas.charlies_account.pk)) == 90


def test_the_rhythm_in_sql_follows_a_grade_expression(personas):
    """A grade expression (here a constant; in the scan the score's grade) picks the rhythm."""
    rows = Account.objects.filter(pk=personas.account.pk)

    def rhythm(grade):
        return rows.annotate(r=rhythm_interval(grade)).values_list("r", flat=True).get()

    assert rhythm(Value("A")) == 14 * DAY
    assert rhythm(Value("C")) == 60 * DAY
    assert rhythm(Value("")) == 90 * DAY
    assert rhythm(None) == 90 * DAY


# --- cost -------------------------------------------------------------------------------


def scan_queries(now) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        created = reminders_scan(now=now)
    return created, len(queries)


def test_the_scan_costs_the_same_few_queries_for_3_or_30_reminders_of_each_kind(
    now, today, monkeypatch
):
    # The follow-up and rhythm kinds alone: the scans other apps register (complaints,
    # plans, reviews, people move) are measured by the test after this one.
    monkeypatch.setattr(reminder_module, "SCANS", [])
    team = SalesTeamFactory(manager=UserFactory())

    def make(count):
        for _ in range(count):
            owner = UserFactory(sales_team=team)
            account = AccountFactory(owner=owner)
            # Visited 100 days ago (lapsed), one follow-up due today, one 5 days overdue.
            VisitFactory(account=account, occurred_at=now - 100 * DAY, follow_up_due=today)
            VisitFactory(
                account=account, occurred_at=now - 100 * DAY, follow_up_due=today - 5 * DAY
            )

    make(3)
    few = scan_queries(now)
    Notification.objects.all().delete()
    make(27)
    many = scan_queries(now)

    assert few[0] == 3 * 4 and many[0] == 30 * 4  # due, overdue, escalation, lapsed
    # A read and an insert per kind, and the service policy's rhythms (one read).
    assert few[1] == many[1] <= 9
    assert scan_queries(now) == (0, 5)  # nothing new: just the four reads and the policy


def test_the_registered_scans_cost_a_few_reads_whatever_the_rows(now, personas):
    """Every scan another app registers reads a constant number of queries when nothing
    is due, however many records it looks at: at most one read per kind it makes."""

    def cost() -> int:
        with CaptureQueriesContext(connection) as context:
            for scan in reminder_module.SCANS:
                scan(now=now, today=timezone.localdate(now), account_ids=None)
        return len(context.captured_queries)

    assert reminder_module.SCANS, "complaints, plans, reviews and people move register scans"
    empty = cost()
    for _ in range(5):
        AccountFactory(owner=personas.alice)
    assert cost() == empty
    # The kinds other apps add (visits/models.py NotificationKind after CONTACT_LAPSED).
    registered_kinds = len(NotificationKind.choices) - 4
    assert empty <= registered_kinds


def test_two_visits_of_one_day_at_an_account_read_as_two_reminders(personas):
    """The reminder names the visit by its day and time (Shanghai), so two overdue
    follow-ups of one day's visits are told apart."""
    from visits.reminders import notification_text
    from visits.tests.factories import NotificationFactory

    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    texts = [
        notification_text(
            NotificationFactory(
                kind=NotificationKind.FOLLOW_UP_OVERDUE,
                visit=VisitFactory(
                    account=personas.account,
                    owner=personas.alice,
                    occurred_at=datetime.datetime(2026, 11, 28, hour, 0, tzinfo=shanghai),
                    follow_up_due=datetime.date(2026, 12, 5),
                ),
            )
        )
        for hour in (9, 15)
    ]
    assert texts == [
        "Follow-up with Alice's Customer Co is overdue: visit on 2026-11-28 09:00, "
        "follow-up was due 2026-12-05.",
        "Follow-up with Alice's Customer Co is overdue: visit on 2026-11-28 15:00, "
        "follow-up was due 2026-12-05.",
    ]
