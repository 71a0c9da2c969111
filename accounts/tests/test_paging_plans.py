"""Plans, not timings, of a deep page (PostgreSQL, the seeded company of
`test_query_plans`): half way down the account list in each of its orders, and down the
development records, a page is read by keyset — an index range from the cursor, no
`OFFSET`, no sequential scan of a big table — so it costs what the first page costs.

The deep page's cursor is made by walking the list with pages of a third of its length
(a cursor does not depend on the page size); the page itself is read with the usual 25
(fewer for a rep's short list).
Checked for a superuser (every account: 4,000) and a typical rep (a few dozen), whose
list is read from the access table. The count, the same query on every page, stops at
1,001 rows; a rep's accounts need none (the number of their account ids)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.selectors import accounts_visible_to
from accounts.tests.test_query_plans import (  # noqa: F401  (the seeded company, its rep)
    BIG_TABLES,
    company,
    explain,
    explain_text,
    plan_nodes,
    rep,
)
from keyaccounts.tests.paging_helpers import link
from visits.selectors import development_records_visible_to

PAGED_TABLES = BIG_TABLES | {"visits_developmentrecord"}

# (rows, the list's address, the index a superuser's page reads from).
LISTS = {
    "accounts by name": ("accounts", "/accounts/?ordering=name", "account_list_name_idx"),
    "accounts by name, Z first": ("accounts", "/accounts/?ordering=-name", "account_list_name_idx"),
    "accounts by last update": (
        "accounts",
        "/accounts/?ordering=-updated",
        "account_list_updated_at_idx",
    ),
    "accounts by region": ("accounts", "/accounts/?ordering=region", "account_list_region_idx"),
    "accounts by grade": ("accounts", "/accounts/?ordering=grade", "score_grade_list_idx"),
    "accounts by grade, D first": (
        "accounts",
        "/accounts/?ordering=-grade",
        "score_grade_list_idx",
    ),
    "accounts by score, highest first": (
        "accounts",
        "/accounts/?ordering=-score",
        "score_score_list_idx",
    ),
    "development records": ("records", reverse("visits:record_list"), "devrecord_list_idx"),
}
PAGE_SIZES = {"accounts": "accounts.views.PAGE_SIZE", "records": "visits.views.PAGE_SIZE"}


def rows_of(kind: str, user) -> int:
    if kind == "accounts":
        return accounts_visible_to(user).count()
    return development_records_visible_to(user).count()


def the_pages_rows(queries) -> list[str]:
    """The queries that read the list's rows: by the keys `keyaccounts.paging` annotates."""
    return [q["sql"] for q in queries if "paging_key_" in q["sql"]]


def the_pages_count(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and "LIMIT 1001" in q["sql"]]


def scans(plan: dict) -> list[str]:
    return [
        node["Relation Name"]
        for node in plan_nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in PAGED_TABLES
    ]


@pytest.mark.usefixtures("company", "require_postgres")
@pytest.mark.parametrize("who", ["admin", "rep"])
@pytest.mark.parametrize("case", LISTS)
def test_a_deep_page_reads_an_index_range_without_offset(request, monkeypatch, who, case):
    kind, url, index = LISTS[case]
    user = request.getfixturevalue("rep") if who == "rep" else User.objects.get(username=who)
    client = Client()
    client.force_login(user)
    # A page in the middle, neither the first nor the last: a third down the list.
    third = rows_of(kind, user) // 3
    assert third >= 1, "the list is too short to have a deep page"

    monkeypatch.setattr(PAGE_SIZES[kind], third)
    deep_url = link(client.get(url), "next")
    monkeypatch.setattr(PAGE_SIZES[kind], min(25, third))
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as deep:
        response = client.get(deep_url)
    assert response.status_code == 200
    assert response.context["page"].object_list
    assert link(response, "prev") and link(response, "next"), "not a page in the middle"
    assert len(deep.captured_queries) == len(first.captured_queries)

    rows, count = the_pages_rows(deep.captured_queries), the_pages_count(deep.captured_queries)
    # A rep's accounts are counted by their ids, read anyway (`account_list_and_total`):
    # no statement; the rest stop at 1,001 rows.
    counted_by_ids = who == "rep" and kind == "accounts"
    assert len(rows) == 1 and len(count) == (0 if counted_by_ids else 1), (rows, count)
    assert not [sql for sql in rows + count if "OFFSET" in sql.upper()]
    plan = explain(rows[0])
    assert not scans(plan), f"{case}, {who}: sequential scans\n{rows[0]}\n{explain_text(rows[0])}"
    if who == "admin":  # every row is visible: the page is a range of the list's index
        used = {node.get("Index Name") or "" for node in plan_nodes(plan)}
        assert any(name.startswith(index) for name in used), (
            f"{case}: not read from {index}\n{explain_text(rows[0])}"
        )
    if counted_by_ids:
        return
    # The count stops at 1,001 rows: a Limit right under the count.
    counted = explain(count[0])
    assert counted["Node Type"] == "Aggregate", explain_text(count[0])
    assert [n["Node Type"] for n in counted["Plans"]] == ["Limit"], explain_text(count[0])
    assert counted["Plans"][0]["Plan Rows"] <= 1001
