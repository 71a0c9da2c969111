"""The manager's team page: follow-up compliance per rep and records to review."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory, UserFactory
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

pytestmark = pytest.mark.django_db

URL = reverse("visits:team")


def days(n):
    return datetime.timedelta(days=n)


def at_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def visit(account, owner, visited_days_ago, followed_after=None):
    """A recorded visit; followed up `followed_after` days after it (None: not yet)."""
    today = timezone.localdate()
    day = today - days(visited_days_ago)
    return VisitFactory(
        account=account,
        owner=owner,
        occurred_at=at_noon(day),
        follow_up_due=day + days(7),
        followed_up_on=None if followed_after is None else day + days(followed_after),
        follow_up_feedback="" if followed_after is None else "ok",
    )


def rows(response):
    return {row["rep"].username: row for row in response.context["compliance"]["rows"]}


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "charlie"])
def test_reps_do_not_have_a_team_page(personas, login, who):
    assert login(getattr(personas, who)).get(URL).status_code == 404


def test_the_nav_shows_the_team_link_to_managers_only(personas, login):
    team_link = f'href="{URL}"'
    assert team_link in login(personas.manager).get("/my-week/").content.decode()
    assert team_link not in login(personas.alice).get("/my-week/").content.decode()


def test_compliance_counts_settled_follow_ups_and_the_share_done_within_a_week(personas, login):
    alice, bob = personas.alice, personas.bob
    account = personas.account
    # alice, counted by hand: settled = 5 (4 logged + 1 whose week is over), on time = 3.
    visit(account, alice, 20, followed_after=1)  # on time
    visit(account, alice, 30, followed_after=7)  # on time: the 7th day still counts
    visit(account, alice, 40, followed_after=0)  # on time: same day
    visit(account, alice, 50, followed_after=9)  # late
    visit(account, alice, 15)  # never followed up, window closed: settled, not on time
    visit(account, alice, 3)  # window still open: not settled yet
    visit(account, alice, 120, followed_after=1)  # older than 90 days: outside
    # bob: one late, one on time -> 2 settled, 1 on time.
    visit(account, bob, 10, followed_after=8)
    visit(account, bob, 12, followed_after=2)
    # charlie is on another team: not on this page at all.
    visit(personas.charlies_account, personas.charlie, 10, followed_after=1)

    response = login(personas.manager).get(URL)
    by_rep = rows(response)
    assert set(by_rep) == {"alice", "bob", "carol"}
    assert (by_rep["alice"]["settled"], by_rep["alice"]["on_time"]) == (5, 3)
    assert by_rep["alice"]["share"] == pytest.approx(0.6)
    assert (by_rep["bob"]["settled"], by_rep["bob"]["on_time"]) == (2, 1)
    assert (by_rep["carol"]["settled"], by_rep["carol"]["share"]) == (0, None)
    assert response.context["compliance"]["settled"] == 7
    assert response.context["compliance"]["on_time"] == 4
    html = response.content.decode()
    assert "60%" in html and "50%" in html


def test_open_overdue_follow_ups_are_counted_per_rep(personas, login):
    visit(personas.account, personas.alice, 10)  # due 3 days ago: overdue
    visit(personas.account, personas.alice, 9)  # due 2 days ago: overdue
    visit(personas.account, personas.alice, 5)  # due in 2 days: not yet
    visit(personas.account, personas.alice, 12, followed_after=9)  # logged late: not open
    visit(personas.account, personas.bob, 8)  # due yesterday: overdue
    response = login(personas.manager).get(URL)
    by_rep = rows(response)
    assert (by_rep["alice"]["overdue"], by_rep["bob"]["overdue"], by_rep["carol"]["overdue"]) == (
        2,
        1,
        0,
    )
    assert response.context["compliance"]["overdue"] == 3


def test_records_awaiting_review_are_the_teams_closed_unreviewed_ones(personas, login):
    today = timezone.localdate()
    waiting = DevelopmentRecordFactory(
        account=personas.account, result="failure", summary="Price", closed_on=today
    )
    DevelopmentRecordFactory(account=personas.account)  # still in progress
    DevelopmentRecordFactory(
        account=personas.account,
        result="success",
        summary="Won",
        closed_on=today,
        reviewed_by=personas.manager,
        reviewed_on=today,
    )
    charlies = DevelopmentRecordFactory(
        account=personas.charlies_account, result="failure", summary="x", closed_on=today
    )
    response = login(personas.manager).get(URL)
    assert list(response.context["awaiting"]) == [waiting]
    assert list(login(personas.other_manager).get(URL).context["awaiting"]) == [charlies]


def fill_team(manager_team, n):
    for _ in range(n):
        rep = UserFactory(sales_team=manager_team)
        account = AccountFactory(owner=rep)
        visit(account, rep, 20, followed_after=2)
        visit(account, rep, 10)
        DevelopmentRecordFactory(
            account=account, result="failure", summary="x", closed_on=timezone.localdate()
        )


def count_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def test_the_team_page_runs_the_same_number_of_queries_for_2_or_25_reps(personas, login):
    client = login(personas.manager)
    fill_team(personas.east, 2)
    few = count_queries(client)
    fill_team(personas.east, 23)
    assert len(client.get(URL).context["awaiting"]) == 25
    assert count_queries(client) == few


# --- many reps, and the kept compliance -------------------------------------------------


def test_a_manager_of_more_reps_than_a_page_lists_sees_teams_and_the_lowest_reps(
    personas, login, monkeypatch
):
    """The manager of two teams, four reps, a page of two: a row per team adding up its
    reps, then the two reps lowest on time (the most late first), and a total of all."""
    from visits import compliance

    personas.west.manager = personas.manager
    personas.west.save()
    account = personas.account
    visit(account, personas.alice, 20, followed_after=1)  # alice 1 of 1 on time
    visit(account, personas.bob, 20, followed_after=9)  # bob 0 of 2
    visit(account, personas.bob, 30)  # open and overdue
    visit(account, personas.carol, 20, followed_after=8)  # carol 1 of 2
    visit(account, personas.carol, 25, followed_after=3)
    visit(personas.charlies_account, personas.charlie, 20, followed_after=9)  # charlie 1 of 2
    visit(personas.charlies_account, personas.charlie, 40, followed_after=2)
    visit(personas.charlies_account, personas.charlie, 10)  # open and overdue

    monkeypatch.setattr(compliance, "REP_ROWS", 2)
    response = login(personas.manager).get(URL)
    html = response.content.decode()

    teams = {t["team"].name: t for t in response.context["compliance"]["teams"]}
    assert [(n, t["reps"], t["settled"], t["on_time"]) for n, t in teams.items()] == [
        ("East", 3, 5, 2),
        ("West", 1, 3, 1),
    ]
    assert teams["West"]["overdue"] == 1
    listed = re.findall(r'<tr data-rep="([^"]+)">', html)
    assert listed == ["bob", "charlie"]  # 0 %, then 33 % (carol's 50 % is not listed)
    assert "All 4 reps" in html
    c = response.context["compliance"]
    assert (c["settled"], c["on_time"], c["overdue"]) == (8, 3, 2)  # bob's and charlie's


def test_the_compliance_is_kept_and_the_records_to_review_are_read_on_every_view(
    personas, login, settings
):
    settings.SNAPSHOT_SECONDS = 300
    visit(personas.account, personas.alice, 20, followed_after=1)
    client = login(personas.manager)
    first = client.get(URL)
    assert not first.context["snapshot"].kept
    # Another person's work lands: the kept figures stay as they were, the review list not.
    visit(personas.account, personas.bob, 20, followed_after=1)
    waiting = DevelopmentRecordFactory(
        account=personas.account, result="failure", summary="x", closed_on=timezone.localdate()
    )
    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL)
    assert second.context["snapshot"].kept
    assert not any('AS "settled"' in q["sql"] for q in queries)  # no compliance counted
    assert list(second.context["awaiting"]) == [waiting]
    assert "Figures as of" in second.content.decode()
    # "Compute them now": the figures with Bob's visit, then the page without the flag.
    refreshed = client.get(URL, {"refresh": "1"})
    assert refreshed.status_code == 302 and refreshed["Location"] == URL
    third = client.get(URL)
    assert third.context["snapshot"].kept
    assert 'data-rep="bob"' in third.content.decode()
    bob = re.search(r'<tr data-rep="bob">.*?</tr>', third.content.decode(), re.S).group(0)
    assert '<td data-label="Settled">1</td>' in bob
