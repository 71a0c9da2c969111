"""/api/v1/opportunities/ and /api/v1/stages/: what the board does, through the API:
open deals, tick exit criteria, move stages, close; bulk upserts by external_id."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AccountFactory
from opportunities.models import CriterionCheck, Opportunity, StageChange
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

BULK = "/api/v1/opportunities/bulk/"


@pytest.fixture
def stages(db):
    return default_stages()


def url(deal) -> str:
    return f"/api/v1/opportunities/{deal.pk}/"


def deal_body(personas, **fields) -> dict:
    return {
        "account": personas.account.pk,
        "name": "Data centre",
        "amount": "800000.00",
        "expected_close_date": "2030-03-31",
        **fields,
    }


def test_the_stages_are_listed_in_order_with_their_exit_criteria(personas, api, stages):
    response = api(personas.alice).get("/api/v1/stages/")

    assert response.status_code == 200
    body = response.json()
    assert [s["key"] for s in body] == list(stages)
    assert [c["name"] for c in body[0]["criteria"]] == [
        c.name for c in stages["qualify"].criteria.all()
    ]
    one = api(personas.alice).get(f"/api/v1/stages/{stages['won'].pk}/").json()
    assert one["is_won"] is True


def test_a_new_deal_starts_in_the_first_stage_at_its_probability(personas, api, stages):
    response = api(personas.alice).post("/api/v1/opportunities/", deal_body(personas))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["stage"] == stages["qualify"].pk
    assert body["probability"] == stages["qualify"].default_probability
    assert body["owner"] == personas.alice.pk
    assert body["checked_criteria"] == []
    assert StageChange.objects.filter(opportunity_id=body["id"]).count() == 1


def test_moving_forward_without_the_exit_criteria_answers_409_and_changes_nothing(
    personas, api, stages
):
    deal = OpportunityFactory(account=personas.account)

    response = api(personas.alice).patch(
        url(deal), {"stage": stages["needs_analysis"].pk, "name": "Renamed too"}
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "exit_criteria_missing"
    assert body["errors"]["stage"] == [body["detail"]]
    assert set(body["missing_criteria"]) == set(
        stages["qualify"].criteria.values_list("pk", flat=True)
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.name, deal.version) == (stages["qualify"], deal.name, 1)


@pytest.mark.parametrize("set_based", [True, False])
def test_a_deal_opened_past_the_first_stage_needs_the_outcomes_of_the_stages_before(
    personas, api, stages, settings, set_based
):
    """As if moved there: opening a deal as won (or at any later stage) without the
    outcomes ticked answers 409, by id, by external ID and in bulk, and opens nothing;
    the outcomes ticked in the same body open it."""
    settings.BULK_SET_BASED = set_based
    client = api(personas.alice)
    before = [
        c.pk
        for key in ("qualify", "needs_analysis", "solution", "bid", "negotiation")
        for c in stages[key].criteria.all()
    ]
    won = deal_body(personas, stage=stages["won"].pk, close_reason="Signed")

    refused = client.post("/api/v1/opportunities/", won)
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "exit_criteria_missing"
    assert sorted(refused.json()["missing_criteria"]) == sorted(before)
    by_key = client.put(
        "/api/v1/opportunities/external/ERP-W/", {**won, "external_id": "ERP-W"}, format="json"
    )
    assert by_key.status_code == 409, by_key.json()
    bulk = client.post(BULK, [{**won, "external_id": "ERP-B"}], format="json").json()
    assert bulk["results"][0]["status"] == "error"
    assert bulk["results"][0]["errors"]["stage"]
    assert not Opportunity.objects.exists()

    opened = client.post(
        "/api/v1/opportunities/", {**won, "checked_criteria": before}, format="json"
    )
    assert opened.status_code == 201, opened.json()
    assert opened.json()["stage"] == stages["won"].pk
    # The first stage, named, needs nothing; a lost deal is recorded as lost.
    first = client.post("/api/v1/opportunities/", deal_body(personas, stage=stages["qualify"].pk))
    assert first.status_code == 201, first.json()
    lost = deal_body(personas, stage=stages["lost"].pk, close_reason="Price")
    assert client.post("/api/v1/opportunities/", lost).status_code == 201


def test_ticking_the_criteria_then_moving_works_and_each_change_is_one_version(
    personas, api, stages
):
    deal = OpportunityFactory(account=personas.account)
    client = api(personas.alice)
    version = 1

    for criterion in stages["qualify"].criteria.all():
        response = client.post(
            f"{url(deal)}criteria/", {"criterion": criterion.pk, "checked": True}
        )
        assert response.status_code == 200
        version += 1
        assert response.json()["version"] == version
        assert response["ETag"] == f'"{version}"'
    moved = client.patch(
        url(deal), {"stage": stages["needs_analysis"].pk}, HTTP_IF_MATCH=f'"{version}"'
    )

    assert moved.status_code == 200, moved.json()
    assert moved.json()["version"] == version + 1
    assert moved.json()["stage"] == stages["needs_analysis"].pk
    assert moved.json()["probability"] == stages["needs_analysis"].default_probability
    assert moved.json()["checked_criteria"] == sorted(
        stages["qualify"].criteria.values_list("pk", flat=True)
    )


def test_unticking_a_criterion(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)
    criterion = stages["qualify"].criteria.first()
    client = api(personas.alice)
    client.post(f"{url(deal)}criteria/", {"criterion": criterion.pk, "checked": True})

    response = client.post(f"{url(deal)}criteria/", {"criterion": criterion.pk, "checked": False})

    assert response.json()["checked_criteria"] == []
    assert not CriterionCheck.objects.exists()


def test_a_criterion_sent_on_a_stale_version_answers_412_and_changes_nothing(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)
    first, second = stages["qualify"].criteria.all()[:2]
    client = api(personas.alice)
    ticked = client.post(f"{url(deal)}criteria/", {"criterion": first.pk, "checked": True})
    assert ticked["ETag"] == '"2"'

    stale = client.post(
        f"{url(deal)}criteria/", {"criterion": second.pk, "checked": True}, HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    assert not CriterionCheck.objects.filter(criterion=second).exists()
    # Already as asked: still refused, the client's view of the deal is stale.
    again = client.post(
        f"{url(deal)}criteria/", {"criterion": first.pk, "checked": True}, HTTP_IF_MATCH='"1"'
    )
    assert again.status_code == 412
    current = client.post(
        f"{url(deal)}criteria/", {"criterion": second.pk, "checked": True}, HTTP_IF_MATCH='"2"'
    )
    assert current.status_code == 200 and current["ETag"] == '"3"'


def test_a_criterion_sent_again_with_its_idempotency_key_is_replayed(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)
    first, second = stages["qualify"].criteria.all()[:2]
    client = api(personas.alice)
    sent = {"criterion": first.pk, "checked": True}
    answer = client.post(f"{url(deal)}criteria/", sent, HTTP_IDEMPOTENCY_KEY="tick-1")
    # Meanwhile someone unticks it; the retry replays the first answer and writes nothing.
    CriterionCheck.objects.filter(opportunity=deal).delete()
    replayed = client.post(f"{url(deal)}criteria/", sent, HTTP_IDEMPOTENCY_KEY="tick-1")
    assert replayed.status_code == 200 and replayed.json() == answer.json()
    assert not CriterionCheck.objects.filter(opportunity=deal).exists()

    other = client.post(
        f"{url(deal)}criteria/",
        {"criterion": second.pk, "checked": True},
        HTTP_IDEMPOTENCY_KEY="tick-1",
    )
    assert other.status_code == 422
    assert not CriterionCheck.objects.filter(criterion=second).exists()


def test_criteria_of_a_deal_one_cannot_see_answer_404(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)

    response = api(personas.charlie).post(
        f"{url(deal)}criteria/",
        {"criterion": stages["qualify"].criteria.first().pk, "checked": True},
    )

    assert response.status_code == 404
    assert not CriterionCheck.objects.exists()


@pytest.mark.parametrize("body", [{}, {"criterion": 999999, "checked": True}, {"criterion": "x"}])
def test_a_bad_criterion_answers_400(personas, api, stages, body):
    deal = OpportunityFactory(account=personas.account)

    response = api(personas.alice).post(f"{url(deal)}criteria/", body)

    assert response.status_code == 400
    assert response.json()["errors"]


def test_closing_needs_the_reason(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)
    client = api(personas.alice)

    refused = client.patch(url(deal), {"stage": stages["lost"].pk})
    closed = client.patch(url(deal), {"stage": stages["lost"].pk, "close_reason": "Price"})

    assert refused.status_code == 400
    assert "close_reason" in refused.json()["errors"]
    assert closed.status_code == 200
    assert closed.json()["closed_on"] is not None
    assert closed.json()["probability"] == 0


def test_a_deal_cannot_be_opened_at_an_account_one_cannot_see(personas, api, stages):
    response = api(personas.charlie).post("/api/v1/opportunities/", deal_body(personas))

    assert response.status_code == 400
    assert "account" in response.json()["errors"]
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"kind": "expansion"}, {"expansion"}),
        ({"expected_close_before": "2029-12-31"}, {"soon"}),
        ({"expected_close_after": "2030-01-01"}, {"expansion", "late"}),
    ],
)
def test_opportunity_filters(personas, api, stages, query, expected):
    deals = {
        "soon": OpportunityFactory(account=personas.account, expected_close_date="2029-06-30"),
        "expansion": OpportunityFactory(
            account=personas.account, kind="expansion", expected_close_date="2030-06-30"
        ),
        "late": OpportunityFactory(account=personas.account, expected_close_date="2031-06-30"),
    }
    OpportunityFactory(account=personas.charlies_account)

    response = api(personas.alice).get("/api/v1/opportunities/", query)

    assert {r["id"] for r in response.json()["results"]} == {deals[k].pk for k in expected}


def test_opportunities_filter_by_stage_and_account(personas, api, stages):
    deal = OpportunityFactory(account=personas.account)
    client = api(personas.alice)

    in_qualify = client.get("/api/v1/opportunities/", {"stage": stages["qualify"].pk}).json()
    in_bid = client.get("/api/v1/opportunities/", {"stage": stages["bid"].pk}).json()
    here = client.get("/api/v1/opportunities/", {"account": personas.account.pk}).json()

    assert [r["id"] for r in in_qualify["results"]] == [deal.pk]
    assert in_bid["results"] == []
    assert [r["id"] for r in here["results"]] == [deal.pk]


def test_a_list_of_deals_costs_the_same_queries_at_any_page_size(personas, api, stages):
    for _ in range(50):
        deal = OpportunityFactory(account=AccountFactory(owner=personas.alice))
        CriterionCheck.objects.create(
            opportunity=deal, criterion=stages["qualify"].criteria.first()
        )
    client = api(personas.alice)
    client.get("/api/v1/opportunities/")

    counts = []
    for size in (2, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/opportunities/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(captured))

    assert counts[0] == counts[1]


# --- bulk ----------------------------------------------------------------------------


def test_bulk_creates_and_updates_by_external_id_one_result_per_item(personas, api, stages):
    existing = OpportunityFactory(account=personas.account, external_id="ERP-1")

    response = api(personas.alice).post(
        BULK,
        [
            deal_body(personas, external_id="ERP-1", name="Updated"),
            deal_body(personas, external_id="ERP-2", name="New"),
        ],
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 0)
    first, second = body["results"]
    assert first == {
        "index": 0,
        "external_id": "ERP-1",
        "status": "updated",
        "id": existing.pk,
        "version": 2,
        "errors": {},
    }
    assert second["status"] == "created"
    assert Opportunity.objects.get(external_id="ERP-2").pk == second["id"]
    existing.refresh_from_db()
    assert existing.name == "Updated"


def test_one_bad_item_does_not_stop_the_others_and_is_not_half_written(personas, api, stages):
    existing = OpportunityFactory(account=personas.account, external_id="ERP-9", name="Before")
    items = [
        deal_body(personas, external_id="ERP-A"),
        deal_body(personas, external_id="ERP-B", amount="-5", expected_close_date="someday"),
        # Valid as input, refused by the stage rule after the details were applied:
        deal_body(personas, external_id="ERP-9", name="After", stage=stages["negotiation"].pk),
        {"name": "no external id"},
        deal_body(personas, external_id="ERP-C", account=personas.charlies_account.pk),
        deal_body(personas, external_id="ERP-D"),
    ]

    response = api(personas.alice).post(BULK, items)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "error",
        "error",
        "error",
        "error",
        "created",
    ]
    assert set(results[1]["errors"]) == {"amount", "expected_close_date"}
    assert results[2]["errors"]["stage"]
    assert "external_id" in results[3]["errors"]
    assert "account" in results[4]["errors"]
    assert all(r["id"] is None and r["version"] is None for r in results[1:5])
    assert set(Opportunity.objects.values_list("external_id", flat=True)) == {
        "ERP-9",
        "ERP-A",
        "ERP-D",
    }
    existing.refresh_from_db()
    assert (existing.name, existing.stage, existing.version) == ("Before", stages["qualify"], 1)


def test_bulk_cannot_overwrite_a_deal_one_cannot_see(personas, api, stages):
    OpportunityFactory(account=personas.charlies_account, external_id="THEIRS")

    response = api(personas.alice).post(BULK, [deal_body(personas, external_id="THEIRS")])

    (result,) = response.json()["results"]
    assert result["status"] == "error"
    assert "external_id" in result["errors"]
    assert Opportunity.objects.get(external_id="THEIRS").account == personas.charlies_account


@pytest.mark.parametrize(
    "body", [{"external_id": "X"}, "text", [1, 2], [{"external_id": "X"}] * 1001]
)
def test_a_body_that_is_no_list_of_objects_or_too_long_answers_400(personas, api, stages, body):
    response = api(personas.alice).post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]
    assert not Opportunity.objects.exists()


def test_bulk_takes_500_items(personas, api, stages):
    items = [deal_body(personas, external_id=f"N-{i}") for i in range(500)]

    response = api(personas.alice).post(BULK, items)

    assert response.json()["created"] == 500


def test_a_bulk_retry_with_its_idempotency_key_writes_nothing_again(personas, api, stages):
    client = api(personas.alice)
    items = [deal_body(personas, external_id="ERP-1")]

    first = client.post(BULK, items, HTTP_IDEMPOTENCY_KEY="bulk-1")
    retry = client.post(BULK, items, HTTP_IDEMPOTENCY_KEY="bulk-1")

    assert retry.json() == first.json()
    assert Opportunity.objects.get(external_id="ERP-1").version == 1


def test_a_list_reads_the_deals_of_few_accounts_by_their_ids_the_same_deals(
    personas, api, stages, monkeypatch
):
    """`deals_listed_for` reads the deals of someone who sees a bounded number of
    accounts through those accounts' ids (read first from their access rows), of someone
    who sees more through the join: the same live deals either way, a deal at an account
    in the recycle bin in neither, and none for someone who sees none."""
    from accounts.services import account_delete
    from accounts.tests.factories import UserFactory
    from keyaccounts.recyclebin.services import soft_delete
    from opportunities import selectors
    from opportunities.selectors import deals_listed_for, opportunities_visible_to

    gone = AccountFactory(owner=personas.alice)
    binned = OpportunityFactory(account=gone)
    account_delete(account=gone, by=personas.alice)  # its deals go with it
    # A deal left live at an account in the recycle bin (a root binned alone) is left
    # out as well: by its account's state, as the visibility rule does.
    stray_at = AccountFactory(owner=personas.alice)
    stray = OpportunityFactory(account=stray_at)
    soft_delete(root=stray_at, by=personas.alice)
    OpportunityFactory(account=personas.account)
    OpportunityFactory(account=personas.charlies_account)
    inactive = UserFactory(is_active=False)
    OpportunityFactory(account=AccountFactory(owner=inactive))
    people = [personas.alice, personas.bob, personas.manager, personas.charlie, inactive]

    def both_ways():
        for user in people:
            expected = set(opportunities_visible_to(user).values_list("pk", flat=True))
            assert binned.pk not in expected and stray.pk not in expected
            listed = deals_listed_for(user)
            assert set(listed.values_list("pk", flat=True)) == expected, user
            if user.is_active:
                ids = {
                    row["id"] for row in api(user).get("/api/v1/opportunities/").json()["results"]
                }
                assert ids == expected, user
            yield user, listed

    # Read by the accounts' ids, not through the access table's join.
    for user, listed in both_ways():
        if user.is_active:
            assert "accounts_accountaccess" not in str(listed.query)
    # More than the bound (and a superuser, always): the join, the same deals.
    monkeypatch.setattr(selectors, "LISTED_UP_TO", 0)
    for user, listed in both_ways():
        if user.is_active and set(listed.values_list("pk", flat=True)):
            assert "accounts_accountaccess" in str(listed.query)
    everything = set(opportunities_visible_to(personas.admin).values_list("pk", flat=True))
    assert set(deals_listed_for(personas.admin).values_list("pk", flat=True)) == everything
