"""The account list pages by keyset (keyaccounts.paging): walking its "Next" links lists
every visible account exactly once, in the chosen order — ties broken by the id, accounts
not graded yet after the graded ones — and walking "Previous" back gives the same pages;
a page link that does not fit the list (garbled, tampered, another order or filter, an
old `?page=`) shows the first page; a deep page costs the queries of the first.

The expected orders are worked out here in plain Python from the rows the test made."""

import datetime
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_delete
from accounts.tests.factories import AccountFactory
from keyaccounts.tests.paging_helpers import first_page_link, link, pages, rows_of
from scoring.models import AccountScore
from scoring.services import active_model

pytestmark = pytest.mark.django_db

URL = reverse("accounts:list")
SIZE = 4

# (name, region, grade, score) of alice's accounts: names, regions, grades and scores
# that tie, accounts without a region and accounts not graded yet.
ALICES = [
    ("Same Name", "East", "A", "50.0"),
    ("Bravo", "West", "B", "61.5"),
    ("Same Name", "", None, None),
    ("Alpha", "East", "C", "50.0"),
    ("Same Name", "West", "A", "72.0"),
    ("Delta", "East", "D", "12.0"),
    ("Echo", "", "B", "50.0"),
    ("Same Name", "East", None, None),
    ("Charlie", "West", "A", "50.0"),
    ("Foxtrot", "East", "C", "33.3"),
    ("Same Name", "", "D", "12.0"),
    ("Golf", "West", "B", "61.5"),
    ("Hotel", "East", "A", "90.0"),
    ("India", "", None, None),
    ("Juliet", "West", "C", "50.0"),
    ("Kilo", "East", "B", "12.0"),
]


def grade_account(account, grade, score, model):
    AccountScore.objects.create(
        account=account,
        score=Decimal(score),
        computed_grade=grade,
        grade=grade,
        closing="later",
        model=model,
        computed_at=timezone.now(),
    )


@pytest.fixture
def book(personas, monkeypatch):
    """Alice's accounts (and her own persona's, not graded), charlie's (hidden from
    her), and one of hers in the recycle bin; 4 rows a page."""
    monkeypatch.setattr("accounts.views.PAGE_SIZE", SIZE)
    model = active_model()
    rows = {}
    for index, (name, region, grade, score) in enumerate(ALICES):
        account = AccountFactory(name=name, region=region, owner=personas.alice)
        if grade:
            grade_account(account, grade, score, model)
        rows[account.pk] = (name, region, grade, Decimal(score) if score else None)
        if index % 3 == 0:  # charlie's accounts sit between hers in every order
            theirs = AccountFactory(name=name, region=region, owner=personas.charlie)
            grade_account(theirs, grade or "A", score or "50.0", model)
    alices = personas.account
    rows[alices.pk] = (alices.name, alices.region, None, None)
    binned = AccountFactory(name="Same Name", owner=personas.alice)
    account_delete(account=binned, by=personas.alice)  # to the recycle bin, as the product does
    # Three accounts updated at the same moment: a tie on "Last updated".
    moment = timezone.now() - datetime.timedelta(days=3)
    tied = sorted(rows)[2:5]
    Account.objects.filter(pk__in=tied).update(updated_at=moment)
    updated = dict(Account.objects.filter(pk__in=rows).values_list("pk", "updated_at"))
    return {pk: (*row, updated[pk]) for pk, row in rows.items()}


def expected(book: dict, ordering: str) -> list[int]:
    """The order the list promises, in plain Python: the sort, then the id the same way;
    accounts without a grade (score) last, in either direction."""
    descending = ordering.startswith("-")
    column = {"name": 0, "region": 1, "grade": 2, "score": 3, "updated": 4}[ordering.lstrip("-")]
    with_value = [pk for pk, row in book.items() if row[column] is not None]
    without = [pk for pk, row in book.items() if row[column] is None]
    ordered = sorted(with_value, key=lambda pk: (book[pk][column], pk), reverse=descending)
    return ordered + sorted(without, reverse=descending)


ORDERINGS = ["name", "-name", "updated", "-updated", "region", "-region"]
ORDERINGS += ["grade", "-grade", "score", "-score"]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_next_links_list_every_visible_account_once_in_order(personas, login, book, ordering):
    every_page = list(pages(login(personas.alice), URL, {"ordering": ordering}))
    listed = [account.pk for account in rows_of(every_page)]

    assert listed == expected(book, ordering)
    assert [len(r.context["page"].object_list) for r in every_page[:-1]] == [SIZE] * (
        len(every_page) - 1
    )


@pytest.mark.parametrize("ordering", ["name", "-updated", "-grade", "score"])
def test_previous_links_walk_back_through_the_same_pages(personas, login, book, ordering):
    client = login(personas.alice)
    forward = [
        [a.pk for a in r.context["page"].object_list]
        for r in pages(client, URL, {"ordering": ordering})
    ]
    response = client.get(URL, {"ordering": ordering})
    while (next_url := link(response, "next")) is not None:
        response = client.get(next_url)
    backward = [[a.pk for a in response.context["page"].object_list]]
    while (previous := link(response, "prev")) is not None:
        response = client.get(previous)
        backward.append([a.pk for a in response.context["page"].object_list])

    assert backward[::-1] == forward
    assert link(response, "prev") is None and first_page_link(response) is None


def test_the_first_page_link_carries_the_filters_and_the_order(personas, login, book):
    client = login(personas.alice)
    second = client.get(link(client.get(URL, {"ordering": "-name", "region": "East"}), "next"))

    assert first_page_link(second) == f"{URL}?ordering=-name&region=East"
    assert re.search(
        r'<nav class="pagination" aria-label="Pages of accounts">', second.content.decode()
    )


def test_the_count_is_exact_up_to_the_limit_and_bounded_beyond(personas, login, book, monkeypatch):
    client = login(personas.alice)
    assert "17 accounts" in client.get(URL).content.decode()

    monkeypatch.setattr("keyaccounts.paging.COUNT_LIMIT", 10)
    page = client.get(URL).content.decode()
    assert "More than 10 accounts" in page and "17 accounts" not in page
    assert "5 accounts" in client.get(URL, {"region": "West"}).content.decode()


def cursor_of(response) -> str:
    """The "Next" link's cursor, as the list made it."""
    return parse_qs(urlsplit(link(response, "next")).query)["after"][0]


def first_page(book, ordering="name") -> list[int]:
    return expected(book, ordering)[:SIZE]


def test_a_garbled_or_tampered_cursor_shows_the_first_page(personas, login, book):
    client = login(personas.alice)
    token = cursor_of(client.get(URL))
    # The signature no longer matches: one character of the payload changed.
    flipped = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    for params in [
        {"after": "garbage"},
        {"after": flipped},
        {"after": token + "x"},
        {"before": "garbage"},
        {"before": token[:-2]},
        {"after": ""},
        {"after": "x" * 5000},
        {"page": "3"},  # an old link
        {"page": "-1"},
    ]:
        response = client.get(URL, params)
        assert response.status_code == 200, params
        assert [a.pk for a in response.context["page"].object_list] == first_page(book), params


def test_a_cursor_made_for_another_order_or_other_filters_shows_the_first_page(
    personas, login, book
):
    client = login(personas.alice)
    by_name = cursor_of(client.get(URL))
    by_region = cursor_of(client.get(URL, {"ordering": "region"}))

    assert [a.pk for a in client.get(URL, {"after": by_name}).context["page"].object_list] == (
        expected(book, "name")[SIZE : 2 * SIZE]
    )
    other_order = client.get(URL, {"ordering": "-name", "after": by_name})
    assert [a.pk for a in other_order.context["page"].object_list] == first_page(book, "-name")
    other_filter = client.get(URL, {"after": by_region})
    assert [a.pk for a in other_filter.context["page"].object_list] == first_page(book)
    # Another list's cursor: the development records' page never reads it.
    records = client.get(reverse("visits:record_list"), {"after": by_name})
    assert records.status_code == 200


def queries_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_deep_page_runs_the_queries_of_the_first_and_no_offset(personas, login, book, ordering):
    client = login(personas.alice)
    first_url = f"{URL}?ordering={ordering}"
    client.get(first_url)  # the session's first load
    first = queries_of(client, first_url)
    # The second page: still among the accounts with a grade when sorted by grade.
    deep = queries_of(client, link(client.get(first_url), "next"))

    assert len(deep) == len(first)
    assert not [sql for sql in first + deep if "OFFSET" in sql.upper()]


def test_the_export_links_carry_the_filters_not_the_page(personas, login, book):
    client = login(personas.alice)
    second = client.get(link(client.get(URL, {"ordering": "-score"}), "next"))
    # The list's export links (not the menu's "Exports", the user's prepared files).
    exports = re.findall(r'href="(/export/(?!files/)[^"]+)"', second.content.decode())

    assert exports and all("ordering=-score" in href for href in exports)
    assert not [href for href in exports if "after=" in href or "page=" in href]
