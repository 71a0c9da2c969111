"""The monthly sales list and an account's grade history page by keyset
(keyaccounts.paging): every visible row once, in order, ties broken by the id, the same
pages walking back, a deep page at the first page's cost; the grade history still says
what moved in the last change of a page, whichever way the page was reached. Expected
orders and moves are worked out here in plain Python from the rows the test made."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.tests.paging_helpers import (
    first_and_deep_query_counts,
    link,
    pages,
    walk_both_ways,
)
from scoring.models import GradeChange, MonthlySales
from scoring.services import active_model

pytestmark = pytest.mark.django_db


def flatten(pages_: list[list]) -> list:
    return [pk for page in pages_ for pk in page]


def test_the_sales_list_pages_newest_month_first_then_by_account(personas, login, monkeypatch):
    monkeypatch.setattr("scoring.table.views.SALES_PAGE_SIZE", 4)
    accounts = [personas.account] + [AccountFactory(owner=personas.alice) for _ in range(3)]
    rows = {}
    for month in [datetime.date(2025, m, 1) for m in (1, 2, 3)]:
        for account in accounts:
            row = MonthlySales.objects.create(account=account, month=month, sales=Decimal(100))
            rows[row.pk] = (month, account.pk)
        MonthlySales.objects.create(account=personas.charlies_account, month=month, sales=1)

    client = login(personas.manager)
    forward, backward = walk_both_ways(client, reverse("scoring:sales_list"))

    # Newest month first; within a month by account, then id (one row per month each).
    by_month = sorted(rows, key=lambda pk: (rows[pk][1], pk))
    expected = sorted(by_month, key=lambda pk: rows[pk][0], reverse=True)
    assert flatten(forward) == expected
    assert backward == forward
    page = client.get(reverse("scoring:sales_list")).content.decode()
    assert "12 account-months" in page and "¥1,200<" in page
    first, deep = first_and_deep_query_counts(client, reverse("scoring:sales_list"))
    assert first == deep


def test_the_sales_total_is_shown_only_while_the_count_is_exact(personas, login, monkeypatch):
    for month in range(1, 4):
        MonthlySales.objects.create(
            account=personas.account, month=datetime.date(2025, month, 1), sales=Decimal(10)
        )
    monkeypatch.setattr("keyaccounts.paging.COUNT_LIMIT", 2)

    page = login(personas.manager).get(reverse("scoring:sales_list")).content.decode()

    assert "More than 2 account-months" in page and "¥30" not in page
    assert "narrow the list to see its sales total" in page


def contributions(points: int) -> list[dict]:
    return [{"key": "size_budget", "raw": 1, "points": points, "contribution": points}]


def test_the_grade_history_pages_and_says_what_moved_across_each_page_break(
    personas, login, monkeypatch
):
    monkeypatch.setattr("scoring.grade.views.HISTORY_PAGE_SIZE", 3)
    model = active_model()
    start = timezone.now() - datetime.timedelta(days=30)
    made = []
    for index in range(8):
        # Two changes at the same moment: the id orders them.
        moment = start + datetime.timedelta(days=index if index != 5 else 4)
        made.append(
            GradeChange.objects.create(
                account=personas.account,
                from_grade="",
                to_grade="B",
                score=Decimal(50),
                model=model,
                reason="rescored",
                contributions=contributions(10 * index),
                changed_at=moment,
            )
        )
    GradeChange.objects.create(
        account=personas.charlies_account,
        to_grade="A",
        score=Decimal(90),
        model=model,
        reason="first",
        changed_at=start,
    )
    url = reverse("scoring:account_grade", args=[personas.account.pk])
    client = login(personas.alice)

    newest_first = sorted(made, key=lambda c: (c.changed_at, c.pk), reverse=True)
    points = {c.pk: c.contributions[0]["points"] for c in made}
    # Each change compared with the one before it; the first grade with nothing.
    moved = {
        change.pk: (points[older.pk], points[change.pk]) if older else None
        for change, older in zip(newest_first, [*newest_first[1:], None], strict=True)
    }

    def read(response):
        return [
            (
                row["change"].pk,
                row["moves"] and (row["moves"][0]["before"], row["moves"][0]["after"]),
            )
            for row in response.context["rows"]
        ]

    forward = [read(response) for response in pages(client, url)]
    assert [pk for page in forward for pk, _ in page] == [c.pk for c in newest_first]
    assert dict(pair for page in forward for pair in page) == moved

    # Back from the last page: each page the same, its last change compared the same.
    response = client.get(url)
    while (next_url := link(response, "next")) is not None:
        response = client.get(next_url)
    backward = [read(response)]
    while (previous := link(response, "prev")) is not None:
        response = client.get(previous)
        backward.append(read(response))
    assert backward[::-1] == forward
