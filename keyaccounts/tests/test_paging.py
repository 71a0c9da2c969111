"""keyaccounts.paging: keyset pages of any order — NULLs first or last, expressions,
either direction — every row once, walking forwards or backwards; cursors that cannot be
forged or misapplied; the recycle bin, a record's history and the board's columns on it.
Expected orders are worked out here in plain Python from the rows the test made."""

import datetime

import pytest
from django.db.models import F, IntegerField
from django.db.models.functions import Coalesce
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.tests.factories import AccountFactory, CompetitorFactory
from keyaccounts import paging
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.tests.paging_helpers import (
    first_and_deep_query_counts,
    link,
    walk_both_ways,
)
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db


def every_row(queryset, ordering, size, *, backward_from_end=False) -> list[list[int]]:
    """The pages of `queryset`, read through Keyset alone, forwards (or, with
    `backward_from_end`, from the end backwards, put back in reading order)."""
    keyset = paging.Keyset(queryset, ordering)
    found, after = [], None
    while True:
        rows = keyset.rows(after=after, limit=size + 1, backward=backward_from_end)
        found.append([row.pk for row in rows[:size]])
        if len(rows) <= size:
            break
        after = keyset.values(rows[size - 1])
    if backward_from_end:
        return [page[::-1] for page in found[::-1]]
    return found


@pytest.fixture
def accounts(personas):
    """Accounts with employee counts that tie and that are missing (NULL)."""
    counts = [50, None, 10, 50, None, 30, 10, 50, None, 70, 10]
    made = {AccountFactory(owner=personas.alice, employees=n).pk: n for n in counts}
    made[personas.account.pk] = personas.account.employees
    made[personas.charlies_account.pk] = personas.charlies_account.employees
    return made


def python_order(values: dict, *, descending: bool, nulls_first: bool) -> list[int]:
    with_value = sorted(
        (pk for pk, v in values.items() if v is not None),
        key=lambda pk: (values[pk], pk),
        reverse=descending,
    )
    without = sorted((pk for pk, v in values.items() if v is None), reverse=descending)
    return without + with_value if nulls_first else with_value + without


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("nulls_first", [False, True])
@pytest.mark.parametrize("size", [1, 2, 4, 5, 100])
def test_a_nullable_key_pages_every_row_once_with_its_nulls_where_asked(
    accounts, descending, nulls_first, size
):
    placement = {"nulls_first": True} if nulls_first else {"nulls_last": True}
    key = F("employees").desc(**placement) if descending else F("employees").asc(**placement)
    ordering = [key, "-pk" if descending else "pk"]
    expected = python_order(accounts, descending=descending, nulls_first=nulls_first)

    forward = every_row(Account.objects.all(), ordering, size)
    backward = every_row(Account.objects.all(), ordering, size, backward_from_end=True)

    assert [pk for page in forward for pk in page] == expected
    assert [pk for page in backward for pk in page] == expected
    assert all(len(page) == size for page in forward[:-1])


def test_a_nullable_field_named_as_text_sorts_its_nulls_last(accounts):
    # "employees" may be NULL: read from the model, without saying where NULLs go.
    forward = every_row(Account.objects.all(), ["-employees", "-pk"], 3)

    expected = python_order(accounts, descending=True, nulls_first=False)
    assert [pk for page in forward for pk in page] == expected


def test_an_expression_key_pages_like_a_column(personas):
    made = {}
    for employees, revenue in [(5, None), (None, 7), (5, 5), (None, None), (9, 1)]:
        account = AccountFactory(
            owner=personas.alice, employees=employees, payment_cycle_days=revenue
        )
        made[account.pk] = employees if employees is not None else revenue
    # Never NULL for these rows: nulls_last says where they would go anyway.
    size = Coalesce("employees", "payment_cycle_days", 0, output_field=IntegerField())
    rows = Account.objects.filter(pk__in=made)

    forward = every_row(rows, [size.asc(nulls_last=True), "pk"], 2)

    values = {pk: v if v is not None else 0 for pk, v in made.items()}
    expected = sorted(values, key=lambda pk: (values[pk], pk))
    assert [pk for page in forward for pk in page] == expected


def test_an_ordering_must_end_in_the_primary_key():
    with pytest.raises(ValueError):
        paging.Keyset(Account.objects.all(), ["name"])


def test_a_cursor_reads_back_only_for_the_list_it_was_made_for():
    moment = timezone.now()
    values = (moment, datetime.date(2026, 1, 2), "name", None, 3)
    token = paging.encode_cursor("list-a", values)

    assert paging.decode_cursor(token, "list-a", 5) == values
    assert paging.decode_cursor(token, "list-b", 5) is None
    assert paging.decode_cursor(token, "list-a", 4) is None
    assert paging.decode_cursor(token[:-1], "list-a", 5) is None
    assert paging.decode_cursor("", "list-a", 5) is None
    assert paging.decode_cursor(None, "list-a", 5) is None
    # Signed with another key: not ours.
    forged = paging.signing.dumps(["list-a", [1, 2, 3, 4, 5]], salt="another", compress=True)
    assert paging.decode_cursor(forged, "list-a", 5) is None


def test_a_list_in_memory_pages_by_the_same_cursors():
    request = RequestFactory().get("/history/", {"q": "x"})
    items = list(range(23, 0, -1))  # sorted newest (largest) first, like a history

    pages_, page = [], paging.list_page(request, items, key=lambda i: (i,), size=5)
    pages_.append(page.object_list)
    while page.has_next:
        query = page.next_url.split("?", 1)[1]
        request = RequestFactory().get(f"/history/?{query}")
        page = paging.list_page(request, items, key=lambda i: (i,), size=5)
        pages_.append(page.object_list)
    assert [len(p) for p in pages_] == [5, 5, 5, 5, 3]
    assert [i for p in pages_ for i in p] == items
    assert page.first_url == "/history/?q=x"

    query = page.previous_url.split("?", 1)[1]
    back = paging.list_page(
        RequestFactory().get(f"/history/?{query}"), items, key=lambda i: (i,), size=5
    )
    assert back.object_list == pages_[-2]


# --- the pages on it -------------------------------------------------------------------


def test_the_recycle_bin_pages_latest_first_only_what_the_user_may_restore(
    personas, login, monkeypatch
):
    monkeypatch.setattr("keyaccounts.recyclebin.views.PAGE_SIZE", 3)
    moment = timezone.now() - datetime.timedelta(days=2)
    mine = {}
    for index in range(7):
        deleted_at = moment if index % 2 else moment + datetime.timedelta(hours=index)
        deletion = Deletion.objects.create(
            model="accounts.contact",
            object_id=1000 + index,
            label=f"Contact {index}",
            account_id=personas.account.pk,
            deleted_by=personas.alice,
            deleted_at=deleted_at,
        )
        mine[deletion.pk] = deleted_at
    Deletion.objects.create(  # bob's: alice may not restore it
        model="accounts.contact",
        object_id=2000,
        label="Bob's",
        account_id=personas.account.pk,
        deleted_by=personas.bob,
        deleted_at=moment,
    )

    client = login(personas.alice)
    forward, backward = walk_both_ways(client, reverse("recyclebin:bin"))

    expected = sorted(mine, key=lambda pk: (mine[pk], pk), reverse=True)
    assert [pk for page in forward for pk in page] == expected
    assert backward == forward
    assert "7 deletions" in client.get(reverse("recyclebin:bin")).content.decode()
    first, deep = first_and_deep_query_counts(client, reverse("recyclebin:bin"))
    assert first == deep


def test_a_records_history_pages_newest_first(personas, login, monkeypatch):
    monkeypatch.setattr("keyaccounts.history.views.PAGE_SIZE", 4)
    account = personas.account
    for n in range(9):
        CompetitorFactory(account=account, name=f"Rival {n}")
    url = reverse("accounts:history", args=[account.pk])
    client = login(personas.alice)

    forward, backward = walk_both_ways(client, url)

    labels = []
    response = client.get(url)
    while True:
        labels += [entry.object_label for entry in response.context["page"].object_list]
        if (next_url := link(response, "next")) is None:
            break
        response = client.get(next_url)
    rivals = [label.split(": ")[-1] for label in labels if "Rival" in label]
    assert rivals == [f"Rival {n}" for n in range(8, -1, -1)]  # newest first, each once
    assert len(labels) == 11  # and bob added to the team, and the account created
    assert backward == forward
    assert [len(page) for page in forward][:-1] == [4] * (len(forward) - 1)


def test_the_boards_show_more_link_ignores_a_tampered_cursor(personas, login, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 2)
    stage = default_stages()["qualify"]
    for day in range(1, 6):
        OpportunityFactory(
            account=personas.account,
            stage=stage,
            expected_close_date=datetime.date(2027, 3, day),
        )
    client = login(personas.alice)
    board = reverse("opportunities:board")
    cards = client.get(board, {"stage": stage.pk, "after": "2027-03-02_1"})  # the old form

    assert cards.status_code == 200
    assert [d.expected_close_date.day for d in cards.context["column"].cards] == [1, 2]


FIRST_PAGE = "this is the list&#x27;s first page"


def test_a_link_whose_place_no_longer_fits_opens_the_first_page_and_says_so(
    personas, login, monkeypatch
):
    """A bookmarked deep page whose filters changed, a link cut short, an old `?page=3`:
    the first page, with a notice above it; a cursor that fits says nothing."""
    monkeypatch.setattr("accounts.views.PAGE_SIZE", 2)
    for number in range(5):
        AccountFactory(owner=personas.alice, name=f"Paged {number}")
    client = login(personas.alice)
    first = client.get("/accounts/", {"q": "Paged"})
    assert FIRST_PAGE not in first.content.decode()
    second_url = first.context["page"].next_url
    second = client.get(second_url)
    assert FIRST_PAGE not in second.content.decode()
    assert second.context["page"].has_previous
    for url in (
        second_url.replace("q=Paged", "q=Page"),  # the filters changed since
        second_url[:-4],  # cut short
        "/accounts/?q=Paged&page=3",  # an old numbered page
    ):
        answer = client.get(url)
        assert FIRST_PAGE in answer.content.decode(), url
        assert not answer.context["page"].has_previous, url
    assert FIRST_PAGE not in client.get("/accounts/?q=Paged&after=").content.decode()
