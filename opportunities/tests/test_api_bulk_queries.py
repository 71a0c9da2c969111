"""POST /api/v1/opportunities/bulk/ reads what its items refer to once per list: the
deals by external_id, the accounts, stages and owners by id. Each item written costs
only its own write through the services; an unchanged item costs nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportunities.models import Opportunity, StageChange
from opportunities.tests.factories import default_stages

pytestmark = pytest.mark.django_db

BULK = "/api/v1/opportunities/bulk/"

# What one deal's write costs through the services today, counted from its SQL on
# SQLite and PostgreSQL: creating (stage given) — the account's visibility, the model's
# own checks (3 foreign keys, the external id live and in the recycle bin), the change
# number, the row, its history entry, the rescore request, the webhooks asked, the stage
# change, two savepoints (4 statements), and which stages close (the approval gate of
# issue 13: one read, the account's money risk only when the stage closes), and the exit
# criteria of the stages before the one named (none for the first, read all the same:
# one query) = 18;
# replacing — the same checks, the stored row compared, the history baseline asked, the
# change number, the versioned UPDATE and its read-back, the row, its history entry, the
# rescore request, the webhooks asked, one savepoint (2 statements) = 16. A lookup per
# item on top of these (the deal, its account, stage or owner, its exit criteria) fails
# the tests below.
CREATE_QUERIES_PER_ITEM = 18
UPDATE_QUERIES_PER_ITEM = 16


@pytest.fixture
def stages(db):
    return default_stages()


@pytest.fixture(autouse=True)
def _per_item(settings):
    """Item by item: the path of items the set-based write declines (its own cost:
    keyaccounts/tests/test_api_bulk_set_based.py)."""
    settings.BULK_SET_BASED = False


def items(personas, count: int, *, prefix: str = "ERP", **fields) -> list[dict]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "account": personas.account.pk,
            "owner": personas.alice.pk,
            "stage": default_stages()["qualify"].pk,
            "name": "Data centre",
            "amount": "800000.00",
            "expected_close_date": "2030-03-31",
            **fields,
        }
        for i in range(count)
    ]


def post_counting(client, body) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BULK, body, format="json")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def test_creating_50_deals_costs_only_each_deals_own_write_more_than_10(personas, api, stages):
    client = api(personas.alice)

    ten, ten_queries = post_counting(client, items(personas, 10, prefix="TEN"))
    fifty, fifty_queries = post_counting(client, items(personas, 50, prefix="FIFTY"))

    assert (ten["created"], fifty["created"]) == (10, 50)
    assert fifty_queries - ten_queries <= 40 * CREATE_QUERIES_PER_ITEM
    assert Opportunity.objects.filter(external_id__startswith="FIFTY-").count() == 50
    assert StageChange.objects.count() == 60


def test_replacing_50_deals_costs_only_each_deals_own_write_more_than_10(personas, api, stages):
    client = api(personas.alice)
    post_counting(client, items(personas, 50))

    ten, ten_queries = post_counting(client, items(personas, 10, name="Phase 2"))
    fifty, fifty_queries = post_counting(client, items(personas, 50, name="Phase 3"))

    assert (ten["updated"], ten["unchanged"]) == (10, 0)
    assert (fifty["updated"], fifty["unchanged"]) == (50, 0)
    assert fifty_queries - ten_queries <= 40 * UPDATE_QUERIES_PER_ITEM
    versions = dict(Opportunity.objects.values_list("external_id", "version"))
    assert {versions[f"ERP-{i}"] for i in range(10)} == {3}
    assert {versions[f"ERP-{i}"] for i in range(10, 50)} == {2}
    assert set(Opportunity.objects.values_list("name", flat=True)) == {"Phase 3"}


def test_50_unchanged_deals_cost_what_10_do(personas, api, stages):
    client = api(personas.alice)
    post_counting(client, items(personas, 50))

    ten, ten_queries = post_counting(client, items(personas, 10))
    fifty, fifty_queries = post_counting(client, items(personas, 50))

    assert (ten["unchanged"], fifty["unchanged"]) == (10, 50)
    assert fifty_queries == ten_queries
    assert set(Opportunity.objects.values_list("version", flat=True)) == {1}


def test_a_deal_named_twice_in_a_list_is_read_as_the_item_before_left_it(personas, api, stages):
    client = api(personas.alice)
    (created,) = items(personas, 1)
    post_counting(client, [created])
    first = {**created, "name": "Phase 2"}
    # Refused by the stage rule after its details were applied to the deal it read:
    second = {**first, "description": "Half written", "stage": stages["negotiation"].pk}
    third = dict(first)  # says nothing of the description

    body, _queries = post_counting(client, [first, second, third])

    assert [r["status"] for r in body["results"]] == ["updated", "error", "unchanged"]
    assert body["results"][1]["errors"]["stage"]
    deal = Opportunity.objects.get(external_id="ERP-0")
    assert (deal.name, deal.description, deal.stage, deal.version) == (
        "Phase 2",
        "",
        stages["qualify"],
        2,
    )
