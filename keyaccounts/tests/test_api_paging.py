"""API lists page by cursor at any depth: `next` reads from where the page ended (no
OFFSET), page numbers reach a bounded depth, and `count` counts a bounded number of rows.
Every record of a list is reached once, in the list's order, whatever the ties and
NULLs; a cursor belongs to its list (filters, order) and a wrong one is a clear 400."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.api import pagination
from visits.tests.factories import PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"


def follow(client, url, params=None):
    """Every page from `url` by its `next` links: (the bodies, the queries each cost)."""
    bodies, costs = [], []
    while url:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200, response.content
        bodies.append(response.json())
        costs.append(len(ctx.captured_queries))
        url, params = bodies[-1]["next"], None
    return bodies, costs


def ids(bodies) -> list[int]:
    return [row["id"] for body in bodies for row in body["results"]]


def test_next_reaches_every_record_once_in_order_with_ties(personas, api):
    # Names repeat: the order is name, then id.
    made = [AccountFactory(owner=personas.alice, name=f"Co {i % 4}") for i in range(11)]
    mine = [personas.account, *made]
    expected = [a.pk for a in sorted(mine, key=lambda a: (a.name, a.pk))]
    client = api(personas.alice)

    bodies, costs = follow(client, ACCOUNTS, {"page_size": 3})
    assert ids(bodies) == expected
    assert [len(body["results"]) for body in bodies] == [3, 3, 3, 3]
    # From the second page on, the links carry a cursor, not a page number; each page
    # costs the queries the first one does.
    assert all("after=" in body["next"] and "page=" not in body["next"] for body in bodies[:-1])
    assert len(set(costs)) == 1
    # Descending by another field, the same: every one once (ties still by id, ascending).
    bodies, _ = follow(client, ACCOUNTS, {"page_size": 5, "ordering": "-name"})
    by_id = sorted(mine, key=lambda a: a.pk)
    assert ids(bodies) == [a.pk for a in sorted(by_id, key=lambda a: a.name, reverse=True)]


def test_nulls_come_last_and_every_visit_is_reached_once(personas, api):
    now = timezone.now()
    done = [
        VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=d))
        for d in (3, 1, 2, 1)
    ]
    planned = [PlannedVisitFactory(account=personas.account) for _ in range(3)]
    client = api(personas.alice)
    bodies, _ = follow(client, "/api/v1/visits/", {"page_size": 2, "ordering": "-occurred_at"})
    # Recorded visits newest first (ties by id), then those not recorded (no date), by id.
    recorded = sorted(done, key=lambda v: (-v.occurred_at.timestamp(), v.pk))
    assert ids(bodies) == [v.pk for v in recorded] + sorted(v.pk for v in planned)


def test_previous_goes_back_to_the_page_before(personas, api):
    for i in range(7):
        AccountFactory(owner=personas.alice, name=f"Co {i}")
    client = api(personas.alice)
    bodies, _ = follow(client, ACCOUNTS, {"page_size": 3})
    third = bodies[2]
    back = client.get(third["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in bodies[1]["results"]]
    first = client.get(back["previous"]).json()
    assert [row["id"] for row in first["results"]] == [row["id"] for row in bodies[0]["results"]]
    assert first["previous"] is None
    # By page number, previous is the page number before.
    second = client.get(ACCOUNTS, {"page_size": 3, "page": 2}).json()
    assert second["previous"].endswith("page_size=3")
    assert client.get(second["previous"]).json()["results"] == bodies[0]["results"]


def test_a_cursor_that_is_not_this_lists_answers_400_naming_it(personas, api):
    for i in range(4):
        AccountFactory(owner=personas.alice, name=f"Co {i}")
    client = api(personas.alice)
    next_url = client.get(ACCOUNTS, {"page_size": 2}).json()["next"]
    (cursor,) = parse_qs(urlsplit(next_url).query)["after"]

    for params, field in [
        ({"after": cursor[:-3] + "xyz"}, "after"),  # tampered
        ({"after": "garbage"}, "after"),
        ({"before": cursor, "ordering": "-name"}, "before"),  # made for another order
        ({"after": cursor, "industry": "finance"}, "after"),  # for other filters
        ({"after": cursor, "page": "2"}, "page"),  # two ways at once
    ]:
        response = client.get(ACCOUNTS, params)
        assert response.status_code == 400, params
        assert field in response.json()["errors"], (params, response.json())
    # The page size may change between pages: the cursor is the list's, not the size's.
    assert client.get(ACCOUNTS, {"after": cursor, "page_size": 1}).status_code == 200


def test_page_numbers_reach_a_bounded_depth_and_say_to_follow_next(personas, api, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_OFFSET", 4)
    for i in range(6):
        AccountFactory(owner=personas.alice, name=f"Co {i}")
    client = api(personas.alice)
    assert client.get(ACCOUNTS, {"page_size": 2, "page": 2}).status_code == 200
    response = client.get(ACCOUNTS, {"page_size": 2, "page": 3})
    assert response.status_code == 400
    (message,) = response.json()["errors"]["page"]
    assert "first 4 rows" in message and "next" in message
    # Following next reaches the rows page numbers do not.
    bodies, _ = follow(client, ACCOUNTS, {"page_size": 2})
    assert len(ids(bodies)) == 7


def test_count_counts_up_to_a_limit_and_says_whether_it_is_exact(personas, api, monkeypatch):
    for i in range(4):
        AccountFactory(owner=personas.alice, name=f"Co {i}")
    client = api(personas.alice)
    body = client.get(ACCOUNTS).json()
    assert (body["count"], body["count_exact"]) == (5, True)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    body = client.get(ACCOUNTS).json()
    assert (body["count"], body["count_exact"]) == (3, False)
    assert len(body["results"]) == 5  # the page is whole; only the count is bounded


def test_a_persons_unfiltered_accounts_are_counted_by_their_ids(personas, api, monkeypatch):
    """A rep's account list, unfiltered or only sorted, is counted by the live account
    ids read to find the page (the one in the recycle bin and other teams' left out), on
    every page; with a filter, counted by a statement of its own."""
    from accounts.services import account_delete

    for i in range(4):
        AccountFactory(owner=personas.alice, name=f"Co {i}")
    AccountFactory(owner=personas.charlie, name="Co West")
    account_delete(account=AccountFactory(owner=personas.alice, name="Co Gone"), by=personas.alice)
    client = api(personas.alice)

    def counted(params):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(ACCOUNTS, params).json()
        counts = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
        return body["count"], body["count_exact"], len(counts), body

    assert counted({})[:3] == (5, True, 0)
    assert counted({"ordering": "-name", "page_size": 2})[:3] == (5, True, 0)
    *_, body = counted({"page_size": 2})
    after = parse_qs(urlsplit(body["next"]).query)["after"][0]
    assert counted({"page_size": 2, "after": after})[:3] == (5, True, 0)
    assert counted({"q": "Co 1"})[:3] == (1, True, 1)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    assert counted({})[:3] == (3, False, 0)


def test_a_deep_page_costs_the_queries_of_the_first(personas, api):
    for i in range(30):
        AccountFactory(owner=personas.alice, name=f"Co {i:02}")
    client = api(personas.alice)
    bodies, costs = follow(client, ACCOUNTS, {"page_size": 2})
    assert len(bodies) == 16 and len(set(costs)) == 1
