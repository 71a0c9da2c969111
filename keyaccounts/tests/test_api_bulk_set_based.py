"""`POST <type>/bulk/` of plain creates and updates of accounts, contacts, visits and
deals is written set-based (keyaccounts/api/setbased.py), as a bulk job's chunk is:
the same answer and stored records as item by item, in a number of queries that does
not grow with the list (#9's "bulk upsert of 500": 16–24 queries an item before)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from keyaccounts.api import setbased
from keyaccounts.integrations.tests.set_based import spy_set_based
from keyaccounts.tests.api_records import BULK_TYPES

pytestmark = pytest.mark.django_db

SET_BASED = [kind for kind in BULK_TYPES if kind.model._meta.label_lower in setbased.KINDS]
KINDS = pytest.mark.parametrize("kind", SET_BASED, ids=str)
FEW, MANY = 4, 40


class _Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _stages(db):
    from opportunities.tests.factories import default_stages

    default_stages()


@pytest.fixture
def taken(monkeypatch) -> list[bool]:
    """Whether each list offered to the set-based write was taken."""
    return spy_set_based(monkeypatch)


def items(kind, personas, count: int, **fields) -> list[dict]:
    result = []
    for i in range(count):
        body = {**kind.payload(personas), "external_id": f"S-{i}", **fields}
        if "name" in body:
            body["name"] = f"{body['name']} {i}"  # no likely duplicates
        if "planned_at" in body:
            body["planned_at"] = f"2030-01-{1 + i % 28:02d}T09:{i // 28:02d}:00+08:00"
        result.append(body)
    return result


def post(client, kind, body) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{kind.path}bulk/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json(), len(queries.captured_queries)


def stored(kind) -> list[dict]:
    volatile = {"id", "created_at", "updated_at", "change_seq"}
    return sorted(
        (
            {k: v for k, v in row.items() if k not in volatile}
            for row in kind.model.all_objects.values()
        ),
        key=lambda row: row["external_id"] or "",
    )


def both_ways(settings, kind, run) -> list[dict]:
    """The bulk answers `run()` returns, set-based and then item by item, each run rolled
    back: asserts both gave the same answers (their ids aside: each run is rolled back)
    and stored the same rows; returns the per-item answers."""
    answers = {}
    for set_based in (True, False):
        settings.BULK_SET_BASED = set_based
        try:
            with transaction.atomic():
                answers[set_based] = (run(), stored(kind))
                raise _Rollback
        except _Rollback:
            pass
    fast, per_item = answers[True], answers[False]
    for fast_answer, per_item_answer in zip(fast[0], per_item[0], strict=True):
        pairs = zip(fast_answer.pop("results"), per_item_answer.pop("results"), strict=True)
        for one, other in pairs:
            assert {**one, "id": None} == {**other, "id": None}
        assert fast_answer == per_item_answer
    assert fast[1] == per_item[1]
    return per_item[0]


@KINDS
def test_a_plain_list_is_written_set_based_as_item_by_item(kind, personas, api, settings, taken):
    client = api(personas.alice)

    def run():
        created, _n = post(client, kind, items(kind, personas, FEW))
        updated, _n = post(client, kind, items(kind, personas, FEW, **kind.change))
        unchanged, _n = post(client, kind, items(kind, personas, FEW, **kind.change))
        return [created, updated, unchanged]

    per_item = both_ways(settings, kind, run)
    assert taken == [True, True, True]
    assert [(a["created"], a["updated"], a["unchanged"]) for a in per_item] == [
        (FEW, 0, 0),
        (0, FEW, 0),
        (0, 0, FEW),
    ]


@KINDS
def test_a_plain_list_costs_the_same_queries_whatever_its_length(
    kind, personas, api, settings, taken
):
    settings.BULK_SET_BASED = True
    client = api(personas.alice)
    few, few_queries = post(client, kind, items(kind, personas, FEW))
    # The same FEW again and MANY - FEW more: a list of updates and creates.
    many, many_queries = post(client, kind, items(kind, personas, MANY, **kind.change))

    assert taken == [True, True]
    assert (few["created"], many["updated"], many["created"]) == (FEW, FEW, MANY - FEW)
    # Statements by kind (the reads, the rows' and history's inserts — batched on SQLite,
    # COPY on PostgreSQL — and updates): never one per item (item by item: 12 to 30 each).
    per_item = (many_queries - few_queries) / (MANY - FEW)
    assert per_item < 0.5, (few_queries, many_queries)


def as_read_back(client, kind, personas, answer: dict, **change) -> list[dict]:
    """The records of a bulk answer as the API gives them one by one (id, version, dates,
    what only the server sets), changed by `change`, without the lists the create did not
    send (a deal's parts): what a client that read them sends back."""
    sent = kind.payload(personas)
    items = []
    for result in answer["results"]:
        record = client.get(f"{kind.path}{result['id']}/").json()
        lists = {k for k, v in record.items() if isinstance(v, list) and k not in sent}
        items.append({**{k: v for k, v in record.items() if k not in lists}, **change})
    return items


# An account as read holds its parent, grade and score, which go item by item
# (`setbased.PER_ITEM_KEYS`).
READ_BACK = [kind for kind in SET_BASED if kind.model._meta.label_lower != "accounts.account"]


@pytest.mark.parametrize("kind", READ_BACK, ids=str)
def test_records_sent_back_as_read_are_written_set_based_as_item_by_item(
    kind, personas, api, settings, taken
):
    """With their id, version and read-only fields: the same answers and rows as item by
    item; a version that is not the record's sends the list item by item, where that item
    alone answers version_mismatch."""
    client = api(personas.alice)

    def run():
        created, _n = post(client, kind, items(kind, personas, FEW))
        back = as_read_back(client, kind, personas, created, **kind.change)
        updated, _n = post(client, kind, back)
        again = as_read_back(client, kind, personas, created)
        unchanged, _n = post(client, kind, again)
        again[1]["version"] -= 1  # read before the last write
        stale, _n = post(client, kind, again)
        return [updated, unchanged, stale]

    per_item = both_ways(settings, kind, run)
    assert taken == [True, True, True, False]
    assert [(a["updated"], a["unchanged"], a["failed"]) for a in per_item] == [
        (FEW, 0, 0),
        (0, FEW, 0),
        (0, FEW - 1, 1),
    ]
