"""What a bulk upsert costs in queries, for every synced record type: what the items
refer to is read once per list (the records by external_id, the external ids others
hold, the rows named by id), so each item costs only its own write through the type's
services, and an unchanged item writes nothing. A lookup per item on top fails these
tests: the bound per item does not grow with the list."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyaccounts.tests.api_records import BULK_TYPES, RecordType

pytestmark = pytest.mark.django_db

# Queries of one item's write through the type's services (create, update), counted
# from their SQL. Deals: the account's visibility, the model's checks (3 foreign keys,
# the external id live and in the recycle bin), the change number, the row, its history
# entry, the rescore request, the webhooks asked, the stage change and two savepoints =
# 16; an update the stored row compared and the history baseline asked instead of the
# stage change and one savepoint. Accounts add the access table's refresh of a new
# account (5) and the owner read before an update (the feed's moves); contacts check no
# stage and no account; visits and development records also check their two database
# constraints (a savepoint each) and, for visits, write the history of who was met and
# who went; a development record reads its totals after the write. A planned visit also
# has its planned attendances written (visits.attendance): asked for when created (1),
# written again when updated (2).
PER_ITEM = {
    "accounts": (20, 17),
    # A new contact's name is compared with its account's other contacts (one query: two
    # of one name are a likely duplicate), as a phone number or email address always was,
    # and with those in the recycle bin the user may restore (two: whether they manage a
    # team, the account's contacts in the bin).
    "contacts": (15, 16),
    "visits": (27, 32),
    # A deal opened at a stage it names asks which stages close (the approval gate of
    # issue 13: one query; the account's money risk only when the stage closes) and the
    # outcomes of the stages before it (one query).
    "opportunities": (18, 16),
    "development-records": (17, 21),
    # visits.complaints (issue 13): a new one also reads its assignee's team, the account's
    # grade and the service policy (its deadlines); both run the model's checks.
    "complaints": (18, 21),
    # scoring.receivables: the invoice number asked per account (a new one only), the
    # account seen, and the unique number checked (a savepoint); its check constraints
    # are checked in Python (`Receivable.clean`).
    "receivables": (17, 20),
}
# An unchanged item: nothing written. Accounts and contacts are left by their service
# inside its savepoint (2 statements); visits compare their people (2) and, like
# development records, run the model's checks before finding nothing changed.
UNCHANGED_PER_ITEM = {
    "accounts": 2,
    "contacts": 2,
    "visits": 16,
    "opportunities": 0,
    "development-records": 13,
    "complaints": 12,
    "receivables": 11,
}
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

FEW, MANY = 4, 16

KINDS = pytest.mark.parametrize("kind", BULK_TYPES, ids=str)


@pytest.fixture(autouse=True)
def _per_item(settings):
    """The path every item of another type, and every item a set-based write declines,
    takes (test_api_bulk_set_based.py: the set-based one's cost)."""
    settings.BULK_SET_BASED = False


@pytest.fixture(autouse=True)
def _stages(db):
    from opportunities.tests.factories import default_stages

    default_stages()


def items(kind: RecordType, personas, count: int, *, prefix: str, **fields) -> list[dict]:
    result = []
    for i in range(count):
        body = {**kind.payload(personas), "external_id": f"{prefix}-{i}", **fields}
        if "name" in body:
            body["name"] = f"{body['name']} {i}"  # no likely duplicates
        if "invoice_number" in body:
            body["invoice_number"] = f"INV-{prefix}-{i}"  # one per account, the same each time
        if "planned_at" in body:
            body["planned_at"] = "2030-01-07T09:00:00+08:00"  # the same each time
        result.append(body)
    return result


def post_counting(client, kind: RecordType, body) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{kind.path}bulk/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in queries.captured_queries]


@KINDS
def test_each_created_item_costs_only_its_own_write(kind, personas, api):
    client = api(personas.alice)

    few, few_sql = post_counting(client, kind, items(kind, personas, FEW, prefix="FEW"))
    many, many_sql = post_counting(client, kind, items(kind, personas, MANY, prefix="MANY"))

    assert (few["created"], many["created"]) == (FEW, MANY)
    per_item = (len(many_sql) - len(few_sql)) / (MANY - FEW)
    assert per_item <= PER_ITEM[kind.name][0], per_item


@KINDS
def test_each_replaced_item_costs_only_its_own_write(kind, personas, api):
    client = api(personas.alice)
    post_counting(client, kind, items(kind, personas, MANY, prefix="E"))

    few, few_sql = post_counting(
        client, kind, items(kind, personas, FEW, prefix="E", **kind.change)
    )
    changed = {kind.field: "Changed again"}
    many, many_sql = post_counting(client, kind, items(kind, personas, MANY, prefix="E", **changed))

    assert (few["updated"], many["updated"]) == (FEW, MANY)
    per_item = (len(many_sql) - len(few_sql)) / (MANY - FEW)
    assert per_item <= PER_ITEM[kind.name][1], per_item
    assert {r.version for r in kind.model.objects.filter(external_id__in=["E-0", "E-9"])} == {3, 2}


@KINDS
def test_an_unchanged_item_writes_nothing(kind, personas, api):
    client = api(personas.alice)
    post_counting(client, kind, items(kind, personas, MANY, prefix="E"))

    few, few_sql = post_counting(client, kind, items(kind, personas, FEW, prefix="E"))
    many, many_sql = post_counting(client, kind, items(kind, personas, MANY, prefix="E"))

    assert (few["unchanged"], many["unchanged"]) == (FEW, MANY)
    assert [sql for sql in many_sql if WRITES.match(sql)] == []
    per_item = (len(many_sql) - len(few_sql)) / (MANY - FEW)
    assert per_item <= UNCHANGED_PER_ITEM[kind.name], per_item
    assert set(kind.model.objects.values_list("version", flat=True)) == {1}
